package consumers

import (
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot/snapshottest"
)

// BenchmarkTrackerObserve is the consumer observer's cost per poll at
// 20,000 partitions and 200 groups x 2 topics (40,000 committed
// partitions): lag tables, lag and lag in seconds, statuses, the report.
func BenchmarkTrackerObserve(b *testing.B) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 10})
	at := time.Unix(1_700_000_000, 0)
	for i := range 40 { // fill the tables
		tr.Observe(snapshottest.Synthetic(200, 100, 200, 2, at.Add(time.Duration(i)*30*time.Second)), nil)
	}
	s := snapshottest.Synthetic(200, 100, 200, 2, at.Add(41*30*time.Second))
	b.ReportAllocs()
	for b.Loop() {
		s.Time = s.Time.Add(30 * time.Second)
		tr.Observe(s, nil)
	}
}
