// Package policy reads the risk policy file (--risk.config): the thresholds
// a team holds its topics to, and the topics exempted from them. Parsing is
// strict (unknown fields, wrong types, bad regexes and unknown risk names are
// errors) and every error names the line at fault.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// file is the YAML layout of the policy file.
type file struct {
	// MinReplicationFactor is the cluster-wide minimum replication factor
	// (default 3).
	MinReplicationFactor *int `yaml:"min_replication_factor"`
	// MinInsyncReplicas is the cluster-wide minimum min.insync.replicas
	// (default 2).
	MinInsyncReplicas *int `yaml:"min_insync_replicas"`
	// IgnoreClusterRisks are cluster risks not reported.
	IgnoreClusterRisks []string `yaml:"ignore_cluster_risks"`
	// Exemptions relax the thresholds for topics matching a regex; the
	// first matching exemption applies.
	Exemptions []exemption `yaml:"exemptions"`
}

type exemption struct {
	// Topics is a regex matched against the whole topic name.
	Topics string `yaml:"topics"`
	// Reason says why the topics are exempted (documentation only).
	Reason               string   `yaml:"reason"`
	MinReplicationFactor *int     `yaml:"min_replication_factor"`
	MinInsyncReplicas    *int     `yaml:"min_insync_replicas"`
	IgnoreRisks          []string `yaml:"ignore_risks"`
}

// Policy is a parsed policy file. It implements risk.Policy.
type Policy struct {
	cluster    risk.Thresholds
	exemptions []compiled
}

type compiled struct {
	re *regexp.Regexp
	th risk.Thresholds
}

var _ risk.Policy = (*Policy)(nil)

// Topic returns the thresholds of the first exemption whose regex matches
// the topic, else the cluster-wide thresholds.
func (p *Policy) Topic(name string) risk.Thresholds {
	for _, e := range p.exemptions {
		if e.re.MatchString(name) {
			return e.th
		}
	}
	return p.cluster
}

// Cluster returns the cluster-wide thresholds.
func (p *Policy) Cluster() risk.Thresholds { return p.cluster }

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses a policy file; name prefixes error messages
// ("name:line: what is wrong"). An empty file is the default policy.
func Parse(name string, data []byte) (*Policy, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, fmt.Errorf("%s:%d: only one YAML document is allowed", name, line)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	lines := lineFinder{root: &root}

	p := &Policy{cluster: risk.DefaultThresholds()}
	if err := setThreshold(&p.cluster.MinReplicationFactor, f.MinReplicationFactor, 1, name, lines.at("min_replication_factor"), "min_replication_factor"); err != nil {
		return nil, err
	}
	if err := setThreshold(&p.cluster.MinInsyncReplicas, f.MinInsyncReplicas, 1, name, lines.at("min_insync_replicas"), "min_insync_replicas"); err != nil {
		return nil, err
	}
	ignored, err := riskSet(f.IgnoreClusterRisks, risk.IsClusterRisk, "cluster", name, func(i int) int { return lines.at("ignore_cluster_risks", i) })
	if err != nil {
		return nil, err
	}
	p.cluster.Ignored = ignored

	for i, e := range f.Exemptions {
		at := func(path ...any) int { return lines.at(append([]any{"exemptions", i}, path...)...) }
		if e.Topics == "" {
			return nil, fmt.Errorf("%s:%d: exemption %d: topics (a regex of topic names) is required", name, at(), i+1)
		}
		re, err := regexp.Compile("^(?:" + e.Topics + ")$")
		if err != nil {
			return nil, fmt.Errorf("%s:%d: exemption %d: topics %q does not compile: %v", name, at("topics"), i+1, e.Topics, err)
		}
		th := risk.Thresholds{MinReplicationFactor: p.cluster.MinReplicationFactor, MinInsyncReplicas: p.cluster.MinInsyncReplicas}
		if err := setThreshold(&th.MinReplicationFactor, e.MinReplicationFactor, 1, name, at("min_replication_factor"), "min_replication_factor"); err != nil {
			return nil, err
		}
		if err := setThreshold(&th.MinInsyncReplicas, e.MinInsyncReplicas, 1, name, at("min_insync_replicas"), "min_insync_replicas"); err != nil {
			return nil, err
		}
		th.Ignored, err = riskSet(e.IgnoreRisks, risk.IsTopicRisk, "topic", name, func(j int) int { return at("ignore_risks", j) })
		if err != nil {
			return nil, err
		}
		p.exemptions = append(p.exemptions, compiled{re: re, th: th})
	}
	return p, nil
}

// maxThreshold bounds the thresholds: Kafka's replication factor is an
// int16.
const maxThreshold = 32767

func setThreshold(dst *int, v *int, lowest int, name string, line int, field string) error {
	if v == nil {
		return nil
	}
	if *v < lowest || *v > maxThreshold {
		return fmt.Errorf("%s:%d: %s must be between %d and %d, got %d", name, line, field, lowest, maxThreshold, *v)
	}
	*dst = *v
	return nil
}

// riskSet validates risk names against the fixed set.
func riskSet(names []string, known func(string) bool, kind, name string, line func(int) int) (map[string]bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	set := make(map[string]bool, len(names))
	for i, r := range names {
		if !known(r) {
			valid := risk.TopicRisks
			if kind == "cluster" {
				valid = risk.ClusterRisks
			}
			return nil, fmt.Errorf("%s:%d: unknown %s risk %q (known: %s)", name, line(i), kind, r, strings.Join(valid, ", "))
		}
		set[r] = true
	}
	return set, nil
}

// yamlError puts a YAML error on one line, prefixed with the file name.
// yaml.v3 errors already say "line N: ...".
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s: %s", name, strings.Join(te.Errors, "; "))
	}
	return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
}

// lineFinder finds the line of a value in the parsed document, for errors
// found after decoding.
type lineFinder struct{ root *yaml.Node }

// at follows path (mapping keys as strings, sequence indexes as ints) and
// returns the line of the value there, or of the deepest node reached.
func (l lineFinder) at(path ...any) int {
	n := l.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, step := range path {
		next := child(n, step)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	if line == 0 {
		line = 1
	}
	return line
}

func child(n *yaml.Node, step any) *yaml.Node {
	switch s := step.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}
