package main

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-kit/log"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/poller"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// TestConsumerReportNotServedWhenSnapshotStale: consumer series vanish with
// the cluster series once the last snapshot is too old to serve.
func TestConsumerReportNotServedWhenSnapshotStale(t *testing.T) {
	synctest.Test(t, consumerReportNotServedWhenSnapshotStale)
}

// consumerReportNotServedWhenSnapshotStale runs on synctest's fake clock.
func consumerReportNotServedWhenSnapshotStale(t *testing.T) {
	tracker := consumers.NewTracker(consumers.Options{TablePoints: 8, StatusWindow: 4})
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		return &snapshot.Snapshot{Time: time.Now(), ControllerID: -1,
			Collectors: []snapshot.CollectorResult{{Name: "metadata", Success: true}}}, nil
	}
	p := poller.New(fetch, poller.Options{Interval: time.Second, Timeout: time.Second, MaxAge: 50 * time.Millisecond}, log.NewNopLogger())
	p.Observe(tracker.Observe)
	src := freshReports{tracker, p}
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if src.Report() == nil {
		t.Fatal("fresh report not served")
	}
	time.Sleep(50*time.Millisecond + time.Nanosecond)
	if src.Report() != nil {
		t.Fatal("report of a stale snapshot still served")
	}
}
