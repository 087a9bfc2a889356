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
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// TestFailingPollReminder runs the loop on a fake clock through a long
// outage: 12 minutes of one reason, one minute of another, then success.
// At info level the log has one line per change of reason and a "still
// failing" reminder every ReminderInterval (5 minutes by default), never one
// line per poll.
func TestFailingPollReminder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		logger := level.NewFilter(log.With(log.NewLogfmtLogger(&buf), "ts", log.TimestampFormat(time.Now, time.RFC3339)), level.AllowInfo())
		start := time.Now()
		fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
			switch since := time.Since(start); {
			case since < 12*time.Minute:
				return nil, errors.New("dial tcp 10.0.0.1:9092: connect: connection refused")
			case since < 13*time.Minute:
				return nil, errors.New("SASL authentication failed")
			}
			return &snapshot.Snapshot{}, nil
		}
		reason := func(err error) string {
			if strings.HasPrefix(err.Error(), "SASL") {
				return "authentication"
			}
			return "unreachable"
		}
		p := New(fetch, Options{Interval: 30 * time.Second, Timeout: 10 * time.Second, ErrorReason: reason}, logger)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); p.Run(ctx) }()
		time.Sleep(14 * time.Minute)
		cancel()
		<-done

		// Polls at 0, 1, 3, 7, 15, 31 s (backoff doubling from 1 s), then
		// every 30 s: 61, 91, ... 301 s is the 15th attempt, 601 s the 25th.
		want := `ts=2000-01-01T00:00:00Z level=error msg="poll failed" reason=unreachable err="dial tcp 10.0.0.1:9092: connect: connection refused" consecutive_failures=1
ts=2000-01-01T00:05:01Z level=error msg="poll still failing" since=2000-01-01T00:00:00Z attempts=15 reason=unreachable last_error="dial tcp 10.0.0.1:9092: connect: connection refused"
ts=2000-01-01T00:10:01Z level=error msg="poll still failing" since=2000-01-01T00:00:00Z attempts=25 reason=unreachable last_error="dial tcp 10.0.0.1:9092: connect: connection refused"
ts=2000-01-01T00:12:01Z level=error msg="poll failed" reason=authentication err="SASL authentication failed" consecutive_failures=29
ts=2000-01-01T00:13:01Z level=info msg="poll succeeded again" after_failures=30
`
		if got := buf.String(); got != want {
			t.Errorf("log:\n%s\nwant:\n%s", got, want)
		}
		if st := p.Status(); !st.Up || !st.FailingSince.IsZero() {
			t.Errorf("after recovery: %+v", st)
		}
	})
}

// The reminder interval is an option; FailingSince marks the first failure.
func TestReminderIntervalOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		start := time.Now()
		fetch := func(ctx context.Context) (*snapshot.Snapshot, error) { return nil, errors.New("down") }
		p := New(fetch, Options{Interval: time.Minute, Timeout: time.Second, ErrorReason: func(error) string { return "x" },
			ReminderInterval: 2 * time.Minute}, level.NewFilter(log.NewLogfmtLogger(&buf), level.AllowInfo()))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		p.Run(ctx)
		if n := strings.Count(buf.String(), `msg="poll still failing"`); n != 4 {
			t.Errorf("%d reminders in 10 minutes at 2-minute intervals, want 4:\n%s", n, buf.String())
		}
		if st := p.Status(); !st.FailingSince.Equal(start) {
			t.Errorf("FailingSince %v, want %v", st.FailingSince, start)
		}
	})
}
