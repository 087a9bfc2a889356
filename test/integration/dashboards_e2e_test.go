package integration

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/dashboards"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// dashboardArgSets are the exporter configurations every dashboard panel
// must work with. Each runs as its own exporter process, scraped by the same
// Prometheus as its own job, on the same scenario.
var dashboardArgSets = []struct {
	job  string
	args []string
}{
	{"kle-default", nil},
	{"kle-at-risk", []string{"--partition.series=at-risk"}},
}

// alarmingPanels must show a problem (a value above 0) in the scenario, not
// only a series: the scenario is built to trigger them.
var alarmingPanels = map[string]bool{
	"loss-risk-overview.json: Offline partitions":               true,
	"loss-risk-overview.json: Partitions under min ISR":         true,
	"loss-risk-overview.json: Partitions at min ISR":            true,
	"loss-risk-overview.json: Under-replicated partitions":      true,
	"loss-risk-overview.json: Single in-sync replica":           true,
	"loss-risk-overview.json: Brokers down":                     true,
	"loss-risk-overview.json: Riskiest topics":                  true,
	"loss-risk-overview.json: Out-of-sync replicas by broker":   true,
	"loss-risk-overview.json: ISR shrinks and expands":          true,
	"topic-detail.json: Loss-risk score":                        true,
	"topic-detail.json: Offline":                                true,
	"topic-detail.json: Under min ISR":                          true,
	"topic-detail.json: Single in-sync replica":                 true,
	"topic-detail.json: Under-replicated":                       true,
	"topic-detail.json: Produce rate":                           true,
	"consumer-group-detail.json: Members":                       true,
	"consumer-group-detail.json: Lag in seconds per partition":  true,
	"consumer-group-detail.json: Lag in messages per partition": true,
	"consumer-group-detail.json: Rebalances in 10 minutes":      true,
	"canary.json: Canary up":                                    true,
	"canary.json: Canary topic findings":                        true,
	"canary.json: Canary messages":                              true,
	"canary.json: Produce errors by error":                      true,
	"canary.json: Produce failure ratio":                        true,
	"canary.json: Read back in 5 minutes per partition":         true,
	"canary.json: Produce latency":                              true,
	"canary.json: End-to-end latency":                           true,
}

// dashboardValues are the variable values the end-to-end test sends for a
// job: All for the other variables, Grafana's usual rate interval (long
// enough that the scenario's events are still in it when the queries run)
// and a range that covers the whole test.
func dashboardValues(job string) map[string]string {
	return map[string]string{
		"job": regexp.QuoteMeta(job), "cluster": ".*", "instance": ".+", "topic": ".+", "consumergroup": ".+",
		"__rate_interval": "2m", "__range": "10m",
	}
}

// A real Prometheus scrapes exporters (one per dashboardArgSets entry) on
// the real test Kafka in a scenario that gives every panel something to
// show (with the project's alert rules loaded, so that alerts fire for the
// annotations): a topic with loss-risk findings, a stopped node (offline, under and
// at min ISR, under-replicated and single-in-sync-replica partitions, a
// broker down), a lagging consumer group without members on a
// time-retention topic and a live group with members, and the canary on a
// replication factor 2 / min.insync.replicas 2 topic of its own (a finding),
// whose partitions on the stopped node fail with NOT_ENOUGH_REPLICAS while
// the others are written and read back. Then every query of
// every dashboard, with the variables substituted, must return at least one
// series through Prometheus's query API, and every metric the dashboards
// read must be in what the exporters served.
func TestDashboardsEndToEnd(t *testing.T) {
	promBin := requirePrometheus(t)
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })
	start := time.Now()

	base := kafkatest.UniqueTopic("dash-e2e")
	unsafe, tight, offline, orders := base+"-unsafe", base+"-tight", base+"-offline", base+"-orders"
	// RF 2 with min.insync.replicas 1: loss-risk findings; single in-sync
	// replica when node 3 stops.
	c.CreateTopicWithAssignment(t, unsafe, [][]int32{{1, 3}}, map[string]string{"min.insync.replicas": "1"})
	// RF 2 with min.insync.replicas 2: under min ISR when node 3 stops.
	c.CreateTopicWithAssignment(t, tight, [][]int32{{2, 3}}, map[string]string{"min.insync.replicas": "2"})
	// RF 1 on node 3: offline when it stops.
	c.CreateTopicWithAssignment(t, offline, [][]int32{{3}}, nil)
	// RF 3, min.insync.replicas 2, one hour of retention: at min ISR when
	// node 3 stops; the consumer groups read it.
	c.CreateTopic(t, orders, 2, 3, map[string]string{"min.insync.replicas": "2", "retention.ms": "3600000"})

	// A transaction kept open: the producers row's transaction panels.
	txnTopic := base + "-txn"
	c.CreateTopic(t, txnTopic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	openTransaction(t, c, txnTopic, txnTopic+"-txid", 2)

	filter := regexp.QuoteMeta(base) + "-.*"
	targets := map[string]string{}
	for _, set := range dashboardArgSets {
		canaryTopic := base + "-canary-" + set.job
		t.Cleanup(func() { c.DeleteTopic(t, canaryTopic) })
		args := append([]string{"--topic.filter=" + filter, "--group.filter=" + filter, "--config.poll.interval=2s", "--producers.poll.interval=2s",
			"--canary.enable", "--canary.topic=" + canaryTopic, "--canary.interval=200ms", "--canary.partitions=4",
			"--canary.replication-factor=2", "--canary.min-insync-replicas=2"}, set.args...)
		targets[set.job] = startExporter(t, args...).URL()
	}
	prom := startPrometheusJobs(t, promBin, targets)

	// Messages appended while the exporters watch and Prometheus scrapes, so
	// the exporters' offset history dates the lagging group's next message
	// (lag in seconds) and the produce rate is seen.
	for _, set := range dashboardArgSets {
		prom.waitForQuery(t, 60*time.Second, fmt.Sprintf(`kafka_topic_messages_in_total{job=%q, topic=%q}`, set.job, orders),
			1, "Prometheus scrapes the topics' offsets")
	}
	for round := 0; round < 2; round++ {
		for p := int32(0); p < 2; p++ {
			c.Produce(t, orders, p, 20, sarama.WaitForAll)
		}
		c.Produce(t, unsafe, 0, 5, sarama.WaitForAll)
		time.Sleep(1500 * time.Millisecond) // spread the appends over polls (1s) for the history
	}
	produceInBackground(t, c, orders)
	lagging, live := base+"-lagging", base+"-live"
	c.CommitOffsets(t, lagging, orders, map[int32]int64{0: 5, 1: 5})
	// The lagging group had a member the exporters saw leave (one that
	// reads nothing): its offsets' expiry countdown is served.
	leaving := joinGroup(t, c, lagging, orders, false)
	joinGroup(t, c, live, orders, true)
	for _, set := range dashboardArgSets {
		for _, g := range []string{lagging, live} {
			prom.waitForQuery(t, 30*time.Second, fmt.Sprintf(`kafka_consumergroup_members{job=%q, consumergroup=%q} == 1`,
				set.job, g), 1, "the group's first member seen")
		}
	}
	leaving.stop()
	joinGroup(t, c, live, orders, true) // a second member: a rebalance

	c.StopNode(t, 3)
	t.Logf("scenario ready %s after start (node 3 stopped)", time.Since(start).Round(100*time.Millisecond))

	queries, err := dashboards.Queries(dashboards.Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range dashboardArgSets {
		t.Run(set.job, func(t *testing.T) {
			values := dashboardValues(set.job)
			type check struct {
				q    dashboards.Query
				expr string
			}
			var pending []check
			mustAlarm := map[dashboards.Query]bool{}
			for _, q := range queries {
				expr, err := dashboards.Substitute(q.Expr, values)
				if err != nil {
					t.Fatal(err)
				}
				pending = append(pending, check{q, expr})
				if alarmingPanels[q.File+": "+q.Panel] && q.RefID == "A" {
					mustAlarm[q] = true
				}
			}
			total := len(pending)
			deadline := time.Now().Add(90 * time.Second)
			for len(pending) > 0 && time.Now().Before(deadline) {
				var still []check
				for _, ch := range pending {
					vs := prom.instantValues(t, ch.expr)
					if len(vs) == 0 || mustAlarm[ch.q] && slices.Max(vs) <= 0 {
						still = append(still, ch)
					}
				}
				pending = still
				if len(pending) > 0 {
					time.Sleep(time.Second)
				}
			}
			for _, ch := range pending {
				if mustAlarm[ch.q] {
					t.Errorf("%s shows no problem in a scenario made to show one: %s", ch.q, ch.expr)
				} else {
					t.Errorf("%s returns no series: %s", ch.q, ch.expr)
				}
				for _, m := range alerts.MetricNames(ch.q.Expr) {
					t.Logf("  %s of job %s over 2m: %s", m, set.job, prom.raw(t, fmt.Sprintf(`%s{job=%q}[2m]`, m, set.job)))
				}
			}
			t.Logf("%d of %d dashboard queries return series for job %s, %s after start", total-len(pending), total,
				set.job, time.Since(start).Round(100*time.Millisecond))

			// Every metric the dashboards read was served by this exporter.
			served := map[string]bool{}
			for _, n := range prom.metricNamesOfJob(t, set.job) {
				served[n] = true
			}
			for _, q := range queries {
				for _, m := range alerts.MetricNames(q.Expr) {
					if !served[m] {
						t.Errorf("%s: metric %s was never served by the exporter", q, m)
					}
				}
			}
		})
	}
}

// produceInBackground keeps writing a message to topic every 200ms until the
// test ends, so that rates and the live group's consumption stay visible
// however long the scenario takes. Write errors (partitions under min ISR
// while node 3 is down) are ignored.
func produceInBackground(t *testing.T, c *kafkatest.Cluster, topic string) {
	t.Helper()
	p := c.SyncProducer(t, sarama.WaitForAll)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_, _, _ = p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("dashboards e2e")})
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

// startPrometheusJobs runs Prometheus on a free port scraping each exporter
// URL of targets every second as its own job, with the project's rules
// (for: shortened to e2eFor, so the dashboards' firing-alerts annotation has
// something to show). It stops with the test.
func startPrometheusJobs(t *testing.T, binary string, targets map[string]string) *promServer {
	t.Helper()
	var scrape strings.Builder
	jobs := make([]string, 0, len(targets))
	for job := range targets {
		jobs = append(jobs, job)
	}
	sort.Strings(jobs)
	for _, job := range jobs {
		u, err := url.Parse(targets[job])
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&scrape, "  - job_name: %s\n    metrics_path: %s\n    static_configs:\n      - targets: [%q]\n",
			job, metricsPath(u), u.Host)
	}
	return startPrometheusConfig(t, binary, scrape.String(), "")
}

// startPrometheusConfig runs Prometheus on a free port with the given
// scrape_configs entries and alerting section (YAML, may be empty), a 1s
// scrape and evaluation interval, and the project's rules with for:
// shortened to e2eFor. It stops with the test.
func startPrometheusConfig(t *testing.T, binary, scrapeConfigs, alerting string) *promServer {
	t.Helper()
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(alerts.Files, "*.yml")
	if err != nil || len(names) == 0 {
		t.Fatalf("rule files: %v %v", names, err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(alerts.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rulesDir, name), alerts.ShortenFor(data, e2eFor), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var config strings.Builder
	config.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	config.WriteString(alerting)
	fmt.Fprintf(&config, "rule_files:\n  - %s/*.yml\nscrape_configs:\n%s", rulesDir, scrapeConfigs)
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return runPrometheus(t, binary, configFile, dir)
}

// instantValues runs an instant query at now and returns the value of each
// series it returned.
func (p *promServer) instantValues(t *testing.T, query string) []float64 {
	t.Helper()
	var data struct {
		Result []struct {
			Value [2]json.RawMessage `json:"value"`
		} `json:"result"`
	}
	p.get(t, "/api/v1/query?query="+url.QueryEscape(query), &data)
	out := make([]float64, 0, len(data.Result))
	for _, r := range data.Result {
		var s string
		if err := json.Unmarshal(r.Value[1], &s); err != nil {
			t.Fatalf("%s: value %s: %v", query, r.Value[1], err)
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: value %q: %v", query, s, err)
		}
		out = append(out, v)
	}
	return out
}

// raw returns the result of an instant query as Prometheus sent it.
func (p *promServer) raw(t *testing.T, query string) string {
	t.Helper()
	var data json.RawMessage
	p.get(t, "/api/v1/query?query="+url.QueryEscape(query), &data)
	return tail(string(data), 40)
}

// metricNamesOfJob returns the metric names Prometheus holds for one job.
func (p *promServer) metricNamesOfJob(t *testing.T, job string) []string {
	t.Helper()
	var names []string
	p.get(t, "/api/v1/label/__name__/values?match[]="+url.QueryEscape(fmt.Sprintf(`{job=%q}`, job)), &names)
	return names
}
