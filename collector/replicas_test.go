package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// replicasSnapshot is a 3-broker cluster where broker 3 is down:
//   - orders/0 (leader 1) holds 10 acks=1 messages that follower 2 does not
//     have yet; follower 3 is down (no log end).
//   - orders/1 is fully caught up and healthy.
//   - orders/2 is being reassigned onto broker 2, which is 40 behind.
//   - payments/0 lost its ISR down to the leader, under min ISR: its ELR
//     was read (broker 2 is eligible); broker 2 answered an error for it.
func replicasSnapshot() *snapshot.Snapshot {
	end := func(b int32, off int64) snapshot.ReplicaLogEnd {
		return snapshot.ReplicaLogEnd{Broker: b, Known: true, LogEnd: off}
	}
	return &snapshot.Snapshot{
		Time:               time.Unix(1700000000, 0),
		ControllerID:       1,
		Brokers:            []snapshot.Broker{{ID: 1}, {ID: 2}},
		ReassignmentsKnown: true,
		Topics: []snapshot.Topic{
			{Name: "orders", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2},
					Offsets: snapshot.Offsets{Known: true, Latest: 100, LogEndKnown: true, LogEnd: 110},
					LogEnds: []snapshot.ReplicaLogEnd{end(1, 110), end(2, 100)}},
				{ID: 1, Leader: 2, Replicas: []int32{2, 1}, ISR: []int32{2, 1},
					Offsets: snapshot.Offsets{Known: true, Latest: 50, LogEndKnown: true, LogEnd: 50},
					LogEnds: []snapshot.ReplicaLogEnd{end(2, 50), end(1, 50)}},
				{ID: 2, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1},
					Offsets:      snapshot.Offsets{Known: true, Latest: 60, LogEndKnown: true, LogEnd: 60},
					LogEnds:      []snapshot.ReplicaLogEnd{end(1, 60), end(2, 20)},
					Reassignment: &snapshot.Reassignment{Adding: []int32{2}}},
			}},
			{Name: "payments", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1},
					Offsets: snapshot.Offsets{Known: true, Latest: 7, LogEndKnown: true, LogEnd: 7},
					LogEnds: []snapshot.ReplicaLogEnd{end(1, 7), {Broker: 2, Err: sarama.ErrNotLeaderForPartition}},
					ELR:     snapshot.ELR{Known: true, Eligible: []int32{2}}},
			}},
		},
		Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Success: true},
			{Name: fetch.CollectorOffsets, Success: true},
		},
	}
}

const replicasGoldenHeader = `
# HELP kafka_broker_replica_lag_messages Sum of kafka_topic_partition_replica_lag_messages over the follower replicas the broker hosts: how many messages the broker is behind in all; absent for a broker that is down or did not answer, from the last poll.
# TYPE kafka_broker_replica_lag_messages gauge
kafka_broker_replica_lag_messages{id="1"} 0
kafka_broker_replica_lag_messages{id="2"} 50
# HELP kafka_topic_partition_eligible_leader_replicas Number of eligible leader replicas (KIP-966, Kafka 4.x): replicas outside the ISR that still hold every committed message, so electing one is clean; present only for the partitions the exporter asked about (under min.insync.replicas, empty ISR, or a leader change at the last poll) on brokers that have DescribeTopicPartitions, from the last poll.
# TYPE kafka_topic_partition_eligible_leader_replicas gauge
kafka_topic_partition_eligible_leader_replicas{partition="0",topic="payments"} 1
`

func TestReplicasGolden(t *testing.T) {
	all := replicasGoldenHeader + `# HELP kafka_topic_partition_log_end_offset Log end offset of the partition's leader: the offset its next message gets, written to the leader whether or not the followers have it yet (>= the high watermark kafka_topic_partition_current_offset), from the last poll.
# TYPE kafka_topic_partition_log_end_offset gauge
kafka_topic_partition_log_end_offset{partition="0",topic="orders"} 110
kafka_topic_partition_log_end_offset{partition="0",topic="payments"} 7
kafka_topic_partition_log_end_offset{partition="1",topic="orders"} 50
kafka_topic_partition_log_end_offset{partition="2",topic="orders"} 60
# HELP kafka_topic_partition_reassigning 1 while a reassignment of the partition's replicas is in progress (replicas being added or removed); the replicas being added do not count as missing from the ISR. Present only for partitions being reassigned: kafka_topic_reassigning_partitions counts them per topic, 0 included, from the last poll.
# TYPE kafka_topic_partition_reassigning gauge
kafka_topic_partition_reassigning{partition="2",topic="orders"} 1
# HELP kafka_topic_partition_replica_lag_messages Messages the follower replica on broker id replica is behind its leader (leader log end offset minus the follower's); absent for a replica whose broker is down or did not answer, from the last poll.
# TYPE kafka_topic_partition_replica_lag_messages gauge
kafka_topic_partition_replica_lag_messages{partition="0",replica="2",topic="orders"} 10
kafka_topic_partition_replica_lag_messages{partition="1",replica="1",topic="orders"} 0
kafka_topic_partition_replica_lag_messages{partition="2",replica="2",topic="orders"} 40
# HELP kafka_topic_partition_uncommitted_messages Messages on the partition's leader that are not yet on every in-sync replica (leader log end offset minus high watermark); those acknowledged with acks=0 or acks=1 are lost if the leader fails now, from the last poll.
# TYPE kafka_topic_partition_uncommitted_messages gauge
kafka_topic_partition_uncommitted_messages{partition="0",topic="orders"} 10
kafka_topic_partition_uncommitted_messages{partition="0",topic="payments"} 0
kafka_topic_partition_uncommitted_messages{partition="1",topic="orders"} 0
kafka_topic_partition_uncommitted_messages{partition="2",topic="orders"} 0
` + replicasGoldenTopics
	// At risk: all but orders/1, which is healthy and caught up.
	var atRisk strings.Builder
	for _, line := range strings.SplitAfter(all, "\n") {
		if !strings.Contains(line, `partition="1",`) {
			atRisk.WriteString(line)
		}
	}
	for _, tc := range []struct {
		name   string
		series PartitionSeries
		want   string
	}{
		{"all", PartitionSeriesAll, all},
		{"at-risk", PartitionSeriesAtRisk, atRisk.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewReplicas(judged(replicasSnapshot, testPolicy{}), tc.series)
			if err := testutil.CollectAndCompare(c, strings.NewReader(tc.want)); err != nil {
				t.Error(err)
			}
		})
	}
}

const replicasGoldenTopics = `# HELP kafka_topic_reassigning_partitions Number of the topic's partitions with a reassignment in progress; absent when reassignments could not be read, from the last poll.
# TYPE kafka_topic_reassigning_partitions gauge
kafka_topic_reassigning_partitions{topic="orders"} 1
kafka_topic_reassigning_partitions{topic="payments"} 0
# HELP kafka_topic_uncommitted_messages Sum of kafka_topic_partition_uncommitted_messages over the topic's partitions whose leader log end and high watermark were read; absent when none was, from the last poll.
# TYPE kafka_topic_uncommitted_messages gauge
kafka_topic_uncommitted_messages{topic="orders"} 10
kafka_topic_uncommitted_messages{topic="payments"} 0
`

// TestReplicasNothingWithoutMetadata renders nothing for a failed poll.
func TestReplicasNothingWithoutMetadata(t *testing.T) {
	s := replicasSnapshot()
	s.Collectors[0].Success = false
	c := NewReplicas(judged(func() *snapshot.Snapshot { return s }, testPolicy{}), PartitionSeriesAll)
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Errorf("%d samples rendered after a failed Metadata", n)
	}
}
