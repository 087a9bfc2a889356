package risk

import (
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot/snapshottest"
)

// BenchmarkJudgeSnapshot is the judge of one poll at 20,000 partitions
// (risk.Judge): every partition's health and min-ISR state, every topic's
// findings and score, brokers and cluster findings, into Verdicts.
func BenchmarkJudgeSnapshot(b *testing.B) {
	s := snapshottest.Synthetic(200, 100, 0, 0, time.Unix(1_700_000_000, 0))
	b.ReportAllocs()
	for b.Loop() {
		if v := Judge(s, DefaultPolicy{}); len(v.Topics) != len(s.Topics) {
			b.Fatal("snapshot not judged")
		}
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
