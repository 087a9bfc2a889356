package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// e2eFor is the longest for: of the rules the end-to-end test loads: the
// real rule files with every longer for: shortened to it (alerts.ShortenFor),
// so an alert goes pending and then firing within seconds. Long enough to
// see the pending state with a 1s evaluation interval.
const e2eFor = 10 * time.Second

// A real Prometheus scrapes the exporter running on the real test Kafka with
// the project's rule files loaded. Stopping two nodes makes
// KafkaPartitionUnderMinISR for an RF 3 / min.insync.replicas=2 topic go
// pending and then firing in Prometheus's alerts API; restarting them
// resolves it. Then every rule must be healthy on real data, and every
// metric a rule reads must have been exported.
func TestAlertsEndToEnd(t *testing.T) {
	promBin := requirePrometheus(t)
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })

	// The watched topic, a topic with a loss-risk finding, and a consumer
	// group that is caught up on a time-retention topic: together they make
	// the exporter serve every metric the rules read.
	topic := kafkatest.UniqueTopic("alerts-e2e")
	c.CreateTopic(t, topic, 2, 3, map[string]string{"min.insync.replicas": "2", "retention.ms": "3600000"})
	risky := kafkatest.UniqueTopic("alerts-e2e-rf2")
	c.CreateTopic(t, risky, 1, 2, map[string]string{"min.insync.replicas": "1"})
	group := kafkatest.UniqueTopic("alerts-e2e-group")
	c.Produce(t, topic, 0, 5, sarama.WaitForAll)
	c.Produce(t, topic, 1, 5, sarama.WaitForAll)
	c.CommitOffsets(t, group, topic, map[int32]int64{0: 5, 1: 5})
	// A group the exporter sees leave serves the offsets-expiry countdown.
	leaver := kafkatest.UniqueTopic("alerts-e2e-leaver")
	c.CommitOffsets(t, leaver, topic, map[int32]int64{0: 5, 1: 5})

	// The canary serves the kafka_canary_* metrics the canary rules read
	// (its produce errors once the nodes stop).
	canaryTopic := kafkatest.UniqueTopic("alerts-e2e-canary")
	t.Cleanup(func() { c.DeleteTopic(t, canaryTopic) })
	// An open transaction serves the transaction metrics the producer rules
	// read (committed when the test ends).
	txnTopic := kafkatest.UniqueTopic("alerts-e2e-txn")
	c.CreateTopic(t, txnTopic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	openTransaction(t, c, txnTopic, txnTopic+"-txid", 1)
	e := startExporter(t, "--config.poll.interval=3s", "--producers.poll.interval=3s", "--canary.enable", "--canary.topic="+canaryTopic)
	prom := startPrometheus(t, promBin, e.URL())

	member := joinGroup(t, c, leaver, topic, false)
	e.WaitForValue(t, 60*time.Second, "kafka_consumergroup_members", map[string]string{"consumergroup": leaver}, equals(1),
		"the exporter to see the leaving group's member")
	member.stop()

	underMinISR := fmt.Sprintf(`kafka_topic_partition_under_min_isr{topic=%q}`, topic)
	prom.waitForQuery(t, 60*time.Second, underMinISR+" == 0", 2, "Prometheus scrapes the healthy topic's min-ISR state")
	if a := prom.alert(t, "KafkaPartitionUnderMinISR", topic); a != nil {
		t.Fatalf("KafkaPartitionUnderMinISR for %s is %s while the cluster is healthy", topic, a.State)
	}

	nodes := c.NodeIDs()
	stopped := nodes[:2]
	start := time.Now()
	for _, id := range stopped {
		c.StopNode(t, id)
	}
	t.Logf("stopped nodes %v", stopped)

	// Pending first, then firing, no earlier than for: after it went active.
	var pendingAt, firingAt time.Duration
	var firing *promAlert
	deadline := time.Now().Add(120 * time.Second)
	for firing == nil {
		if time.Now().After(deadline) {
			t.Fatalf("KafkaPartitionUnderMinISR for %s not firing within 120s of stopping nodes %v (pending seen: %v)",
				topic, stopped, pendingAt > 0)
		}
		switch a := prom.alert(t, "KafkaPartitionUnderMinISR", topic); {
		case a == nil:
		case a.State == "pending":
			if pendingAt == 0 {
				pendingAt = time.Since(start)
				t.Logf("KafkaPartitionUnderMinISR pending %s after stopping the nodes", pendingAt.Round(100*time.Millisecond))
			}
		case a.State == "firing":
			firingAt, firing = time.Since(start), a
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("KafkaPartitionUnderMinISR firing %s after stopping the nodes", firingAt.Round(100*time.Millisecond))
	if pendingAt == 0 {
		t.Errorf("KafkaPartitionUnderMinISR was never seen pending before firing")
	}
	if held := firingAt - pendingAt; pendingAt > 0 && held < e2eFor-2*time.Second {
		t.Errorf("pending for %s before firing, want about the for: of %s", held, e2eFor)
	}
	checkFiringAlert(t, firing, topic)

	restart := time.Now()
	for _, id := range stopped {
		c.StartNode(t, id)
	}
	t.Logf("nodes %v restarted in %s", stopped, time.Since(restart).Round(100*time.Millisecond))
	prom.waitFor(t, 180*time.Second, func() bool { return prom.alert(t, "KafkaPartitionUnderMinISR", topic) == nil },
		"KafkaPartitionUnderMinISR resolved after restarting the nodes")
	t.Logf("KafkaPartitionUnderMinISR resolved %s after restarting the nodes", time.Since(restart).Round(100*time.Millisecond))

	t.Run("rules evaluate without errors on real data", func(t *testing.T) {
		for _, r := range prom.rules(t) {
			if r.Health != "ok" || r.LastError != "" {
				t.Errorf("rule %s: health %q, error %q", r.Name, r.Health, r.LastError)
			}
		}
	})

	t.Run("every metric a rule reads is exported", func(t *testing.T) {
		files, err := alerts.Load(alerts.Files)
		if err != nil {
			t.Fatal(err)
		}
		// Prometheus scrapes only the exporter: the metric names it holds are
		// the ones the exporter served during this test. Consumer lag in
		// seconds needs a few polls of offset history, hence the wait.
		want := alerts.ExporterMetrics(files)
		// Served only while a partition is being reassigned: the real
		// reassignment of TestReassignmentIsNotUnderReplication reads it
		// from the exporter.
		eventOnly := map[string]bool{"kafka_topic_partition_reassigning": true}
		want = slices.DeleteFunc(want, func(m string) bool { return eventOnly[m] })
		deadline := time.Now().Add(60 * time.Second)
		for {
			absent := missing(want, prom.metricNames(t))
			if len(absent) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rules read metrics the exporter never served: %v", absent)
			}
			time.Sleep(time.Second)
		}
		t.Logf("all %d metrics the rules read were exported", len(want))
	})
}

// checkFiringAlert checks the labels and annotations of a firing
// KafkaPartitionUnderMinISR alert: the rule's own, rendered on real data,
// without the exporter's instance (aggregated away) and naming the cluster
// by its job (the test attaches no cluster label).
func checkFiringAlert(t *testing.T, a *promAlert, topic string) {
	t.Helper()
	wantLabels := map[string]string{
		"alertname": "KafkaPartitionUnderMinISR", "severity": "critical", "topic": topic,
		"job": "kafka-loss-exporter",
	}
	if fmt.Sprint(a.Labels) != fmt.Sprint(wantLabels) {
		t.Errorf("labels %v, want %v", a.Labels, wantLabels)
	}
	if want := alerts.RunbookBase + "KafkaPartitionUnderMinISR.md"; a.Annotations["runbook_url"] != want {
		t.Errorf("runbook_url %q, want %q", a.Annotations["runbook_url"], want)
	}
	if want := fmt.Sprintf("Partitions of topic %s have fewer in-sync replicas than min.insync.replicas.", topic); a.Annotations["summary"] != want {
		t.Errorf("summary %q, want %q", a.Annotations["summary"], want)
	}
	if want := fmt.Sprintf("2 partition(s) of topic %s on kafka-loss-exporter have been under", topic); !strings.HasPrefix(a.Annotations["description"], want) {
		t.Errorf("description %q, want it to start with %q", a.Annotations["description"], want)
	}
}

// missing returns the names of want that are not in have.
func missing(want, have []string) []string {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	var out []string
	for _, w := range want {
		if !set[w] {
			out = append(out, w)
		}
	}
	return out
}

// requirePrometheus returns the prometheus binary (Debian package
// prometheus); without it the test skips, or fails under CI=true.
func requirePrometheus(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("prometheus not found (install Debian package prometheus): %v", err)
		}
		t.Skipf("prometheus not found (install Debian package prometheus); skipped outside CI")
	}
	return p
}

// promServer is a Prometheus server run by a test.
type promServer struct {
	base string
	logs *bytes.Buffer
}

// startPrometheus runs Prometheus on a free port, scraping exporterURL every
// second as job kafka-loss-exporter and evaluating the project's rules
// (with for: shortened to e2eFor) every second. It stops with the test.
func startPrometheus(t *testing.T, binary, exporterURL string) *promServer {
	t.Helper()
	return startPrometheusJobs(t, binary, map[string]string{"kafka-loss-exporter": exporterURL})
}

// metricsPath is the exporter URL's path, /metrics when it has none.
func metricsPath(u *url.URL) string {
	if u.Path == "" || u.Path == "/" {
		return "/metrics"
	}
	return u.Path
}

func freeLocalAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond every 200ms until it holds, or fails the test after
// timeout.
func (p *promServer) waitFor(t *testing.T, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// get decodes the data of a Prometheus API response into out.
func (p *promServer) get(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := http.Get(p.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if body.Status != "success" {
		t.Fatalf("GET %s: %s %s", path, body.Status, body.Error)
	}
	if err := json.Unmarshal(body.Data, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// waitForQuery waits until an instant query returns n series.
func (p *promServer) waitForQuery(t *testing.T, timeout time.Duration, query string, n int, what string) {
	t.Helper()
	p.waitFor(t, timeout, func() bool {
		var data struct {
			Result []json.RawMessage `json:"result"`
		}
		p.get(t, "/api/v1/query?query="+url.QueryEscape(query), &data)
		return len(data.Result) == n
	}, fmt.Sprintf("%s (%s returns %d series)", what, query, n))
}

// promAlert is an alert from /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	ActiveAt    time.Time         `json:"activeAt"`
	Value       string            `json:"value"`
}

// alert returns the active (pending or firing) alert with that name for
// topic, or nil.
func (p *promServer) alert(t *testing.T, name, topic string) *promAlert {
	t.Helper()
	return p.alertWith(t, name, "topic", topic)
}

// alertWith returns the alert name whose label key is value, nil when it is
// neither pending nor firing.
func (p *promServer) alertWith(t *testing.T, name, key, value string) *promAlert {
	t.Helper()
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	p.get(t, "/api/v1/alerts", &data)
	for i, a := range data.Alerts {
		if a.Labels["alertname"] == name && a.Labels[key] == value {
			return &data.Alerts[i]
		}
	}
	return nil
}

// promRule is a rule's evaluation state from /api/v1/rules.
type promRule struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

// rules returns every loaded rule.
func (p *promServer) rules(t *testing.T) []promRule {
	t.Helper()
	var data struct {
		Groups []struct {
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	p.get(t, "/api/v1/rules", &data)
	var out []promRule
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatal("prometheus loaded no rules")
	}
	return out
}

// metricNames returns the metric names Prometheus holds.
func (p *promServer) metricNames(t *testing.T) []string {
	t.Helper()
	var names []string
	p.get(t, "/api/v1/label/__name__/values", &names)
	sort.Strings(names)
	return names
}

// runPrometheus starts the Prometheus server binary with configFile and its
// storage in dir, waits until it is ready, and stops it when the test ends
// (printing its log if the test failed).
func runPrometheus(t *testing.T, binary, configFile, dir string) *promServer {
	t.Helper()
	addr := freeLocalAddr(t)
	logs := runServer(t, "prometheus", addr, binary, "--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	return &promServer{base: "http://" + addr, logs: logs}
}

// runServer starts a Prometheus-style server (prometheus, alertmanager)
// listening on addr, waits until its /-/ready answers 200, and stops it
// when the test ends, printing its log if the test failed.
func runServer(t *testing.T, what, addr, binary string, args ...string) *bytes.Buffer {
	t.Helper()
	cmd := exec.Command(binary, args...)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s logs:\n%s", what, logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 30s; logs:\n%s", what, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
