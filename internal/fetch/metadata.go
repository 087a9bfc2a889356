package fetch

import (
	"errors"
	"sort"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// fromMetadata turns a Metadata response into the snapshot's brokers and the
// topics that keep accepts, everything sorted. Topics with a topic-level
// error (deleted during the poll, not authorized) are left out.
func fromMetadata(r *sarama.MetadataResponse, keep func(string) bool) (clusterID string, controller int32, brokers []snapshot.Broker, topics []snapshot.Topic) {
	if r.ClusterID != nil {
		clusterID = *r.ClusterID
	}
	controller = r.ControllerID
	brokers = make([]snapshot.Broker, 0, len(r.Brokers))
	for _, b := range r.Brokers {
		brokers = append(brokers, snapshot.Broker{ID: b.ID(), Addr: b.Addr(), Rack: b.Rack()})
	}
	sort.Slice(brokers, func(i, j int) bool { return brokers[i].ID < brokers[j].ID })

	topics = make([]snapshot.Topic, 0, len(r.Topics))
	for _, t := range r.Topics {
		if t.Err != sarama.ErrNoError || !keep(t.Name) {
			continue
		}
		topic := snapshot.Topic{Name: t.Name, ID: t.Uuid, Internal: t.IsInternal, Partitions: make([]snapshot.Partition, 0, len(t.Partitions))}
		for _, p := range t.Partitions {
			part := snapshot.Partition{
				ID:              p.ID,
				Leader:          p.Leader,
				LeaderEpoch:     p.LeaderEpoch,
				Replicas:        p.Replicas,
				ISR:             p.Isr,
				OfflineReplicas: p.OfflineReplicas,
			}
			if p.Version < 7 {
				part.LeaderEpoch = -1
			}
			if p.Err != sarama.ErrNoError && !errors.Is(p.Err, sarama.ErrReplicaNotAvailable) {
				part.Err = p.Err
			}
			topic.Partitions = append(topic.Partitions, part)
		}
		sort.Slice(topic.Partitions, func(i, j int) bool { return topic.Partitions[i].ID < topic.Partitions[j].ID })
		topics = append(topics, topic)
	}
	sort.Slice(topics, func(i, j int) bool { return topics[i].Name < topics[j].Name })
	return clusterID, controller, brokers, topics
}
