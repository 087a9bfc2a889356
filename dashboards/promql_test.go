package dashboards

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
)

// ParseValues are the variable values TestQueriesParse substitutes: what
// Grafana sends for "All" and typical built-in intervals.
var ParseValues = map[string]string{
	"job": ".+", "cluster": ".*", "instance": ".+", "topic": ".+", "consumergroup": ".+",
	"__rate_interval": "1m", "__range": "6h", "__interval": "15s",
}

// TestQueriesParse writes every dashboard query, with the variables
// substituted, as a recording rule and runs the real `promtool check
// rules` on it: it fails on any query Prometheus would reject.
func TestQueriesParse(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	qs, err := Queries(Files)
	if err != nil {
		t.Fatal(err)
	}
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, q := range qs {
		expr, err := Substitute(q.Expr, ParseValues)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		rules = append(rules, rule{Record: fmt.Sprintf("dashboard_query_%d", i), Expr: expr})
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboards.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil {
		// Name the query behind each rule promtool rejects.
		for i, q := range qs {
			if strings.Contains(string(out), fmt.Sprintf("dashboard_query_%d\"", i)) ||
				strings.Contains(string(out), fmt.Sprintf("dashboard_query_%d:", i)) {
				t.Errorf("%s: %s", q, q.Expr)
			}
		}
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	t.Logf("%d queries parse: %s", len(rules), strings.TrimSpace(string(out)))
}

// prometheusSeries are series Prometheus writes itself: up for each target,
// ALERTS for the alerting rules of alerts/.
var prometheusSeries = map[string]bool{"up": true, "ALERTS": true}

// histogramSuffix is what Prometheus adds to a histogram's documented name.
var histogramSuffix = regexp.MustCompile(`_(bucket|count|sum)$`)

// DocumentedName is the docs/metrics.md name of a series a query selects:
// a histogram's _bucket, _count and _sum series are documented under the
// histogram's name.
func DocumentedName(doc, metric string) string {
	if strings.Contains(doc, "| `"+metric+"` |") {
		return metric
	}
	if base := histogramSuffix.ReplaceAllString(metric, ""); base != metric && strings.Contains(doc, "| `"+base+"` |") {
		return base
	}
	return ""
}

// TestQueriesUseDocumentedMetrics: every metric a query selects has a row
// in docs/metrics.md (or is Prometheus's own up). That each is in real
// /metrics output is checked end to end by TestDashboardsEndToEnd.
func TestQueriesUseDocumentedMetrics(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := Queries(Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		for _, m := range alerts.MetricNames(q.Expr) {
			if !prometheusSeries[m] && DocumentedName(string(doc), m) == "" {
				t.Errorf("%s: metric %s is not documented in docs/metrics.md", q, m)
			}
		}
	}
}

// requireTool returns the path of a tool; without it the test skips, or
// fails under CI=true.
func requireTool(t *testing.T, name, apt string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (install Debian package %s): %v", name, apt, err)
		}
		t.Skipf("%s not found (install Debian package %s); skipped outside CI", name, apt)
	}
	return p
}
