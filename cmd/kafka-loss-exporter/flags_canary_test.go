package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
)

func TestCanaryFlagsExitWithStatus2(t *testing.T) {
	wantUsageErrors(t, []usageCase{
		{[]string{"--canary.interval=often"}, "canary.interval"},
		{[]string{"--canary.interval=1ms"}, "--canary.interval"},
		{[]string{"--canary.loss-timeout=-1s"}, "--canary.loss-timeout"},
		{[]string{"--canary.interval=10s", "--canary.loss-timeout=5s"}, "--canary.loss-timeout"},
		{[]string{"--canary.topic="}, "--canary.topic"},
		{[]string{"--canary.topic=bad/name"}, "--canary.topic"},
		{[]string{"--canary.topic=" + strings.Repeat("a", 250)}, "--canary.topic"},
		{[]string{"--canary.replication-factor=-1"}, "--canary.replication-factor"},
		{[]string{"--canary.replication-factor=three"}, "canary.replication-factor"},
		{[]string{"--canary.min-insync-replicas=0"}, "--canary.min-insync-replicas"},
		{[]string{"--canary.partitions=-2"}, "--canary.partitions"},
	})
}

func parseCanaryFlags(t *testing.T, args ...string) *canaryFlags {
	t.Helper()
	app := kingpin.New("test", "")
	f := defineCanaryFlags(app)
	if _, err := app.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCanaryFlagDefaults(t *testing.T) {
	f := parseCanaryFlags(t)
	if f.enable {
		t.Error("the canary is on by default; it writes, so it must be opt-in")
	}
	o := f.topicOptions()
	if o.Topic != "__kafka_loss_canary" || o.Partitions != 0 || o.ReplicationFactor != 0 || o.MinInsyncReplicas != 2 || o.UncleanLeaderElection {
		t.Errorf("default topic options %+v", o)
	}
	if f.interval.String() != "1s" || f.lossTimeout.String() != "1m0s" {
		t.Errorf("interval %s, loss timeout %s; want 1s and 1m0s", f.interval, f.lossTimeout)
	}
	if u := f.unsafe(); len(u) != 0 {
		t.Errorf("defaults reported unsafe: %v", u)
	}
}

func TestCanaryUnsafeFlagsWarn(t *testing.T) {
	f := parseCanaryFlags(t, "--canary.enable", "--canary.replication-factor=2", "--canary.min-insync-replicas=1", "--canary.unclean-leader-election")
	var buf bytes.Buffer
	f.warnUnsafe(log.NewLogfmtLogger(&buf))
	out := buf.String()
	for _, want := range []string{"level=warn", "--canary.replication-factor=2", "--canary.min-insync-replicas=1", "--canary.unclean-leader-election"} {
		if !strings.Contains(out, want) {
			t.Errorf("warning %q lacks %q", out, want)
		}
	}
	buf.Reset()
	parseCanaryFlags(t, "--canary.enable", "--canary.replication-factor=3").warnUnsafe(log.NewLogfmtLogger(&buf))
	if buf.Len() != 0 {
		t.Errorf("safe settings logged a warning: %s", buf.String())
	}
}

// With the canary on and Kafka unreachable the exporter starts, reports the
// canary down, retries, and stops cleanly when its context ends.
func TestCanaryWithoutKafkaStopsCleanly(t *testing.T) {
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--kafka.server=127.0.0.1:1", "--web.listen-address=127.0.0.1:0", "--canary.enable",
			"--poll.interval=200ms", "--kafka.timeout=100ms"}, io.Discard, stderr, noEnv)
	}()
	// Cancel once the canary has failed and scheduled a retry; the bounds
	// only catch a hang.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), "canary stopped; retrying") {
		if time.Now().After(deadline) {
			t.Fatalf("the canary never retried:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit status %d: %s", code, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the exporter did not stop:\n%s", stderr.String())
	}
	for _, want := range []string{"canary starting", "canary stopped; retrying", "canary stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
