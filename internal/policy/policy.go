// Package policy reads the risk policy file: the thresholds a team holds its
// topics to, and the topics exempted from them. Parsing is strict (unknown
// keys, wrong types, bad regexes and unknown risk names are errors) and every
// error reads "file:line: what is wrong", in the file's own terms.
package policy

import (
	"os"
	"regexp"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// The keys of the policy file.
const (
	keyMinReplicationFactor = "min_replication_factor"
	keyMinInsyncReplicas    = "min_insync_replicas"
	keyIgnoreClusterRisks   = "ignore_cluster_risks"
	keyExemptions           = "exemptions"
	keyTopics               = "topics"
	keyReason               = "reason"
	keyIgnoreRisks          = "ignore_risks"
)

// fileKeys are the keys at the top of the file; exemptionKeys those of one
// exemption (the first matching exemption applies to a topic).
var (
	fileKeys      = []string{keyMinReplicationFactor, keyMinInsyncReplicas, keyIgnoreClusterRisks, keyExemptions}
	exemptionKeys = []string{keyTopics, keyReason, keyMinReplicationFactor, keyMinInsyncReplicas, keyIgnoreRisks}
)

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
	root, err := document(name, data)
	if err != nil {
		return nil, err
	}
	p := &Policy{cluster: risk.DefaultThresholds()}
	if root == nil {
		return p, nil
	}
	d := decoder{name: name}
	top, err := d.mapping(root, fileKeys, "", "the policy file")
	if err != nil {
		return nil, err
	}
	if err := d.threshold(&p.cluster.MinReplicationFactor, top, keyMinReplicationFactor, ""); err != nil {
		return nil, err
	}
	if err := d.threshold(&p.cluster.MinInsyncReplicas, top, keyMinInsyncReplicas, ""); err != nil {
		return nil, err
	}
	if p.cluster.Ignored, err = d.risks(top, keyIgnoreClusterRisks, "", "cluster", risk.ClusterRisks); err != nil {
		return nil, err
	}
	exemptions, err := d.list(top, keyExemptions, "", "a list of exemptions")
	if err != nil {
		return nil, err
	}
	for i, n := range exemptions {
		e, err := d.exemption(i+1, n, p.cluster)
		if err != nil {
			return nil, err
		}
		p.exemptions = append(p.exemptions, e)
	}
	return p, nil
}

// exemption decodes the i-th (from 1) exemption; its thresholds default to
// the cluster-wide ones.
func (d decoder) exemption(i int, n *node, cluster risk.Thresholds) (compiled, error) {
	ctx := "exemption " + itoa(i) + ": "
	m, err := d.mapping(n, exemptionKeys, ctx, "exemption "+itoa(i))
	if err != nil {
		return compiled{}, err
	}
	topics, line, err := d.str(m, keyTopics, ctx, "a regex of topic names")
	if err != nil {
		return compiled{}, err
	}
	if topics == "" {
		return compiled{}, d.errorf(m.line, "%stopics (a regex of topic names) is required", ctx)
	}
	if _, err := regexp.Compile(topics); err != nil {
		return compiled{}, d.errorf(line, "%stopics %q does not compile: %v", ctx, topics, err)
	}
	re, err := regexp.Compile("^(?:" + topics + ")$")
	if err != nil {
		return compiled{}, d.errorf(line, "%stopics %q does not compile when anchored: %v", ctx, topics, err)
	}
	if _, _, err := d.str(m, keyReason, ctx, "text"); err != nil {
		return compiled{}, err
	}
	th := risk.Thresholds{MinReplicationFactor: cluster.MinReplicationFactor, MinInsyncReplicas: cluster.MinInsyncReplicas}
	if err := d.threshold(&th.MinReplicationFactor, m, keyMinReplicationFactor, ctx); err != nil {
		return compiled{}, err
	}
	if err := d.threshold(&th.MinInsyncReplicas, m, keyMinInsyncReplicas, ctx); err != nil {
		return compiled{}, err
	}
	if th.Ignored, err = d.risks(m, keyIgnoreRisks, ctx, "topic", risk.TopicRisks); err != nil {
		return compiled{}, err
	}
	return compiled{re: re, th: th}, nil
}
