package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func TestBadInputExitsWithStatus2(t *testing.T) {
	dir := t.TempDir()
	badWebConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(badWebConfig, []byte("tls_server_config:\n  cert_file: /nonexistent.pem\n  nope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
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
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr, noEnv)
			if code != 2 {
				t.Fatalf("exit status %d, want 2; stderr: %s", code, stderr.String())
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 {
				t.Errorf("want one line, got:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("stderr %q does not name %q", out, c.want)
			}
		})
	}
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
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr, done := start(ctx, "--kafka.server=127.0.0.1:1", "--web.listen-address="+addr, "--poll.interval=100ms", "--kafka.timeout=100ms")
	get := func(path string) (int, string) {
		var lastErr error
		for i := 0; i < 100; i++ {
			resp, err := http.Get(fmt.Sprintf("http://%s%s", addr, path))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			lastErr = err
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("GET %s: %v", path, lastErr)
		return 0, ""
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
	time.Sleep(300 * time.Millisecond)
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
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

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs the exporter with args until ctx ends; done receives the exit
// status, after which stderr holds the log.
func start(ctx context.Context, args ...string) (stderr *bytes.Buffer, done <-chan int) {
	stderr = new(bytes.Buffer)
	c := make(chan int, 1)
	go func() { c <- run(ctx, args, io.Discard, stderr, noEnv) }()
	return stderr, c
}
