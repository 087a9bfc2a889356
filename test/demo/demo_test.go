// Package demo runs `make demo` (deploy/demo/demo.sh) the way a person
// would: starts it, waits for the exporter to show the demo scenario's
// findings, presses Ctrl-C (SIGINT to the process group) and checks that
// nothing is left running. It uses its own cluster dir and ports, derived
// from the test cluster's (KLE_KAFKA_DIR + "-demo", KLE_KAFKA_PORT_BASE +
// 1000; the secured cluster of test/security uses +500), so it runs beside the
// integration and security tests.
package demo

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/exportertest"
)

const root = "../.."

func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

type demoEnv struct {
	dir                string
	base               int
	exporter, prom, am string
}

func newDemoEnv(t *testing.T) demoEnv {
	dir := os.Getenv("KLE_KAFKA_DIR")
	if dir == "" {
		dir = "/tmp/kle-kafka-test"
	}
	base := 29090
	if s := os.Getenv("KLE_KAFKA_PORT_BASE"); s != "" {
		b, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("KLE_KAFKA_PORT_BASE=%q", s)
		}
		base = b
	}
	base += 1000
	return demoEnv{
		dir:      dir + "-demo",
		base:     base,
		exporter: fmt.Sprintf("127.0.0.1:%d", base-50),
		prom:     fmt.Sprintf("127.0.0.1:%d", base-49),
		am:       fmt.Sprintf("127.0.0.1:%d", base-48),
	}
}

func (d demoEnv) environ() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KLE_KAFKA_") && !strings.HasPrefix(kv, "DEMO_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"KLE_KAFKA_DIR="+d.dir,
		"KLE_KAFKA_PORT_BASE="+strconv.Itoa(d.base),
		"DEMO_LISTEN="+d.exporter,
		"DEMO_PROMETHEUS_LISTEN="+d.prom,
		"DEMO_ALERTMANAGER_LISTEN="+d.am,
	)
}

// ports are every port the demo listens on.
func (d demoEnv) ports() []string {
	ps := []string{d.exporter, d.prom, d.am}
	for id := 1; id <= 3; id++ {
		ps = append(ps, fmt.Sprintf("127.0.0.1:%d", d.base+id), fmt.Sprintf("127.0.0.1:%d", d.base+100+id))
	}
	return ps
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// processesOf lists the live processes whose command line names dir (the
// demo's JVMs, exporter, Prometheus and Alertmanager all do).
func processesOf(dir string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue // a zombie holds nothing
		}
		cmd := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.Contains(cmd, dir) {
			found = append(found, fmt.Sprintf("%d: %.200s", pid, cmd))
		}
	}
	return found
}

func scrape(url string) (string, error) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		b.WriteString(s.Text())
		b.WriteByte('\n')
	}
	if resp.StatusCode != http.StatusOK {
		return b.String(), fmt.Errorf("%s: %s", url, resp.Status)
	}
	return b.String(), s.Err()
}

// TestMakeDemo starts the demo, waits until the exporter reports the
// scenario (the RF 1 and unclean-election topics in kafka_topic_loss_risk,
// the lagging group), checks Prometheus loaded the rules and Alertmanager is
// up when they are installed, then stops it with SIGINT to its process
// group, as Ctrl-C does, and checks that no process and no port of the demo
// is left and its directories are gone.
func TestMakeDemo(t *testing.T) {
	for _, tool := range []string{"java", "mvn", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable(t, "%s is not installed; the demo needs it", tool)
		}
	}
	d := newDemoEnv(t)
	for _, p := range d.ports() {
		if listening(p) {
			t.Fatalf("port %s is in use before the demo starts", p)
		}
	}
	_, promErr := exec.LookPath("prometheus")
	withProm := promErr == nil
	if !withProm && os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: prometheus is not installed (Debian: apt-get install prometheus prometheus-alertmanager)")
	}

	cmd := exec.Command("bash", "deploy/demo/demo.sh")
	cmd.Dir = root
	cmd.Env = d.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out exportertest.SyncBuffer // the demo's output, from two pipes
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		down := exec.Command("bash", "deploy/demo/demo.sh", "down")
		down.Dir, down.Env = root, d.environ()
		_ = down.Run()
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})

	// The scenario's findings, as deploy/demo/setup creates them.
	want := []string{
		`kafka_topic_loss_risk{risk="replication_factor_below_3",topic="clickstream-rf1"} 1`,
		`kafka_topic_loss_risk{risk="unclean_leader_election_enabled",topic="legacy-unclean"} 1`,
		`kafka_consumergroup_lag_sum{consumergroup="billing",topic="orders"} 540`,
		`kafka_loss_exporter_up 1`,
		`kafka_canary_up 1`,
	}
	deadline := time.Now().Add(150 * time.Second)
	var missing []string
	for {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the demo exited before showing the scenario: %v", err)
		default:
		}
		body, err := scrape("http://" + d.exporter + "/metrics")
		missing = missing[:0]
		for _, w := range want {
			if err != nil || !strings.Contains(body, "\n"+w+"\n") {
				missing = append(missing, w)
			}
		}
		if !strings.Contains(out.String(), "Ctrl-C stops everything") {
			missing = append(missing, "(the demo's message with the URLs)")
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 150s /metrics still lacks %v (last error %v)", missing, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("the demo ready and the scenario's findings on /metrics %s after start", time.Since(start).Round(100*time.Millisecond))
	if !strings.Contains(out.String(), "http://"+d.exporter+"/metrics") {
		t.Errorf("the demo did not print the metrics URL:\n%s", out.String())
	}

	if withProm {
		rules, err := scrape("http://" + d.prom + "/api/v1/rules")
		if err != nil || !strings.Contains(rules, `"name":"KafkaTopicLossRisk"`) {
			t.Errorf("Prometheus has not loaded the rules of alerts/: %v\n%.300s", err, rules)
		}
		if hasAlertmanager() {
			if _, err := scrape("http://" + d.am + "/-/ready"); err != nil {
				t.Errorf("Alertmanager is not ready: %v", err)
			}
		}
	}

	// Ctrl-C.
	interrupted := time.Now()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		stopped = true
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo did not stop within 60s of SIGINT")
	}
	t.Logf("the demo stopped %s after SIGINT", time.Since(interrupted).Round(100*time.Millisecond))
	// Processes are killed (SIGKILL at worst) before the demo exits; give
	// the kernel a moment to reap them and free their ports.
	var left []string
	for i := 0; i < 50; i++ {
		left = processesOf(d.dir)
		for _, p := range d.ports() {
			if listening(p) {
				left = append(left, "listener on "+p)
			}
		}
		if len(left) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("left running after Ctrl-C:\n%s", strings.Join(left, "\n"))
	}
	for _, p := range []string{d.dir, d.dir + ".run"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left after Ctrl-C", p)
		}
	}
}

func hasAlertmanager() bool {
	for _, name := range []string{"alertmanager", "prometheus-alertmanager"} {
		if _, err := exec.LookPath(name); err == nil {
			return true
		}
	}
	return false
}
