package dashboards

import (
	"fmt"
	"strings"
)

// The helpers below are the only way the dashboard definitions build panels,
// so every panel gets the conventions the tests check: the datasource
// variable, a unit, a description, the job/instance filter.

// Selector matchers every query carries, so that one Grafana serves many
// clusters (one exporter deployment per cluster, one or two replicas as
// targets). cluster=~"$cluster" matches series without a cluster label
// too: its All value is .*, which matches the empty value.
const (
	clusterMatcher = `cluster=~"$cluster"`
	targetMatchers = `job=~"$job", ` + clusterMatcher + `, instance=~"$instance"`
	topicMatcher   = `topic=~"$topic"`
	groupMatcher   = `consumergroup=~"$consumergroup"`
)

// sel returns metric{job=~"$job", cluster=~"$cluster", instance=~"$instance", extra...}.
func sel(metric string, extra ...string) string {
	return metric + "{" + strings.Join(append([]string{targetMatchers}, extra...), ", ") + "}"
}

// byTarget keeps the labels that tell clusters apart in aggregations.
const byTarget = "job, cluster, instance"

// query is a range query drawn over time.
func query(expr, legend string) Target {
	return Target{Datasource: promDatasource, EditorMode: "code", Expr: expr, LegendFormat: legend, Range: true}
}

// tableQuery is an instant query rendered as table rows.
func tableQuery(expr string) Target {
	return Target{Datasource: promDatasource, EditorMode: "code", Expr: expr, Format: "table", Instant: true,
		LegendFormat: "__auto"}
}

func ptr[T any](v T) *T { return &v }

// Threshold colours.
const (
	green  = "green"
	red    = "red"
	orange = "orange"
	blue   = "blue"
	yellow = "#EAB839"
)

// above colours values from each bound up: above(orange, 1, red, 40) is
// green below 1, orange from 1, red from 40.
func above(pairs ...any) []Step {
	steps := []Step{{Color: green}}
	for i := 0; i+1 < len(pairs); i += 2 {
		steps = append(steps, Step{Color: pairs[i].(string), Value: ptr(toFloat(pairs[i+1]))})
	}
	return steps
}

// below colours values under bound with color, green from bound up.
func below(color string, bound float64) []Step {
	return []Step{{Color: color}, {Color: green, Value: ptr(bound)}}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("threshold %v is not a number", v))
}

// noSteps is for panels without a threshold: one neutral colour.
func noSteps() []Step { return []Step{{Color: green}} }

// panel is the part every panel type shares.
func panel(kind, title, description, unit string, steps []Step, targets []Target) *Panel {
	for i := range targets {
		targets[i].RefID = string(rune('A' + i))
	}
	if len(steps) == 0 {
		steps = noSteps()
	}
	return &Panel{
		Datasource:  promDatasource,
		Description: description,
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{
			Color:      map[string]any{"mode": "thresholds"},
			Mappings:   []map[string]any{},
			Thresholds: Thresholds{Mode: "absolute", Steps: steps},
			Unit:       unit,
		}, Overrides: []Override{}},
		Targets: targets,
		Title:   title,
		Type:    kind,
	}
}

// stat is a big number per series with a sparkline, coloured by thresholds.
func stat(title, description, unit string, steps []Step, targets ...Target) *Panel {
	p := panel("stat", title, description, unit, steps, targets)
	p.Options = map[string]any{
		"colorMode":   "background",
		"graphMode":   "area",
		"justifyMode": "auto",
		"orientation": "auto",
		"reduceOptions": map[string]any{
			"calcs": []string{"lastNotNull"}, "fields": "", "values": false,
		},
		"showPercentChange": false,
		"textMode":          "auto",
		"wideLayout":        true,
	}
	return p
}

// textStat shows the series names (a status or state label) instead of
// values.
func textStat(title, description string, targets ...Target) *Panel {
	p := stat(title, description, "none", []Step{{Color: blue}}, targets...)
	p.Options["textMode"] = "name"
	p.Options["graphMode"] = "none"
	return p
}

// timeseries draws lines; thresholds are drawn as dashed lines (the alert
// thresholds).
func timeseries(title, description, unit string, steps []Step, targets ...Target) *Panel {
	p := panel("timeseries", title, description, unit, steps, targets)
	thresholdsStyle := "off"
	if len(steps) > 1 {
		thresholdsStyle = "dashed"
	}
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "palette-classic"}
	p.FieldConfig.Defaults.Custom = map[string]any{
		"axisBorderShow":    false,
		"axisPlacement":     "auto",
		"drawStyle":         "line",
		"fillOpacity":       10,
		"gradientMode":      "none",
		"lineInterpolation": "stepAfter",
		"lineWidth":         1,
		"pointSize":         4,
		"showPoints":        "never",
		"spanNulls":         false,
		"stacking":          map[string]any{"group": "A", "mode": "none"},
		"thresholdsStyle":   map[string]any{"mode": thresholdsStyle},
	}
	p.Options = map[string]any{
		"legend":  map[string]any{"calcs": []string{"lastNotNull", "max"}, "displayMode": "table", "placement": "bottom", "showLegend": true},
		"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
	}
	return p
}

// table shows instant values as rows, one column per query merged on the
// series labels. columns names the value columns in query order ("" hides a
// value that is always 1, such as a finding); hidden are label columns left
// out (Time and __name__ always are).
func table(title, description, unit string, steps []Step, columns []string, hidden []string, targets ...Target) *Panel {
	p := panel("table", title, description, unit, steps, targets)
	p.FieldConfig.Defaults.Color = map[string]any{"mode": "thresholds"}
	p.FieldConfig.Defaults.Custom = map[string]any{
		"align": "auto", "cellOptions": map[string]any{"type": "auto"}, "filterable": true, "inspect": false,
	}
	exclude := map[string]any{"Time": true, "__name__": true}
	for _, h := range hidden {
		exclude[h] = true
	}
	rename := map[string]any{}
	for i, c := range columns {
		value := fmt.Sprintf("Value #%c", 'A'+i)
		if len(targets) == 1 {
			value = "Value"
		}
		if c == "" {
			exclude[value] = true // the value is 1; the labels say it all
		} else {
			rename[value] = c
		}
	}
	p.Transformations = []map[string]any{
		{"id": "merge", "options": map[string]any{}},
		{"id": "organize", "options": map[string]any{"excludeByName": exclude, "renameByName": rename}},
	}
	p.Options = map[string]any{
		"cellHeight": "sm",
		"footer":     map[string]any{"countRows": false, "fields": "", "reducer": []string{"sum"}, "show": false},
		"showHeader": true,
	}
	for _, c := range columns {
		if c != "" {
			p.Options["sortBy"] = []map[string]any{{"desc": true, "displayName": c}}
			break
		}
	}
	return p
}

// sortAscending sorts a table by its first value column, smallest first.
func sortAscending(p *Panel) *Panel {
	if sb, ok := p.Options["sortBy"].([]map[string]any); ok && len(sb) > 0 {
		sb[0]["desc"] = false
	}
	return p
}

// column overrides a table column's unit and colours it by thresholds.
func column(p *Panel, name, unit string, steps []Step) *Panel {
	props := []map[string]any{{"id": "unit", "value": unit}}
	if steps != nil {
		props = append(props,
			map[string]any{"id": "thresholds", "value": Thresholds{Mode: "absolute", Steps: steps}},
			map[string]any{"id": "custom.cellOptions", "value": map[string]any{"type": "color-background"}})
	}
	p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, Override{
		Matcher:    map[string]any{"id": "byName", "options": name},
		Properties: props,
	})
	return p
}

// linkColumn makes a table column's cells open another dashboard with the
// cell's value as variable, keeping the data source, targets and time range.
func linkColumn(p *Panel, name, title, uid, variable string) *Panel {
	url := "/d/" + uid + "?${datasource:queryparam}&${job:queryparam}&${cluster:queryparam}&${instance:queryparam}&var-" + variable +
		"=${__value.raw}&${__url_time_range}"
	p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, Override{
		Matcher:    map[string]any{"id": "byName", "options": name},
		Properties: []map[string]any{{"id": "links", "value": []DataLink{{Title: title, URL: url}}}},
	})
	return p
}

// valueText maps values to words (0 -> DOWN) in stat panels.
func valueText(p *Panel, texts map[string]string) *Panel {
	options := map[string]any{}
	i := 0
	for _, v := range sortedKeys(texts) {
		options[v] = map[string]any{"index": i, "text": texts[v]}
		i++
	}
	p.FieldConfig.Defaults.Mappings = append(p.FieldConfig.Defaults.Mappings,
		map[string]any{"type": "value", "options": options})
	return p
}

// minZero pins a panel's axis or gauge minimum at 0.
func minZero(p *Panel) *Panel {
	p.FieldConfig.Defaults.Min = ptr(0.0)
	return p
}

// layout places panels left to right on Grafana's 24-column grid.
type layout struct {
	panels   []*Panel
	x, y, h  int
	nextID   int
	rowCount int
}

// row starts a new row of panels under a (non-collapsed) row header.
func (l *layout) row(title string) {
	l.newline()
	l.nextID++
	l.panels = append(l.panels, &Panel{
		Collapsed: ptr(false), GridPos: GridPos{H: 1, W: 24, X: 0, Y: l.y}, ID: l.nextID, Title: title, Type: "row",
		Panels: []*Panel{},
	})
	l.y++
}

func (l *layout) newline() {
	if l.x > 0 {
		l.y += l.h
		l.x, l.h = 0, 0
	}
}

// add places p with width w and height h, wrapping to the next line when
// the current one is full.
func (l *layout) add(w, h int, p *Panel) {
	if l.x+w > 24 {
		l.newline()
	}
	l.nextID++
	p.ID = l.nextID
	p.GridPos = GridPos{H: h, W: w, X: l.x, Y: l.y}
	l.x += w
	if h > l.h {
		l.h = h
	}
	l.panels = append(l.panels, p)
}
