// Package snapshottest builds synthetic snapshots of any size for
// benchmarks: the shape of the bench's synthetic cluster (test/fakekafka),
// without Kafka.
package snapshottest

import (
	"fmt"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Collector names a successful poll reports (the values of the fetch
// package's constants, which this package cannot import without a cycle in
// fetch's own tests).
var collectors = []string{"metadata", "offsets", "configs", "consumer_groups"}

// Synthetic returns a snapshot of a healthy 3-broker cluster with topics x
// partitions (replication factor 3, every replica in sync), at time at,
// whose latest offsets grow with at, and groups that each committed on
// groupTopics topics (every partition, some lag).
func Synthetic(topics, partitions, groups, groupTopics int, at time.Time) *snapshot.Snapshot {
	s := &snapshot.Snapshot{Time: at, ControllerID: 1}
	for id := int32(1); id <= 3; id++ {
		s.Brokers = append(s.Brokers, snapshot.Broker{ID: id, Addr: fmt.Sprintf("10.0.0.%d:9092", id), Rack: fmt.Sprintf("rack-%d", id)})
	}
	produced := at.Unix() % 100000
	for ti := range topics {
		t := snapshot.Topic{Name: fmt.Sprintf("topic-%05d", ti), ID: [16]byte{byte(ti), byte(ti >> 8), 1}}
		t.Partitions = make([]snapshot.Partition, partitions)
		for p := range partitions {
			leader := int32(p%3) + 1
			replicas := []int32{leader, leader%3 + 1, (leader+1)%3 + 1}
			t.Partitions[p] = snapshot.Partition{ID: int32(p), Leader: leader, LeaderEpoch: 3, Replicas: replicas, ISR: replicas,
				Offsets: snapshot.Offsets{Known: true, Oldest: int64(p), Latest: int64(p)*10 + produced}}
		}
		s.Topics = append(s.Topics, t)
	}
	for g := range groups {
		grp := snapshot.Group{Name: fmt.Sprintf("group-%05d", g), Coordinator: int32(g%3) + 1, ProtocolType: "consumer", State: "Empty",
			Generation: snapshot.NoGeneration, OffsetsKnown: true}
		for k := range groupTopics {
			topic := fmt.Sprintf("topic-%05d", (g*groupTopics+k)%max(topics, 1))
			for p := range partitions {
				grp.Offsets = append(grp.Offsets, snapshot.CommittedOffset{Topic: topic, Partition: int32(p), Offset: int64(p)*10 + produced - int64(g%7), LeaderEpoch: 3})
			}
		}
		s.Groups = append(s.Groups, grp)
	}
	for _, name := range collectors {
		s.Collectors = append(s.Collectors, snapshot.CollectorResult{Name: name, Success: true})
	}
	return s
}
