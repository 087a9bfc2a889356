package risk

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestPartitionStateWeight(t *testing.T) {
	live := Live{1: true, 2: true, 3: true}
	r3 := []int32{1, 2, 3}
	cases := []struct {
		name   string
		p      *snapshot.Partition
		live   Live
		minISR int
		want   int
	}{
		{"healthy", part(r3, r3), live, 2, 0},
		{"offline", &snapshot.Partition{Leader: snapshot.NoLeader, Replicas: r3, ISR: []int32{3}}, live, 2, WeightOffline},
		{"leader not live", part(r3, []int32{3}), Live{1: true}, 2, WeightOffline},
		{"under min ISR", part(r3, []int32{1}), live, 2, WeightUnderMinISR},
		{"single in-sync replica, minISR 1", part(r3, []int32{1}), live, 1, WeightSingleInSync},
		{"at min ISR after a loss", part(r3, []int32{1, 2}), live, 2, WeightAtMinISR},
		{"at min ISR while healthy is left to the config finding", part(r3, r3), live, 3, 0},
		{"under-replicated above min ISR", part(r3, []int32{1, 2}), live, 1, WeightUnderReplicated},
		{"config unknown: single in sync still counts", part(r3, []int32{1}), live, 0, WeightSingleInSync},
		{"config unknown: under-replicated", part(r3, []int32{1, 2}), live, 0, WeightUnderReplicated},
	}
	for _, c := range cases {
		if got := PartitionStateWeight(c.p, c.live, c.minISR); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestScore(t *testing.T) {
	live := Live{1: true, 2: true, 3: true}
	r3 := []int32{1, 2, 3}
	healthy := snapshot.Topic{Name: "t", Partitions: []snapshot.Partition{*part(r3, r3), *part(r3, r3)}}
	oneAtMin := snapshot.Topic{Name: "t", Partitions: []snapshot.Partition{*part(r3, r3), *part(r3, []int32{1, 2})}}
	offline := snapshot.Topic{Name: "t", Partitions: []snapshot.Partition{*part(r3, r3), {Leader: snapshot.NoLeader, Replicas: r3}}}
	all := []string{RiskReplicationFactorBelow3, RiskMinInsyncReplicasBelow2, RiskNoWriteFaultTolerance, RiskUncleanLeaderElection, RiskReplicasInOneRack}
	cases := []struct {
		name     string
		t        snapshot.Topic
		findings []string
		minISR   int
		want     int
	}{
		{"safe and healthy", healthy, nil, 2, 0},
		{"RF below 3 only", healthy, []string{RiskReplicationFactorBelow3}, 2, 25},
		{"RF 1 topic (three findings)", healthy, []string{RiskReplicationFactorBelow3, RiskMinInsyncReplicasBelow2, RiskNoWriteFaultTolerance}, 1, 55},
		{"worst partition at min ISR", oneAtMin, nil, 2, 20},
		{"finding plus live state", oneAtMin, []string{RiskUncleanLeaderElection}, 2, 40},
		{"every finding is capped at 100 with live state", oneAtMin, all, 2, 100},
		{"every finding, healthy", healthy, all, 2, 85},
		{"offline partition is 100", offline, nil, 2, 100},
	}
	for _, c := range cases {
		if got := Score(&c.t, c.findings, live, c.minISR); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
