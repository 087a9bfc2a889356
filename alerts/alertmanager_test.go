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
			"alertname="+a.Alert, "severity="+sev, "job=kafka-loss-exporter", "instance=kafka-a:9785", "topic=orders")
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

	cluster := map[string]string{"job": "kafka-loss-exporter", "instance": "kafka-a:9785"}
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
	other["labels"].(map[string]string)["instance"] = "kafka-b:9785"
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
		"KafkaPartitionOffline/kafka-a:9785/orders":                  false,
		"KafkaPartitionUnderReplicated/kafka-a:9785/orders":          true,
		"KafkaPartitionUnderReplicated/kafka-a:9785/payments":        false,
		"KafkaPartitionAtMinISR/kafka-a:9785/orders":                 true,
		"KafkaPartitionAtMinISR/kafka-b:9785/orders":                 false,
		"KafkaConsumerGroupLagHigh/kafka-a:9785/orders":              true,
		"KafkaConsumerGroupRetentionHeadroomLow/kafka-a:9785/clicks": false,
		"KafkaConsumerGroupLagHigh/kafka-a:9785/clicks":              true,
		"KafkaLossExporterPollStale/kafka-a:9785/":                   false,
		"KafkaLossExporterCollectorFailing/kafka-a:9785/":            true,
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

// inhibited lists Alertmanager's alerts as alertname/instance/topic ->
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
		out[a.Labels["alertname"]+"/"+a.Labels["instance"]+"/"+a.Labels["topic"]] = len(a.Status.InhibitedBy) > 0
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
