package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

// listeningOn finds the address exporter-toolkit logs once it listens.
var listeningOn = regexp.MustCompile(`msg="Listening on" address=(\S+)`)

// waitFor polls cond until it holds (returning its value) or timeout passes.
func waitFor[T any](t *testing.T, timeout time.Duration, what string, cond func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, ok := cond()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBadInputExitsWithStatus2(t *testing.T) {
	dir := t.TempDir()
	badWebConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(badWebConfig, []byte("tls_server_config:\n  cert_file: /nonexistent.pem\n  nope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantUsageErrors(t, []usageCase{
		{[]string{"--no-such-flag"}, "unknown long flag '--no-such-flag'"},
		{[]string{"--poll.interval=soon"}, "poll.interval"},
		{[]string{"--poll.interval=0s"}, "--poll.interval"},
		{[]string{"--kafka.timeout=30s", "--poll.timeout=10s"}, "--kafka.timeout"},
		{[]string{"--log.level=loud"}, "log.level"},
		{[]string{"--log.format=xml"}, "log.format"},
		{[]string{"--kafka.version=2.0.0"}, "--kafka.version"},
		{[]string{"--kafka.server=kafka"}, "--kafka.server"},
		{[]string{"--topic.filter=("}, "--topic.filter"},
		{[]string{"--topic.exclude=[a-"}, "--topic.exclude"},
		{[]string{"--kafka.sasl.mechanism=scram-sha-512", "--kafka.sasl.username=u", "--kafka.sasl.password-file=" + filepath.Join(dir, "missing")}, "--kafka.sasl.password-file"},
		{[]string{"--kafka.sasl.mechanism=plain", "--kafka.sasl.username=u"}, "KAFKA_LOSS_EXPORTER_SASL_PASSWORD"},
		{[]string{"--web.config.file=" + badWebConfig}, "--web.config.file"},
		{[]string{"--web.telemetry-path=metrics"}, "--web.telemetry-path"},
	})
}

func TestSecretNeverLogged(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	const secret = "hunter2-very-secret"
	if err := os.WriteFile(pw, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	code := run(ctx, []string{"--kafka.server=127.0.0.1:1", "--kafka.sasl.mechanism=plain", "--kafka.sasl.username=u",
		"--kafka.sasl.password-file=" + pw, "--web.listen-address=127.0.0.1:0", "--log.level=debug", "--poll.interval=200ms", "--kafka.timeout=100ms"},
		io.Discard, &stderr, noEnv)
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), secret) {
		t.Fatalf("the SASL password appears in the log:\n%s", stderr.String())
	}
}

// TestServesWithoutKafka starts the exporter with no reachable cluster: it
// must serve its own health, report up 0, not be ready, and stop cleanly.
func TestServesWithoutKafka(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, stderr, done := startServing(t, ctx, "--kafka.server=127.0.0.1:1", "--poll.interval=100ms", "--kafka.timeout=100ms")
	get := func(path string) (int, string) {
		resp, err := http.Get(fmt.Sprintf("http://%s%s", addr, path))
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get("/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/ready before any successful poll: %d, want 503", code)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, "/metrics") {
		t.Errorf("landing page: %d", code)
	}
	// Wait for a failed poll to be published rather than for a fixed time.
	body := waitFor(t, 10*time.Second, "a failed poll on /metrics", func() (string, bool) {
		code, body := get("/metrics")
		return body, code == http.StatusOK && strings.Contains(body, `kafka_loss_exporter_polls_total{result="failure"} `) &&
			!strings.Contains(body, `kafka_loss_exporter_polls_total{result="failure"} 0`)
	})
	for _, want := range []string{"kafka_loss_exporter_up 0", `kafka_loss_exporter_collector_success{collector="metadata"} 0`, "kafka_loss_exporter_build_info"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "kafka_topic_") || strings.Contains(body, "kafka_brokers") {
		t.Error("cluster metrics served without a successful poll")
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit status %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the exporter did not stop")
	}
	if n := strings.Count(stderr.String(), `msg="poll failed"`); n < 1 {
		t.Errorf("want one log line per failed poll, got %d:\n%s", n, stderr.String())
	}
}

// startServing runs the exporter with args on a free port until ctx ends: it
// listens on port 0 and the test reads the address exporter-toolkit logs, so
// no port is picked, closed and reused. done receives the exit status.
func startServing(t *testing.T, ctx context.Context, args ...string) (addr string, stderr *lockedBuffer, done <-chan int) {
	t.Helper()
	stderr = new(lockedBuffer)
	c := make(chan int, 1)
	go func() { c <- run(ctx, append(args, "--web.listen-address=127.0.0.1:0"), io.Discard, stderr, noEnv) }()
	addr = waitFor(t, 10*time.Second, "the exporter to log its address", func() (string, bool) {
		m := listeningOn.FindStringSubmatch(stderr.String())
		if m == nil {
			return "", false
		}
		return m[1], true
	})
	return addr, stderr, c
}
