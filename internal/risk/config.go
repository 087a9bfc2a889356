package risk

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// brokerDefaultName maps a topic configuration name to the broker
// configuration that gives its default.
var brokerDefaultName = map[string]string{
	"min.insync.replicas":            "min.insync.replicas",
	"unclean.leader.election.enable": "unclean.leader.election.enable",
	"retention.ms":                   "log.retention.ms",
	"retention.bytes":                "log.retention.bytes",
	"cleanup.policy":                 "log.cleanup.policy",
	"compression.type":               "compression.type",
	"message.timestamp.type":         "log.message.timestamp.type",
}

// kafkaDefaults are Kafka's built-in defaults, used when neither the topic
// nor any broker gives a value. A missing unclean.leader.election.enable
// means false.
var kafkaDefaults = map[string]string{
	"min.insync.replicas":                      "1",
	"unclean.leader.election.enable":           "false",
	"retention.ms":                             "604800000",
	"retention.bytes":                          "-1",
	"cleanup.policy":                           "delete",
	"compression.type":                         "producer",
	"message.timestamp.type":                   "CreateTime",
	"remote.storage.enable":                    "false",
	"default.replication.factor":               "1",
	"auto.create.topics.enable":                "true",
	"offsets.topic.replication.factor":         "3",
	"transaction.state.log.replication.factor": "3",
	"transaction.state.log.min.isr":            "2",
}

// EffectiveTopicValue resolves one topic configuration entry: the topic's
// override, else the value the broker reported for the topic (its
// default), else the broker default read from the lowest-id broker that has
// it, else Kafka's built-in default. The second result says where the value
// came from.
func EffectiveTopicValue(name string, topic snapshot.ResourceConfig, brokers map[int32]snapshot.ResourceConfig) (string, snapshot.ConfigSource) {
	if v, ok := topic.Get(name); ok {
		return v.Value, v.Source
	}
	if bname, ok := brokerDefaultName[name]; ok {
		if v, ok := brokerValue(bname, brokers); ok {
			return v.Value, v.Source
		}
	}
	return kafkaDefaults[name], snapshot.SourceKafkaDefault
}

// brokerValue returns the named entry of the lowest-id broker that has it.
func brokerValue(name string, brokers map[int32]snapshot.ResourceConfig) (snapshot.ConfigValue, bool) {
	for _, id := range sortedIDs(brokers) {
		if v, ok := brokers[id].Get(name); ok {
			return v, true
		}
	}
	return snapshot.ConfigValue{}, false
}

func sortedIDs(brokers map[int32]snapshot.ResourceConfig) []int32 {
	ids := make([]int32, 0, len(brokers))
	for id := range brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// TopicConfig is a topic's effective configuration, as far as loss goes.
type TopicConfig struct {
	// Known is false when the topic's configuration could not be read;
	// Err then names why, and only ReplicationFactor is meaningful.
	Known bool
	Err   string
	// ReplicationFactor is the smallest replica count over the partitions
	// (0 for a topic without partitions).
	ReplicationFactor int
	// MinInsyncReplicas is the effective min.insync.replicas.
	MinInsyncReplicas int
	// UncleanLeaderElection is the effective unclean.leader.election.enable.
	UncleanLeaderElection bool
	// RetentionSeconds is retention.ms in seconds, -1 for infinite.
	RetentionSeconds float64
	// RetentionBytes is retention.bytes, -1 for infinite.
	RetentionBytes int64
	// CleanupPolicy, CompressionType, TimestampType and RemoteStorage are
	// descriptive settings.
	CleanupPolicy, CompressionType, TimestampType string
	RemoteStorage                                 bool
}

// DeletesByTime reports whether time-based retention deletes the topic's
// old segments: cleanup.policy includes delete (Kafka's default when the
// broker did not say) and retention.ms is not infinite.
func (c TopicConfig) DeletesByTime() bool {
	return c.RetentionSeconds >= 0 && (c.CleanupPolicy == "" || slices.Contains(strings.Split(c.CleanupPolicy, ","), "delete"))
}

// ReplicationFactor returns the smallest replica count over the topic's
// partitions, 0 when it has none.
func ReplicationFactor(t *snapshot.Topic) int {
	rf := 0
	for i, p := range t.Partitions {
		if n := len(p.Replicas); i == 0 || n < rf {
			rf = n
		}
	}
	return rf
}

// EffectiveTopicConfig resolves a topic's configuration from what
// DescribeConfigs read (c may be nil when it was never read).
func EffectiveTopicConfig(t *snapshot.Topic, c *snapshot.Configs) TopicConfig {
	tc := TopicConfig{ReplicationFactor: ReplicationFactor(t)}
	if c == nil {
		tc.Err = "NOT_READ"
		return tc
	}
	rc, ok := c.Topics[t.Name]
	switch {
	case !ok:
		tc.Err = "NOT_READ"
		return tc
	case rc.Err != "":
		tc.Err = rc.Err
		return tc
	}
	get := func(name string) string {
		v, _ := EffectiveTopicValue(name, rc, c.Brokers)
		return v
	}
	tc.Known = true
	tc.MinInsyncReplicas = int(parseInt(get("min.insync.replicas"), 1))
	tc.UncleanLeaderElection = parseBool(get("unclean.leader.election.enable"))
	retentionMs := parseInt(get("retention.ms"), 604800000)
	if retentionMs < 0 {
		tc.RetentionSeconds = -1
	} else {
		tc.RetentionSeconds = float64(retentionMs) / 1000
	}
	tc.RetentionBytes = parseInt(get("retention.bytes"), -1)
	if tc.RetentionBytes < 0 {
		tc.RetentionBytes = -1
	}
	tc.CleanupPolicy = get("cleanup.policy")
	tc.CompressionType = get("compression.type")
	tc.TimestampType = get("message.timestamp.type")
	tc.RemoteStorage = parseBool(get("remote.storage.enable"))
	return tc
}

// parseInt parses a configuration integer, def when it does not parse.
func parseInt(s string, def int64) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return def
	}
	return v
}

// parseBool parses a configuration boolean as Kafka does (case-insensitive
// "true"); anything else is false.
func parseBool(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }
