package main

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/poller"
)

// freshReports serves the consumer tracker's report only while the poller
// still serves its snapshot, so consumer series vanish with the cluster
// series when the poll loop is stuck (see poller.Options.MaxAge).
type freshReports struct {
	tracker *consumers.Tracker
	poll    *poller.Poller
}

// Report implements collector.ReportSource.
func (f freshReports) Report() *consumers.Report {
	if f.poll.Snapshot() == nil {
		return nil
	}
	return f.tracker.Report()
}
