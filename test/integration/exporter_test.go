package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// exporter is one running exporter process.
type exporter struct {
	url  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
}

// syncBuffer collects the exporter's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback port nothing listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startExporter runs the exporter binary against the shared test cluster.
// Defaults (--kafka.server, --web.listen-address, --poll.interval=1s,
// --kafka.timeout=3s, --poll.timeout=5s) apply unless args set the flag. The process is
// stopped when the test ends; its log is printed if the test failed.
func startExporter(t *testing.T, args ...string) *exporter {
	t.Helper()
	c := kafkatest.Require(t)
	return startExporterOn(t, c.Bootstrap(), args...)
}

// startExporterOn runs the exporter against the given bootstrap servers.
func startExporterOn(t *testing.T, bootstrap []string, args ...string) *exporter {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	given := map[string]bool{}
	for _, a := range args {
		given[strings.SplitN(a, "=", 2)[0]] = true
	}
	var full []string
	for _, d := range []string{"--web.listen-address=" + addr, "--poll.interval=1s", "--kafka.timeout=3s", "--poll.timeout=5s"} {
		if !given[strings.SplitN(d, "=", 2)[0]] {
			full = append(full, d)
		}
	}
	if !given["--kafka.server"] {
		for _, b := range bootstrap {
			full = append(full, "--kafka.server="+b)
		}
	}
	full = append(full, args...)
	cmd := exec.Command(exporterBinary, full...)
	e := &exporter{url: "http://" + addr, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = e.logs, e.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the exporter: %v", err)
	}
	go func() { _ = cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.stop(t)
		if t.Failed() {
			t.Logf("exporter log (%s):\n%s", strings.Join(full, " "), tail(e.logs.String(), 80))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(e.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		select {
		case <-e.done:
			t.Fatalf("the exporter exited at start-up:\n%s", e.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter did not answer /healthz within 30s:\n%s", e.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the process with SIGTERM (then SIGKILL) and fails the test if
// it did not exit cleanly on SIGTERM.
func (e *exporter) stop(t *testing.T) {
	select {
	case <-e.done:
		return
	default:
	}
	_ = e.cmd.Process.Signal(interruptSignal)
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

// URL is the exporter's base URL.
func (e *exporter) URL() string { return e.url }

// Logs returns everything the exporter printed so far.
func (e *exporter) Logs() string { return e.logs.String() }

// series is one sample of a scrape.
type series struct {
	Labels map[string]string
	Value  float64
}

// scrape is one parsed /metrics answer.
type scrape struct {
	raw      []byte
	families map[string]*dto.MetricFamily
}

// Scrape fetches and parses /metrics.
func (e *exporter) Scrape(t testing.TB) *scrape {
	t.Helper()
	s, err := e.scrape()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *exporter) scrape() (*scrape, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", e.url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape answered %s: %s", resp.Status, raw)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	return &scrape{raw: raw, families: families}, nil
}

// Raw is the exposition text as served.
func (s *scrape) Raw() []byte { return s.raw }

// Series returns every sample of the metric, sorted by labels.
func (s *scrape) Series(name string) []series {
	mf, ok := s.families[name]
	if !ok {
		return nil
	}
	var out []series
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Untyped != nil:
			v = m.GetUntyped().GetValue()
		case m.Histogram != nil:
			v = float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v = float64(m.GetSummary().GetSampleCount())
		}
		out = append(out, series{Labels: labels, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i].Labels) < fmt.Sprint(out[j].Labels) })
	return out
}

// Value returns the value of the one series of name whose labels include
// labels; ok is false when there is none or more than one.
func (s *scrape) Value(name string, labels map[string]string) (float64, bool) {
	var found []series
	for _, x := range s.Series(name) {
		if matches(x.Labels, labels) {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		return 0, false
	}
	return found[0].Value, true
}

func matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// WaitForValue scrapes until the series name{labels} exists and cond holds,
// failing the test after timeout with the last value seen.
func (e *exporter) WaitForValue(t testing.TB, timeout time.Duration, name string, labels map[string]string, cond func(float64) bool, what string) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := "no scrape yet"
	for {
		s, err := e.scrape()
		if err != nil {
			last = err.Error()
		} else if v, ok := s.Value(name, labels); !ok {
			last = fmt.Sprintf("%s%v: no single matching series", name, labels)
		} else if cond(v) {
			return v
		} else {
			last = fmt.Sprintf("%s%v = %v", name, labels, v)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s; last: %s", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// equals is a WaitForValue condition.
func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
