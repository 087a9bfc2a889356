package dashboards

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

// Query is one PromQL expression of a dashboard file: a panel target or the
// selector of a query variable.
type Query struct {
	File  string // dashboard file name
	Panel string // panel title, or "variable <name>"
	RefID string
	Expr  string
}

func (q Query) String() string { return fmt.Sprintf("%s: %s %s", q.File, q.Panel, q.RefID) }

// labelValues is a query variable's label_values(selector, label).
var labelValues = regexp.MustCompile(`^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)

// Queries reads every *.json dashboard of fsys (use Files) as plain JSON and
// returns its queries: every panel target (rows included), every PromQL
// annotation, and the selector of every label_values variable.
func Queries(fsys fs.FS) ([]Query, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Query
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var d struct {
			Annotations struct {
				List []struct {
					Name string `json:"name"`
					Expr string `json:"expr"`
				} `json:"list"`
			} `json:"annotations"`
			Panels     []jsonPanel `json:"panels"`
			Templating struct {
				List []struct {
					Name       string `json:"name"`
					Type       string `json:"type"`
					Definition string `json:"definition"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				return nil, fmt.Errorf("%s: variable %s: %q is not label_values(selector, label)", name, v.Name, v.Definition)
			}
			out = append(out, Query{File: name, Panel: "variable " + v.Name, Expr: m[1]})
		}
		for _, a := range d.Annotations.List {
			if a.Expr != "" {
				out = append(out, Query{File: name, Panel: "annotation " + a.Name, Expr: a.Expr})
			}
		}
		for _, p := range flatten(d.Panels) {
			for _, t := range p.Targets {
				out = append(out, Query{File: name, Panel: p.Title, RefID: t.RefID, Expr: t.Expr})
			}
		}
	}
	return out, nil
}

// jsonPanel is the part of a panel Queries reads.
type jsonPanel struct {
	Title   string      `json:"title"`
	Panels  []jsonPanel `json:"panels"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

func flatten(panels []jsonPanel) []jsonPanel {
	var out []jsonPanel
	for _, p := range panels {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

// variableRef matches $name, ${name} and ${name:format}.
var variableRef = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)`)

// Substitute replaces the dashboard and Grafana variables of expr ($job,
// ${topic}, $__rate_interval, $__range...) with values, as Grafana does
// before it sends the query. It returns an error naming a variable that
// values lacks.
func Substitute(expr string, values map[string]string) (string, error) {
	var missing []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for variable(s) %s in %q", strings.Join(missing, ", "), expr)
	}
	return out, nil
}
