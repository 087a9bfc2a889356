package deploy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const chart = "deploy/helm/kafka-loss-exporter"

// helm lint --strict and helm template with each value set of the chart's
// ci/ directory and the defaults: the objects parse, have the expected
// kinds, the flags the values ask for, and the rules and dashboards of
// alerts/ and dashboards/ (Helm's escaping of the rules' {{ }} undone).
func TestHelmChart(t *testing.T) {
	helm := tool(t, "helm")
	cases := []struct {
		name, values string
		kinds        []string
		args         []string
	}{
		{"defaults", "", []string{"ServiceAccount", "Service", "Deployment", "PodDisruptionBudget"},
			[]string{"--kafka.server=kafka:9092"}},
		{"sasl-tls", "ci/sasl-tls-values.yaml", []string{"ServiceAccount", "Service", "Deployment", "PodDisruptionBudget", "ConfigMap"},
			[]string{"--kafka.sasl.mechanism=scram-sha-512", "--kafka.sasl.password-file=/etc/kafka-loss-exporter/sasl/password",
				"--kafka.tls.enabled", "--kafka.tls.ca-file=/etc/kafka-loss-exporter/tls/ca.crt", `--topic.filter=orders\..*|payments\..*`,
				"--risk.config=/etc/kafka-loss-exporter/policy/risk-policy.yml"}},
		{"canary-webtls", "ci/canary-webtls-values.yaml",
			[]string{"ServiceAccount", "Service", "Deployment", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "ConfigMap"},
			[]string{"--canary.enable", "--canary.loss-timeout=1m", "--web.config.file=/etc/kafka-loss-exporter/web/web-config.yml", "--lag.granularity=topic"}},
		{"all-off", "ci/all-off-values.yaml", []string{"Service", "Deployment"}, nil},
		{"oauthbearer", "ci/oauthbearer-values.yaml", []string{"ServiceAccount", "Service", "Deployment", "PodDisruptionBudget"},
			[]string{"--kafka.sasl.mechanism=oauthbearer", "--kafka.sasl.oauthbearer.client-id=kafka-loss-exporter",
				"--kafka.sasl.oauthbearer.client-secret-file=/etc/kafka-loss-exporter/sasl/client-secret",
				"--kafka.sasl.oauthbearer.scopes=kafka,profile", "--kafka.sasl.oauthbearer.extensions=logicalCluster=lkc-123"}},
		{"gssapi", "ci/gssapi-values.yaml", []string{"ServiceAccount", "Service", "Deployment", "PodDisruptionBudget"},
			[]string{"--kafka.sasl.mechanism=gssapi", "--kafka.sasl.username=kafka-loss-exporter", "--kafka.sasl.kerberos.realm=EXAMPLE.COM",
				"--kafka.sasl.kerberos.keytab-file=/etc/kafka-loss-exporter/sasl/keytab", "--kafka.sasl.kerberos.config-file=/etc/kafka-loss-exporter/sasl/krb5.conf"}},
		{"aws-msk-iam", "ci/aws-msk-iam-values.yaml", []string{"ServiceAccount", "Service", "Deployment", "PodDisruptionBudget"},
			[]string{"--kafka.sasl.mechanism=aws-msk-iam", "--kafka.sasl.aws-msk-iam.region=eu-west-1", "--kafka.tls.enabled"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var vals []string
			if c.values != "" {
				vals = []string{"-f", filepath.Join(chart, c.values)}
			}
			run(t, helm, append([]string{"lint", "--strict", chart}, vals...)...)
			out := run(t, helm, append([]string{"template", "kle", chart, "--namespace", "monitoring"}, vals...)...)
			objs := parseObjects(t, c.name, out)
			checkKinds(t, c.name, objs, c.kinds...)
			checkHardenedDeployment(t, c.name, objs)
			checkRulesAndDashboards(t, c.name, objs, true)
			a := args(objs)
			for _, want := range c.args {
				if !slices.Contains(a, want) {
					t.Errorf("args %v lack %s", a, want)
				}
			}
			if r := find(objs, "PrometheusRule"); r != nil && strings.Contains(string(out), "{{`") {
				t.Errorf("rendered rules still hold Helm escapes")
			}
			if sm := find(objs, "ServiceMonitor"); sm != nil && slices.Contains(a, "--web.config.file=/etc/kafka-loss-exporter/web/web-config.yml") {
				if got := get(sm, "spec", "endpoints", 0, "scheme"); got != "https" {
					t.Errorf("ServiceMonitor scheme %v with web TLS", got)
				}
			}
		})
	}
}

// Every feature switched on at once (the other sets' values merged).
func TestHelmChartEverythingOn(t *testing.T) {
	helm := tool(t, "helm")
	out := run(t, helm, "template", "kle", chart,
		"-f", filepath.Join(chart, "ci/sasl-tls-values.yaml"), "-f", filepath.Join(chart, "ci/canary-webtls-values.yaml"))
	objs := parseObjects(t, "everything", out)
	checkKinds(t, "everything", objs, "ServiceAccount", "Service", "Deployment", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "ConfigMap", "ConfigMap")
	checkRulesAndDashboards(t, "everything", objs, true)
	vols, _ := get(find(objs, "Deployment"), "spec", "template", "spec", "volumes").([]any)
	if len(vols) != 4 {
		t.Errorf("%d volumes, want 4 (sasl, kafka-tls, policy, web-config)", len(vols))
	}
}

// One release, two Kafka clusters (ci/two-clusters-values.yaml): two
// complete sets of Deployment, Service, ServiceMonitor and
// PodDisruptionBudget, one per clusters: entry, each selecting only its
// own pods, polling its own brokers, and labelling its series with its
// cluster; the shared ServiceAccount and PrometheusRule once.
func TestHelmChartTwoClusters(t *testing.T) {
	helm := tool(t, "helm")
	values := filepath.Join(chart, "ci/two-clusters-values.yaml")
	run(t, helm, "lint", "--strict", chart, "-f", values)
	objs := parseObjects(t, "two-clusters", run(t, helm, "template", "kle", chart, "--namespace", "monitoring", "-f", values))
	checkKinds(t, "two-clusters", objs, "ServiceAccount", "PrometheusRule",
		"Deployment", "Deployment", "Service", "Service", "ServiceMonitor", "ServiceMonitor",
		"PodDisruptionBudget", "PodDisruptionBudget")
	checkRulesAndDashboards(t, "two-clusters", objs, true)
	servers := map[string]string{"prod-eu": "--kafka.server=kafka-0.prod-eu:9092", "prod-us": "--kafka.server=kafka-0.prod-us:9092"}
	for cluster, server := range servers {
		name := "kle-kafka-loss-exporter-" + cluster
		set := map[string]object{}
		for _, o := range objs {
			if o.name() == name {
				set[o.kind()] = o
			}
		}
		for _, kind := range []string{"Deployment", "Service", "ServiceMonitor", "PodDisruptionBudget"} {
			if set[kind] == nil {
				t.Fatalf("%s: no %s named %s", cluster, kind, name)
			}
		}
		d := set["Deployment"]
		checkHardenedDeployment(t, cluster, []object{d})
		a := args([]object{d})
		if !slices.Contains(a, server) {
			t.Errorf("%s: args %v lack %s", cluster, a, server)
		}
		for other, s := range servers {
			if other != cluster && slices.Contains(a, s) {
				t.Errorf("%s: args %v poll the other cluster's %s", cluster, a, s)
			}
		}
		if cluster == "prod-us" != slices.Contains(a, "--canary.enable") {
			t.Errorf("%s: canary flag in %v, want it only where the entry enables it", cluster, a)
		}
		podLabels, _ := get(d, "spec", "template", "metadata", "labels").(map[string]any)
		for kind, path := range map[string][]any{
			"Service":             {"spec", "selector"},
			"ServiceMonitor":      {"spec", "selector", "matchLabels"},
			"PodDisruptionBudget": {"spec", "selector", "matchLabels"},
		} {
			sel, _ := get(set[kind], path...).(map[string]any)
			if sel["kafka-loss-exporter/cluster"] != cluster {
				t.Errorf("%s: %s selector %v does not pick this cluster only", cluster, kind, sel)
			}
			target := podLabels
			if kind == "ServiceMonitor" {
				target, _ = get(set["Service"], "metadata", "labels").(map[string]any)
			}
			for k, v := range sel {
				if target[k] != v {
					t.Errorf("%s: %s selector %v does not match %v", cluster, kind, sel, target)
				}
			}
		}
		relabel := get(set["ServiceMonitor"], "spec", "endpoints", 0, "relabelings", 0)
		if get(relabel, "targetLabel") != "cluster" || get(relabel, "replacement") != cluster {
			t.Errorf("%s: ServiceMonitor relabelling %v, want cluster=%s", cluster, relabel, cluster)
		}
	}
}
