package dashboards

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
)

// The conventions are checked on the JSON files as plain maps, not on the Go
// definitions, so a hand edit of a file is checked too.

type jsonFile struct {
	name string
	m    map[string]any
}

func loadJSON(t *testing.T) []jsonFile {
	t.Helper()
	names, err := fs.Glob(Files, "*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no dashboard files: %v", err)
	}
	var out []jsonFile
	for _, n := range names {
		data, err := fs.ReadFile(Files, n)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, jsonFile{n, m})
	}
	return out
}

// panelsOf returns every panel of a dashboard, rows' nested panels included.
func panelsOf(m map[string]any) []map[string]any {
	var out []map[string]any
	var walk func([]any)
	walk = func(ps []any) {
		for _, p := range ps {
			pm := p.(map[string]any)
			out = append(out, pm)
			if sub, ok := pm["panels"].([]any); ok {
				walk(sub)
			}
		}
	}
	ps, _ := m["panels"].([]any)
	walk(ps)
	return out
}

func variables(m map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	tpl, _ := m["templating"].(map[string]any)
	list, _ := tpl["list"].([]any)
	for _, v := range list {
		vm := v.(map[string]any)
		out[vm["name"].(string)] = vm
	}
	return out
}

func TestDashboardHeader(t *testing.T) {
	uids := map[string]string{}
	titles := map[string]bool{}
	for _, f := range loadJSON(t) {
		t.Run(f.name, func(t *testing.T) {
			if v, _ := f.m["schemaVersion"].(float64); v < 39 {
				t.Errorf("schemaVersion %v, want >= 39", f.m["schemaVersion"])
			}
			if id, ok := f.m["id"]; !ok || id != nil {
				t.Errorf("id %v, want null (Grafana assigns it)", f.m["id"])
			}
			for _, k := range []string{"__inputs", "__requires", "__elements"} {
				if _, ok := f.m[k]; ok {
					t.Errorf("has %s: export for sharing externally is off, provisioning does not resolve inputs", k)
				}
			}
			uid, _ := f.m["uid"].(string)
			if !regexp.MustCompile(`^[a-z0-9-]{1,40}$`).MatchString(uid) {
				t.Errorf("uid %q: want a fixed short uid", uid)
			}
			if other, dup := uids[uid]; dup {
				t.Errorf("uid %q also used by %s", uid, other)
			}
			uids[uid] = f.name
			title, _ := f.m["title"].(string)
			if title == "" || titles[title] {
				t.Errorf("title %q empty or duplicated", title)
			}
			titles[title] = true
			if d, _ := f.m["description"].(string); d == "" {
				t.Error("no dashboard description")
			}
			tags, _ := f.m["tags"].([]any)
			if !contains(tags, Tag) {
				t.Errorf("tags %v lack %q (the dashboards link each other by it)", tags, Tag)
			}
		})
	}
}

func contains(list []any, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestDashboardVariables(t *testing.T) {
	for _, f := range loadJSON(t) {
		t.Run(f.name, func(t *testing.T) {
			vars := variables(f.m)
			ds := vars["datasource"]
			if ds == nil || ds["type"] != "datasource" || ds["query"] != "prometheus" {
				t.Fatalf("datasource variable %v: want type datasource, query prometheus", ds)
			}
			for _, name := range []string{"job", "cluster", "instance"} {
				v := vars[name]
				if v == nil {
					t.Errorf("no %s variable", name)
					continue
				}
				if v["type"] != "query" || v["multi"] != true || v["includeAll"] != true {
					t.Errorf("variable %s: type %v multi %v includeAll %v, want query, multi, include All",
						name, v["type"], v["multi"], v["includeAll"])
				}
			}
			if def, _ := vars["instance"]["definition"].(string); !strings.Contains(def, `job=~"$job"`) ||
				!strings.Contains(def, `cluster=~"$cluster"`) {
				t.Errorf("instance variable %q is not filtered by job and cluster", def)
			}
			// All must also match series without a cluster label.
			if v := vars["cluster"]; v != nil && v["allValue"] != ".*" {
				t.Errorf("cluster variable: allValue %v, want .* (matches series without a cluster label)", v["allValue"])
			}
			for name, v := range vars {
				if v["type"] != "query" {
					continue
				}
				if !reflect.DeepEqual(v["datasource"], map[string]any{"type": "prometheus", "uid": "${datasource}"}) {
					t.Errorf("variable %s: datasource %v, want ${datasource}", name, v["datasource"])
				}
				if q, _ := v["query"].(map[string]any); q["query"] != v["definition"] {
					t.Errorf("variable %s: query %v differs from definition %v", name, v["query"], v["definition"])
				}
			}
		})
	}
}

// TestDatasourceIsTheVariable walks the whole JSON: every datasource
// reference except the built-in Grafana annotation is the variable.
func TestDatasourceIsTheVariable(t *testing.T) {
	for _, f := range loadJSON(t) {
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, sub := range x {
					if k == "datasource" && path != ".templating.list[datasource]" {
						if m, ok := sub.(map[string]any); ok && m["type"] == "grafana" {
							continue
						}
						if !reflect.DeepEqual(sub, map[string]any{"type": "prometheus", "uid": "${datasource}"}) {
							t.Errorf("%s%s.datasource = %v, want {prometheus ${datasource}}", f.name, path, sub)
						}
						continue
					}
					walk(path+"."+k, sub)
				}
			case []any:
				for i, sub := range x {
					walk(fmt.Sprintf("%s[%d]", path, i), sub)
				}
			}
		}
		walk("", f.m)
	}
}

// grafanaUnits are the Grafana unit ids the dashboards may use (a typo
// would render as a literal suffix).
var grafanaUnits = map[string]bool{"none": true, "short": true, "s": true, "cps": true, "bytes": true, "percentunit": true}

// lossWords: a panel's description must say what it means for message loss.
var lossWords = regexp.MustCompile(`(?i)\b(lose|loses|losing|lost|loss|losses|drop(ped|s)?|delete[sd]?|vanish(ed)?|gone|blind|acknowledged|copies|copy|unread|retention|fail(s|ed|ing)?)\b`)

func TestEveryPanelHasUnitAndDescription(t *testing.T) {
	for _, f := range loadJSON(t) {
		ids := map[float64]bool{}
		for _, p := range panelsOf(f.m) {
			title, _ := p["title"].(string)
			id, _ := p["id"].(float64)
			if ids[id] {
				t.Errorf("%s: panel id %v twice", f.name, id)
			}
			ids[id] = true
			gp, _ := p["gridPos"].(map[string]any)
			if x, w := gp["x"].(float64), gp["w"].(float64); x+w > 24 || w <= 0 {
				t.Errorf("%s: %q does not fit the 24-column grid: %v", f.name, title, gp)
			}
			if p["type"] == "row" {
				continue
			}
			fc, _ := p["fieldConfig"].(map[string]any)
			defaults, _ := fc["defaults"].(map[string]any)
			if u, _ := defaults["unit"].(string); !grafanaUnits[u] {
				t.Errorf("%s: panel %q: unit %q is not one of Grafana's unit ids %v", f.name, title, u, sortedKeys(grafanaUnits))
			}
			overrides, _ := fc["overrides"].([]any)
			for _, o := range overrides {
				props, _ := o.(map[string]any)["properties"].([]any)
				for _, pr := range props {
					if prm := pr.(map[string]any); prm["id"] == "unit" && !grafanaUnits[fmt.Sprint(prm["value"])] {
						t.Errorf("%s: panel %q: column unit %v is not a Grafana unit id", f.name, title, prm["value"])
					}
				}
			}
			th, _ := defaults["thresholds"].(map[string]any)
			if steps, _ := th["steps"].([]any); len(steps) == 0 || steps[0].(map[string]any)["value"] != nil {
				t.Errorf("%s: panel %q: threshold steps %v, want a list starting with a null (base) value", f.name, title, th["steps"])
			}
			d, _ := p["description"].(string)
			if len(d) < 60 || !lossWords.MatchString(d) {
				t.Errorf("%s: panel %q: description %q does not say what it means for message loss", f.name, title, d)
			}
			if targets, _ := p["targets"].([]any); len(targets) == 0 {
				t.Errorf("%s: panel %q has no query", f.name, title)
			}
		}
	}
}

var (
	selectorRe   = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	rangeFuncRe  = regexp.MustCompile(`\b(rate|irate|increase|changes|delta|deriv)\s*\(([^()\[]*)\[([^\]]+)\]`)
	metricInCall = regexp.MustCompile(`^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
)

// TestEveryQueryIsFilteredByTarget: each selector of each query carries
// job=~"$job", cluster=~"$cluster" and instance=~"$instance" (the
// variables' own queries carry those before them; the firing-alerts
// annotation no instance, which alerts aggregate away), and nothing is
// selected without them.
func TestEveryQueryIsFilteredByTarget(t *testing.T) {
	qs, err := Queries(Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if q.Panel == "variable job" {
			continue
		}
		for _, m := range selectorRe.FindAllStringSubmatch(q.Expr, -1) {
			wantCluster := q.Panel != "variable cluster"
			wantInstance := wantCluster && q.Panel != "variable instance" && !strings.HasPrefix(q.Panel, "annotation ")
			if !strings.Contains(m[2], `job=~"$job"`) || wantCluster && !strings.Contains(m[2], `cluster=~"$cluster"`) ||
				wantInstance && !strings.Contains(m[2], `instance=~"$instance"`) {
				t.Errorf("%s: selector %s lacks job=~\"$job\", cluster=~\"$cluster\", instance=~\"$instance\"", q, m[0])
			}
		}
		rest := selectorRe.ReplaceAllString(q.Expr, "0")
		if bare := alerts.MetricNames(rest); len(bare) > 0 {
			t.Errorf("%s: %v selected without the job/instance filter in %q", q, bare, q.Expr)
		}
	}
}

// TestRangeWindows: rate() and irate() use $__rate_interval; increase()
// uses $__rate_interval, $__range, or the window of the alert rule on the
// same metric (so the panel shows what the alert evaluates).
func TestRangeWindows(t *testing.T) {
	files, err := alerts.Load(alerts.Files)
	if err != nil {
		t.Fatal(err)
	}
	alertWindows := map[string]bool{}
	for _, r := range alerts.Rules(files) {
		for _, m := range rangeFuncRe.FindAllStringSubmatch(r.Expr, -1) {
			if mm := metricInCall.FindStringSubmatch(m[2]); mm != nil {
				alertWindows[m[1]+" "+mm[1]+" "+m[3]] = true
			}
		}
	}
	qs, err := Queries(Files)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		for _, m := range rangeFuncRe.FindAllStringSubmatch(q.Expr, -1) {
			fn, window := m[1], m[3]
			metric := ""
			if mm := metricInCall.FindStringSubmatch(m[2]); mm != nil {
				metric = mm[1]
			}
			switch {
			case window == "$__rate_interval":
			case fn == "increase" && window == "$__range":
			case alertWindows[fn+" "+metric+" "+window]:
			default:
				t.Errorf("%s: %s(%s[%s]): want [$__rate_interval] (increase: or [$__range], or an alert's window)",
					q, fn, metric, window)
			}
		}
		if strings.Contains(q.Expr, "$__interval") {
			t.Errorf("%s: uses $__interval; use $__rate_interval", q)
		}
	}
}

// alertsWithoutThreshold are alert rules no panel draws a threshold for,
// and why.
var alertsWithoutThreshold = map[string]string{
	"KafkaPartitionISRFlapping":         "its threshold is per partition, relative to the replica count; the ISR change panels show the flapping",
	"KafkaTopicLossRisk":                "a finding (== 1) listed by the findings tables, not a level",
	"KafkaClusterLossRisk":              "a finding (== 1), counted by the cluster-wide findings stat",
	"KafkaConsumerGroupStalled":         "a status (== 1), shown by the Status panels",
	"KafkaConsumerGroupStopped":         "a status (== 1), shown by the Status panels",
	"KafkaControllerQuorumBareMajority": "its threshold is relative to the voter count (a bare majority), not a level",
	"KafkaReplicaLaggingInISR":          "a per-replica level gated by the partition's ISR state; the Replica lag by broker panel shows the sums",
	"KafkaReassignmentStalled":          "a state (reassigning while the lag does not fall), not a level",
}

var thresholdRef = regexp.MustCompile(`Threshold: alert (\w+) \((\w+)\) fires at (==|>|<) (-?[0-9]+(?:\.[0-9]+)?)`)

// TestAlertThresholds: a panel whose description names an alert's threshold
// colours values (or draws lines) with that alert's comparison and severity
// colour as they are in alerts/*.yml; every alert with a level threshold is
// drawn on some dashboard.
func TestAlertThresholds(t *testing.T) {
	files, err := alerts.Load(alerts.Files)
	if err != nil {
		t.Fatal(err)
	}
	comparisons := map[string]AlertComparison{}
	for _, r := range alerts.Alerts(files) {
		if c, err := ParseAlertComparison(r); err == nil {
			comparisons[r.Alert] = c
		}
	}
	drawn := map[string]bool{}
	for _, f := range loadJSON(t) {
		for _, p := range panelsOf(f.m) {
			desc, _ := p["description"].(string)
			for _, m := range thresholdRef.FindAllStringSubmatch(desc, -1) {
				c, ok := comparisons[m[1]]
				if !ok {
					t.Errorf("%s: %q names alert %s, which alerts/ does not have", f.name, p["title"], m[1])
					continue
				}
				drawn[c.Alert] = true
				if m[2] != c.Severity || m[3] != c.Op || m[4] != fmt.Sprint(c.Value) {
					t.Errorf("%s: %q says %s, the rule says %s %s %v", f.name, p["title"], m[0], c.Severity, c.Op, c.Value)
				}
				if !hasSteps(p, c.Steps()) {
					t.Errorf("%s: %q does not colour values with %s's threshold %s %v (%s): want steps %s",
						f.name, p["title"], c.Alert, c.Op, c.Value, c.Severity, stepsString(c.Steps()))
				}
				if p["type"] == "timeseries" {
					fc := p["fieldConfig"].(map[string]any)["defaults"].(map[string]any)
					custom, _ := fc["custom"].(map[string]any)
					style, _ := custom["thresholdsStyle"].(map[string]any)
					if style["mode"] == "off" || style["mode"] == nil {
						t.Errorf("%s: %q does not draw its alert threshold", f.name, p["title"])
					}
				}
			}
		}
	}
	for _, r := range alerts.Alerts(files) {
		if _, exempt := alertsWithoutThreshold[r.Alert]; !exempt && !drawn[r.Alert] {
			t.Errorf("alert %s: no dashboard panel draws its threshold", r.Alert)
		}
	}
}

// hasSteps reports whether the panel's defaults or one of its overrides
// has exactly these threshold steps.
func hasSteps(p map[string]any, want []Step) bool {
	wantJSON, _ := json.Marshal(want)
	var candidates []any
	fc, _ := p["fieldConfig"].(map[string]any)
	defaults, _ := fc["defaults"].(map[string]any)
	if th, ok := defaults["thresholds"].(map[string]any); ok {
		candidates = append(candidates, th["steps"])
	}
	overrides, _ := fc["overrides"].([]any)
	for _, o := range overrides {
		props, _ := o.(map[string]any)["properties"].([]any)
		for _, pr := range props {
			prm := pr.(map[string]any)
			if prm["id"] == "thresholds" {
				candidates = append(candidates, prm["value"].(map[string]any)["steps"])
			}
		}
	}
	for _, c := range candidates {
		got, _ := json.Marshal(c)
		if string(got) == string(wantJSON) {
			return true
		}
	}
	return false
}

func stepsString(steps []Step) string {
	data, _ := json.Marshal(steps)
	return string(data)
}

// TestPanelsDocumented: docs/dashboards.md has a section per dashboard
// (a "## " heading with its title) that names every panel.
func TestPanelsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "dashboards.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, f := range loadJSON(t) {
		title, _ := f.m["title"].(string)
		section := ""
		for _, part := range strings.Split(doc, "\n## ")[1:] {
			heading, _, _ := strings.Cut(part, "\n")
			if strings.HasSuffix(heading, ": "+title) {
				section = part
			}
		}
		if section == "" {
			t.Errorf("docs/dashboards.md has no section \"## ...: %s\"", title)
			continue
		}
		if !strings.Contains(doc, "`"+f.name+"`") {
			t.Errorf("docs/dashboards.md does not list %s", f.name)
		}
		for _, p := range panelsOf(f.m) {
			if pt, _ := p["title"].(string); p["type"] != "row" && !strings.Contains(section, pt) {
				t.Errorf("docs/dashboards.md, section %s, does not say what panel %q answers", title, pt)
			}
		}
	}
}
