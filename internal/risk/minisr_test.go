package risk

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func part(replicas, isr []int32) *snapshot.Partition {
	leader := snapshot.NoLeader
	if len(isr) > 0 {
		leader = isr[0]
	}
	return &snapshot.Partition{Leader: leader, Replicas: replicas, ISR: isr}
}

func TestPartitionMinISR(t *testing.T) {
	r3 := []int32{1, 2, 3}
	cases := []struct {
		name   string
		p      *snapshot.Partition
		minISR int
		want   MinISRState
	}{
		{"RF 3 minISR 2 healthy", part(r3, r3), 2, MinISRState{MinISR: 2, EffectiveMinISR: 2}},
		{"RF 3 minISR 2 one replica lost: at min", part(r3, []int32{1, 2}), 2, MinISRState{MinISR: 2, EffectiveMinISR: 2, AtMinISR: true}},
		{"RF 3 minISR 2 two replicas lost: under min", part(r3, []int32{1}), 2, MinISRState{MinISR: 2, EffectiveMinISR: 2, UnderMinISR: true}},
		{"RF 3 minISR 3 healthy is already at min", part(r3, r3), 3, MinISRState{MinISR: 3, EffectiveMinISR: 3, AtMinISR: true}},
		{"RF 3 minISR 1 single ISR: at min", part(r3, []int32{2}), 1, MinISRState{MinISR: 1, EffectiveMinISR: 1, AtMinISR: true}},
		{"RF 1 minISR 1 healthy: at min", part([]int32{1}, []int32{1}), 1, MinISRState{MinISR: 1, EffectiveMinISR: 1, AtMinISR: true}},
		// KIP-966 brokers would use min(3, 2) = 2 and call this healthy;
		// acks=all writes need 3 in-sync replicas that cannot exist.
		{"RF 2 minISR 3 not hidden by the KIP-966 effective minimum", part([]int32{1, 2}, []int32{1, 2}), 3, MinISRState{MinISR: 3, EffectiveMinISR: 2, UnderMinISR: true}},
		{"empty ISR", part(r3, nil), 2, MinISRState{MinISR: 2, EffectiveMinISR: 2, UnderMinISR: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PartitionMinISR(c.p, c.minISR); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestSingleInSyncReplica(t *testing.T) {
	cases := []struct {
		name string
		p    *snapshot.Partition
		want bool
	}{
		{"RF 3 one in sync", part([]int32{1, 2, 3}, []int32{3}), true},
		{"RF 2 one in sync", part([]int32{1, 2}, []int32{1}), true},
		{"RF 3 two in sync", part([]int32{1, 2, 3}, []int32{1, 3}), false},
		{"RF 1 is not counted (nothing to spare)", part([]int32{1}, []int32{1}), false},
		{"empty ISR", part([]int32{1, 2}, nil), false},
	}
	for _, c := range cases {
		if got := SingleInSyncReplica(c.p); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
