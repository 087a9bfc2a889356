package dashboards

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
)

// Panels that show what an alert rule watches draw that rule's threshold,
// read from the rule files in alerts/ so that a changed threshold changes
// the dashboards at the next `make dashboards` (and the staleness test fails
// until then).

// AlertComparison is the threshold an alert compares its value with: the
// last numeric comparison of its expression (`> 600`, `< 3600`, `== 0`).
type AlertComparison struct {
	Alert    string
	Severity string
	Op       string // ">", "<", "=="
	Value    float64
	For      string
}

var numericComparison = regexp.MustCompile(`(==|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\b`)

// ParseAlertComparison returns the last numeric comparison of an alert rule.
func ParseAlertComparison(r alerts.Rule) (AlertComparison, error) {
	all := numericComparison.FindAllStringSubmatch(r.Expr, -1)
	if len(all) == 0 {
		return AlertComparison{}, fmt.Errorf("alert %s: no numeric comparison in %q", r.Alert, r.Expr)
	}
	last := all[len(all)-1]
	v, err := strconv.ParseFloat(last[2], 64)
	if err != nil {
		return AlertComparison{}, err
	}
	return AlertComparison{Alert: r.Alert, Severity: r.Labels["severity"], Op: last[1], Value: v, For: r.For}, nil
}

// SeverityColor is the threshold colour of an alert severity.
func SeverityColor(severity string) string {
	switch severity {
	case "critical":
		return red
	case "warning":
		return orange
	}
	return blue
}

// Steps are the threshold steps that colour a value as the alert judges
// it: "> T" turns the severity colour from T (from 1 for "> 0", the
// smallest count that fires), "< T" is the severity colour below T, and
// "== 0" (a 0/1 health gauge) is the severity colour below 1.
func (c AlertComparison) Steps() []Step {
	color := SeverityColor(c.Severity)
	switch c.Op {
	case ">":
		if c.Value == 0 {
			return above(color, 1)
		}
		return above(color, c.Value)
	case "<":
		return below(color, c.Value)
	default:
		return below(color, c.Value+1)
	}
}

// Sentence describes the alert for a panel description.
func (c AlertComparison) Sentence() string {
	s := fmt.Sprintf("Threshold: alert %s (%s) fires at %s %s", c.Alert, c.Severity, c.Op, strconv.FormatFloat(c.Value, 'f', -1, 64))
	if c.For != "" {
		s += " for " + c.For
	}
	return s + "."
}

var (
	loadAlerts sync.Once
	alertRules map[string]alerts.Rule
	alertsErr  error
)

// alert returns the comparison of the named alert rule; it panics when the
// rule does not exist, so a renamed alert breaks the generator at once.
func alert(name string) AlertComparison {
	loadAlerts.Do(func() {
		files, err := alerts.Load(alerts.Files)
		if err != nil {
			alertsErr = err
			return
		}
		alertRules = map[string]alerts.Rule{}
		for _, r := range alerts.Alerts(files) {
			alertRules[r.Alert] = r
		}
	})
	if alertsErr != nil {
		panic(alertsErr)
	}
	r, ok := alertRules[name]
	if !ok {
		panic("no alert rule " + name + " in alerts/")
	}
	c, err := ParseAlertComparison(r)
	if err != nil {
		panic(err)
	}
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
