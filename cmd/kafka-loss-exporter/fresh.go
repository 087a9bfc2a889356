package main

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/collector"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/exposition"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/metricshttp"
)

// freshReports serves the consumer tracker's report only while the
// snapshot source serves a snapshot, so consumer series vanish with the
// cluster series when the poll loop is stuck (see poller.Options.MaxAge).
type freshReports struct {
	tracker  *consumers.Tracker
	snapshot collector.SnapshotSource
}

// Report implements collector.ReportSource.
func (f freshReports) Report() *consumers.Report {
	if f.snapshot.Snapshot() == nil {
		return nil
	}
	return f.tracker.Report()
}

// freshCache serves the exposition rendered at the last poll only while the
// poller still serves that poll's snapshot: past poller.Options.MaxAge the
// cluster series are left out of scrapes instead of going stale.
type freshCache struct {
	metricshttp.Cache
	snapshot collector.SnapshotSource
}

// Current implements metricshttp.Cache.
func (f freshCache) Current() *exposition.Rendered {
	if f.snapshot.Snapshot() == nil {
		return nil
	}
	return f.Cache.Current()
}
