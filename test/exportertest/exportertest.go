// Package exportertest runs the real kafka-loss-exporter binary in a test:
// it starts the process on a free loopback port, waits until it answers
// /healthz, stops it when the test ends (printing its log if the test
// failed), and scrapes and parses its /metrics.
package exportertest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// defaultArgs are the flags Start passes unless Options.Args sets the same
// flag.
var defaultArgs = []string{"--poll.interval=1s", "--kafka.timeout=3s", "--poll.timeout=5s"}

// Options say how to start the exporter.
type Options struct {
	// Binary is the exporter executable.
	Binary string
	// Args are the exporter's flags. A flag given here replaces the one
	// Start would add by default (--web.listen-address, --poll.interval=1s,
	// --kafka.timeout=3s, --poll.timeout=5s, --kafka.server).
	Args []string
	// Env is added to the test process's environment.
	Env []string
	// Bootstrap are passed as --kafka.server, unless Args set it.
	Bootstrap []string
	// HTTPS says the exporter serves HTTPS (its --web.config.file has TLS).
	HTTPS bool
	// Client makes every request to the exporter; nil is a plain client
	// with a 10s timeout. For HTTPS it must trust the exporter's certificate.
	Client *http.Client
	// User and Password, if User is not "", are sent as basic auth with
	// every request.
	User, Password string
	// LogLines is how many of the last lines of the log are printed when
	// the test failed; 0 is 80.
	LogLines int
}

// Exporter is one running exporter process.
type Exporter struct {
	url        string
	client     *http.Client
	user, pass string
	cmd        *exec.Cmd
	logs       *SyncBuffer
	done       chan struct{}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads, for a
// process's output.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreePort returns a loopback port nothing listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs the exporter binary on a free loopback port with the default
// flags (see Options.Args) and waits until it answers /healthz, failing the
// test if it exits or does not answer within 30s. The process is stopped
// when the test ends; its log is printed if the test failed.
func Start(t *testing.T, opts Options) *Exporter {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	given := map[string]bool{}
	for _, a := range opts.Args {
		given[flagName(a)] = true
	}
	var args []string
	for _, d := range append([]string{"--web.listen-address=" + addr}, defaultArgs...) {
		if !given[flagName(d)] {
			args = append(args, d)
		}
	}
	if !given["--kafka.server"] {
		for _, b := range opts.Bootstrap {
			args = append(args, "--kafka.server="+b)
		}
	}
	args = append(args, opts.Args...)
	cmd := exec.Command(opts.Binary, args...)
	if len(opts.Env) > 0 {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	e := &Exporter{url: "http://" + addr, client: opts.Client, user: opts.User, pass: opts.Password,
		cmd: cmd, logs: &SyncBuffer{}, done: make(chan struct{})}
	if opts.HTTPS {
		e.url = "https://" + addr
	}
	if e.client == nil {
		e.client = &http.Client{Timeout: 10 * time.Second}
	}
	logLines := opts.LogLines
	if logLines == 0 {
		logLines = 80
	}
	cmd.Stdout, cmd.Stderr = e.logs, e.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the exporter: %v", err)
	}
	go func() { _ = cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.Stop(t)
		if t.Failed() {
			t.Logf("exporter log (%s):\n%s", strings.Join(args, " "), Tail(e.Logs(), logLines))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := e.Get("/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		select {
		case <-e.done:
			t.Fatalf("the exporter exited at start-up:\n%s", e.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter did not answer /healthz within 30s:\n%s", e.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func flagName(arg string) string { return strings.SplitN(arg, "=", 2)[0] }

// Stop ends the process with SIGTERM (then SIGKILL after 10s) and fails the
// test if it did not exit with status 0 on SIGTERM. It does nothing if the
// process has already exited.
func (e *Exporter) Stop(t testing.TB) {
	if e.Exited() {
		return
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
		if code := e.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("the exporter exited with status %d on SIGTERM", code)
		}
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
		t.Errorf("the exporter did not stop within 10s of SIGTERM")
	}
}

// Exited reports whether the process has ended.
func (e *Exporter) Exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// URL is the exporter's base URL (http:// or https://).
func (e *Exporter) URL() string { return e.url }

// Logs returns everything the exporter printed so far.
func (e *Exporter) Logs() string { return e.logs.String() }

// Get fetches a path with the exporter's client and credentials, if any.
func (e *Exporter) Get(path string) (*http.Response, error) {
	return e.GetAs(path, e.user, e.pass)
}

// GetAs fetches a path with the exporter's client as user (basic auth; ""
// for none).
func (e *Exporter) GetAs(path, user, pass string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
	if err != nil {
		return nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return e.client.Do(req)
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
