package security

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// exporter is one running exporter process.
type exporter struct {
	url    string
	client *http.Client
	user   string // basic-auth user ("" for none)
	pass   string
	cmd    *exec.Cmd
	logs   *syncBuffer
	done   chan struct{}
}

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

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// exporterOpts say how to start the exporter.
type exporterOpts struct {
	args []string
	env  []string
	// webTLS serves HTTPS (with the web config's basic-auth user and
	// password for every request) instead of HTTP.
	webTLS             bool
	webUser, webPasswd string
}

// startExporter runs the exporter binary with --poll.interval=1s
// --kafka.timeout=3s --poll.timeout=5s and the given arguments, waits until
// it answers /healthz and stops it when the test ends (printing its log if
// the test failed).
func startExporter(t *testing.T, o exporterOpts) *exporter {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"--web.listen-address=" + addr, "--poll.interval=1s", "--kafka.timeout=3s", "--poll.timeout=5s"}, o.args...)
	cmd := exec.Command(exporterBinary, args...)
	cmd.Env = append(os.Environ(), o.env...)
	e := &exporter{url: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second}, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	if o.webTLS {
		e.url = "https://" + addr
		e.client = httpsClient(t)
		e.user, e.pass = o.webUser, o.webPasswd
	}
	cmd.Stdout, cmd.Stderr = e.logs, e.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the exporter: %v", err)
	}
	go func() { _ = cmd.Wait(); close(e.done) }()
	t.Cleanup(func() {
		e.stop(t)
		if t.Failed() {
			t.Logf("exporter log (%s):\n%s", strings.Join(args, " "), tail(e.logs.String(), 60))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := e.get("/healthz"); err == nil {
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

// httpsClient trusts the test CA, which signed the exporter's certificate.
func httpsClient(t testing.TB) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// get fetches a path with the exporter's credentials, if any.
func (e *exporter) get(path string) (*http.Response, error) {
	return e.getAs(path, e.user, e.pass)
}

func (e *exporter) getAs(path, user, pass string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
	if err != nil {
		return nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return e.client.Do(req)
}

func (e *exporter) stop(t *testing.T) {
	select {
	case <-e.done:
		return
	default:
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

// exited reports whether the process has ended (a crash).
func (e *exporter) exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// scrape is one parsed /metrics answer.
type scrape struct {
	raw      []byte
	families map[string]*dto.MetricFamily
}

func (e *exporter) scrape() (*scrape, error) {
	resp, err := e.get("/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics answered %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	return &scrape{raw: raw, families: families}, nil
}

// Scrape fetches /metrics and fails the test on error.
func (e *exporter) Scrape(t testing.TB) *scrape {
	t.Helper()
	s, err := e.scrape()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// value returns the value of the series of name whose labels include
// labels.
func (s *scrape) value(name string, labels map[string]string) (float64, bool) {
	mf := s.families[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
		return 0, true
	}
	return 0, false
}

// waitFor polls cond every 250ms until it holds or the timeout passes.
func (e *exporter) waitFor(t *testing.T, timeout time.Duration, what string, cond func(s *scrape) (bool, string)) *scrape {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		if e.exited() {
			t.Fatalf("the exporter exited while waiting for %s:\n%s", what, tail(e.logs.String(), 40))
		}
		s, err := e.scrape()
		if err != nil {
			last = err.Error()
		} else if ok, detail := cond(s); ok {
			return s
		} else {
			last = detail
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s (last: %s)", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeFile writes a test file and returns its path.
func writeFile(t testing.TB, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// saslArgs are the exporter's flags for a SASL_SSL connection as user with
// mechanism, the password in a file, trusting ca.
func saslArgs(t testing.TB, ca, mechanism, user, password string) []string {
	t.Helper()
	args := []string{"--kafka.sasl.mechanism=" + mechanism, "--kafka.sasl.username=" + user,
		"--kafka.sasl.password-file=" + writeFile(t, "password", password+"\n"),
		"--kafka.tls.enabled", "--kafka.tls.ca-file=" + ca}
	for _, b := range cluster.Bootstrap() {
		args = append(args, "--kafka.server="+b)
	}
	return args
}

// mtlsArgs are the exporter's flags for the mutual-TLS listener with a
// client certificate, trusting ca.
func mtlsArgs(ca, cert, key string) []string {
	args := []string{"--kafka.tls.enabled", "--kafka.tls.ca-file=" + ca, "--kafka.tls.cert-file=" + cert, "--kafka.tls.key-file=" + key}
	for _, b := range mtlsBootstrap {
		args = append(args, "--kafka.server="+b)
	}
	return args
}
