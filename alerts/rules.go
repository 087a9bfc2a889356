package alerts

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Files holds the rule files (*.yml in this directory).
//
//go:embed *.yml
var Files embed.FS

// RunbookBase is the URL every alert's runbook_url starts with; the runbook
// of alert X is RunbookBase + "X.md" (docs/runbooks/X.md in this repository).
const RunbookBase = "https://github.com/kafka-loss-exporter/kafka-loss-exporter/blob/main/docs/runbooks/"

// Severities are the severity label values an alert may have: critical
// pages, warning opens a ticket, info is for review.
var Severities = []string{"critical", "warning", "info"}

// File is one rule file.
type File struct {
	Name   string  `yaml:"-"`
	Groups []Group `yaml:"groups"`
}

// Group is a rule group.
type Group struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is an alerting rule (Alert set) or a recording rule (Record set).
type Rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// Name is the alert name or the recorded metric name.
func (r Rule) Name() string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// Load parses every *.yml file at the top of fsys (use Files for the
// embedded rules), strictly: unknown fields are errors.
func Load(fsys fs.FS) ([]File, error) {
	names, err := fs.Glob(fsys, "*.yml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []File
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := parse(name, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no rule files")
	}
	return files, nil
}

func parse(name string, data []byte) (File, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	f.Name = path.Base(name)
	return f, nil
}

// Rules returns every rule of files, in file and group order.
func Rules(files []File) []Rule {
	var rules []Rule
	for _, f := range files {
		for _, g := range f.Groups {
			rules = append(rules, g.Rules...)
		}
	}
	return rules
}

// Alerts returns the alerting rules of files.
func Alerts(files []File) []Rule {
	var alerts []Rule
	for _, r := range Rules(files) {
		if r.Alert != "" {
			alerts = append(alerts, r)
		}
	}
	return alerts
}

// ExporterMetrics returns the sorted metric names the rules of files read
// from the exporter: every metric in an expression except recorded series
// (names with a colon) and the series Prometheus itself writes (up).
func ExporterMetrics(files []File) []string {
	seen := map[string]bool{}
	for _, r := range Rules(files) {
		for _, m := range MetricNames(r.Expr) {
			if strings.Contains(m, ":") || prometheusSeries[m] {
				continue
			}
			seen[m] = true
		}
	}
	names := make([]string, 0, len(seen))
	for m := range seen {
		names = append(names, m)
	}
	sort.Strings(names)
	return names
}

// prometheusSeries are written by Prometheus for each target, not scraped.
var prometheusSeries = map[string]bool{
	"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true,
	"scrape_samples_post_metric_relabeling": true, "scrape_series_added": true,
}
