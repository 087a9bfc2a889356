package deploygen

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"text/template"

	"go.yaml.in/yaml/v3"
)

const root = "../.."

// The committed generated files must equal a fresh generation from alerts/
// and dashboards/: after changing a rule or a dashboard, run `make generate`.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	out, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range out {
		got, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v (run `make generate`)", p, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: it differs from a fresh generation from %s and %s (run `make generate`)", p, AlertsDir, DashboardsDir)
		}
	}
	stale, err := Stale(root, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		t.Errorf("%s is not generated from %s any more (run `make generate` to remove it)", p, DashboardsDir)
	}
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// SourceRuleGroups returns the groups of alerts/*.yml, decoded, in file order.
func sourceRuleGroups(t *testing.T) []any {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(root, AlertsDir, "*.yml"))
	sort.Strings(names)
	var groups []any
	for _, n := range names {
		groups = append(groups, readYAML(t, n)["groups"].([]any)...)
	}
	if len(groups) == 0 {
		t.Fatal("no rule groups in alerts/")
	}
	return groups
}

// The kustomize PrometheusRule holds exactly the groups of alerts/*.yml.
func TestPrometheusRuleHoldsTheAlertRules(t *testing.T) {
	doc := readYAML(t, filepath.Join(root, KustomizeRule))
	if doc["kind"] != "PrometheusRule" || doc["apiVersion"] != "monitoring.coreos.com/v1" {
		t.Fatalf("kind %v, apiVersion %v", doc["kind"], doc["apiVersion"])
	}
	got := doc["spec"].(map[string]any)["groups"]
	if want := sourceRuleGroups(t); !reflect.DeepEqual(got, want) {
		t.Errorf("spec.groups differ from the groups of alerts/*.yml")
	}
}

// The kustomize dashboards ConfigMap holds every dashboards/*.json, byte for
// byte, labelled for the Grafana sidecar.
func TestDashboardsConfigMapHoldsTheDashboards(t *testing.T) {
	doc := readYAML(t, filepath.Join(root, KustomizeBoards))
	meta := doc["metadata"].(map[string]any)
	if l := meta["labels"].(map[string]any); l["grafana_dashboard"] != "1" {
		t.Errorf("label grafana_dashboard = %v, want \"1\"", l["grafana_dashboard"])
	}
	data, _ := doc["data"].(map[string]any)
	names, _ := filepath.Glob(filepath.Join(root, DashboardsDir, "*.json"))
	if len(data) != len(names) {
		t.Errorf("ConfigMap has %d dashboards, %s has %d", len(data), DashboardsDir, len(names))
	}
	for _, n := range names {
		want, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if got := data[filepath.Base(n)]; got != string(want) {
			t.Errorf("ConfigMap key %s differs from %s", filepath.Base(n), n)
		}
	}
}

// Generating from no dashboards gives an empty ConfigMap and no chart
// copies; a dashboard appears under its file name in both.
func TestGenerateWithZeroOrMoreDashboards(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, AlertsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	rules := "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          summary: '{{ $labels.instance }} is down'\n"
	if err := os.WriteFile(filepath.Join(dir, AlertsDir, "a.yml"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out[KustomizeBoards]), "data: {}") {
		t.Errorf("no dashboards: ConfigMap\n%s", out[KustomizeBoards])
	}
	if !strings.Contains(string(out[ChartRule]), "{{`{{ $labels.instance }}`}}") {
		t.Errorf("chart rule does not escape the Prometheus template:\n%s", out[ChartRule])
	}
	if err := os.MkdirAll(filepath.Join(dir, DashboardsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	board := "{\n  \"title\": \"x {{topic}}\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, DashboardsDir, "x.json"), []byte(board), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err = Generate(dir); err != nil {
		t.Fatal(err)
	}
	if got := string(out[ChartDashboardDir+"/x.json"]); got != board {
		t.Errorf("chart copy of x.json = %q", got)
	}
	if _, err := Write(dir, out); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, DashboardsDir, "x.json")); err != nil {
		t.Fatal(err)
	}
	if out, err = Generate(dir); err != nil {
		t.Fatal(err)
	}
	if stale, _ := Stale(dir, out); len(stale) != 1 {
		t.Errorf("stale after removing the dashboard: %v, want the chart copy", stale)
	}
	if _, err := Write(dir, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ChartDashboardDir, "x.json")); !os.IsNotExist(err) {
		t.Errorf("Write left the stale chart copy: %v", err)
	}
}

// Text escaped for Helm comes out of Go templating (which Helm uses)
// unchanged.
func TestEscapeHelmRoundTrips(t *testing.T) {
	for _, s := range []string{
		"no actions",
		"Topic {{ $labels.topic }} on {{ $labels.instance }}",
		"{{ printf \"%.0f\" $value }}%",
		"a {{ `raw` }} b",
		"lone {{ open",
		"lone }} close",
		"{{ range .Alerts }}{{ .Labels.x }}{{ end }}",
		"{{{{ }}}}",
		"",
	} {
		esc := EscapeHelm(s)
		tmpl, err := template.New("t").Parse(esc)
		if err != nil {
			t.Errorf("EscapeHelm(%q) = %q does not parse: %v", s, esc, err)
			continue
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, nil); err != nil {
			t.Errorf("EscapeHelm(%q) = %q: %v", s, esc, err)
			continue
		}
		if b.String() != s {
			t.Errorf("EscapeHelm(%q) renders %q", s, b.String())
		}
	}
}
