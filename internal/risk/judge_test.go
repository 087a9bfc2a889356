package risk

import (
	"reflect"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// judgeSnapshot returns a snapshot whose metadata read succeeded, with brokers 1-3
// live and topic t with the partitions ps, and the configuration configs.
func judgeSnapshot(configs *snapshot.Configs, ps ...snapshot.Partition) *snapshot.Snapshot {
	for i := range ps {
		ps[i].ID = int32(i)
		ps[i].Offsets = snapshot.Offsets{Known: true}
	}
	return &snapshot.Snapshot{
		Collectors: []snapshot.CollectorResult{{Name: snapshot.CollectorMetadata, Success: true}},
		Brokers:    []snapshot.Broker{{ID: 1}, {ID: 2}, {ID: 3}},
		Topics:     []snapshot.Topic{{Name: "t", Partitions: ps}},
		Configs:    configs,
	}
}

func TestJudge(t *testing.T) {
	r3 := []int32{1, 2, 3}
	minISR2 := &snapshot.Configs{Time: time.Unix(1, 0),
		Topics:  map[string]snapshot.ResourceConfig{"t": {Entries: map[string]snapshot.ConfigValue{"min.insync.replicas": {Value: "2"}}}},
		Brokers: map[int32]snapshot.ResourceConfig{1: {}}}
	unreadable := &snapshot.Configs{Topics: map[string]snapshot.ResourceConfig{"t": {Err: "TOPIC_AUTHORIZATION_FAILED"}}}
	cases := []struct {
		name     string
		s        *snapshot.Snapshot
		degraded bool
		counts   [5]int // under-replicated, offline, under min ISR, at min ISR, single in sync
		healthy  []bool
		findings []string
		score    int
		cluster  bool
	}{
		{name: "healthy", s: judgeSnapshot(minISR2, *part(r3, r3), *part(r3, r3)),
			healthy: []bool{true, true}, cluster: true},
		{name: "one partition at min ISR after a loss", s: judgeSnapshot(minISR2, *part(r3, []int32{1, 2}), *part(r3, r3)),
			degraded: true, counts: [5]int{1, 0, 0, 1, 0}, healthy: []bool{false, true}, score: WeightAtMinISR, cluster: true},
		{name: "single in sync, under min ISR", s: judgeSnapshot(minISR2, *part(r3, []int32{1})),
			degraded: true, counts: [5]int{1, 0, 1, 0, 1}, healthy: []bool{false}, score: WeightUnderMinISR, cluster: true},
		{name: "offline", s: judgeSnapshot(minISR2, snapshot.Partition{Leader: snapshot.NoLeader, Replicas: r3, ISR: []int32{3}}),
			degraded: true, counts: [5]int{1, 1, 1, 0, 1}, healthy: []bool{false}, score: 100, cluster: true},
		{name: "configuration unreadable: min-ISR states not judged", s: judgeSnapshot(unreadable, *part(r3, []int32{1, 2})),
			degraded: true, counts: [5]int{1, 0, 0, 0, 0}, healthy: []bool{false}, score: WeightUnderReplicated, cluster: true},
		{name: "configuration never read: replication factor still judged", s: judgeSnapshot(nil, *part([]int32{1}, []int32{1})),
			counts: [5]int{}, healthy: []bool{true}, findings: []string{RiskReplicationFactorBelow3},
			score: FindingWeights[RiskReplicationFactorBelow3]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Judge(c.s, DefaultPolicy{})
			if v.Snapshot != c.s {
				t.Error("verdicts do not carry the judged snapshot")
			}
			if v.Degraded != c.degraded || v.Degraded != Degraded(c.s) {
				t.Errorf("degraded %v, want %v (Degraded says %v)", v.Degraded, c.degraded, Degraded(c.s))
			}
			tv := v.Topics[0]
			got := [5]int{tv.UnderReplicated, tv.Offline, tv.UnderMinISR, tv.AtMinISR, tv.SingleInSync}
			if got != c.counts {
				t.Errorf("counts %v, want %v", got, c.counts)
			}
			for i, pv := range tv.Partitions {
				if pv.Healthy != c.healthy[i] {
					t.Errorf("partition %d healthy %v, want %v", i, pv.Healthy, c.healthy[i])
				}
			}
			if !reflect.DeepEqual(tv.Findings, c.findings) {
				t.Errorf("findings %v, want %v", tv.Findings, c.findings)
			}
			// The judge's score is the documented Score of the topic.
			live := LiveBrokers(c.s)
			minISR := 0
			if tv.Config.Known {
				minISR = tv.Config.MinInsyncReplicas
			}
			if want := Score(&c.s.Topics[0], tv.Findings, live, minISR); tv.Score != c.score || tv.Score != want {
				t.Errorf("score %d, want %d (Score says %d)", tv.Score, c.score, want)
			}
			if (v.Cluster != nil) != c.cluster {
				t.Errorf("cluster verdict present %v, want %v", v.Cluster != nil, c.cluster)
			}
		})
	}
}

func TestJudgeWithoutMetadataIsEmpty(t *testing.T) {
	s := judgeSnapshot(nil, *part([]int32{1, 2}, []int32{1}))
	s.Collectors[0].Success = false
	v := Judge(s, DefaultPolicy{})
	if v.Snapshot != s || v.Degraded || v.Topics != nil || v.Brokers != nil || v.Cluster != nil {
		t.Errorf("verdicts of a failed poll: %+v", v)
	}
}
