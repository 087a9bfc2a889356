package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// Two exporter replicas of one cluster (cluster label "e2e", pod labels as
// Kubernetes service discovery would set them) are scraped by a real
// Prometheus with the project's rules (for: shortened) that sends to a real
// Alertmanager, grouped as deploy/alertmanager/alertmanager.yml does, whose
// webhook receiver is this test. Stopping a node makes alerts fire: each
// arrives as exactly one alert (no instance or pod label, never one per
// replica). Restarting the node resolves them.
func TestHighAvailabilityEndToEnd(t *testing.T) {
	promBin := requirePrometheus(t)
	amBin := requireAlertmanager(t)
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })

	topic := kafkatest.UniqueTopic("ha-e2e")
	c.CreateTopic(t, topic, 3, 3, map[string]string{"min.insync.replicas": "2"})
	for p := int32(0); p < 3; p++ {
		c.Produce(t, topic, p, 5, sarama.WaitForAll)
	}

	hook := newWebhook(t)
	am := startAlertmanager(t, amBin, hook.URL())
	replicas := []*exporter{
		startExporter(t, "--topic.filter="+topic, "--poll.interval=2s"),
		startExporter(t, "--topic.filter="+topic, "--poll.interval=2s"),
	}
	var scrape strings.Builder
	scrape.WriteString("  - job_name: kafka-loss-exporter\n    static_configs:\n")
	for i, e := range replicas {
		u, err := url.Parse(e.URL())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&scrape, "      - targets: [%q]\n        labels: {cluster: e2e, pod: kle-%d}\n", u.Host, i)
	}
	alerting := fmt.Sprintf("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%q]\n", am)
	prom := startPrometheusConfig(t, promBin, scrape.String(), alerting)

	healthy := fmt.Sprintf(`kafka_topic_under_replicated_partitions{topic=%q} == 0`, topic)
	prom.waitForQuery(t, 60*time.Second, healthy, 2, "both replicas scraped, the topic healthy")
	// Alerts active on the healthy cluster (findings on cluster-wide
	// settings of the shared test cluster, pending or firing once both
	// replicas have read the configuration) are not this test's subject.
	prom.waitForQuery(t, 60*time.Second, `count(count without (risk) (kafka_cluster_loss_risk)) == 2`, 1,
		"both replicas have read the cluster configuration")
	before := map[string]bool{}
	for _, a := range prom.active(t) {
		before[alertKey(a.Labels)] = true
	}

	node := c.NodeIDs()[0]
	stop := time.Now()
	c.StopNode(t, node)
	t.Logf("stopped node %d", node)

	// The alerts the stopped node causes, once for: has passed.
	want := []string{"KafkaBrokerDown", "KafkaPartitionUnderReplicated", "KafkaPartitionAtMinISR"}
	prom.waitFor(t, 150*time.Second, func() bool {
		names := map[string]bool{}
		for _, a := range prom.firing(t) {
			names[a.Labels["alertname"]] = true
		}
		for _, w := range want {
			if !names[w] {
				return false
			}
		}
		return true
	}, fmt.Sprintf("%v firing after stopping node %d", want, node))
	t.Logf("%v firing in Prometheus %s after stopping node %d", want, time.Since(stop).Round(100*time.Millisecond), node)

	fired := map[string]map[string]string{}
	for _, a := range prom.firing(t) {
		if k := alertKey(a.Labels); !before[k] {
			fired[k] = a.Labels
		}
	}
	// Each of them reaches the receiver; Prometheus evaluates both replicas'
	// series, so a rule that kept the instance would show up twice here.
	hook.waitFor(t, 60*time.Second, func(n notifications) bool {
		for k := range fired {
			if n.firing[k] == 0 {
				return false
			}
		}
		return true
	}, "every firing alert notified")
	n := hook.snapshot()
	for k, labels := range fired {
		for _, l := range []string{"instance", "pod"} {
			if labels[l] != "" {
				t.Errorf("alert %s carries %s=%q: one alert per replica", k, l, labels[l])
			}
		}
		if labels["cluster"] != "e2e" {
			t.Errorf("alert %s lost the cluster label", k)
		}
	}
	for _, dup := range n.duplicates {
		t.Errorf("a notification holds the same alert twice: %s", dup)
	}
	perIncident := map[string]int{}
	for k := range n.firingLabels {
		perIncident[stripIdentity(n.firingLabels[k])]++
	}
	for incident, count := range perIncident {
		if count != 1 {
			t.Errorf("incident %s arrived as %d alerts, want 1", incident, count)
		}
	}
	t.Logf("%d alerts fired and reached Alertmanager's receiver once each (%d notifications): %v",
		len(fired), n.posts, sortedKeys(fired))

	restart := time.Now()
	c.StartNode(t, node)
	t.Logf("node %d restarted in %s", node, time.Since(restart).Round(100*time.Millisecond))
	// Findings on the shared cluster's settings (KafkaClusterLossRisk,
	// KafkaTopicLossRisk) may start firing during the test, once both
	// replicas read the configuration; the restart does not change the
	// settings, so they do not resolve. Every other alert does.
	settings := map[string]bool{"KafkaClusterLossRisk": true, "KafkaTopicLossRisk": true}
	hook.waitFor(t, 240*time.Second, func(n notifications) bool {
		for k, labels := range fired {
			if !settings[labels["alertname"]] && n.resolved[k] == 0 {
				return false
			}
		}
		return true
	}, "every alert the stopped node caused resolved at the receiver")
	t.Logf("all %d alerts resolved at the receiver %s after the restart", len(fired),
		time.Since(restart).Round(100*time.Millisecond))
}

// alertKey identifies an alert by its labels.
func alertKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

// stripIdentity is alertKey without the replica's labels: two alerts with
// the same stripped key are one incident reported by two replicas.
func stripIdentity(labels map[string]string) string {
	l := map[string]string{}
	for k, v := range labels {
		if k != "instance" && k != "pod" {
			l[k] = v
		}
	}
	return alertKey(l)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// active returns the alerts Prometheus has pending or firing.
func (p *promServer) active(t *testing.T) []promAlert {
	t.Helper()
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	p.get(t, "/api/v1/alerts", &data)
	return data.Alerts
}

// firing returns the alerts Prometheus has firing.
func (p *promServer) firing(t *testing.T) []promAlert {
	t.Helper()
	var out []promAlert
	for _, a := range p.active(t) {
		if a.State == "firing" {
			out = append(out, a)
		}
	}
	return out
}

// notifications is what the webhook receiver counted.
type notifications struct {
	posts        int
	firing       map[string]int // alert key -> notifications listing it firing
	resolved     map[string]int
	firingLabels map[string]map[string]string
	duplicates   []string // alerts listed twice in one notification
}

// webhook is an Alertmanager webhook receiver that counts notifications.
type webhook struct {
	srv *httptest.Server
	mu  sync.Mutex
	n   notifications
}

func newWebhook(t *testing.T) *webhook {
	t.Helper()
	w := &webhook{n: notifications{firing: map[string]int{}, resolved: map[string]int{},
		firingLabels: map[string]map[string]string{}}}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.n.posts++
		seen := map[string]bool{}
		for _, a := range msg.Alerts {
			k := alertKey(a.Labels)
			if seen[k] {
				w.n.duplicates = append(w.n.duplicates, k)
			}
			seen[k] = true
			if a.Status == "firing" {
				w.n.firing[k]++
				w.n.firingLabels[k] = a.Labels
			} else {
				w.n.resolved[k]++
			}
		}
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) URL() string { return w.srv.URL }

func (w *webhook) snapshot() notifications {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.n
	n.firing, n.resolved, n.firingLabels = copyMap(w.n.firing), copyMap(w.n.resolved), copyMap(w.n.firingLabels)
	n.duplicates = append([]string(nil), w.n.duplicates...)
	return n
}

func copyMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// waitFor polls the counted notifications until cond holds.
func (w *webhook) waitFor(t *testing.T, timeout time.Duration, cond func(notifications) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond(w.snapshot()) {
		if time.Now().After(deadline) {
			n := w.snapshot()
			t.Fatalf("timed out after %s waiting for: %s (%d notifications; firing %v; resolved %v)",
				timeout, what, n.posts, sortedKeys(n.firing), sortedKeys(n.resolved))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startAlertmanager runs a real Alertmanager that sends every alert to
// webhookURL, grouped like deploy/alertmanager/alertmanager.yml (by
// alertname, cluster, job) with short waits, resolved alerts included. It
// returns its host:port.
func startAlertmanager(t *testing.T, binary, webhookURL string) string {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, cluster, job]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %q
        send_resolved: true
`, webhookURL)
	file := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeLocalAddr(t)
	runServer(t, "alertmanager", addr, binary, "--config.file="+file, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	return addr
}

// requireAlertmanager returns the alertmanager binary (Debian package
// prometheus-alertmanager); without it the test skips, or fails under
// CI=true.
func requireAlertmanager(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"alertmanager", "prometheus-alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("alertmanager not found (install Debian package prometheus-alertmanager)")
	}
	t.Skipf("alertmanager not found (install Debian package prometheus-alertmanager); skipped outside CI")
	return ""
}
