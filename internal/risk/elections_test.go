package risk

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestNeedsELR(t *testing.T) {
	for _, tc := range []struct {
		name          string
		isr           []int32
		minISR        int
		leaderChanged bool
		want          bool
	}{
		{"healthy", []int32{1, 2, 3}, 2, false, false},
		{"at min ISR", []int32{1, 2}, 2, false, false},
		{"under min ISR", []int32{1}, 2, false, true},
		{"empty ISR", nil, 1, false, true},
		{"empty ISR, config unknown", nil, 0, false, true},
		{"config unknown", []int32{1}, 0, false, false},
		{"leader changed", []int32{1, 2, 3}, 2, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &snapshot.Partition{Replicas: []int32{1, 2, 3}, ISR: tc.isr}
			if got := NeedsELR(p, tc.minISR, tc.leaderChanged); got != tc.want {
				t.Errorf("NeedsELR = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLeaderChanged(t *testing.T) {
	for _, tc := range []struct {
		name                                 string
		prevLeader, prevEpoch, leader, epoch int32
		want                                 bool
	}{
		{"same", 1, 5, 1, 5, false},
		{"new leader", 1, 5, 2, 6, true},
		{"same leader, new epoch (restart)", 1, 5, 1, 7, true},
		{"now offline", 1, 5, snapshot.NoLeader, 6, false},
		{"back from offline", snapshot.NoLeader, 6, 1, 7, true},
		{"epochs unknown, same leader", 1, -1, 1, -1, false},
		{"epochs unknown, new leader", 1, -1, 2, -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := &snapshot.Partition{Leader: tc.prevLeader, LeaderEpoch: tc.prevEpoch}
			cur := &snapshot.Partition{Leader: tc.leader, LeaderEpoch: tc.epoch}
			if got := LeaderChanged(prev, cur); got != tc.want {
				t.Errorf("LeaderChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
