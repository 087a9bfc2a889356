package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// fromConfigRead marks metrics whose value comes from the configuration,
// which is read every --config.poll.interval rather than every poll.
const fromConfigRead = "; configuration read every --config.poll.interval" + fromLastPoll

var (
	topicLabels = []string{"topic"}

	topicRFFamily = gaugeFamily("kafka_topic_replication_factor",
		"Smallest number of replicas over the topic's partitions"+fromLastPoll, topicLabels...)
	topicMinISRFamily = gaugeFamily("kafka_topic_min_insync_replicas",
		"Effective min.insync.replicas of the topic: the topic override, else the broker default"+fromConfigRead, topicLabels...)
	topicUncleanFamily = gaugeFamily("kafka_topic_unclean_leader_election_enabled",
		"1 when the topic's effective unclean.leader.election.enable is true"+fromConfigRead, topicLabels...)
	topicRetentionSecondsFamily = gaugeFamily("kafka_topic_retention_seconds",
		"Effective retention.ms of the topic in seconds, -1 for infinite"+fromConfigRead, topicLabels...)
	topicRetentionBytesFamily = gaugeFamily("kafka_topic_retention_bytes",
		"Effective retention.bytes of each partition of the topic in bytes, -1 for infinite"+fromConfigRead, topicLabels...)
	topicInfoFamily = gaugeFamily("kafka_topic_info",
		"Descriptive effective settings of the topic (always 1)"+fromConfigRead, []string{"topic", "cleanup_policy", "compression_type", "message_timestamp_type", "remote_storage_enabled"}...)
	topicConfigErrorFamily = gaugeFamily("kafka_topic_config_read_error",
		"1 when the topic's configuration could not be read, with the Kafka error name; its configuration metrics and findings are missing"+fromConfigRead, []string{"topic", "error"}...)

	underMinISRFamily = gaugeFamily("kafka_topic_partition_under_min_isr",
		"1 when fewer replicas of the partition are in sync than the topic's min.insync.replicas (as configured, not capped at the replication factor): producers with acks=all get NOT_ENOUGH_REPLICAS"+fromLastPoll, partitionLabels...)
	atMinISRFamily = gaugeFamily("kafka_topic_partition_at_min_isr",
		"1 when exactly min.insync.replicas replicas of the partition are in sync: one more failure stops acks=all writes"+fromLastPoll, partitionLabels...)
	singleInSyncFamily = gaugeFamily("kafka_topic_partition_single_in_sync_replica",
		"1 when the partition has more than one replica but only one in sync: one disk away from permanent loss"+fromLastPoll, partitionLabels...)

	topicUnderMinISRFamily = gaugeFamily("kafka_topic_under_min_isr_partitions",
		"Number of the topic's partitions with fewer in-sync replicas than min.insync.replicas: acks=all writes to them fail"+fromLastPoll, []string{"topic"}...)
	topicAtMinISRFamily = gaugeFamily("kafka_topic_at_min_isr_partitions",
		"Number of the topic's partitions with exactly min.insync.replicas in-sync replicas: one more failure stops acks=all writes"+fromLastPoll, []string{"topic"}...)
	topicSingleInSyncFamily = gaugeFamily("kafka_topic_single_in_sync_replica_partitions",
		"Number of the topic's partitions with exactly one in-sync replica: losing that broker loses acknowledged messages"+fromLastPoll, []string{"topic"}...)
	topicRiskFamily = gaugeFamily("kafka_topic_loss_risk",
		"1 for each loss risk found in the topic's configuration or placement (risk: see docs/risks.md); no series means no finding"+fromLastPoll, []string{"topic", "risk"}...)
	topicScoreFamily = gaugeFamily("kafka_topic_loss_risk_score",
		"Loss-risk score of the topic from 0 (meets the policy, healthy) to 100 (a partition is offline), combining its findings and its worst partition state (see docs/risks.md)"+fromLastPoll, topicLabels...)
	clusterRiskFamily = gaugeFamily("kafka_cluster_loss_risk",
		"1 when the cluster-wide loss risk is found, 0 when it is not (risk: see docs/risks.md)"+fromConfigRead, []string{"risk"}...)

	brokerLabels              = []string{"id"}
	brokerDefaultMinISRFamily = gaugeFamily("kafka_broker_default_min_insync_replicas",
		"The broker's default min.insync.replicas, inherited by topics without an override"+fromConfigRead, brokerLabels...)
	brokerDefaultUncleanFamily = gaugeFamily("kafka_broker_default_unclean_leader_election_enabled",
		"1 when the broker's default unclean.leader.election.enable is true"+fromConfigRead, brokerLabels...)
	brokerDefaultRFFamily = gaugeFamily("kafka_broker_default_replication_factor",
		"The broker's default.replication.factor, given to automatically created topics"+fromConfigRead, brokerLabels...)
	brokerAutoCreateFamily = gaugeFamily("kafka_broker_auto_create_topics_enabled",
		"1 when the broker's auto.create.topics.enable is true"+fromConfigRead, brokerLabels...)
	brokerConfigErrorFamily = gaugeFamily("kafka_broker_config_read_error",
		"1 when the broker's configuration could not be read, with the Kafka error name"+fromConfigRead, []string{"id", "error"}...)

	configReadTimeFamily = gaugeFamily(selfPrefix+"config_last_read_timestamp_seconds",
		"Unix time at which the configuration shown was read with DescribeConfigs"+fromLastPoll)
)

// Config renders topic and broker configuration, partition min-ISR state,
// and the loss-risk findings the judge concluded under the policy.
type Config struct {
	source VerdictsSource
	series PartitionSeries
}

// NewConfig returns the configuration collector; series chooses which
// partitions get per-partition series.
func NewConfig(source VerdictsSource, series PartitionSeries) *Config {
	return &Config{source: source, series: series}
}

var configFamilies = []*family{topicRFFamily, topicMinISRFamily, topicUncleanFamily, topicRetentionSecondsFamily,
	topicRetentionBytesFamily, topicInfoFamily, topicConfigErrorFamily, underMinISRFamily, atMinISRFamily, singleInSyncFamily,
	topicUnderMinISRFamily, topicAtMinISRFamily, topicSingleInSyncFamily,
	topicRiskFamily, topicScoreFamily, clusterRiskFamily, brokerDefaultMinISRFamily, brokerDefaultUncleanFamily,
	brokerDefaultRFFamily, brokerAutoCreateFamily, brokerConfigErrorFamily, configReadTimeFamily}

func (c *Config) families() []*family { return configFamilies }

// Describe implements prometheus.Collector.
func (c *Config) Describe(ch chan<- *prometheus.Desc) { describe(ch, configFamilies) }

// Collect implements prometheus.Collector.
func (c *Config) Collect(ch chan<- prometheus.Metric) {
	c.render(channelWriter(ch), c.source.Verdicts())
}

// render emits the samples. Nothing is rendered when the last poll could not
// read the cluster metadata. Findings that need only the metadata
// (replication factor, rack placement) are rendered even when the
// configuration could not be read; the others then are missing.
func (c *Config) render(w sampleWriter, v *risk.Verdicts) {
	if v == nil || !v.Snapshot.Succeeded(snapshot.CollectorMetadata) {
		return
	}
	s := v.Snapshot
	for ti := range s.Topics {
		t, tv := &s.Topics[ti], &v.Topics[ti]
		cfg := &tv.Config
		w.sample(topicRFFamily, float64(cfg.ReplicationFactor), t.Name)
		if cfg.Known {
			w.sample(topicMinISRFamily, float64(cfg.MinInsyncReplicas), t.Name)
			w.sample(topicUncleanFamily, boolean(cfg.UncleanLeaderElection), t.Name)
			w.sample(topicRetentionSecondsFamily, cfg.RetentionSeconds, t.Name)
			w.sample(topicRetentionBytesFamily, float64(cfg.RetentionBytes), t.Name)
			w.sample(topicInfoFamily, 1, t.Name, cfg.CleanupPolicy, cfg.CompressionType, cfg.TimestampType, strconv.FormatBool(cfg.RemoteStorage))
		} else if s.Configs != nil {
			w.sample(topicConfigErrorFamily, 1, t.Name, cfg.Err)
		}
		for pi := range t.Partitions {
			p, pv := &t.Partitions[pi], &tv.Partitions[pi]
			if !c.series.partition(pv) {
				continue
			}
			part := id(p.ID)
			if cfg.Known {
				w.sample(underMinISRFamily, boolean(pv.MinISR.UnderMinISR), t.Name, part)
				w.sample(atMinISRFamily, boolean(pv.MinISR.AtMinISR), t.Name, part)
			}
			w.sample(singleInSyncFamily, boolean(pv.SingleInSync), t.Name, part)
		}
		if cfg.Known {
			w.sample(topicUnderMinISRFamily, float64(tv.UnderMinISR), t.Name)
			w.sample(topicAtMinISRFamily, float64(tv.AtMinISR), t.Name)
		}
		w.sample(topicSingleInSyncFamily, float64(tv.SingleInSync), t.Name)
		for _, f := range tv.Findings {
			w.sample(topicRiskFamily, 1, t.Name, f)
		}
		w.sample(topicScoreFamily, float64(tv.Score), t.Name)
	}

	if v.Cluster == nil {
		return
	}
	w.sample(configReadTimeFamily, unixSeconds(s.Configs.Time))
	for _, r := range risk.ClusterRisks {
		w.sample(clusterRiskFamily, boolean(v.Cluster.Found(r)), r)
	}
	for _, b := range v.Cluster.BrokerDefaults {
		if !b.Known {
			w.sample(brokerConfigErrorFamily, 1, id(b.ID), b.Err)
			continue
		}
		w.sample(brokerDefaultMinISRFamily, float64(b.MinInsyncReplicas), id(b.ID))
		w.sample(brokerDefaultUncleanFamily, boolean(b.UncleanLeaderElection), id(b.ID))
		w.sample(brokerDefaultRFFamily, float64(b.DefaultReplicationFactor), id(b.ID))
		w.sample(brokerAutoCreateFamily, boolean(b.AutoCreateTopics), id(b.ID))
	}
}

var _ renderer = (*Config)(nil)
