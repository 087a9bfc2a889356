package deploy

import (
	"path/filepath"
	"slices"
	"testing"
)

// The kustomize base builds into the objects a Prometheus Operator user
// needs, hardened, with alerts/ and dashboards/ in the generated objects;
// every overlay builds too.
func TestKustomizeBuild(t *testing.T) {
	kustomize := tool(t, "kustomize")
	objs := parseObjects(t, "base", run(t, kustomize, "build", "deploy/kubernetes/base"))
	checkKinds(t, "base", objs, "ServiceAccount", "Secret", "Deployment", "PodDisruptionBudget", "Service", "ServiceMonitor", "PrometheusRule", "ConfigMap")
	if got := get(find(objs, "ServiceMonitor"), "spec", "endpoints", 0, "relabelings", 0, "targetLabel"); got != "cluster" {
		t.Errorf("ServiceMonitor relabelling sets %v, want the cluster label", got)
	}
	checkHardenedDeployment(t, "base", objs)
	checkRulesAndDashboards(t, "base", objs, false)
	d := find(objs, "Deployment")
	if got := get(d, "spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("liveness probe path %v", got)
	}
	if got := get(d, "spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "path"); got != "/ready" {
		t.Errorf("readiness probe path %v", got)
	}
	if got := get(d, "spec", "template", "spec", "volumes", 0, "secret", "secretName"); got != find(objs, "Secret").name() {
		t.Errorf("the Deployment mounts secret %v, not the SASL Secret", got)
	}
	if got := get(find(objs, "Service"), "spec", "ports", 0, "name"); got != "metrics" {
		t.Errorf("Service port name %v", got)
	}

	overlays, _ := filepath.Glob(filepath.Join(root, "deploy/kubernetes/overlays/*/kustomization.yaml"))
	if len(overlays) == 0 {
		t.Fatal("no overlays")
	}
	for _, o := range overlays {
		dir, _ := filepath.Rel(root, filepath.Dir(o))
		t.Run(filepath.Base(dir), func(t *testing.T) {
			objs := parseObjects(t, dir, run(t, kustomize, "build", dir))
			checkHardenedDeployment(t, dir, objs)
			checkRulesAndDashboards(t, dir, objs, false)
			if a := args(objs); !slices.Contains(a, "--kafka.sasl.password-file=/etc/kafka-loss-exporter/sasl/password") {
				t.Errorf("%s: args %v do not read the SASL password from the mounted Secret", dir, a)
			}
		})
	}
}
