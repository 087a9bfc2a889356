package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// alertmanagerConfig is the example configuration shipped in deploy/.
var alertmanagerConfig = filepath.Join("..", "deploy", "alertmanager", "alertmanager.yml")

// receiverOf is where each severity must go.
var receiverOf = map[string]string{"critical": "pager", "warning": "ticket", "info": "risk-review"}

// TestAlertmanagerConfig runs `amtool check-config` on the example
// configuration and `amtool config routes test` for every alert of the rule
// files, with the labels it fires with: critical pages, warning tickets,
// info goes to review.
func TestAlertmanagerConfig(t *testing.T) {
	amtool := requireTool(t, "amtool", "prometheus-alertmanager")
	run(t, amtool, "check-config", alertmanagerConfig)
	for _, a := range Alerts(loadRules(t)) {
		sev := a.Labels["severity"]
		out := run(t, amtool, "config", "routes", "test", "--config.file="+alertmanagerConfig,
			"--verify.receivers="+receiverOf[sev],
			"alertname="+a.Alert, "severity="+sev, "job=kafka-loss-exporter", "cluster=kafka-a", "topic=orders")
		if got := strings.TrimSpace(out); got != receiverOf[sev] {
			t.Errorf("%s (severity %s) routed to %q, want %q", a.Alert, sev, got, receiverOf[sev])
		}
	}
	// An alert without a severity still reaches someone.
	out := run(t, amtool, "config", "routes", "test", "--config.file="+alertmanagerConfig, "--verify.receivers=ticket", "alertname=Unlabelled")
	if strings.TrimSpace(out) != "ticket" {
		t.Errorf("alert without severity routed to %q, want ticket", out)
	}
}

// TestAlertmanagerIgnoresReplicas checks that no route groups and no
// inhibition matches by the exporter replica's identity (instance, pod): the
// alerts aggregate it away, and grouping by it would split one incident.
func TestAlertmanagerIgnoresReplicas(t *testing.T) {
	data, err := os.ReadFile(alertmanagerConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*(group_by|equal):\s*\[([^\]]*)\]`).FindAllStringSubmatch(string(data), -1) {
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l == "instance" || l == "pod" {
				t.Errorf("%s: %s lists %q; use cluster (and job) instead: %s", alertmanagerConfig, m[1], l, m[0])
			}
		}
		if !strings.Contains(m[2], "cluster") {
			t.Errorf("%s: %s lacks cluster: %s", alertmanagerConfig, m[1], m[0])
		}
	}
}

// TestAlertmanagerInhibitionsNameRealAlerts catches typos: every alert name
// the inhibit rules mention is an alert of the rule files.
func TestAlertmanagerInhibitionsNameRealAlerts(t *testing.T) {
	data, err := os.ReadFile(alertmanagerConfig)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, a := range Alerts(loadRules(t)) {
		known[a.Alert] = true
	}
	inhibit := string(data[bytes.Index(data, []byte("inhibit_rules:")):])
	inhibit = inhibit[:strings.Index(inhibit, "\nreceivers:")]
	for _, m := range regexp.MustCompile(`alertname=~?"([^"]+)"`).FindAllStringSubmatch(inhibit, -1) {
		for _, name := range strings.Split(m[1], "|") {
			if !known[name] {
				t.Errorf("inhibit rule names %q, which is not an alert of alerts/*.yml", name)
			}
		}
	}
}

// TestAlertmanagerInhibitions runs a real Alertmanager with the example
// configuration, posts alerts, and checks which ones it inhibits.
func TestAlertmanagerInhibitions(t *testing.T) {
	binary := requireTool(t, "alertmanager", "prometheus-alertmanager", "prometheus-alertmanager")
	addr := freeAddr(t)
	cmd := exec.Command(binary, "--config.file="+alertmanagerConfig, "--storage.path="+t.TempDir(),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	waitReady(t, base+"/-/ready", &logs)

	cluster := map[string]string{"job": "kafka-loss-exporter", "cluster": "kafka-a"}
	alert := func(name, severity string, labels ...string) map[string]any {
		l := map[string]string{"alertname": name, "severity": severity}
		for k, v := range cluster {
			l[k] = v
		}
		for i := 0; i < len(labels); i += 2 {
			l[labels[i]] = labels[i+1]
		}
		return map[string]any{"labels": l, "annotations": map[string]string{"summary": name}}
	}
	post := []map[string]any{
		alert("KafkaPartitionOffline", "critical", "topic", "orders"),
		alert("KafkaPartitionUnderReplicated", "warning", "topic", "orders"),
		alert("KafkaPartitionUnderReplicated", "warning", "topic", "payments"),
		alert("KafkaPartitionAtMinISR", "warning", "topic", "orders"),
		alert("KafkaConsumerGroupLagHigh", "warning", "topic", "orders", "consumergroup", "billing"),
		alert("KafkaConsumerGroupRetentionHeadroomLow", "critical", "topic", "clicks", "consumergroup", "web"),
		alert("KafkaConsumerGroupLagHigh", "warning", "topic", "clicks", "consumergroup", "web"),
		alert("KafkaLossExporterPollStale", "critical"),
		alert("KafkaLossExporterCollectorFailing", "warning", "collector", "groups"),
	}
	// The same warning on another cluster is not inhibited by this one's
	// critical alerts.
	other := alert("KafkaPartitionAtMinISR", "warning", "topic", "orders")
	other["labels"].(map[string]string)["cluster"] = "kafka-b"
	post = append(post, other)

	body, _ := json.Marshal(post)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST alerts: %s", resp.Status)
	}

	want := map[string]bool{ // key -> inhibited
		"KafkaPartitionOffline/kafka-a/orders":                  false,
		"KafkaPartitionUnderReplicated/kafka-a/orders":          true,
		"KafkaPartitionUnderReplicated/kafka-a/payments":        false,
		"KafkaPartitionAtMinISR/kafka-a/orders":                 true,
		"KafkaPartitionAtMinISR/kafka-b/orders":                 false,
		"KafkaConsumerGroupLagHigh/kafka-a/orders":              true,
		"KafkaConsumerGroupRetentionHeadroomLow/kafka-a/clicks": false,
		"KafkaConsumerGroupLagHigh/kafka-a/clicks":              true,
		"KafkaLossExporterPollStale/kafka-a/":                   false,
		"KafkaLossExporterCollectorFailing/kafka-a/":            true,
	}
	var got map[string]bool
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = inhibited(t, base)
		if fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: inhibited %v, want %v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("alertmanager holds %d alerts, want %d: %v", len(got), len(want), got)
	}
}

// inhibited lists Alertmanager's alerts as alertname/cluster/topic ->
// whether an inhibition mutes it.
func inhibited(t *testing.T, base string) map[string]bool {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, a := range alerts {
		out[a.Labels["alertname"]+"/"+a.Labels["cluster"]+"/"+a.Labels["topic"]] = len(a.Status.InhibitedBy) > 0
	}
	return out
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, url string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready within 30s; logs:\n%s", url, logs.String())
}
