package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// TestExporterStaleSnapshotIsNotUp: the last poll succeeded but its
// snapshot is too old to serve (the source gives nil): up and every
// collector read 0.
func TestExporterStaleSnapshotIsNotUp(t *testing.T) {
	status := statusFunc(func() snapshot.PollStatus {
		return snapshot.PollStatus{Up: true, LastAttempt: time.Unix(1_700_000_000, 0), LastSuccess: time.Unix(1_700_000_000, 0), Polls: 1}
	})
	e := NewExporter(SnapshotFunc(func() *snapshot.Snapshot { return nil }), status, kafka.NewRequestCounts(), []string{"metadata", "offsets"})
	want := `
# HELP kafka_loss_exporter_up 1 when the last poll read the cluster, 0 when it could not.
# TYPE kafka_loss_exporter_up gauge
kafka_loss_exporter_up 0
# HELP kafka_loss_exporter_collector_success 1 when the collector fully succeeded in the last poll, 0 when it failed or only partly succeeded.
# TYPE kafka_loss_exporter_collector_success gauge
kafka_loss_exporter_collector_success{collector="metadata"} 0
kafka_loss_exporter_collector_success{collector="offsets"} 0
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want), "kafka_loss_exporter_up", "kafka_loss_exporter_collector_success"); err != nil {
		t.Fatal(err)
	}
}
