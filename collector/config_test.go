package collector

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func cv(v string, src snapshot.ConfigSource) snapshot.ConfigValue {
	return snapshot.ConfigValue{Value: v, Source: src}
}

// configSnapshot: brokers 1 (rack a) and 2 (rack b) are live, 3 (rack b) is
// down. "orders" (RF 3, minISR 2) lost broker 3 on partition 0 and brokers
// 2 and 3 on partition 1; "test-scratch" is RF 1 (exempted by the test
// policy); "secret" could not be described. Broker 2 has unclean leader
// election on by default.
func configSnapshot() *snapshot.Snapshot {
	r123 := []int32{1, 2, 3}
	broker := func(unclean string) snapshot.ResourceConfig {
		return snapshot.ResourceConfig{Entries: map[string]snapshot.ConfigValue{
			"min.insync.replicas":            cv("2", snapshot.SourceStaticBroker),
			"unclean.leader.election.enable": cv(unclean, snapshot.SourceDynamicBroker),
			"default.replication.factor":     cv("3", snapshot.SourceStaticBroker),
			"auto.create.topics.enable":      cv("false", snapshot.SourceStaticBroker),
		}}
	}
	return &snapshot.Snapshot{
		Time: time.Unix(1700000000, 0),
		Brokers: []snapshot.Broker{
			{ID: 1, Addr: "127.0.0.1:9091", Rack: "a"},
			{ID: 2, Addr: "127.0.0.1:9092", Rack: "b"},
		},
		Topics: []snapshot.Topic{
			{Name: "orders", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: r123, ISR: []int32{1, 2}, OfflineReplicas: []int32{3}},
				{ID: 1, Leader: 1, Replicas: r123, ISR: []int32{1}, OfflineReplicas: []int32{3}},
			}},
			{Name: "secret", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, Replicas: []int32{1, 2}, ISR: []int32{1, 2}},
			}},
			{Name: "test-scratch", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 2, Replicas: []int32{2}, ISR: []int32{2}},
			}},
		},
		Configs: &snapshot.Configs{
			Time: time.Unix(1699999900, 0),
			Topics: map[string]snapshot.ResourceConfig{
				"orders": {Entries: map[string]snapshot.ConfigValue{
					"min.insync.replicas":    cv("2", snapshot.SourceStaticBroker),
					"retention.ms":           cv("-1", snapshot.SourceTopicOverride),
					"retention.bytes":        cv("-1", snapshot.SourceKafkaDefault),
					"cleanup.policy":         cv("delete", snapshot.SourceKafkaDefault),
					"compression.type":       cv("zstd", snapshot.SourceTopicOverride),
					"message.timestamp.type": cv("CreateTime", snapshot.SourceKafkaDefault),
				}},
				"secret": {Err: "TOPIC_AUTHORIZATION_FAILED"},
				"test-scratch": {Entries: map[string]snapshot.ConfigValue{
					"min.insync.replicas": cv("1", snapshot.SourceTopicOverride),
					"retention.ms":        cv("3600000", snapshot.SourceTopicOverride),
					"retention.bytes":     cv("1048576", snapshot.SourceTopicOverride),
					"cleanup.policy":      cv("compact", snapshot.SourceTopicOverride),
				}},
			},
			Brokers: map[int32]snapshot.ResourceConfig{
				1: broker("false"),
				2: broker("true"),
				3: {Err: "CONNECTION"},
			},
		},
		Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Success: true},
			{Name: snapshot.CollectorConfigs, Success: true},
		},
	}
}

// testPolicy exempts test-* topics down to RF 1 / minISR 1 and ignores
// no_write_fault_tolerance for them.
type testPolicy struct{}

func (testPolicy) Topic(name string) risk.Thresholds {
	if regexp.MustCompile(`^test-.*$`).MatchString(name) {
		return risk.Thresholds{MinReplicationFactor: 1, MinInsyncReplicas: 1, Ignored: map[string]bool{risk.RiskNoWriteFaultTolerance: true}}
	}
	return risk.DefaultThresholds()
}

func (testPolicy) Cluster() risk.Thresholds { return risk.DefaultThresholds() }

func TestConfigGolden(t *testing.T) {
	c := NewConfig(judged(configSnapshot, testPolicy{}), PartitionSeriesAll)
	want := `
# HELP kafka_broker_auto_create_topics_enabled 1 when the broker's auto.create.topics.enable is true; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_broker_auto_create_topics_enabled gauge
kafka_broker_auto_create_topics_enabled{id="1"} 0
kafka_broker_auto_create_topics_enabled{id="2"} 0
# HELP kafka_broker_config_read_error 1 when the broker's configuration could not be read, with the Kafka error name; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_broker_config_read_error gauge
kafka_broker_config_read_error{error="CONNECTION",id="3"} 1
# HELP kafka_broker_default_min_insync_replicas The broker's default min.insync.replicas, inherited by topics without an override; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_broker_default_min_insync_replicas gauge
kafka_broker_default_min_insync_replicas{id="1"} 2
kafka_broker_default_min_insync_replicas{id="2"} 2
# HELP kafka_broker_default_replication_factor The broker's default.replication.factor, given to automatically created topics; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_broker_default_replication_factor gauge
kafka_broker_default_replication_factor{id="1"} 3
kafka_broker_default_replication_factor{id="2"} 3
# HELP kafka_broker_default_unclean_leader_election_enabled 1 when the broker's default unclean.leader.election.enable is true; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_broker_default_unclean_leader_election_enabled gauge
kafka_broker_default_unclean_leader_election_enabled{id="1"} 0
kafka_broker_default_unclean_leader_election_enabled{id="2"} 1
# HELP kafka_cluster_loss_risk 1 when the cluster-wide loss risk is found, 0 when it is not (risk: see docs/risks.md); configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_cluster_loss_risk gauge
kafka_cluster_loss_risk{risk="brokers_disagree_on_defaults"} 1
kafka_cluster_loss_risk{risk="consumer_offsets_min_insync_replicas_below_2"} 0
kafka_cluster_loss_risk{risk="consumer_offsets_replication_factor_below_3"} 0
kafka_cluster_loss_risk{risk="default_min_insync_replicas_below_2"} 0
kafka_cluster_loss_risk{risk="default_replication_factor_below_3"} 0
kafka_cluster_loss_risk{risk="transaction_state_min_insync_replicas_below_2"} 0
kafka_cluster_loss_risk{risk="transaction_state_replication_factor_below_3"} 0
kafka_cluster_loss_risk{risk="unclean_leader_election_enabled_by_default"} 1
# HELP kafka_loss_exporter_config_last_read_timestamp_seconds Unix time at which the configuration shown was read with DescribeConfigs, from the last poll.
# TYPE kafka_loss_exporter_config_last_read_timestamp_seconds gauge
kafka_loss_exporter_config_last_read_timestamp_seconds 1.6999999e+09
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"kafka_broker_auto_create_topics_enabled", "kafka_broker_config_read_error", "kafka_broker_default_min_insync_replicas",
		"kafka_broker_default_replication_factor", "kafka_broker_default_unclean_leader_election_enabled",
		"kafka_cluster_loss_risk", "kafka_loss_exporter_config_last_read_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
}

func TestConfigTopicsGolden(t *testing.T) {
	c := NewConfig(judged(configSnapshot, testPolicy{}), PartitionSeriesAll)
	want := `
# HELP kafka_topic_config_read_error 1 when the topic's configuration could not be read, with the Kafka error name; its configuration metrics and findings are missing; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_topic_config_read_error gauge
kafka_topic_config_read_error{error="TOPIC_AUTHORIZATION_FAILED",topic="secret"} 1
# HELP kafka_topic_info Descriptive effective settings of the topic (always 1); configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_topic_info gauge
kafka_topic_info{cleanup_policy="compact",compression_type="producer",message_timestamp_type="CreateTime",remote_storage_enabled="false",topic="test-scratch"} 1
kafka_topic_info{cleanup_policy="delete",compression_type="zstd",message_timestamp_type="CreateTime",remote_storage_enabled="false",topic="orders"} 1
# HELP kafka_topic_loss_risk 1 for each loss risk found in the topic's configuration or placement (risk: see docs/risks.md); no series means no finding, from the last poll.
# TYPE kafka_topic_loss_risk gauge
kafka_topic_loss_risk{risk="replication_factor_below_3",topic="secret"} 1
# HELP kafka_topic_loss_risk_score Loss-risk score of the topic from 0 (meets the policy, healthy) to 100 (a partition is offline), combining its findings and its worst partition state (see docs/risks.md), from the last poll.
# TYPE kafka_topic_loss_risk_score gauge
kafka_topic_loss_risk_score{topic="orders"} 40
kafka_topic_loss_risk_score{topic="secret"} 25
kafka_topic_loss_risk_score{topic="test-scratch"} 0
# HELP kafka_topic_min_insync_replicas Effective min.insync.replicas of the topic: the topic override, else the broker default; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_topic_min_insync_replicas gauge
kafka_topic_min_insync_replicas{topic="orders"} 2
kafka_topic_min_insync_replicas{topic="test-scratch"} 1
# HELP kafka_topic_partition_at_min_isr 1 when exactly min.insync.replicas replicas of the partition are in sync: one more failure stops acks=all writes, from the last poll.
# TYPE kafka_topic_partition_at_min_isr gauge
kafka_topic_partition_at_min_isr{partition="0",topic="orders"} 1
kafka_topic_partition_at_min_isr{partition="0",topic="test-scratch"} 1
kafka_topic_partition_at_min_isr{partition="1",topic="orders"} 0
# HELP kafka_topic_partition_single_in_sync_replica 1 when the partition has more than one replica but only one in sync: one disk away from permanent loss, from the last poll.
# TYPE kafka_topic_partition_single_in_sync_replica gauge
kafka_topic_partition_single_in_sync_replica{partition="0",topic="orders"} 0
kafka_topic_partition_single_in_sync_replica{partition="0",topic="secret"} 0
kafka_topic_partition_single_in_sync_replica{partition="0",topic="test-scratch"} 0
kafka_topic_partition_single_in_sync_replica{partition="1",topic="orders"} 1
# HELP kafka_topic_partition_under_min_isr 1 when fewer replicas of the partition are in sync than the topic's min.insync.replicas (as configured, not capped at the replication factor): producers with acks=all get NOT_ENOUGH_REPLICAS, from the last poll.
# TYPE kafka_topic_partition_under_min_isr gauge
kafka_topic_partition_under_min_isr{partition="0",topic="orders"} 0
kafka_topic_partition_under_min_isr{partition="0",topic="test-scratch"} 0
kafka_topic_partition_under_min_isr{partition="1",topic="orders"} 1
# HELP kafka_topic_replication_factor Smallest number of replicas over the topic's partitions, from the last poll.
# TYPE kafka_topic_replication_factor gauge
kafka_topic_replication_factor{topic="orders"} 3
kafka_topic_replication_factor{topic="secret"} 2
kafka_topic_replication_factor{topic="test-scratch"} 1
# HELP kafka_topic_retention_bytes Effective retention.bytes of each partition of the topic in bytes, -1 for infinite; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_topic_retention_bytes gauge
kafka_topic_retention_bytes{topic="orders"} -1
kafka_topic_retention_bytes{topic="test-scratch"} 1.048576e+06
# HELP kafka_topic_retention_seconds Effective retention.ms of the topic in seconds, -1 for infinite; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_topic_retention_seconds gauge
kafka_topic_retention_seconds{topic="orders"} -1
kafka_topic_retention_seconds{topic="test-scratch"} 3600
# HELP kafka_topic_unclean_leader_election_enabled 1 when the topic's effective unclean.leader.election.enable is true; configuration read every --config.poll.interval, from the last poll.
# TYPE kafka_topic_unclean_leader_election_enabled gauge
kafka_topic_unclean_leader_election_enabled{topic="orders"} 0
kafka_topic_unclean_leader_election_enabled{topic="test-scratch"} 0
# HELP kafka_topic_at_min_isr_partitions Number of the topic's partitions with exactly min.insync.replicas in-sync replicas: one more failure stops acks=all writes, from the last poll.
# TYPE kafka_topic_at_min_isr_partitions gauge
kafka_topic_at_min_isr_partitions{topic="orders"} 1
kafka_topic_at_min_isr_partitions{topic="test-scratch"} 1
# HELP kafka_topic_single_in_sync_replica_partitions Number of the topic's partitions with exactly one in-sync replica: losing that broker loses acknowledged messages, from the last poll.
# TYPE kafka_topic_single_in_sync_replica_partitions gauge
kafka_topic_single_in_sync_replica_partitions{topic="orders"} 1
kafka_topic_single_in_sync_replica_partitions{topic="secret"} 0
kafka_topic_single_in_sync_replica_partitions{topic="test-scratch"} 0
# HELP kafka_topic_under_min_isr_partitions Number of the topic's partitions with fewer in-sync replicas than min.insync.replicas: acks=all writes to them fail, from the last poll.
# TYPE kafka_topic_under_min_isr_partitions gauge
kafka_topic_under_min_isr_partitions{topic="orders"} 1
kafka_topic_under_min_isr_partitions{topic="test-scratch"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), topicMetricNames...); err != nil {
		t.Fatal(err)
	}
}

var topicMetricNames = []string{
	"kafka_topic_config_read_error", "kafka_topic_info", "kafka_topic_loss_risk", "kafka_topic_loss_risk_score",
	"kafka_topic_min_insync_replicas", "kafka_topic_partition_at_min_isr", "kafka_topic_partition_single_in_sync_replica",
	"kafka_topic_partition_under_min_isr", "kafka_topic_replication_factor", "kafka_topic_retention_bytes",
	"kafka_topic_retention_seconds", "kafka_topic_unclean_leader_election_enabled",
	"kafka_topic_under_min_isr_partitions", "kafka_topic_at_min_isr_partitions",
	"kafka_topic_single_in_sync_replica_partitions",
}

// Before the first configuration read, only what the metadata tells is
// rendered: replication factor, single in-sync replica, metadata findings
// and the score from them.
func TestConfigBeforeFirstRead(t *testing.T) {
	s := configSnapshot()
	s.Configs = nil
	c := NewConfig(judged(func() *snapshot.Snapshot { return s }, risk.DefaultPolicy{}), PartitionSeriesAll)
	want := `
# HELP kafka_topic_loss_risk 1 for each loss risk found in the topic's configuration or placement (risk: see docs/risks.md); no series means no finding, from the last poll.
# TYPE kafka_topic_loss_risk gauge
kafka_topic_loss_risk{risk="replication_factor_below_3",topic="secret"} 1
kafka_topic_loss_risk{risk="replication_factor_below_3",topic="test-scratch"} 1
# HELP kafka_topic_loss_risk_score Loss-risk score of the topic from 0 (meets the policy, healthy) to 100 (a partition is offline), combining its findings and its worst partition state (see docs/risks.md), from the last poll.
# TYPE kafka_topic_loss_risk_score gauge
kafka_topic_loss_risk_score{topic="orders"} 30
kafka_topic_loss_risk_score{topic="secret"} 25
kafka_topic_loss_risk_score{topic="test-scratch"} 25
# HELP kafka_topic_partition_single_in_sync_replica 1 when the partition has more than one replica but only one in sync: one disk away from permanent loss, from the last poll.
# TYPE kafka_topic_partition_single_in_sync_replica gauge
kafka_topic_partition_single_in_sync_replica{partition="0",topic="orders"} 0
kafka_topic_partition_single_in_sync_replica{partition="0",topic="secret"} 0
kafka_topic_partition_single_in_sync_replica{partition="0",topic="test-scratch"} 0
kafka_topic_partition_single_in_sync_replica{partition="1",topic="orders"} 1
# HELP kafka_topic_replication_factor Smallest number of replicas over the topic's partitions, from the last poll.
# TYPE kafka_topic_replication_factor gauge
kafka_topic_replication_factor{topic="orders"} 3
kafka_topic_replication_factor{topic="secret"} 2
kafka_topic_replication_factor{topic="test-scratch"} 1
# HELP kafka_topic_single_in_sync_replica_partitions Number of the topic's partitions with exactly one in-sync replica: losing that broker loses acknowledged messages, from the last poll.
# TYPE kafka_topic_single_in_sync_replica_partitions gauge
kafka_topic_single_in_sync_replica_partitions{topic="orders"} 1
kafka_topic_single_in_sync_replica_partitions{topic="secret"} 0
kafka_topic_single_in_sync_replica_partitions{topic="test-scratch"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestConfigRendersNothingWithoutMetadata(t *testing.T) {
	s := configSnapshot()
	s.Collectors = []snapshot.CollectorResult{{Name: snapshot.CollectorMetadata, Err: "no broker answered Metadata"}}
	c := NewConfig(judged(func() *snapshot.Snapshot { return s }, risk.DefaultPolicy{}), PartitionSeriesAll)
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("rendered %d series from a poll that did not read the cluster, want 0", n)
	}
	c = NewConfig(judged(func() *snapshot.Snapshot { return nil }, risk.DefaultPolicy{}), PartitionSeriesAll)
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("rendered %d series before the first poll, want 0", n)
	}
}
