package risk

import (
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot/snapshottest"
)

// BenchmarkJudgeSnapshot is the risk evaluation of one poll at 20,000
// partitions: every partition's health and min-ISR state, every topic's
// findings and score.
func BenchmarkJudgeSnapshot(b *testing.B) {
	s := snapshottest.Synthetic(200, 100, 0, 0, time.Unix(1_700_000_000, 0))
	b.ReportAllocs()
	for b.Loop() {
		live, racks := LiveBrokers(s), ClusterRacks(s)
		for ti := range s.Topics {
			t := &s.Topics[ti]
			cfg := EffectiveTopicConfig(t, s.Configs)
			for pi := range t.Partitions {
				p := &t.Partitions[pi]
				h := PartitionHealthOf(p, live)
				_ = Healthy(p, h)
				_ = PartitionMinISR(p, 2)
				_ = SingleInSyncReplica(p)
			}
			findings := TopicFindings(t, cfg, racks, DefaultThresholds())
			_ = Score(t, findings, live, 2)
		}
		_ = Brokers(s)
	}
}

// BenchmarkLagSeconds interpolates lag in seconds in a full 32-point table.
func BenchmarkLagSeconds(b *testing.B) {
	t := NewLagTable(32)
	start := time.Unix(1_700_000_000, 0)
	off := int64(0)
	for i := range 200 {
		off += int64(1 + (i*7)%13)
		t.Add(off, start.Add(time.Duration(i)*30*time.Second))
	}
	now := start.Add(200 * 30 * time.Second)
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		i++
		if _, ok := LagSeconds(t, off-1-(i%(off/2)), off, now); !ok {
			b.Fatal("unknown lag")
		}
	}
}
