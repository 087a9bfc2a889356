// Package deploy tests the deployment files of deploy/ with the real tools:
// kustomize builds and Helm templates parse as Kubernetes objects of the
// expected kinds with the project's rules and dashboards in them, the
// systemd unit passes systemd-analyze, the compose file passes
// `docker compose config`. helm and kustomize are built from source once
// (test/tools/install.sh); with CI=true a tool that cannot be had fails the
// test instead of skipping it.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, relative to this package.
const root = "../.."

func inCI() bool { return os.Getenv("CI") == "true" }

// unavailable skips the test, or fails it under CI=true.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// tool returns the path of the pinned helm or kustomize, building it once
// with test/tools/install.sh.
func tool(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "test/tools/install.sh"), name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		unavailable(t, "%s cannot be built (go install from the module proxy): %v\n%s", name, err, stderr.String())
	}
	if s := stderr.String(); s != "" {
		t.Logf("%s", strings.TrimSpace(s))
	}
	return strings.TrimSpace(string(out))
}

// run runs a command in the repository root and returns its stdout.
func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// object is one Kubernetes object of a multi-document YAML stream.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }

func (o object) name() string {
	m, _ := o["metadata"].(map[string]any)
	s, _ := m["name"].(string)
	return s
}

// parseObjects decodes a YAML stream; every non-empty document must be a
// Kubernetes object with apiVersion, kind and metadata.name.
func parseObjects(t *testing.T, what string, data []byte) []object {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var objs []object
	for {
		var m map[string]any
		err := dec.Decode(&m)
		o := object(m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: not YAML: %v", what, err)
		}
		if o == nil {
			continue
		}
		if _, ok := o["apiVersion"].(string); !ok || o.kind() == "" || o.name() == "" {
			t.Fatalf("%s: a document without apiVersion, kind or metadata.name: %v", what, o)
		}
		objs = append(objs, o)
	}
	return objs
}

func kinds(objs []object) []string {
	var ks []string
	for _, o := range objs {
		ks = append(ks, o.kind())
	}
	sort.Strings(ks)
	return ks
}

func checkKinds(t *testing.T, what string, objs []object, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := kinds(objs); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: kinds %v, want %v", what, got, want)
	}
}

func find(objs []object, kind string) object {
	for _, o := range objs {
		if o.kind() == kind {
			return o
		}
	}
	return nil
}

// get walks a path of map keys and list indexes (ints).
func get(v any, path ...any) any {
	if o, ok := v.(object); ok {
		v = map[string]any(o)
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// ruleGroups returns the groups of alerts/*.yml in file order.
func ruleGroups(t *testing.T) []any {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(root, "alerts/*.yml"))
	sort.Strings(names)
	var groups []any
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		groups = append(groups, f["groups"].([]any)...)
	}
	return groups
}

// dashboards returns dashboards/*.json by file name.
func dashboards(t *testing.T) map[string]any {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(root, "dashboards/*.json"))
	out := map[string]any{}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = string(data)
	}
	return out
}

// checkRulesAndDashboards: the PrometheusRule holds exactly alerts/*.yml's
// groups, the dashboards ConfigMap exactly dashboards/*.json.
func checkRulesAndDashboards(t *testing.T, what string, objs []object, trimNewline bool) {
	t.Helper()
	if r := find(objs, "PrometheusRule"); r != nil {
		if got, want := get(r, "spec", "groups"), ruleGroups(t); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the PrometheusRule's groups differ from alerts/*.yml", what)
		}
	}
	for _, o := range objs {
		if o.kind() != "ConfigMap" || get(o, "metadata", "labels", "grafana_dashboard") != "1" {
			continue
		}
		got, _ := get(o, "data").(map[string]any)
		want := dashboards(t)
		if trimNewline { // Helm's |- block drops the files' final newline.
			for k, v := range want {
				want[k] = strings.TrimRight(v.(string), "\n")
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: dashboards ConfigMap has %d dashboards, dashboards/ has %d", what, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: dashboard %s differs from dashboards/%s", what, k, k)
			}
		}
	}
}

// checkHardenedDeployment checks the Deployment the way a reviewer of a
// production manifest would.
func checkHardenedDeployment(t *testing.T, what string, objs []object) {
	t.Helper()
	d := find(objs, "Deployment")
	if d == nil {
		t.Fatalf("%s: no Deployment", what)
	}
	if r := get(d, "spec", "replicas"); r != 2 {
		t.Errorf("%s: replicas %v, want 2 (two replicas per cluster, docs/deploy.md)", what, r)
	}
	if s := get(d, "spec", "strategy", "rollingUpdate", "maxUnavailable"); s != 1 {
		t.Errorf("%s: rolling update maxUnavailable %v, want 1 (one replica keeps watching)", what, s)
	}
	pod := get(d, "spec", "template", "spec")
	if get(pod, "affinity", "podAntiAffinity") == nil {
		t.Errorf("%s: no podAntiAffinity: both replicas may land on one node", what)
	}
	c := get(pod, "containers", 0)
	for _, check := range []struct {
		path []any
		want any
	}{
		{[]any{"securityContext", "readOnlyRootFilesystem"}, true},
		{[]any{"securityContext", "allowPrivilegeEscalation"}, false},
		{[]any{"securityContext", "capabilities", "drop", 0}, "ALL"},
		{[]any{"ports", 0, "containerPort"}, 9785},
		{[]any{"ports", 0, "name"}, "metrics"},
	} {
		if got := get(c, check.path...); got != check.want {
			t.Errorf("%s: container %v = %v, want %v", what, check.path, got, check.want)
		}
	}
	if got := get(pod, "securityContext", "runAsNonRoot"); got != true {
		t.Errorf("%s: runAsNonRoot = %v", what, got)
	}
	if got := get(pod, "securityContext", "seccompProfile", "type"); got != "RuntimeDefault" {
		t.Errorf("%s: seccompProfile = %v", what, got)
	}
	if get(c, "resources", "limits", "memory") == nil || get(c, "resources", "requests", "memory") == nil {
		t.Errorf("%s: no memory request and limit", what)
	}
}

// args returns the exporter container's arguments.
func args(objs []object) []string {
	var out []string
	l, _ := get(find(objs, "Deployment"), "spec", "template", "spec", "containers", 0, "args").([]any)
	for _, a := range l {
		s, _ := a.(string)
		out = append(out, s)
	}
	return out
}
