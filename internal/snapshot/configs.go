package snapshot

import "time"

// ConfigSource says where a configuration value comes from, as
// DescribeConfigs reports it.
type ConfigSource int8

// The sources of a configuration value, from the most to the least specific.
const (
	// SourceUnknown is a value whose origin the broker did not say.
	SourceUnknown ConfigSource = iota
	// SourceTopicOverride is a value set on the topic itself.
	SourceTopicOverride
	// SourceDynamicBroker is a value set dynamically for one broker.
	SourceDynamicBroker
	// SourceDynamicClusterDefault is a value set dynamically as the default
	// of every broker.
	SourceDynamicClusterDefault
	// SourceStaticBroker is a value from the broker's server.properties.
	SourceStaticBroker
	// SourceKafkaDefault is Kafka's built-in default.
	SourceKafkaDefault
)

// String names the source for labels and logs.
func (s ConfigSource) String() string {
	switch s {
	case SourceTopicOverride:
		return "topic"
	case SourceDynamicBroker:
		return "dynamic_broker"
	case SourceDynamicClusterDefault:
		return "dynamic_cluster_default"
	case SourceStaticBroker:
		return "static_broker"
	case SourceKafkaDefault:
		return "kafka_default"
	}
	return "unknown"
}

// ConfigValue is one configuration entry as DescribeConfigs reported it.
type ConfigValue struct {
	Value  string
	Source ConfigSource
}

// ResourceConfig is the configuration of one topic or broker, or the reason
// it could not be read. A resource-level error (for example
// TOPIC_AUTHORIZATION_FAILED) is carried here so that one unreadable topic
// does not hide the others.
type ResourceConfig struct {
	// Entries are the configuration entries the exporter asked for, by name.
	// A name the broker did not return is absent.
	Entries map[string]ConfigValue
	// Err names why the resource could not be read ("" when it was).
	Err string
}

// Get returns the named entry and whether the broker returned it.
func (r ResourceConfig) Get(name string) (ConfigValue, bool) {
	v, ok := r.Entries[name]
	return v, ok
}

// Configs is what the configuration step read with DescribeConfigs. Configs
// are read on their own, slower interval: several snapshots may share one
// *Configs, which is never modified once published.
type Configs struct {
	// Time is when the configuration was read.
	Time time.Time
	// Topics is each topic's configuration, by topic name.
	Topics map[string]ResourceConfig
	// Brokers is each live broker's own configuration (its effective
	// values: per-broker dynamic, else cluster-wide dynamic default, else
	// server.properties, else Kafka's default), by broker id.
	Brokers map[int32]ResourceConfig
}

// ConfigOffsetsRetentionMinutes is the broker setting after which Kafka
// deletes the committed offsets of a group without members.
const ConfigOffsetsRetentionMinutes = "offsets.retention.minutes"
