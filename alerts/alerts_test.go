package alerts

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func loadRules(t *testing.T) []File {
	t.Helper()
	files, err := Load(Files)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestPromtoolCheckRules runs `promtool check rules` on every rule file.
func TestPromtoolCheckRules(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	files, _ := filepath.Glob("*.yml")
	run(t, promtool, append([]string{"check", "rules"}, files...)...)
}

// TestPromtoolTestRules runs the promtool unit tests in tests/.
func TestPromtoolTestRules(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	files, _ := filepath.Glob("tests/*.yml")
	if len(files) == 0 {
		t.Fatal("no promtool tests in tests/")
	}
	run(t, promtool, append([]string{"test", "rules"}, files...)...)
}

// TestAlertsAreComplete checks what every alert must carry: a severity, a
// one-sentence summary, a templated description, and a runbook_url that
// points at an existing runbook with the four sections on-call needs.
func TestAlertsAreComplete(t *testing.T) {
	names := map[string]bool{}
	for _, a := range Alerts(loadRules(t)) {
		t.Run(a.Alert, func(t *testing.T) {
			if names[a.Alert] {
				t.Errorf("alert %s defined twice", a.Alert)
			}
			names[a.Alert] = true
			if !slices.Contains(Severities, a.Labels["severity"]) {
				t.Errorf("severity %q, want one of %q", a.Labels["severity"], Severities)
			}
			if s := a.Annotations["summary"]; s == "" || !strings.HasSuffix(s, ".") || strings.Count(s, ". ") > 0 {
				t.Errorf("summary %q: want one sentence", s)
			}
			if d := a.Annotations["description"]; !strings.Contains(d, "{{ or $labels.cluster $labels.job }}") {
				t.Errorf("description does not name the cluster with {{ or $labels.cluster $labels.job }}: %q", d)
			}
			if got, want := a.Annotations["runbook_url"], RunbookBase+a.Alert+".md"; got != want {
				t.Errorf("runbook_url %q, want %q", got, want)
			}
			runbook, err := os.ReadFile(filepath.Join("..", "docs", "runbooks", a.Alert+".md"))
			if err != nil {
				t.Fatalf("runbook: %v", err)
			}
			for _, section := range []string{"## Meaning", "## Confirm", "## Mitigate", "## Escalate"} {
				if !strings.Contains(string(runbook), "\n"+section) {
					t.Errorf("runbook lacks a %q section", section)
				}
			}
			if !strings.Contains(string(runbook), "```promql") || !strings.Contains(string(runbook), "kafka-") {
				t.Errorf("runbook lacks the PromQL and Kafka CLI commands to confirm")
			}
		})
	}
}

// TestAlertsDocumented checks that docs/alerts.md lists every alert with its
// severity, its exact expression and a link to its runbook.
func TestAlertsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(doc)), " ")
	for _, a := range Alerts(loadRules(t)) {
		section := sectionOf(string(doc), "### "+a.Alert)
		if section == "" {
			t.Errorf("docs/alerts.md has no section ### %s", a.Alert)
			continue
		}
		if !strings.Contains(section, a.Labels["severity"]) {
			t.Errorf("%s: docs/alerts.md does not give severity %s", a.Alert, a.Labels["severity"])
		}
		if !strings.Contains(flat, strings.Join(strings.Fields(a.Expr), " ")) {
			t.Errorf("%s: docs/alerts.md does not show the expression %q", a.Alert, a.Expr)
		}
		if !strings.Contains(section, "runbooks/"+a.Alert+".md") {
			t.Errorf("%s: docs/alerts.md does not link the runbook", a.Alert)
		}
	}
}

// sectionOf returns the text from heading to the next heading of the same
// or a higher level.
func sectionOf(doc, heading string) string {
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := doc[i+len(heading)+2:]
	if j := strings.Index(rest, "\n### "); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestRecordingRuleNames checks the level:metric:operations convention.
func TestRecordingRuleNames(t *testing.T) {
	name := regexp.MustCompile(`^[a-z]+(_[a-z]+)*:[a-z_]+:[a-z0-9_]+$`)
	for _, r := range Rules(loadRules(t)) {
		if r.Record != "" && !name.MatchString(r.Record) {
			t.Errorf("recording rule %q is not named level:metric:operations", r.Record)
		}
	}
}

// TestAggregationsKeepTargetLabels checks that no rule aggregates with by():
// aggregations name the labels they remove (without), so job, instance and
// any label attached to the target (cluster, env) reach the alert and one
// rule set serves many clusters.
func TestAggregationsKeepTargetLabels(t *testing.T) {
	by := regexp.MustCompile(`\bby\s*\(`)
	for _, r := range Rules(loadRules(t)) {
		if by.MatchString(r.Expr) {
			t.Errorf("%s aggregates with by(); use without() to keep the target's labels", r.Name())
		}
	}
}

// TestRuleMetricsDocumented checks that every metric a rule reads appears in
// docs/metrics.md. (That each is in a real /metrics output is checked by the
// integration test TestAlertRuleMetricsExported.)
func TestRuleMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ExporterMetrics(loadRules(t)) {
		if !strings.Contains(string(doc), "`"+m+"`") {
			t.Errorf("metric %s is used by a rule but not documented in docs/metrics.md", m)
		}
	}
	// The labels a rule matches on are the metric's documented labels (or
	// the target's job and instance).
	for _, r := range Rules(loadRules(t)) {
		for metric, labels := range MatcherLabels(r.Expr) {
			row := docRow(string(doc), metric)
			if row == "" {
				continue // reported above, or a recorded series
			}
			for _, l := range labels {
				if l != "job" && l != "instance" && !strings.Contains(row, "`"+l+"`") {
					t.Errorf("%s matches label %q of %s, which docs/metrics.md does not list", r.Name(), l, metric)
				}
			}
		}
	}
}

// docRow returns the docs/metrics.md table row of a metric, or "".
func docRow(doc, metric string) string {
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| `"+metric+"` |") {
			return line
		}
	}
	return ""
}

// promtoolTests is the part of a promtool test file this test reads.
type promtoolTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		InputSeries []struct {
			Series string `yaml:"series"`
		} `yaml:"input_series"`
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertHasFiringAndQuietCases checks that the promtool tests give
// every alert at least one evaluation where it fires, with its severity and
// all three annotations spelled out, and one where it must not fire.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	fires, quiet := map[string]bool{}, map[string]bool{}
	paths, _ := filepath.Glob("tests/*.yml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(data, &pt); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, tc := range pt.Tests {
			for _, at := range tc.AlertRuleTest {
				if len(at.ExpAlerts) == 0 {
					quiet[at.Alertname] = true
				}
				for _, ea := range at.ExpAlerts {
					if ea.ExpLabels["severity"] == "" || ea.ExpAnnotations["summary"] == "" ||
						ea.ExpAnnotations["description"] == "" || ea.ExpAnnotations["runbook_url"] == "" {
						t.Errorf("%s: a firing case of %s does not spell out severity and all annotations", p, at.Alertname)
					}
					fires[at.Alertname] = true
				}
			}
		}
	}
	for _, a := range Alerts(loadRules(t)) {
		if !fires[a.Alert] {
			t.Errorf("%s has no promtool case where it fires", a.Alert)
		}
		if !quiet[a.Alert] {
			t.Errorf("%s has no promtool case where it must not fire", a.Alert)
		}
	}
}
