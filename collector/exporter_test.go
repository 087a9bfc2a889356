package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

type statusFunc func() snapshot.PollStatus

func (f statusFunc) Status() snapshot.PollStatus { return f() }

func TestExporterGolden(t *testing.T) {
	s := &snapshot.Snapshot{Collectors: []snapshot.CollectorResult{
		{Name: snapshot.CollectorMetadata, Err: "no broker answered Metadata"},
	}}
	st := snapshot.PollStatus{
		Up:           false,
		LastAttempt:  time.Unix(1700000030, 0),
		LastSuccess:  time.Unix(1700000000, 0),
		LastDuration: 1500 * time.Millisecond,
		Polls:        5,
		Failures:     2,
	}
	e := NewExporter(SnapshotFunc(func() *snapshot.Snapshot { return s }), statusFunc(func() snapshot.PollStatus { return st }),
		[]string{snapshot.CollectorMetadata, snapshot.CollectorOffsets})
	want := `
# HELP kafka_loss_exporter_collector_success 1 when the collector fully succeeded in the last poll, 0 when it failed or only partly succeeded.
# TYPE kafka_loss_exporter_collector_success gauge
kafka_loss_exporter_collector_success{collector="metadata"} 0
kafka_loss_exporter_collector_success{collector="offsets"} 0
# HELP kafka_loss_exporter_last_poll_success_timestamp_seconds Unix time at which the last successful poll started, 0 before the first one.
# TYPE kafka_loss_exporter_last_poll_success_timestamp_seconds gauge
kafka_loss_exporter_last_poll_success_timestamp_seconds 1.7e+09
# HELP kafka_loss_exporter_last_poll_timestamp_seconds Unix time at which the last poll started, successful or not, 0 before the first one.
# TYPE kafka_loss_exporter_last_poll_timestamp_seconds gauge
kafka_loss_exporter_last_poll_timestamp_seconds 1.70000003e+09
# HELP kafka_loss_exporter_poll_duration_seconds How long the last poll took, in seconds.
# TYPE kafka_loss_exporter_poll_duration_seconds gauge
kafka_loss_exporter_poll_duration_seconds 1.5
# HELP kafka_loss_exporter_polls_total Number of polls run, by result (success, failure).
# TYPE kafka_loss_exporter_polls_total counter
kafka_loss_exporter_polls_total{result="failure"} 2
kafka_loss_exporter_polls_total{result="success"} 3
# HELP kafka_loss_exporter_up 1 when the last poll read the cluster, 0 when it could not.
# TYPE kafka_loss_exporter_up gauge
kafka_loss_exporter_up 0
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want),
		"kafka_loss_exporter_up", "kafka_loss_exporter_collector_success", "kafka_loss_exporter_last_poll_success_timestamp_seconds",
		"kafka_loss_exporter_last_poll_timestamp_seconds", "kafka_loss_exporter_poll_duration_seconds", "kafka_loss_exporter_polls_total"); err != nil {
		t.Fatal(err)
	}
}

// TestExporterStaleSnapshotIsNotUp: the last poll succeeded but its
// snapshot is too old to serve (the source gives nil): up and every
// collector read 0.
func TestExporterStaleSnapshotIsNotUp(t *testing.T) {
	status := statusFunc(func() snapshot.PollStatus {
		return snapshot.PollStatus{Up: true, LastAttempt: time.Unix(1_700_000_000, 0), LastSuccess: time.Unix(1_700_000_000, 0), Polls: 1}
	})
	e := NewExporter(SnapshotFunc(func() *snapshot.Snapshot { return nil }), status, []string{"metadata", "offsets"})
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
