package events

import (
	"github.com/go-kit/log"

	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot/snapshottest"
)

// BenchmarkDiff compares two polls of 20,000 partitions where 1% of the
// partitions lost a replica from their ISR.
func BenchmarkDiff(b *testing.B) {
	prev := snapshottest.Synthetic(200, 100, 0, 0, time.Unix(1_700_000_000, 0))
	cur := snapshottest.Synthetic(200, 100, 0, 0, time.Unix(1_700_000_030, 0))
	for ti := range cur.Topics {
		p := &cur.Topics[ti].Partitions[0]
		p.ISR = p.ISR[:2]
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(Diff(prev, cur)) == 0 {
			b.Fatal("no change found")
		}
	}
}

// BenchmarkAccumulatorObserve is the events observer's cost per poll.
func BenchmarkAccumulatorObserve(b *testing.B) {
	acc := NewAccumulator(log.NewNopLogger())
	snaps := []int64{0, 30}
	a := snapshottest.Synthetic(200, 100, 0, 0, time.Unix(1_700_000_000+snaps[0], 0))
	c := snapshottest.Synthetic(200, 100, 0, 0, time.Unix(1_700_000_000+snaps[1], 0))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			acc.Observe(a, nil)
		} else {
			acc.Observe(c, nil)
		}
		i++
	}
}
