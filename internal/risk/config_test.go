package risk

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// entries builds a ResourceConfig from name, value, source triples.
func entries(kv ...any) snapshot.ResourceConfig {
	rc := snapshot.ResourceConfig{Entries: map[string]snapshot.ConfigValue{}}
	for i := 0; i+2 < len(kv)+1; i += 3 {
		rc.Entries[kv[i].(string)] = snapshot.ConfigValue{Value: kv[i+1].(string), Source: kv[i+2].(snapshot.ConfigSource)}
	}
	return rc
}

func TestEffectiveTopicValue(t *testing.T) {
	brokers := map[int32]snapshot.ResourceConfig{
		2: entries("min.insync.replicas", "3", snapshot.SourceDynamicBroker),
		1: entries("min.insync.replicas", "2", snapshot.SourceDynamicClusterDefault,
			"log.retention.ms", "1000", snapshot.SourceStaticBroker),
		3: {Err: "CLUSTER_AUTHORIZATION_FAILED"},
	}
	cases := []struct {
		name       string
		config     string
		topic      snapshot.ResourceConfig
		brokers    map[int32]snapshot.ResourceConfig
		want       string
		wantSource snapshot.ConfigSource
	}{
		{"topic override wins over the broker default", "min.insync.replicas",
			entries("min.insync.replicas", "1", snapshot.SourceTopicOverride), brokers, "1", snapshot.SourceTopicOverride},
		{"value the broker reported for the topic (its default)", "min.insync.replicas",
			entries("min.insync.replicas", "2", snapshot.SourceStaticBroker), brokers, "2", snapshot.SourceStaticBroker},
		{"missing on the topic: lowest-id broker's default", "min.insync.replicas",
			entries(), brokers, "2", snapshot.SourceDynamicClusterDefault},
		{"missing on the topic: broker synonym log.retention.ms", "retention.ms",
			entries(), brokers, "1000", snapshot.SourceStaticBroker},
		{"missing everywhere: Kafka default", "cleanup.policy",
			entries(), brokers, "delete", snapshot.SourceKafkaDefault},
		{"missing unclean.leader.election.enable means false", "unclean.leader.election.enable",
			entries(), nil, "false", snapshot.SourceKafkaDefault},
		{"missing min.insync.replicas without brokers: Kafka default 1", "min.insync.replicas",
			entries(), nil, "1", snapshot.SourceKafkaDefault},
		{"unreadable broker is skipped", "min.insync.replicas",
			entries(), map[int32]snapshot.ResourceConfig{3: {Err: "X"}, 4: entries("min.insync.replicas", "2", snapshot.SourceStaticBroker)}, "2", snapshot.SourceStaticBroker},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, src := EffectiveTopicValue(c.config, c.topic, c.brokers)
			if got != c.want || src != c.wantSource {
				t.Fatalf("got %q from %s, want %q from %s", got, src, c.want, c.wantSource)
			}
		})
	}
}

func topicRF(name string, replicas ...[]int32) snapshot.Topic {
	t := snapshot.Topic{Name: name}
	for i, r := range replicas {
		t.Partitions = append(t.Partitions, snapshot.Partition{ID: int32(i), Leader: r[0], Replicas: r, ISR: r})
	}
	return t
}

func TestEffectiveTopicConfig(t *testing.T) {
	topic := topicRF("orders", []int32{1, 2, 3}, []int32{2, 3})
	brokers := map[int32]snapshot.ResourceConfig{1: entries("min.insync.replicas", "2", snapshot.SourceStaticBroker)}
	cases := []struct {
		name    string
		configs *snapshot.Configs
		want    TopicConfig
	}{
		{"never read", nil, TopicConfig{ReplicationFactor: 2, Err: "NOT_READ"}},
		{"topic missing from the read", &snapshot.Configs{Topics: map[string]snapshot.ResourceConfig{}}, TopicConfig{ReplicationFactor: 2, Err: "NOT_READ"}},
		{"topic error carried", &snapshot.Configs{Topics: map[string]snapshot.ResourceConfig{"orders": {Err: "TOPIC_AUTHORIZATION_FAILED"}}},
			TopicConfig{ReplicationFactor: 2, Err: "TOPIC_AUTHORIZATION_FAILED"}},
		{"all overrides", &snapshot.Configs{Brokers: brokers, Topics: map[string]snapshot.ResourceConfig{"orders": entries(
			"min.insync.replicas", "3", snapshot.SourceTopicOverride,
			"unclean.leader.election.enable", "TRUE", snapshot.SourceTopicOverride,
			"retention.ms", "-1", snapshot.SourceTopicOverride,
			"retention.bytes", "1073741824", snapshot.SourceTopicOverride,
			"cleanup.policy", "compact,delete", snapshot.SourceTopicOverride,
			"compression.type", "zstd", snapshot.SourceTopicOverride,
			"message.timestamp.type", "LogAppendTime", snapshot.SourceTopicOverride,
			"remote.storage.enable", "true", snapshot.SourceTopicOverride)}},
			TopicConfig{Known: true, ReplicationFactor: 2, MinInsyncReplicas: 3, UncleanLeaderElection: true, RetentionSeconds: -1,
				RetentionBytes: 1073741824, CleanupPolicy: "compact,delete", CompressionType: "zstd", TimestampType: "LogAppendTime", RemoteStorage: true}},
		{"nothing returned: broker and Kafka defaults", &snapshot.Configs{Brokers: brokers, Topics: map[string]snapshot.ResourceConfig{"orders": entries()}},
			TopicConfig{Known: true, ReplicationFactor: 2, MinInsyncReplicas: 2, RetentionSeconds: 604800, RetentionBytes: -1,
				CleanupPolicy: "delete", CompressionType: "producer", TimestampType: "CreateTime"}},
		{"unparsable numbers fall back to Kafka defaults", &snapshot.Configs{Topics: map[string]snapshot.ResourceConfig{"orders": entries(
			"min.insync.replicas", "two", snapshot.SourceTopicOverride, "retention.ms", "", snapshot.SourceTopicOverride,
			"retention.bytes", "-5", snapshot.SourceTopicOverride)}},
			TopicConfig{Known: true, ReplicationFactor: 2, MinInsyncReplicas: 1, RetentionSeconds: 604800, RetentionBytes: -1,
				CleanupPolicy: "delete", CompressionType: "producer", TimestampType: "CreateTime"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EffectiveTopicConfig(&topic, c.configs); got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestReplicationFactor(t *testing.T) {
	cases := []struct {
		name  string
		topic snapshot.Topic
		want  int
	}{
		{"no partitions", snapshot.Topic{}, 0},
		{"uniform", topicRF("a", []int32{1, 2, 3}, []int32{2, 3, 1}), 3},
		{"smallest partition counts", topicRF("a", []int32{1, 2, 3}, []int32{2}), 1},
		{"smallest first", topicRF("a", []int32{2}, []int32{1, 2, 3}), 1},
	}
	for _, c := range cases {
		if got := ReplicationFactor(&c.topic); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
