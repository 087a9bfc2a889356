package risk

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestDegraded(t *testing.T) {
	brokers := []snapshot.Broker{{ID: 1}, {ID: 2}}
	withPartition := func(p snapshot.Partition) *snapshot.Snapshot {
		return &snapshot.Snapshot{Brokers: brokers, Topics: []snapshot.Topic{
			{Name: "fine", Partitions: []snapshot.Partition{{ID: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1, 2}}}},
			{Name: "t", Partitions: []snapshot.Partition{p}},
		}}
	}
	cases := []struct {
		name string
		s    *snapshot.Snapshot
		want bool
	}{
		{"no snapshot", nil, false},
		{"all in sync", withPartition(snapshot.Partition{Leader: 2, Replicas: []int32{2, 1}, ISR: []int32{1, 2}}), false},
		{"under-replicated", withPartition(snapshot.Partition{Leader: 2, Replicas: []int32{2, 1}, ISR: []int32{2}}), true},
		{"no leader", withPartition(snapshot.Partition{Leader: -1, Replicas: []int32{2}, ISR: []int32{2}}), true},
		{"leader not a live broker", withPartition(snapshot.Partition{Leader: 3, Replicas: []int32{3}, ISR: []int32{3}}), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Degraded(tc.s); got != tc.want {
				t.Fatalf("Degraded = %v, want %v", got, tc.want)
			}
		})
	}
}
