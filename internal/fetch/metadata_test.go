package fetch

import (
	"reflect"
	"testing"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestFromMetadata(t *testing.T) {
	cluster := "abc"
	resp := &sarama.MetadataResponse{
		Version:      10,
		ClusterID:    &cluster,
		ControllerID: 2,
		Topics: []*sarama.TopicMetadata{
			{Name: "zeta", Uuid: sarama.Uuid{1}, Partitions: []*sarama.PartitionMetadata{
				{Version: 10, ID: 1, Leader: 2, LeaderEpoch: 4, Replicas: []int32{2, 1}, Isr: []int32{2, 1}},
				{Version: 10, ID: 0, Leader: -1, LeaderEpoch: 7, Replicas: []int32{3}, Isr: []int32{3}, OfflineReplicas: []int32{3}, Err: sarama.ErrLeaderNotAvailable},
			}},
			{Name: "__consumer_offsets", IsInternal: true, Partitions: []*sarama.PartitionMetadata{
				{Version: 10, ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, Isr: []int32{1, 2}, Err: sarama.ErrReplicaNotAvailable},
			}},
			{Name: "deleted", Err: sarama.ErrUnknownTopicOrPartition},
			{Name: "excluded", Partitions: []*sarama.PartitionMetadata{{ID: 0, Leader: 1}}},
		},
	}
	resp.AddBroker("127.0.0.1:2", 2)
	resp.AddBroker("127.0.0.1:1", 1)

	id, controller, brokers, topics := fromMetadata(resp, func(name string) bool { return name != "excluded" })
	if id != "abc" || controller != 2 {
		t.Errorf("cluster %q controller %d", id, controller)
	}
	wantBrokers := []snapshot.Broker{{ID: 1, Addr: "127.0.0.1:1"}, {ID: 2, Addr: "127.0.0.1:2"}}
	if !reflect.DeepEqual(brokers, wantBrokers) {
		t.Errorf("brokers %+v", brokers)
	}
	wantTopics := []snapshot.Topic{
		{Name: "__consumer_offsets", Internal: true, Partitions: []snapshot.Partition{
			{ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}},
		}},
		{Name: "zeta", ID: [16]byte{1}, Partitions: []snapshot.Partition{
			{ID: 0, Leader: -1, LeaderEpoch: 7, Replicas: []int32{3}, ISR: []int32{3}, OfflineReplicas: []int32{3}, Err: sarama.ErrLeaderNotAvailable},
			{ID: 1, Leader: 2, LeaderEpoch: 4, Replicas: []int32{2, 1}, ISR: []int32{2, 1}},
		}},
	}
	if !reflect.DeepEqual(topics, wantTopics) {
		t.Errorf("topics\n got %+v\nwant %+v", topics, wantTopics)
	}
}

func TestOffsetsOf(t *testing.T) {
	oldest, latest := &sarama.OffsetResponse{Version: 4}, &sarama.OffsetResponse{Version: 4}
	oldest.AddTopicPartition("t", 0, 5)
	latest.AddTopicPartition("t", 0, 42)
	oldest.AddTopicPartition("t", 1, 0)
	latest.AddTopicPartition("t", 1, 0)
	latest.Blocks["t"][1].Err = sarama.ErrNotLeaderForPartition
	cases := []struct {
		partition int32
		want      snapshot.Offsets
	}{
		{0, snapshot.Offsets{Known: true, Oldest: 5, Latest: 42}},
		{1, snapshot.Offsets{Err: sarama.ErrNotLeaderForPartition}},
		{2, snapshot.Offsets{Err: snapshot.ErrMissingFromResponse}},
	}
	for _, c := range cases {
		if got := offsetsOf(oldest, latest, "t", c.partition); got != c.want {
			t.Errorf("partition %d: got %+v, want %+v", c.partition, got, c.want)
		}
	}
}
