package policy

import (
	"strings"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

const example = `# Team standard: RF 3, minISR 2, except scratch topics.
min_replication_factor: 3
min_insync_replicas: 2
ignore_cluster_risks: [brokers_disagree_on_defaults]
exemptions:
  - topics: "test-.*|scratch-.*"
    reason: throwaway topics
    min_replication_factor: 1
    min_insync_replicas: 1
    ignore_risks: [no_write_fault_tolerance, replicas_in_one_rack]
  - topics: "audit\\..*"
    min_replication_factor: 4
`

func TestParseExample(t *testing.T) {
	p, err := Parse("policy.yml", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		topic            string
		minRF, minISR    int
		ignored, notIgnd string
	}{
		{"orders", 3, 2, "", risk.RiskNoWriteFaultTolerance},
		{"test-1", 1, 1, risk.RiskNoWriteFaultTolerance, risk.RiskUncleanLeaderElection},
		{"scratch-x", 1, 1, risk.RiskReplicasInOneRack, risk.RiskReplicationFactorBelow3},
		{"mytest-1", 3, 2, "", risk.RiskNoWriteFaultTolerance}, // anchored: no partial match
		{"audit.log", 4, 2, "", risk.RiskNoWriteFaultTolerance},
		{"auditXlog", 3, 2, "", ""},
	}
	for _, c := range cases {
		th := p.Topic(c.topic)
		if th.MinReplicationFactor != c.minRF || th.MinInsyncReplicas != c.minISR {
			t.Errorf("%s: thresholds RF %d minISR %d, want %d %d", c.topic, th.MinReplicationFactor, th.MinInsyncReplicas, c.minRF, c.minISR)
		}
		if c.ignored != "" && !th.Ignored[c.ignored] {
			t.Errorf("%s: %s not ignored", c.topic, c.ignored)
		}
		if c.notIgnd != "" && th.Ignored[c.notIgnd] {
			t.Errorf("%s: %s ignored", c.topic, c.notIgnd)
		}
	}
	if cl := p.Cluster(); cl.MinReplicationFactor != 3 || cl.MinInsyncReplicas != 2 || !cl.Ignored[risk.ClusterRiskBrokersDisagree] {
		t.Errorf("cluster thresholds = %+v", cl)
	}
}

func TestParseDefaults(t *testing.T) {
	for name, text := range map[string]string{"empty": "", "comment only": "# nothing\n", "empty map": "{}\n"} {
		p, err := Parse("p.yml", []byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if th := p.Topic("x"); th.MinReplicationFactor != 3 || th.MinInsyncReplicas != 2 || len(th.Ignored) != 0 {
			t.Errorf("%s: topic thresholds %+v, want the defaults", name, th)
		}
	}
}

func TestExemptionInheritsClusterThresholds(t *testing.T) {
	p, err := Parse("p.yml", []byte("min_insync_replicas: 3\nexemptions:\n  - topics: a\n    min_replication_factor: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if th := p.Topic("a"); th.MinReplicationFactor != 2 || th.MinInsyncReplicas != 3 {
		t.Errorf("thresholds %+v, want RF 2 (exemption) and minISR 3 (file-wide)", th)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown field", "min_replication_factor: 3\nmin_isr: 2\n", "p.yml: line 2: field min_isr not found"},
		{"unknown exemption field", "exemptions:\n  - topics: a\n    min_rf: 1\n", "p.yml: line 3: field min_rf not found"},
		{"wrong type", "min_replication_factor: three\n", "p.yml: line 1: cannot unmarshal"},
		{"zero threshold", "min_insync_replicas: 0\n", "p.yml:1: min_insync_replicas must be between 1 and 32767, got 0"},
		{"bad exemption threshold", "exemptions:\n  - topics: a\n    min_replication_factor: -1\n", "p.yml:3: min_replication_factor must be between 1 and 32767, got -1"},
		{"bad regex", "exemptions:\n  - topics: b\n  - topics: \"a(\"\n", `p.yml:3: exemption 2: topics "a(" does not compile`},
		{"missing topics", "exemptions:\n  - reason: x\n", "p.yml:2: exemption 1: topics (a regex of topic names) is required"},
		{"unknown topic risk", "exemptions:\n  - topics: a\n    ignore_risks:\n      - replication_factor_below_3\n      - rf_low\n", `p.yml:5: unknown topic risk "rf_low"`},
		{"cluster risk as topic risk", "exemptions:\n  - topics: a\n    ignore_risks: [brokers_disagree_on_defaults]\n", `p.yml:3: unknown topic risk "brokers_disagree_on_defaults"`},
		{"unknown cluster risk", "ignore_cluster_risks: [nope]\n", `p.yml:1: unknown cluster risk "nope"`},
		{"duplicate key", "min_insync_replicas: 2\nmin_insync_replicas: 3\n", `p.yml: line 2: mapping key "min_insync_replicas" already defined at line 1`},
		{"not a mapping", "- a\n", "p.yml: line 1: cannot unmarshal !!seq"},
		{"syntax", "exemptions: [\n", "p.yml: line"},
		{"two documents", "min_insync_replicas: 2\n---\nmin_insync_replicas: 3\n", "p.yml:2: only one YAML document is allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(c.text))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q spans several lines", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte("exemptions:\n  - topics: \"a(\"\n"))
	f.Add([]byte("min_insync_replicas: 0\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yml", data)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			return
		}
		th := p.Topic("any")
		if th.MinReplicationFactor < 1 || th.MinInsyncReplicas < 1 {
			t.Fatalf("accepted thresholds below 1: %+v", th)
		}
	})
}

// The example shipped in examples/ (the same as in docs/risks.md) parses.
func TestExampleFileParses(t *testing.T) {
	p, err := Load("../../examples/risk-policy.yml")
	if err != nil {
		t.Fatal(err)
	}
	if th := p.Topic("test-1"); th.MinReplicationFactor != 1 || !th.Ignored[risk.RiskReplicasInOneRack] {
		t.Errorf("test-1 thresholds %+v", th)
	}
	if th := p.Topic("audit.x"); th.MinReplicationFactor != 4 {
		t.Errorf("audit.x thresholds %+v", th)
	}
}
