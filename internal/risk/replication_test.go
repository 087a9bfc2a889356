package risk

import (
	"reflect"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestPartition(t *testing.T) {
	live := Live{1: true, 2: true, 3: true}
	cases := []struct {
		name string
		p    snapshot.Partition
		live Live
		want PartitionHealth
	}{
		{"healthy RF 3", snapshot.Partition{Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}}, live,
			PartitionHealth{Replicas: 3, InSync: 3, LeaderIsPreferred: true}},
		{"follower out of sync", snapshot.Partition{Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}}, live,
			PartitionHealth{Replicas: 3, InSync: 2, UnderReplicated: true, LeaderIsPreferred: true}},
		{"leader moved off preferred", snapshot.Partition{Leader: 2, Replicas: []int32{1, 2, 3}, ISR: []int32{2, 3}, OfflineReplicas: []int32{1}}, Live{2: true, 3: true},
			PartitionHealth{Replicas: 3, InSync: 2, OfflineReplicas: 1, UnderReplicated: true}},
		{"no leader", snapshot.Partition{Leader: snapshot.NoLeader, Replicas: []int32{3}, ISR: []int32{3}, OfflineReplicas: []int32{3}}, Live{1: true},
			PartitionHealth{Replicas: 1, InSync: 1, OfflineReplicas: 1, Offline: true}},
		{"leader listed but not live", snapshot.Partition{Leader: 3, Replicas: []int32{3, 1}, ISR: []int32{3, 1}}, Live{1: true},
			PartitionHealth{Replicas: 2, InSync: 2, Offline: true, LeaderIsPreferred: true}},
		{"RF 1 healthy", snapshot.Partition{Leader: 2, Replicas: []int32{2}, ISR: []int32{2}}, live,
			PartitionHealth{Replicas: 1, InSync: 1, LeaderIsPreferred: true}},
		{"no replicas listed", snapshot.Partition{Leader: snapshot.NoLeader}, live,
			PartitionHealth{Offline: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PartitionHealthOf(&c.p, c.live); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestBrokers(t *testing.T) {
	s := &snapshot.Snapshot{
		Brokers: []snapshot.Broker{{ID: 2}, {ID: 1}},
		Topics: []snapshot.Topic{
			{Name: "a", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}},
				{ID: 1, Leader: 2, Replicas: []int32{2, 3, 1}, ISR: []int32{2}},
			}},
			{Name: "b", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: []int32{1}, ISR: []int32{1}},
			}},
		},
	}
	want := []BrokerHealth{
		{ID: 1, Up: true, OutOfSyncReplicas: 1},
		{ID: 2, Up: true, OutOfSyncReplicas: 0},
		{ID: 3, Up: false, OutOfSyncReplicas: 2},
	}
	if got := Brokers(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := Brokers(&snapshot.Snapshot{}); len(got) != 0 {
		t.Errorf("empty snapshot: got %+v", got)
	}
}
