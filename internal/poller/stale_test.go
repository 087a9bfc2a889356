package poller

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// TestSnapshotNotServedBeyondMaxAge: when no poll replaces a snapshot (the
// loop is stuck), it stops being served once older than MaxAge.
// Time is the subject: the test runs on synctest's fake clock.
func TestSnapshotNotServedBeyondMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fetch := func(ctx context.Context) (*snapshot.Snapshot, error) { return &snapshot.Snapshot{ClusterID: "c"}, nil }
		p := New(fetch, Options{Interval: time.Second, Timeout: time.Second, MaxAge: 50 * time.Millisecond}, log.NewNopLogger())
		if err := p.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if p.Snapshot() == nil || p.Verdicts() == nil {
			t.Fatal("a snapshot exactly MaxAge old is not served")
		}
		time.Sleep(time.Nanosecond)
		if p.Snapshot() != nil || p.Verdicts() != nil {
			t.Fatal("a snapshot older than MaxAge is still served")
		}
		if !p.Status().Up {
			t.Fatal("status lost")
		}
	})
}

func TestDefaultMaxAge(t *testing.T) {
	p := New(nil, Options{Interval: 30 * time.Second, Timeout: 20 * time.Second}, log.NewNopLogger())
	if got, want := p.MaxAge(), 70*time.Second; got != want {
		t.Fatalf("MaxAge = %s, want %s", got, want)
	}
}

// TestPollFailureLoggedOncePerReason: a long outage logs one error line per
// change of reason, not one per poll.
func TestPollFailureLoggedOncePerReason(t *testing.T) {
	reasons := []string{"connection", "connection", "connection", "timeout", "timeout", "", "connection"}
	i := 0
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		r := reasons[i]
		i++
		if r == "" {
			return &snapshot.Snapshot{}, nil
		}
		return nil, errors.New(r)
	}
	var buf bytes.Buffer
	logger := log.NewLogfmtLogger(&buf)
	p := New(fetch, Options{Interval: time.Second, Timeout: time.Second, ErrorReason: func(err error) string { return err.Error() }}, logger)
	for range reasons {
		_ = p.PollOnce(context.Background())
	}
	errorLines := 0
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, `msg="poll failed"`) && strings.Contains(l, "level=error") {
			errorLines++
		}
	}
	// connection, timeout, then connection again after the success.
	if errorLines != 3 {
		t.Fatalf("%d error lines, want 3:\n%s", errorLines, buf.String())
	}
	if p.Status().LastErrorReason != "connection" {
		t.Fatalf("LastErrorReason = %q", p.Status().LastErrorReason)
	}
}

func TestCollectorErrorsCountsAndLogsOncePerChange(t *testing.T) {
	var buf bytes.Buffer
	reg := prometheus.NewPedanticRegistry()
	c, err := NewCollectorErrors(reg, log.NewLogfmtLogger(&buf), "metadata")
	if err != nil {
		t.Fatal(err)
	}
	poll := func(results ...snapshot.CollectorResult) {
		c.Observe(&snapshot.Snapshot{Collectors: results}, nil)
	}
	ok := func(name string) snapshot.CollectorResult { return snapshot.CollectorResult{Name: name, Success: true} }
	bad := func(name, reason string) snapshot.CollectorResult {
		return snapshot.CollectorResult{Name: name, Err: "boom", Reason: reason}
	}
	notRun := func(name string) snapshot.CollectorResult {
		return snapshot.CollectorResult{Name: name, Err: "not run"}
	}

	poll(ok("metadata"), ok("offsets"))
	poll(ok("metadata"), bad("offsets", "connection"))
	poll(ok("metadata"), bad("offsets", "connection"))
	poll(bad("metadata", "timeout"), notRun("offsets"))
	poll(ok("metadata"), bad("offsets", "timeout"))
	poll(ok("metadata"), ok("offsets"))

	want := `
# HELP kafka_loss_exporter_collector_errors_total ` + collectorErrorsHelp + `
# TYPE kafka_loss_exporter_collector_errors_total counter
kafka_loss_exporter_collector_errors_total{collector="metadata",reason="timeout"} 1
kafka_loss_exporter_collector_errors_total{collector="offsets",reason="connection"} 2
kafka_loss_exporter_collector_errors_total{collector="offsets",reason="timeout"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, `msg="collector failed"`); n != 2 {
		t.Errorf("%d 'collector failed' lines, want 2 (connection, then timeout):\n%s", n, out)
	}
	if n := strings.Count(out, `msg="collector recovered"`); n != 1 {
		t.Errorf("%d 'collector recovered' lines, want 1:\n%s", n, out)
	}
	if strings.Contains(out, "collector=metadata") {
		t.Errorf("metadata failures are the poller's to log:\n%s", out)
	}
}
