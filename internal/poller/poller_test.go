package poller

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestPollOnceRecordsOutcome(t *testing.T) {
	fail := false
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		if fail {
			return &snapshot.Snapshot{ClusterID: "failed"}, errors.New("no broker answered")
		}
		return &snapshot.Snapshot{ClusterID: "ok"}, nil
	}
	p := New(fetch, Options{Interval: time.Second, Timeout: time.Second}, log.NewNopLogger())
	if p.Ready() || p.Snapshot() != nil {
		t.Fatal("ready before the first poll")
	}
	var observed []string
	p.Observe(func(s *snapshot.Snapshot, err error) { observed = append(observed, s.ClusterID) })

	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := p.Status()
	if !st.Up || !p.Ready() || st.Polls != 1 || st.Failures != 0 || st.LastSuccess.IsZero() {
		t.Fatalf("after a successful poll: %+v", st)
	}
	firstSuccess := st.LastSuccess

	fail = true
	for i := 0; i < 2; i++ {
		if err := p.PollOnce(context.Background()); err == nil {
			t.Fatal("want the fetch error")
		}
	}
	st = p.Status()
	if st.Up || !p.Ready() || st.Polls != 3 || st.Failures != 2 || st.ConsecutiveFailures != 2 || st.LastError != "no broker answered" {
		t.Fatalf("after two failures: %+v", st)
	}
	if !st.LastSuccess.Equal(firstSuccess) {
		t.Fatal("a failed poll moved the last success time")
	}
	if p.Snapshot().ClusterID != "failed" {
		t.Fatal("the failed poll's snapshot was not published")
	}

	fail = false
	_ = p.PollOnce(context.Background())
	if st = p.Status(); !st.Up || st.ConsecutiveFailures != 0 {
		t.Fatalf("after recovery: %+v", st)
	}
	if want := []string{"ok", "failed", "failed", "ok"}; len(observed) != len(want) {
		t.Fatalf("observers saw %v, want %v", observed, want)
	}
}

func TestPollOnceBoundsThePoll(t *testing.T) {
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := New(fetch, Options{Interval: time.Second, Timeout: 20 * time.Millisecond}, log.NewNopLogger())
	err := p.PollOnce(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the poll timeout", err)
	}
	if p.Snapshot() == nil {
		t.Fatal("a nil snapshot from the fetch must be replaced by an empty one")
	}
}

func TestRunBacksOffAndStops(t *testing.T) {
	var calls atomic.Int32
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		calls.Add(1)
		return nil, errors.New("down")
	}
	p := New(fetch, Options{Interval: time.Hour, Timeout: time.Second, MinBackoff: 10 * time.Millisecond}, log.NewNopLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	// With an hour-long interval, only the backoff can have retried.
	if n := calls.Load(); n < 3 {
		t.Fatalf("%d polls: failed polls were not retried with backoff", n)
	}
}

func TestRunPollsAtNextIntervalWhileItAsks(t *testing.T) {
	var polls atomic.Int32
	done := make(chan struct{}, 16)
	fetch := func(ctx context.Context) (*snapshot.Snapshot, error) {
		n := polls.Add(1)
		defer func() { done <- struct{}{} }()
		if n <= 3 {
			return &snapshot.Snapshot{ClusterID: "degraded"}, nil
		}
		return &snapshot.Snapshot{ClusterID: "healthy"}, nil
	}
	p := New(fetch, Options{Interval: time.Hour, Timeout: time.Second,
		NextInterval: func(v *risk.Verdicts) time.Duration {
			if v.Snapshot.ClusterID == "degraded" {
				return time.Millisecond
			}
			return 0
		}}, log.NewNopLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	for i := 0; i < 4; i++ {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d polls: the fast interval was not used", polls.Load())
		}
	}
	select {
	case <-done:
		t.Fatal("polled again at the fast interval after a healthy poll")
	case <-time.After(50 * time.Millisecond):
	}
}
