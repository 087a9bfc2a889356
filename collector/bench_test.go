package collector

import (
	"github.com/go-kit/log"

	"bytes"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/events"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot/snapshottest"
)

// benchCollectors are the poll-derived collectors over the bench's 20,000
// partitions and 200 groups x 2 topics (40,000 committed partitions), with
// two polls observed so that the consumer report has lag in seconds.
//
// The judge runs per poll, so the per-poll benchmarks judge in the loop.
func benchCollectors(b *testing.B) ([]prometheus.Collector, func() *risk.Verdicts) {
	b.Helper()
	tracker := consumers.NewTracker(consumers.Options{TablePoints: 32, StatusWindow: 10})
	acc := events.NewAccumulator(log.NewNopLogger())
	var s *snapshot.Snapshot
	for i := range 2 {
		s = snapshottest.Synthetic(200, 100, 200, 2, time.Unix(1_700_000_000+int64(i)*30, 0))
		tracker.Observe(s, nil)
		acc.Observe(s, nil)
	}
	judge := func() *risk.Verdicts { return risk.Judge(s, risk.DefaultPolicy{}) }
	v := judge()
	src := VerdictsFunc(func() *risk.Verdicts { return v })
	return []prometheus.Collector{
		NewReplication(src, PartitionSeriesAll),
		NewEvents(acc),
		NewConfig(src, PartitionSeriesAll),
		NewConsumer(tracker, GranularityPartition),
	}, judge
}

// BenchmarkExpositionRender is the once-per-poll cost of the cached path:
// rendering every series and compressing both formats.
func BenchmarkExpositionRender(b *testing.B) {
	cs, judge := benchCollectors(b)
	e, err := NewExposition(cs...)
	if err != nil {
		b.Fatal(err)
	}
	r := e.Render(judge())
	b.ReportMetric(float64(r.Series), "series")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Render(judge())
	}
}

// BenchmarkStandardGatherEncode is what a scrape would cost through the
// standard client_golang path (const metrics, Gather, text encoding), for
// comparison.
func BenchmarkStandardGatherEncode(b *testing.B) {
	reg := prometheus.NewRegistry()
	cs, _ := benchCollectors(b)
	reg.MustRegister(cs...)
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		enc := expfmt.NewEncoder(&buf, expfmt.FmtText)
		for _, mf := range mfs {
			_ = enc.Encode(mf)
		}
	}
}
