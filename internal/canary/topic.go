package canary

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// Topic configuration the canary manages.
const (
	configMinISR    = "min.insync.replicas"
	configUnclean   = "unclean.leader.election.enable"
	configRetention = "retention.ms"
)

// retention of the canary topic: far longer than any loss timeout, short
// enough that the topic stays a few megabytes.
const retention = time.Hour

// TopicOptions say what the canary topic should look like.
type TopicOptions struct {
	Topic string
	// Partitions: 0 for one per broker (and a new one for each broker
	// added later); a fixed number otherwise (tests).
	Partitions int
	// ReplicationFactor: 0 for min(3, brokers).
	ReplicationFactor int
	// MinInsyncReplicas is the wanted min.insync.replicas (2), capped at
	// the replication factor.
	MinInsyncReplicas int
	// UncleanLeaderElection is the wanted unclean.leader.election.enable
	// (false; true only for tests of the detector).
	UncleanLeaderElection bool
}

// Admin is what the topic manager asks of the cluster: the live brokers,
// and the part of sarama.ClusterAdmin it uses (see AdminFrom).
type Admin interface {
	Brokers() ([]Broker, error)
	DescribeTopics(topics []string) ([]*sarama.TopicMetadata, error)
	CreateTopic(topic string, detail *sarama.TopicDetail, validateOnly bool) error
	CreatePartitions(topic string, count int32, assignment [][]int32, validateOnly bool) error
	DescribeConfig(resource sarama.ConfigResource) ([]sarama.ConfigEntry, error)
	IncrementalAlterConfig(rtype sarama.ConfigResourceType, name string, entries map[string]sarama.IncrementalAlterConfigsEntry, validateOnly bool) error
}

// AdminFrom adapts a sarama cluster admin.
func AdminFrom(a sarama.ClusterAdmin) Admin { return saramaAdmin{a} }

type saramaAdmin struct{ sarama.ClusterAdmin }

// Brokers lists the live brokers and their racks (one Metadata request).
func (a saramaAdmin) Brokers() ([]Broker, error) {
	raw, _, err := a.DescribeCluster()
	if err != nil {
		return nil, err
	}
	out := make([]Broker, 0, len(raw))
	for _, b := range raw {
		out = append(out, Broker{ID: b.ID(), Rack: b.Rack()})
	}
	return out, nil
}

// TopicState is the outcome of one check of the canary topic.
type TopicState struct {
	// Partitions are the topic's partitions (empty when it is unusable).
	Partitions []int32
	// Created is true when this check created the topic.
	Created bool
	// Findings are the problems found (see Findings), sorted.
	Findings []string
	// Problems explain the findings and failures, one per line, for the log.
	Problems []string
}

// Usable reports whether the canary can write and read the topic.
func (s TopicState) Usable() bool { return len(s.Partitions) > 0 }

// TopicManager creates, inspects and repairs the canary topic. It never
// fails: what it cannot do it reports as findings.
type TopicManager struct {
	admin Admin
	opts  TopicOptions
}

// NewTopicManager returns a manager of the topic opts.Topic.
func NewTopicManager(admin Admin, opts TopicOptions) *TopicManager {
	return &TopicManager{admin: admin, opts: opts}
}

// stateBuilder collects findings and problems.
type stateBuilder struct {
	s     TopicState
	found map[string]bool
}

func (b *stateBuilder) find(finding string) {
	if b.found == nil {
		b.found = map[string]bool{}
	}
	b.found[finding] = true
}

// fail records a failed request: its finding, not_authorized when Kafka
// refused it, and the explanation.
func (b *stateBuilder) fail(finding, what string, err error) {
	b.find(finding)
	if isAuthorizationError(err) {
		b.find(FindingNotAuthorized)
	}
	b.s.Problems = append(b.s.Problems, fmt.Sprintf("%s: %v", what, err))
}

func (b *stateBuilder) done() TopicState {
	for f := range b.found {
		b.s.Findings = append(b.s.Findings, f)
	}
	sort.Strings(b.s.Findings)
	return b.s
}

// isAuthorizationError reports whether Kafka refused a request for lack of
// permissions.
func isAuthorizationError(err error) bool {
	return strings.HasSuffix(kafka.ErrorName(err), "_AUTHORIZATION_FAILED")
}

// Ensure checks the topic, creates it when it is missing, and repairs what
// it can: missing partitions for brokers that lead none, and its
// min.insync.replicas and unclean.leader.election.enable settings.
func (m *TopicManager) Ensure() TopicState {
	var b stateBuilder
	brokers, err := m.admin.Brokers()
	if err != nil {
		b.fail(FindingCannotDescribe, "describing the cluster", err)
		return b.done()
	}
	if len(brokers) == 0 {
		b.fail(FindingCannotDescribe, "describing the cluster", errors.New("no broker in the metadata"))
		return b.done()
	}
	rf := EffectiveRF(m.opts.ReplicationFactor, len(brokers))

	md, err := m.describe()
	switch {
	case errors.Is(err, sarama.ErrUnknownTopicOrPartition):
		assignment := PlanAssignment(brokers, m.opts.Partitions, rf)
		if err := m.create(assignment, rf); err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			b.fail(FindingCannotCreate, "creating topic "+m.opts.Topic, err)
			return b.done()
		} else if err == nil {
			b.s.Created = true
		}
		if md, err = m.describe(); err != nil {
			// Just created: the metadata may lag; use the plan.
			md = &sarama.TopicMetadata{Name: m.opts.Topic}
			for p, r := range assignment {
				md.Partitions = append(md.Partitions, &sarama.PartitionMetadata{ID: int32(p), Replicas: r})
			}
		}
	case err != nil:
		b.fail(FindingCannotDescribe, "describing topic "+m.opts.Topic, err)
		return b.done()
	}

	current := assignmentOf(md)
	if m.opts.Partitions == 0 && !b.s.Created {
		if add := PlanNewPartitions(current, brokers, rf); len(add) > 0 {
			count := int32(len(current) + len(add))
			if err := m.admin.CreatePartitions(m.opts.Topic, count, add, false); err != nil {
				b.fail(FindingCannotRepair, fmt.Sprintf("adding %d partitions to %s for brokers that lead none", len(add), m.opts.Topic), err)
			} else {
				current = append(current, add...)
			}
		}
	}
	for _, f := range LayoutFindings(current, brokers) {
		b.find(f)
	}
	if m.opts.ReplicationFactor > 0 && m.opts.ReplicationFactor < 3 {
		b.find(FindingRFBelow3)
	}
	m.checkConfigs(&b, minReplicas(current))
	for p := range current {
		b.s.Partitions = append(b.s.Partitions, int32(p))
	}
	return b.done()
}

// describe reads the topic's metadata; a missing topic gives
// sarama.ErrUnknownTopicOrPartition.
func (m *TopicManager) describe() (*sarama.TopicMetadata, error) {
	mds, err := m.admin.DescribeTopics([]string{m.opts.Topic})
	if err != nil {
		return nil, err
	}
	for _, md := range mds {
		if md.Name != m.opts.Topic {
			continue
		}
		if !errors.Is(md.Err, sarama.ErrNoError) {
			return nil, md.Err
		}
		if len(md.Partitions) == 0 {
			return nil, sarama.ErrUnknownTopicOrPartition
		}
		return md, nil
	}
	return nil, sarama.ErrUnknownTopicOrPartition
}

func (m *TopicManager) wantMinISR(rf int) int {
	want := m.opts.MinInsyncReplicas
	if want <= 0 {
		want = 2
	}
	return max(1, min(want, rf))
}

func (m *TopicManager) create(assignment [][]int32, rf int) error {
	detail := &sarama.TopicDetail{
		NumPartitions:     -1,
		ReplicationFactor: -1,
		ReplicaAssignment: map[int32][]int32{},
		ConfigEntries: map[string]*string{
			configMinISR:    ptr(strconv.Itoa(m.wantMinISR(rf))),
			configUnclean:   ptr(strconv.FormatBool(m.opts.UncleanLeaderElection)),
			configRetention: ptr(strconv.FormatInt(retention.Milliseconds(), 10)),
		},
	}
	for p, r := range assignment {
		detail.ReplicaAssignment[int32(p)] = r
	}
	return m.admin.CreateTopic(m.opts.Topic, detail, false)
}

// checkConfigs reads min.insync.replicas and unclean.leader.election.enable,
// sets them when they differ from the wanted values, and reports the
// values in force.
func (m *TopicManager) checkConfigs(b *stateBuilder, rf int) {
	entries, err := m.admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: m.opts.Topic,
		ConfigNames: []string{configMinISR, configUnclean}})
	if err != nil {
		b.fail(FindingCannotDescribe, "reading the configuration of "+m.opts.Topic, err)
		return
	}
	have := map[string]string{}
	for _, e := range entries {
		have[e.Name] = e.Value
	}
	want := map[string]string{
		configMinISR:  strconv.Itoa(m.wantMinISR(rf)),
		configUnclean: strconv.FormatBool(m.opts.UncleanLeaderElection),
	}
	set := map[string]sarama.IncrementalAlterConfigsEntry{}
	for k, v := range want {
		if have[k] != v {
			set[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: ptr(v)}
		}
	}
	if len(set) > 0 {
		if err := m.admin.IncrementalAlterConfig(sarama.TopicResource, m.opts.Topic, set, false); err != nil {
			b.fail(FindingCannotRepair, fmt.Sprintf("setting %s on %s", formatConfigs(set), m.opts.Topic), err)
		} else {
			for k := range set {
				have[k] = want[k]
			}
		}
	}
	if n, err := strconv.Atoi(have[configMinISR]); err == nil && n < 2 {
		b.find(FindingMinISRBelow2)
	}
	if have[configUnclean] == "true" {
		b.find(FindingUncleanElection)
	}
}

func formatConfigs(set map[string]sarama.IncrementalAlterConfigsEntry) string {
	parts := make([]string, 0, len(set))
	for k, e := range set {
		parts = append(parts, k+"="+*e.Value)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// assignmentOf returns replicas by partition id (partitions are 0..n-1).
func assignmentOf(md *sarama.TopicMetadata) [][]int32 {
	n := 0
	for _, p := range md.Partitions {
		n = max(n, int(p.ID)+1)
	}
	out := make([][]int32, n)
	for _, p := range md.Partitions {
		out[p.ID] = append([]int32(nil), p.Replicas...)
	}
	return out
}

func minReplicas(assignment [][]int32) int {
	n := 0
	for i, r := range assignment {
		if i == 0 || len(r) < n {
			n = len(r)
		}
	}
	return n
}

func ptr[T any](v T) *T { return &v }
