package canary

import (
	"errors"
	"reflect"
	"testing"

	"github.com/IBM/sarama"
)

// fakeAdmin is an in-memory cluster for the topic manager.
type fakeAdmin struct {
	brokers    []Broker
	topic      *sarama.TopicMetadata // nil: the topic does not exist
	configs    map[string]string
	createErr  error // returned by CreateTopic
	alterErr   error // returned by CreatePartitions and IncrementalAlterConfig
	clusterErr error // returned by DescribeCluster

	created    *sarama.TopicDetail
	added      [][]int32
	alteredSet map[string]string
}

func (f *fakeAdmin) Brokers() ([]Broker, error) {
	if f.clusterErr != nil {
		return nil, f.clusterErr
	}
	return f.brokers, nil
}

func (f *fakeAdmin) DescribeTopics(topics []string) ([]*sarama.TopicMetadata, error) {
	if f.topic == nil {
		return []*sarama.TopicMetadata{{Name: topics[0], Err: sarama.ErrUnknownTopicOrPartition}}, nil
	}
	return []*sarama.TopicMetadata{f.topic}, nil
}

func (f *fakeAdmin) CreateTopic(topic string, detail *sarama.TopicDetail, _ bool) error {
	if f.createErr != nil {
		return f.createErr
	}
	f.created = detail
	f.topic = &sarama.TopicMetadata{Name: topic, Err: sarama.ErrNoError}
	for p := int32(0); p < int32(len(detail.ReplicaAssignment)); p++ {
		f.topic.Partitions = append(f.topic.Partitions, &sarama.PartitionMetadata{ID: p, Replicas: detail.ReplicaAssignment[p]})
	}
	f.configs = map[string]string{}
	for k, v := range detail.ConfigEntries {
		f.configs[k] = *v
	}
	return nil
}

func (f *fakeAdmin) CreatePartitions(_ string, count int32, assignment [][]int32, _ bool) error {
	if f.alterErr != nil {
		return f.alterErr
	}
	f.added = assignment
	for _, r := range assignment {
		f.topic.Partitions = append(f.topic.Partitions, &sarama.PartitionMetadata{ID: int32(len(f.topic.Partitions)), Replicas: r})
	}
	if int(count) != len(f.topic.Partitions) {
		return errors.New("bad count")
	}
	return nil
}

func (f *fakeAdmin) DescribeConfig(sarama.ConfigResource) ([]sarama.ConfigEntry, error) {
	var out []sarama.ConfigEntry
	for k, v := range f.configs {
		out = append(out, sarama.ConfigEntry{Name: k, Value: v})
	}
	return out, nil
}

func (f *fakeAdmin) IncrementalAlterConfig(_ sarama.ConfigResourceType, _ string, entries map[string]sarama.IncrementalAlterConfigsEntry, _ bool) error {
	if f.alterErr != nil {
		return f.alterErr
	}
	f.alteredSet = map[string]string{}
	for k, e := range entries {
		f.configs[k] = *e.Value
		f.alteredSet[k] = *e.Value
	}
	return nil
}

var testBrokers = []Broker{{1, "rack-a"}, {2, "rack-b"}, {3, "rack-b"}}

func existing(assignment [][]int32, configs map[string]string) *fakeAdmin {
	f := &fakeAdmin{brokers: testBrokers, configs: configs, topic: &sarama.TopicMetadata{Name: "canary", Err: sarama.ErrNoError}}
	for p, r := range assignment {
		f.topic.Partitions = append(f.topic.Partitions, &sarama.PartitionMetadata{ID: int32(p), Replicas: r})
	}
	return f
}

func TestTopicManagerEnsure(t *testing.T) {
	safe := map[string]string{configMinISR: "2", configUnclean: "false"}
	planned := [][]int32{{1, 2, 3}, {2, 1, 3}, {3, 1, 2}}
	authErr := &sarama.TopicError{Err: sarama.ErrTopicAuthorizationFailed}
	cases := []struct {
		name         string
		admin        *fakeAdmin
		opts         TopicOptions
		wantParts    []int32
		wantFindings []string
		check        func(t *testing.T, f *fakeAdmin)
	}{
		{"missing topic is created with the planned layout and safe settings", &fakeAdmin{brokers: testBrokers}, TopicOptions{},
			[]int32{0, 1, 2}, nil, func(t *testing.T, f *fakeAdmin) {
				if f.created == nil {
					t.Fatal("not created")
				}
				if got := f.created.ReplicaAssignment; !reflect.DeepEqual(got, map[int32][]int32{0: {1, 2, 3}, 1: {2, 1, 3}, 2: {3, 1, 2}}) {
					t.Errorf("assignment %v", got)
				}
				if f.configs[configMinISR] != "2" || f.configs[configUnclean] != "false" || f.configs[configRetention] != "3600000" {
					t.Errorf("configs %v", f.configs)
				}
			}},
		{"healthy topic is left alone", existing(planned, safe), TopicOptions{}, []int32{0, 1, 2}, nil, func(t *testing.T, f *fakeAdmin) {
			if f.added != nil || f.alteredSet != nil {
				t.Errorf("changed a healthy topic: added %v, set %v", f.added, f.alteredSet)
			}
		}},
		{"broker added: a partition it leads is added", func() *fakeAdmin {
			f := existing(planned, safe)
			f.brokers = append(append([]Broker(nil), testBrokers...), Broker{4, "rack-a"})
			return f
		}(), TopicOptions{}, []int32{0, 1, 2, 3}, nil, func(t *testing.T, f *fakeAdmin) {
			if !reflect.DeepEqual(f.added, [][]int32{{4, 3, 1}}) {
				t.Errorf("added %v", f.added)
			}
		}},
		{"unsafe settings changed by hand are repaired", existing(planned, map[string]string{configMinISR: "1", configUnclean: "true"}), TopicOptions{},
			[]int32{0, 1, 2}, nil, func(t *testing.T, f *fakeAdmin) {
				if !reflect.DeepEqual(f.alteredSet, map[string]string{configMinISR: "2", configUnclean: "false"}) {
					t.Errorf("set %v", f.alteredSet)
				}
			}},
		{"repair refused: findings, topic still usable", func() *fakeAdmin {
			f := existing(planned, map[string]string{configMinISR: "1", configUnclean: "true"})
			f.alterErr = sarama.ErrTopicAuthorizationFailed
			return f
		}(), TopicOptions{}, []int32{0, 1, 2},
			[]string{FindingCannotRepair, FindingMinISRBelow2, FindingNotAuthorized, FindingUncleanElection}, nil},
		{"create refused: not authorized, unusable", &fakeAdmin{brokers: testBrokers, createErr: authErr}, TopicOptions{},
			nil, []string{FindingCannotCreate, FindingNotAuthorized}, nil},
		{"cluster unreachable", &fakeAdmin{clusterErr: errors.New("dial tcp: refused")}, TopicOptions{},
			nil, []string{FindingCannotDescribe}, nil},
		{"test settings: rf 2, min ISR 1, unclean, one partition", &fakeAdmin{brokers: testBrokers},
			TopicOptions{Partitions: 1, ReplicationFactor: 2, MinInsyncReplicas: 1, UncleanLeaderElection: true},
			[]int32{0}, []string{FindingBrokerLeadsNone, FindingMinISRBelow2, FindingRFBelow3, FindingUncleanElection}, nil},
		{"one broker: rf 1 and min ISR 1 are findings", &fakeAdmin{brokers: []Broker{{1, ""}}}, TopicOptions{},
			[]int32{0}, []string{FindingMinISRBelow2, FindingRFBelow3}, nil},
		{"topic made by hand with rf 2 on one rack", existing([][]int32{{1, 2}, {2, 3}, {3, 2}}, safe), TopicOptions{},
			[]int32{0, 1, 2}, []string{FindingRacksNotSpread, FindingRFBelow3}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Topic = "canary"
			s := NewTopicManager(c.admin, c.opts).Ensure()
			if !reflect.DeepEqual(s.Partitions, c.wantParts) {
				t.Errorf("partitions %v, want %v", s.Partitions, c.wantParts)
			}
			if !reflect.DeepEqual(s.Findings, c.wantFindings) {
				t.Errorf("findings %v, want %v (problems: %v)", s.Findings, c.wantFindings, s.Problems)
			}
			if !s.Usable() && len(s.Problems) == 0 {
				t.Errorf("unusable without a problem to log")
			}
			if c.check != nil {
				c.check(t, c.admin)
			}
		})
	}
}
