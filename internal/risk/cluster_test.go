package risk

import (
	"reflect"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// safeBroker is a broker whose defaults raise no cluster risk.
func safeBroker(overrides ...string) snapshot.ResourceConfig {
	kv := map[string]string{
		"min.insync.replicas":                      "2",
		"unclean.leader.election.enable":           "false",
		"default.replication.factor":               "3",
		"auto.create.topics.enable":                "true",
		"offsets.topic.replication.factor":         "3",
		"transaction.state.log.replication.factor": "3",
		"transaction.state.log.min.isr":            "2",
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		kv[overrides[i]] = overrides[i+1]
	}
	rc := snapshot.ResourceConfig{Entries: map[string]snapshot.ConfigValue{}}
	for k, v := range kv {
		rc.Entries[k] = snapshot.ConfigValue{Value: v, Source: snapshot.SourceStaticBroker}
	}
	return rc
}

func TestResolveBrokerDefaults(t *testing.T) {
	cases := []struct {
		name string
		rc   snapshot.ResourceConfig
		want BrokerDefaults
	}{
		{"error carried", snapshot.ResourceConfig{Err: "CLUSTER_AUTHORIZATION_FAILED"}, BrokerDefaults{ID: 1, Err: "CLUSTER_AUTHORIZATION_FAILED"}},
		{"nothing returned: Kafka defaults, unclean false", snapshot.ResourceConfig{}, BrokerDefaults{ID: 1, Known: true, MinInsyncReplicas: 1,
			DefaultReplicationFactor: 1, AutoCreateTopics: true, OffsetsTopicReplicationFactor: 3, TransactionStateReplicationFactor: 3, TransactionStateMinISR: 2}},
		{"values read", safeBroker("unclean.leader.election.enable", "true", "auto.create.topics.enable", "false"), BrokerDefaults{ID: 1, Known: true,
			MinInsyncReplicas: 2, UncleanLeaderElection: true, DefaultReplicationFactor: 3, OffsetsTopicReplicationFactor: 3,
			TransactionStateReplicationFactor: 3, TransactionStateMinISR: 2}},
	}
	for _, c := range cases {
		if got := ResolveBrokerDefaults(1, c.rc); got != c.want {
			t.Errorf("%s:\ngot  %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestClusterFindings(t *testing.T) {
	internal := func(name string, rf int, minISR string) (snapshot.Topic, snapshot.ResourceConfig) {
		replicas := []int32{1, 2, 3}[:rf]
		t := snapshot.Topic{Name: name, Internal: true, Partitions: []snapshot.Partition{{Leader: 1, Replicas: replicas, ISR: replicas}}}
		return t, entries("min.insync.replicas", minISR, snapshot.SourceTopicOverride)
	}
	type topicCfg struct {
		t  snapshot.Topic
		rc snapshot.ResourceConfig
	}
	tc := func(t snapshot.Topic, rc snapshot.ResourceConfig) topicCfg { return topicCfg{t, rc} }
	build := func(brokers map[int32]snapshot.ResourceConfig, topics ...topicCfg) *snapshot.Snapshot {
		s := &snapshot.Snapshot{Configs: &snapshot.Configs{Brokers: brokers, Topics: map[string]snapshot.ResourceConfig{}}}
		for _, x := range topics {
			s.Topics = append(s.Topics, x.t)
			s.Configs.Topics[x.t.Name] = x.rc
		}
		// Topics must be sorted for Snapshot.Topic.
		if len(s.Topics) == 2 && s.Topics[0].Name > s.Topics[1].Name {
			s.Topics[0], s.Topics[1] = s.Topics[1], s.Topics[0]
		}
		return s
	}
	safe := map[int32]snapshot.ResourceConfig{1: safeBroker(), 2: safeBroker(), 3: safeBroker()}
	withBroker := func(id int32, rc snapshot.ResourceConfig) map[int32]snapshot.ResourceConfig {
		m := map[int32]snapshot.ResourceConfig{}
		for k, v := range safe {
			m[k] = v
		}
		m[id] = rc
		return m
	}
	def := DefaultThresholds()
	cases := []struct {
		name string
		s    *snapshot.Snapshot
		th   Thresholds
		want []string
	}{
		{"safe cluster, internal topics not created yet", build(safe), def, nil},
		{"safe internal topics", build(safe, tc(internal(ConsumerOffsetsTopic, 3, "2")), tc(internal(TransactionStateTopic, 3, "2"))), def, nil},
		{"__consumer_offsets RF 1", build(safe, tc(internal(ConsumerOffsetsTopic, 1, "2"))), def, []string{ClusterRiskConsumerOffsetsRF}},
		{"__consumer_offsets minISR 1", build(safe, tc(internal(ConsumerOffsetsTopic, 3, "1"))), def, []string{ClusterRiskConsumerOffsetsMinISR}},
		{"__transaction_state RF 2 minISR 1", build(safe, tc(internal(TransactionStateTopic, 2, "1"))), def,
			[]string{ClusterRiskTransactionStateRF, ClusterRiskTransactionStateMinISR}},
		{"__consumer_offsets will be created with RF 1", build(withBroker(2, safeBroker("offsets.topic.replication.factor", "1"))), def,
			[]string{ClusterRiskConsumerOffsetsRF}},
		{"__transaction_state will be created with min ISR 1", build(withBroker(3, safeBroker("transaction.state.log.min.isr", "1"))), def,
			[]string{ClusterRiskTransactionStateMinISR}},
		{"existing topic wins over the creation settings", build(withBroker(2, safeBroker("offsets.topic.replication.factor", "1")),
			tc(internal(ConsumerOffsetsTopic, 3, "2"))), def, nil},
		{"default RF 1 with auto-create", build(map[int32]snapshot.ResourceConfig{1: safeBroker("default.replication.factor", "1"),
			2: safeBroker("default.replication.factor", "1"), 3: safeBroker("default.replication.factor", "1")}), def,
			[]string{ClusterRiskDefaultReplicationFactor}},
		{"default RF 1 without auto-create is no risk", build(map[int32]snapshot.ResourceConfig{
			1: safeBroker("default.replication.factor", "1", "auto.create.topics.enable", "false")}), def, nil},
		{"unclean by default", build(map[int32]snapshot.ResourceConfig{1: safeBroker("unclean.leader.election.enable", "true")}), def,
			[]string{ClusterRiskUncleanDefault}},
		{"min ISR default 1", build(map[int32]snapshot.ResourceConfig{1: safeBroker("min.insync.replicas", "1")}), def,
			[]string{ClusterRiskConsumerOffsetsMinISR, ClusterRiskMinISRDefault}},
		{"one broker disagrees on min ISR", build(withBroker(3, safeBroker("min.insync.replicas", "3"))), def,
			[]string{ClusterRiskBrokersDisagree}},
		{"one broker with unclean election", build(withBroker(2, safeBroker("unclean.leader.election.enable", "true"))), def,
			[]string{ClusterRiskUncleanDefault, ClusterRiskBrokersDisagree}},
		{"unreadable broker neither agrees nor disagrees", build(withBroker(2, snapshot.ResourceConfig{Err: "CLUSTER_AUTHORIZATION_FAILED"})), def, nil},
		{"configs never read: metadata only", &snapshot.Snapshot{Topics: []snapshot.Topic{func() snapshot.Topic {
			t, _ := internal(ConsumerOffsetsTopic, 1, "1")
			return t
		}()}}, def, []string{ClusterRiskConsumerOffsetsRF}},
		{"ignored cluster risk", build(withBroker(3, safeBroker("min.insync.replicas", "3"))),
			Thresholds{MinReplicationFactor: 3, MinInsyncReplicas: 2, Ignored: map[string]bool{ClusterRiskBrokersDisagree: true}}, nil},
		{"lower cluster thresholds", build(map[int32]snapshot.ResourceConfig{1: safeBroker("min.insync.replicas", "1", "default.replication.factor", "2")},
			tc(internal(ConsumerOffsetsTopic, 2, "1"))), Thresholds{MinReplicationFactor: 2, MinInsyncReplicas: 1}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ClusterFindings(c.s, c.th); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}
