package alerts

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// identityLabels are the labels that tell two exporter replicas of one
// cluster apart: Prometheus' instance (host:port of the replica) and the
// pod that Kubernetes service discovery attaches.
var identityLabels = []string{"instance", "pod"}

// dedupAggregations may merge the replicas' series: they give one value that
// either replica could have given. sum and count add the replicas up.
var dedupAggregations = map[parser.ItemType]bool{
	parser.MAX: true, parser.MIN: true, parser.AVG: true, parser.GROUP: true,
}

// replicaFix is what the failure messages of TestRulesAreReplicaSafe tell the
// author of a rule to change.
const replicaFix = "wrap the expression as `max without (instance, pod) (<expr>)` (use `max without (instance, pod) " +
	"(increase(<counter>[w]))` for counters; `min` where the worst case is the smallest value; a threshold " +
	"comparison goes outside: `max without (instance, pod) (<expr>) > 0`). Never `sum` or `count` over the " +
	"replicas, never drop `cluster`. In annotations name the cluster with `{{ or $labels.cluster $labels.job }}`, " +
	"not `{{ $labels.instance }}` (it no longer exists). In alerts/tests/ feed two replicas' series " +
	"(instance=\"kle-0:9785\",pod=\"kle-0\" and instance=\"kle-1:9785\",pod=\"kle-1\") with a cluster label and " +
	"expect one alert with the cluster label. See docs/deploy.md#high-availability"

// TestRulesAreReplicaSafe parses every rule of alerts/*.yml with
// Prometheus' own PromQL parser and fails for every rule whose result can
// still carry the exporter's identity (instance, pod), so that two exporter
// replicas would raise two alerts (or record two series) per incident, or
// whose aggregations add the replicas up or drop the cluster label.
func TestRulesAreReplicaSafe(t *testing.T) {
	rules := Rules(loadRules(t))
	// Recorded series whose rule is replica-safe are safe to read.
	safe := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, r := range rules {
			if r.Record == "" || safe[r.Record] {
				continue
			}
			if expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr); err == nil && dropsIdentity(expr, safe) {
				safe[r.Record], changed = true, true
			}
		}
	}
	for _, r := range rules {
		kind := "alert"
		if r.Record != "" {
			kind = "recording rule"
		}
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("%s %s: %v", kind, r.Name(), err)
			continue
		}
		if !dropsIdentity(expr, safe) {
			t.Errorf("%s %s keeps the exporter's identity (instance, pod): two exporter replicas of one cluster "+
				"would give two results per incident. Fix: %s.\nexpr: %s", kind, r.Name(), replicaFix, strings.TrimSpace(r.Expr))
		}
		for _, problem := range aggregationProblems(expr) {
			t.Errorf("%s %s: %s. Fix: %s", kind, r.Name(), problem, replicaFix)
		}
		for name, text := range r.Annotations {
			for _, l := range identityLabels {
				if strings.Contains(text, "$labels."+l) {
					t.Errorf("%s %s: annotation %s uses $labels.%s, which the replica-safe expression has "+
						"aggregated away (it renders empty). Fix: name the cluster with "+
						"`{{ or $labels.cluster $labels.job }}`", kind, r.Name(), name, l)
				}
			}
		}
	}
}

// dropsIdentity reports whether no result of expr can carry an identity
// label: every path from the result to a selected series passes an
// aggregation that removes them (or a vector matching that keeps only other
// labels), or ends in a recorded series that is itself replica-safe.
func dropsIdentity(n parser.Node, safe map[string]bool) bool {
	switch n := n.(type) {
	case *parser.NumberLiteral, *parser.StringLiteral, *parser.DurationExpr:
		return true
	case *parser.VectorSelector:
		return safe[n.Name]
	case *parser.MatrixSelector:
		return dropsIdentity(n.VectorSelector, safe)
	case *parser.SubqueryExpr:
		return dropsIdentity(n.Expr, safe)
	case *parser.ParenExpr:
		return dropsIdentity(n.Expr, safe)
	case *parser.UnaryExpr:
		return dropsIdentity(n.Expr, safe)
	case *parser.StepInvariantExpr:
		return dropsIdentity(n.Expr, safe)
	case *parser.AggregateExpr:
		removes := n.Without && containsAll(n.Grouping, identityLabels)
		keepsOthers := !n.Without && !containsAny(n.Grouping, identityLabels)
		return removes || keepsOthers || dropsIdentity(n.Expr, safe)
	case *parser.Call:
		if n.Type() != parser.ValueTypeVector && n.Type() != parser.ValueTypeMatrix {
			return true // scalar() and time() carry no labels
		}
		if n.Func.Name == "label_replace" || n.Func.Name == "label_join" {
			if dst, ok := n.Args[1].(*parser.StringLiteral); ok && slices.Contains(identityLabels, dst.Val) {
				return false // writes an identity label back
			}
		}
		for _, a := range n.Args {
			if t := a.Type(); (t == parser.ValueTypeVector || t == parser.ValueTypeMatrix) && !dropsIdentity(a, safe) {
				return false
			}
		}
		return true
	case *parser.BinaryExpr:
		lt, rt := n.LHS.Type(), n.RHS.Type()
		switch {
		case lt != parser.ValueTypeVector:
			return dropsIdentity(n.RHS, safe)
		case rt != parser.ValueTypeVector:
			return dropsIdentity(n.LHS, safe)
		}
		vm := n.VectorMatching
		switch n.Op {
		case parser.LAND, parser.LUNLESS: // the left side's series
			return dropsIdentity(n.LHS, safe)
		case parser.LOR: // series of both sides
			return dropsIdentity(n.LHS, safe) && dropsIdentity(n.RHS, safe)
		}
		if vm != nil && vm.Card == parser.CardOneToOne {
			if vm.On && !containsAny(vm.MatchingLabels, identityLabels) {
				return true // the result keeps only the on() labels
			}
			if !vm.On && containsAll(vm.MatchingLabels, identityLabels) {
				return true // ignoring() removes them from the result
			}
		}
		if vm != nil && vm.Card == parser.CardOneToMany {
			return dropsIdentity(n.RHS, safe)
		}
		return dropsIdentity(n.LHS, safe)
	}
	return false
}

// aggregationProblems lists the aggregations of expr that merge replicas in
// a way that changes the value (sum, count...) or that drop the cluster
// label.
func aggregationProblems(expr parser.Node) []string {
	var out []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		a, ok := n.(*parser.AggregateExpr)
		if !ok {
			return nil
		}
		if a.Without && slices.Contains(a.Grouping, "cluster") {
			out = append(out, fmt.Sprintf("`%s` removes the cluster label", a.ShortString()))
		}
		if a.Without && containsAny(a.Grouping, identityLabels) && !dedupAggregations[a.Op] {
			out = append(out, fmt.Sprintf("`%s` adds the replicas' values up", a.ShortString()))
		}
		return nil
	})
	return out
}

func containsAll(list, want []string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

func containsAny(list, want []string) bool {
	for _, w := range want {
		if slices.Contains(list, w) {
			return true
		}
	}
	return false
}

// TestDropsIdentity pins the analysis TestRulesAreReplicaSafe relies on.
func TestDropsIdentity(t *testing.T) {
	safe := map[string]bool{"cluster_topic:x:sum": true}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{`x > 0`, false},
		{`max without (instance, pod) (x) > 0`, true},
		{`max without (instance) (x)`, false},
		{`max without (instance, pod) (increase(x[30m])) > 0`, true},
		{`sum without (partition) (x == 1 and y == 1) > 0`, false},
		{`max without (instance, pod) (sum without (partition) (x == 1 and y == 1)) > 0`, true},
		{`max without (instance, pod) (x) and y`, true},
		{`x and max without (instance, pod) (y)`, false},
		{`max without (instance, pod) (x) or y`, false},
		{`max without (instance, pod) (x) or min without (instance, pod) (y)`, true},
		{`time() - max without (instance, pod) (x)`, true},
		{`x > on (job, topic) y`, true},
		{`x > on (job, instance) y`, false},
		{`x > ignoring (instance, pod) y`, true},
		{`x > ignoring (partition) group_left y`, false},
		{`count by (job) (x)`, true},
		{`sum without (topic) (cluster_topic:x:sum)`, true},
		{`sum without (topic) (instance_topic:x:sum)`, false},
		{`label_replace(max without (instance, pod) (x), "instance", "$1", "job", "(.*)")`, false},
		{`vector(1)`, true},
	} {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := dropsIdentity(expr, safe); got != tc.want {
			t.Errorf("dropsIdentity(%s) = %v, want %v", tc.expr, got, tc.want)
		}
	}
	expr, _ := parser.NewParser(parser.Options{}).ParseExpr(`max without (cluster, instance, pod) (x) + sum without (instance, pod) (y)`)
	if got := aggregationProblems(expr); len(got) != 2 {
		t.Errorf("aggregationProblems: %q, want a cluster and a sum problem", got)
	}
}

// replicaSeries matches an input series of a promtool test that comes from
// an exporter replica of a cluster: it has a cluster and an instance label.
var (
	instanceLabel = regexp.MustCompile(`\binstance="([^"]+)"`)
	clusterLabel  = regexp.MustCompile(`\bcluster="[^"]+"`)
)

// TestEveryAlertFiresOnceForTwoReplicas checks that for every alert the
// promtool tests have a firing case fed by two exporter replicas (two
// instance values) of a cluster (a cluster label), expecting alerts that
// carry the cluster label and no instance or pod: one alert per incident,
// not one per replica (promtool fails on a duplicate it did not expect).
func TestEveryAlertFiresOnceForTwoReplicas(t *testing.T) {
	covered := map[string]bool{}
	paths, _ := filepath.Glob("tests/*.yml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var rt promtoolTests
		if err := yaml.Unmarshal(data, &rt); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, tc := range rt.Tests {
			instances := map[string]bool{}
			for _, s := range tc.InputSeries {
				if m := instanceLabel.FindStringSubmatch(s.Series); m != nil && clusterLabel.MatchString(s.Series) {
					instances[m[1]] = true
				}
			}
			for _, at := range tc.AlertRuleTest {
				for _, ea := range at.ExpAlerts {
					for _, l := range identityLabels {
						if ea.ExpLabels[l] != "" {
							t.Errorf("%s: %s is expected with label %s: the alert must aggregate it away. Fix: %s",
								p, at.Alertname, l, replicaFix)
						}
					}
					if len(instances) >= 2 && ea.ExpLabels["cluster"] != "" {
						covered[at.Alertname] = true
					}
				}
			}
		}
	}
	for _, a := range Alerts(loadRules(t)) {
		if !covered[a.Alert] {
			t.Errorf("%s has no promtool case fed by two replicas' series with a cluster label that expects it "+
				"to fire once (with the cluster label). Fix: %s", a.Alert, replicaFix)
		}
	}
}
