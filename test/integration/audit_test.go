package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/report"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// ignoreClusterRisks is a policy file that ignores every cluster risk: the
// shared test cluster's broker defaults are unsafe on purpose
// (default.replication.factor=1, min.insync.replicas=1), and the planted
// findings are the topics', partitions', brokers' and groups'. It also
// shows that the audit honours --risk.config.
func ignoreClusterRisks(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yml")
	body := "ignore_cluster_risks: [" + strings.Join(risk.ClusterRisks, ", ") + "]\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runAudit runs `kafka-loss-exporter audit` against the test cluster and
// returns its exit status and standard output.
func runAudit(t *testing.T, c *kafkatest.Cluster, args ...string) (int, []byte) {
	t.Helper()
	all := []string{"audit", "--kafka.timeout=5s", "--poll.timeout=20s"}
	for _, b := range c.Bootstrap() {
		all = append(all, "--kafka.server="+b)
	}
	cmd := exec.Command(exporterBinary, append(all, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.Bytes()
	case errors.As(err, &exit):
		if exit.ExitCode() == 2 {
			t.Fatalf("audit %v: exit 2: %s", args, stderr.String())
		}
		return exit.ExitCode(), stdout.Bytes()
	}
	t.Fatalf("audit %v: %v", args, err)
	return 0, nil
}

// kcatISR returns a partition's in-sync replicas as kcat (an independent
// client) reads them from Metadata.
func kcatISR(t *testing.T, c *kafkatest.Cluster, topic string, partition int32) []int32 {
	t.Helper()
	var md struct {
		Topics []struct {
			Topic      string `json:"topic"`
			Partitions []struct {
				Partition int32 `json:"partition"`
				ISRs      []struct {
					ID int32 `json:"id"`
				} `json:"isrs"`
			} `json:"partitions"`
		} `json:"topics"`
	}
	out := c.Kcat(t, "", "-L", "-J", "-t", topic)
	if err := json.Unmarshal([]byte(out), &md); err != nil {
		t.Fatalf("kcat -L -J: %v\n%s", err, out)
	}
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			if tp.Topic == topic && p.Partition == partition {
				var isr []int32
				for _, r := range p.ISRs {
					isr = append(isr, r.ID)
				}
				slices.Sort(isr)
				return isr
			}
		}
	}
	t.Fatalf("kcat: no partition %s/%d in\n%s", topic, partition, out)
	return nil
}

// logStart returns a partition's log start offset as kcat reads it
// (ListOffsets with timestamp -2, the earliest).
func logStart(t *testing.T, c *kafkatest.Cluster, topic string, partition int32) int64 {
	t.Helper()
	out := c.Kcat(t, "", "-Q", "-t", fmt.Sprintf("%s:%d:-2", topic, partition))
	m := regexp.MustCompile(`\[` + strconv.Itoa(int(partition)) + `\]\s+offset\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("kcat -Q: no offset in %q", out)
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}

// committedOffset returns a group's committed offset as Kafka's own
// kafka-consumer-groups tool describes it.
func committedOffset(t *testing.T, c *kafkatest.Cluster, group, topic string, partition int32) int64 {
	t.Helper()
	out := c.Tool(t, kafkatest.ConsumerGroups, "--bootstrap-server", strings.Join(c.Bootstrap(), ","), "--describe", "--group", group)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == group && f[1] == topic && f[2] == strconv.Itoa(int(partition)) {
			v, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				t.Fatalf("kafka-consumer-groups: offset %q: %v", f[3], err)
			}
			return v
		}
	}
	t.Fatalf("kafka-consumer-groups: no %s %s %d in\n%s", group, topic, partition, out)
	return 0
}

// TestAuditPlantedFindings plants unsafe topics, degrades partitions by
// stopping node 3 and deletes records a group has not read, then expects
// `audit -o json` to list exactly those findings, the text and markdown
// outputs to carry them, and /status (the running exporter's page, loaded
// in headless Chromium) to show them. With the node back, the audit of a
// healthy topic exits 0 under the default policy and --fail-on=critical.
func TestAuditPlantedFindings(t *testing.T) {
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })
	prefix := kafkatest.UniqueTopic("audit")
	rf1, rf2, unclean, grp := prefix+"-rf1", prefix+"-rf2", prefix+"-unclean", prefix+"-grp"
	// Outside the planted topics' filter: its partition is degraded while
	// node 3 is down, and healthy once it is back.
	healthy := kafkatest.UniqueTopic("audit-healthy")
	group := prefix + "-group"
	c.CreateTopicWithAssignment(t, rf1, [][]int32{{1}}, map[string]string{"min.insync.replicas": "1"})
	c.CreateTopicWithAssignment(t, rf2, [][]int32{{1, 3}}, map[string]string{"min.insync.replicas": "2"})
	c.CreateTopicWithAssignment(t, unclean, [][]int32{{1, 2, 3}}, map[string]string{"min.insync.replicas": "2", "unclean.leader.election.enable": "true"})
	c.CreateTopicWithAssignment(t, grp, [][]int32{{1, 2, 3}}, map[string]string{"min.insync.replicas": "2"})
	c.CreateTopicWithAssignment(t, healthy, [][]int32{{1, 2, 3}}, map[string]string{"min.insync.replicas": "2"})
	c.Produce(t, grp, 0, 100, sarama.WaitForAll)
	c.CommitOffsets(t, group, grp, map[int32]int64{0: 10})
	if err := c.Admin(t).DeleteRecords(grp, map[int32]int64{0: 30}); err != nil {
		t.Fatalf("DeleteRecords: %v", err)
	}

	c.StopNode(t, 3)
	c.WaitFor(t, 60*time.Second, "node 3 out of the planted partitions' ISRs", func() (bool, string) {
		for _, topic := range []string{rf2, unclean, grp} {
			if isr := kcatISR(t, c, topic, 0); slices.Contains(isr, 3) {
				return false, fmt.Sprintf("%s/0 ISR %v", topic, isr)
			}
		}
		return true, ""
	})
	// The independent clients' view of the planted state.
	behind := logStart(t, c, grp, 0) - committedOffset(t, c, group, grp, 0)
	if behind != 20 {
		t.Fatalf("log start minus committed offset is %d per kcat and kafka-consumer-groups, want 20", behind)
	}
	rf2ISR, uncleanISR := kcatISR(t, c, rf2, 0), kcatISR(t, c, unclean, 0)
	if !slices.Equal(rf2ISR, []int32{1}) || !slices.Equal(uncleanISR, []int32{1, 2}) {
		t.Fatalf("ISRs per kcat: %s/0 %v, %s/0 %v", rf2, rf2ISR, unclean, uncleanISR)
	}
	want := []string{
		"critical " + rf2 + "/0 under_min_isr",
		"critical " + group + " on " + grp + " messages_behind_log_start",
		"warning broker 3 broker_down",
		"warning " + grp + "/0 at_min_isr",
		"warning " + unclean + "/0 at_min_isr",
		"warning " + rf1 + " replication_factor_below_3",
		"warning " + rf1 + " min_insync_replicas_below_2",
		"warning " + rf1 + " no_write_fault_tolerance",
		"warning " + rf2 + " replication_factor_below_3",
		"warning " + rf2 + " no_write_fault_tolerance",
		"warning " + unclean + " unclean_leader_election_enabled",
	}
	slices.Sort(want)

	policy := ignoreClusterRisks(t)
	filters := []string{"--topic.filter=" + regexp.QuoteMeta(prefix) + "-.*", "--group.filter=" + regexp.QuoteMeta(group), "--risk.config=" + policy}
	code, out := runAudit(t, c, append(filters, "-o", "json", "--fail-on=warning")...)
	if code != 1 {
		t.Errorf("audit --fail-on=warning exited %d, want 1", code)
	}
	var r report.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("audit -o json: %v\n%s", err, out)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Severity.String()+" "+f.Subject+" "+f.Risk)
		if f.Risk == report.RiskBehindLogStart && !strings.HasPrefix(f.Detail, fmt.Sprintf("%d unread messages", behind)) {
			t.Errorf("group finding %q, want %d unread messages (kcat and kafka-consumer-groups)", f.Detail, behind)
		}
		if f.Subject == rf2+"/0" && !strings.Contains(f.Detail, "in sync [1]") {
			t.Errorf("%s detail %q, want in sync [1] (kcat)", f.Subject, f.Detail)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("audit findings:\n%s\nwant exactly the planted ones:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Summary.Topics != 4 || r.Summary.BrokersDown != 1 || r.Summary.Critical != 2 {
		t.Errorf("summary %+v, want 4 topics, 1 broker down, 2 critical", r.Summary)
	}
	t.Logf("audit summary: %+v, poll %s", r.Summary, r.Duration)

	// The text and markdown outputs carry the same findings; the default
	// --fail-on=critical fails on the two critical ones.
	code, text := runAudit(t, c, filters...)
	if code != 1 || !strings.Contains(string(text), "CRITICAL (2)") || !strings.Contains(string(text), rf2+"/0") {
		t.Errorf("audit (text, --fail-on=critical) exit %d:\n%s", code, text)
	}
	code, md := runAudit(t, c, append(filters, "-o", "markdown")...)
	if code != 1 || !strings.Contains(string(md), "### Critical (2)") || !strings.Contains(string(md), "`"+group+" on "+grp+"`") {
		t.Errorf("audit -o markdown exit %d:\n%s", code, md)
	}

	checkStatusPage(t, c, filters, want)

	// The node back, the healthy topic passes the gate under the default
	// policy (the cluster-wide risks of the test cluster are warnings).
	c.RestoreAll(t)
	code, out = runAudit(t, c, "--topic.filter="+regexp.QuoteMeta(healthy), "--group.filter=none-"+prefix, "-o", "json")
	if code != 0 {
		t.Errorf("audit of the healthy topic with --fail-on=critical exited %d, want 0:\n%s", code, out)
	}
}

// checkStatusPage starts the exporter with the audit's filters, loads
// /status in headless Chromium and asserts that the DOM lists the planted
// findings; it saves a phone-sized screenshot in the test's artifact dir.
func checkStatusPage(t *testing.T, c *kafkatest.Cluster, filters []string, want []string) {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (Debian package chromium): %v", err)
		}
		t.Skipf("chromium is not installed: %v", err)
	}
	e := startExporter(t, filters...)
	// Wait until a poll has seen the group (its first poll reads it).
	e.WaitFor(t, 60*time.Second, "the status page to list the group finding", func(*scrape) (bool, string) {
		resp, err := e.Get("/status")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode == 200 && strings.Contains(b.String(), "messages_behind_log_start"), fmt.Sprintf("status %d", resp.StatusCode)
	})
	chrome := func(args ...string) string {
		profile := t.TempDir()
		cmd := exec.Command(browser, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	dom := chrome("--dump-dom", e.URL()+"/status")
	items := regexp.MustCompile(`<li class="finding (\w+)" data-risk="([^"]+)" data-kind="[^"]+"><span class="subject">([^<]+)</span>`).FindAllStringSubmatch(dom, -1)
	var got []string
	for _, m := range items {
		got = append(got, m[1]+" "+strings.ReplaceAll(m[3], "&amp;", "&")+" "+m[2])
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("/status lists:\n%s\nwant:\n%s\nDOM:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), tail(dom, 40))
	}
	if !strings.Contains(dom, `id="verdict">2 critical, 9 warning<`) {
		t.Errorf("/status verdict missing; DOM:\n%s", tail(dom, 40))
	}
	shot := filepath.Join(t.ArtifactDir(), "status.png")
	chrome("--screenshot="+shot, "--window-size=412,1600", "--hide-scrollbars", e.URL()+"/status")
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	t.Logf("status page screenshot (412 px wide): %s (keep it with go test -artifacts)", shot)
}
