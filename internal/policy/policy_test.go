package policy

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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

// update rewrites testdata/errors.golden from the files in testdata/errors.
var update = flag.Bool("update", false, "rewrite testdata/errors.golden")

// goTypeName matches what the file's author never wrote: Go type names,
// YAML tags and the YAML library's prefix.
var goTypeName = regexp.MustCompile(`\b(int|int64|string|bool|float64|struct|map|slice)\b|\[\]|policy\.|!!|yaml:|unmarshal`)

// TestParseErrorsGolden: every broken file in testdata/errors gives one line
// "file:line: what is wrong", in the file's terms, as in
// testdata/errors.golden (go test -update rewrites it).
func TestParseErrorsGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	sort.Strings(files)
	var got strings.Builder
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		_, err = Parse(name, data)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:[1-9][0-9]*: \S`).MatchString(msg) {
			t.Errorf("%s: %q is not \"file:line: what is wrong\"", name, msg)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%s: %q spans several lines", name, msg)
		}
		if m := goTypeName.FindString(msg); m != "" {
			t.Errorf("%s: %q names %q", name, msg, m)
		}
		got.WriteString(msg + "\n")
	}
	const golden = "testdata/errors.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("errors differ from %s (go test -update rewrites it):\n%s", golden, got.String())
	}
}

// A misspelled key is answered with the closest known one; a word that is
// close to none gets the list of known keys.
func TestSuggest(t *testing.T) {
	cases := []struct{ word, want string }{
		{"min_insync_replica", `did you mean "min_insync_replicas"?`},
		{"MinReplicationFactor", `did you mean "min_replication_factor"?`},
		{"exemption", `did you mean "exemptions"?`},
		{"ignore_cluster_risk", `did you mean "ignore_cluster_risks"?`},
		{"colour", "known keys: min_replication_factor, min_insync_replicas, ignore_cluster_risks, exemptions"},
	}
	for _, c := range cases {
		if got := suggest(c.word, fileKeys, "known keys"); !strings.Contains(got, c.want) {
			t.Errorf("suggest(%q) = %q, want %q", c.word, got, c.want)
		}
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
