package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// fromConfigRead marks metrics whose value comes from the configuration,
// which is read every --config.poll.interval rather than every poll.
const fromConfigRead = "; configuration read every --config.poll.interval" + fromLastPoll

var (
	topicLabels = []string{"topic"}

	topicRFDesc = gaugeFamily("kafka_topic_replication_factor",
		"Smallest number of replicas over the topic's partitions"+fromLastPoll, topicLabels...)
	topicMinISRDesc = gaugeFamily("kafka_topic_min_insync_replicas",
		"Effective min.insync.replicas of the topic: the topic override, else the broker default"+fromConfigRead, topicLabels...)
	topicUncleanDesc = gaugeFamily("kafka_topic_unclean_leader_election_enabled",
		"1 when the topic's effective unclean.leader.election.enable is true"+fromConfigRead, topicLabels...)
	topicRetentionSecondsDesc = gaugeFamily("kafka_topic_retention_seconds",
		"Effective retention.ms of the topic in seconds, -1 for infinite"+fromConfigRead, topicLabels...)
	topicRetentionBytesDesc = gaugeFamily("kafka_topic_retention_bytes",
		"Effective retention.bytes of each partition of the topic in bytes, -1 for infinite"+fromConfigRead, topicLabels...)
	topicInfoDesc = gaugeFamily("kafka_topic_info",
		"Descriptive effective settings of the topic (always 1)"+fromConfigRead, []string{"topic", "cleanup_policy", "compression_type", "message_timestamp_type", "remote_storage_enabled"}...)
	topicConfigErrorDesc = gaugeFamily("kafka_topic_config_read_error",
		"1 when the topic's configuration could not be read, with the Kafka error name; its configuration metrics and findings are missing"+fromConfigRead, []string{"topic", "error"}...)

	underMinISRDesc = gaugeFamily("kafka_topic_partition_under_min_isr",
		"1 when fewer replicas of the partition are in sync than the topic's min.insync.replicas (as configured, not capped at the replication factor): producers with acks=all get NOT_ENOUGH_REPLICAS"+fromLastPoll, partitionLabels...)
	atMinISRDesc = gaugeFamily("kafka_topic_partition_at_min_isr",
		"1 when exactly min.insync.replicas replicas of the partition are in sync: one more failure stops acks=all writes"+fromLastPoll, partitionLabels...)
	singleInSyncDesc = gaugeFamily("kafka_topic_partition_single_in_sync_replica",
		"1 when the partition has more than one replica but only one in sync: one disk away from permanent loss"+fromLastPoll, partitionLabels...)

	topicUnderMinISRDesc = gaugeFamily("kafka_topic_under_min_isr_partitions",
		"Number of the topic's partitions with fewer in-sync replicas than min.insync.replicas: acks=all writes to them fail"+fromLastPoll, []string{"topic"}...)
	topicAtMinISRDesc = gaugeFamily("kafka_topic_at_min_isr_partitions",
		"Number of the topic's partitions with exactly min.insync.replicas in-sync replicas: one more failure stops acks=all writes"+fromLastPoll, []string{"topic"}...)
	topicSingleInSyncDesc = gaugeFamily("kafka_topic_single_in_sync_replica_partitions",
		"Number of the topic's partitions with exactly one in-sync replica: losing that broker loses acknowledged messages"+fromLastPoll, []string{"topic"}...)
	topicRiskDesc = gaugeFamily("kafka_topic_loss_risk",
		"1 for each loss risk found in the topic's configuration or placement (risk: see docs/risks.md); no series means no finding"+fromLastPoll, []string{"topic", "risk"}...)
	topicScoreDesc = gaugeFamily("kafka_topic_loss_risk_score",
		"Loss-risk score of the topic from 0 (meets the policy, healthy) to 100 (a partition is offline), combining its findings and its worst partition state (see docs/risks.md)"+fromLastPoll, topicLabels...)
	clusterRiskDesc = gaugeFamily("kafka_cluster_loss_risk",
		"1 when the cluster-wide loss risk is found, 0 when it is not (risk: see docs/risks.md)"+fromConfigRead, []string{"risk"}...)

	brokerLabels            = []string{"id"}
	brokerDefaultMinISRDesc = gaugeFamily("kafka_broker_default_min_insync_replicas",
		"The broker's default min.insync.replicas, inherited by topics without an override"+fromConfigRead, brokerLabels...)
	brokerDefaultUncleanDesc = gaugeFamily("kafka_broker_default_unclean_leader_election_enabled",
		"1 when the broker's default unclean.leader.election.enable is true"+fromConfigRead, brokerLabels...)
	brokerDefaultRFDesc = gaugeFamily("kafka_broker_default_replication_factor",
		"The broker's default.replication.factor, given to automatically created topics"+fromConfigRead, brokerLabels...)
	brokerAutoCreateDesc = gaugeFamily("kafka_broker_auto_create_topics_enabled",
		"1 when the broker's auto.create.topics.enable is true"+fromConfigRead, brokerLabels...)
	brokerConfigErrorDesc = gaugeFamily("kafka_broker_config_read_error",
		"1 when the broker's configuration could not be read, with the Kafka error name"+fromConfigRead, []string{"id", "error"}...)

	configReadTimeDesc = gaugeFamily(selfPrefix+"config_last_read_timestamp_seconds",
		"Unix time at which the configuration shown was read with DescribeConfigs"+fromLastPoll)
)

// Config renders topic and broker configuration, partition min-ISR state,
// and the loss-risk findings judged under a policy.
type Config struct {
	source SnapshotSource
	policy risk.Policy
	series PartitionSeries
}

// NewConfig returns the configuration collector; policy sets the thresholds
// and exemptions (risk.DefaultPolicy{} without a policy file), series
// chooses which partitions get per-partition series.
func NewConfig(source SnapshotSource, policy risk.Policy, series PartitionSeries) *Config {
	return &Config{source: source, policy: policy, series: series}
}

var configFamilies = []*family{topicRFDesc, topicMinISRDesc, topicUncleanDesc, topicRetentionSecondsDesc,
	topicRetentionBytesDesc, topicInfoDesc, topicConfigErrorDesc, underMinISRDesc, atMinISRDesc, singleInSyncDesc,
	topicUnderMinISRDesc, topicAtMinISRDesc, topicSingleInSyncDesc,
	topicRiskDesc, topicScoreDesc, clusterRiskDesc, brokerDefaultMinISRDesc, brokerDefaultUncleanDesc,
	brokerDefaultRFDesc, brokerAutoCreateDesc, brokerConfigErrorDesc, configReadTimeDesc}

func (c *Config) families() []*family { return configFamilies }

// Describe implements prometheus.Collector.
func (c *Config) Describe(ch chan<- *prometheus.Desc) { describe(ch, configFamilies) }

// Collect implements prometheus.Collector.
func (c *Config) Collect(ch chan<- prometheus.Metric) { c.render(channelWriter(ch)) }

// render emits the samples. Nothing is rendered when the last poll could not
// read the cluster metadata. Findings that need only the metadata
// (replication factor, rack placement) are rendered even when the
// configuration could not be read; the others then are missing.
func (c *Config) render(w sampleWriter) {
	s := c.source.Snapshot()
	if !s.Succeeded(fetch.CollectorMetadata) {
		return
	}
	live := risk.LiveBrokers(s)
	racks := risk.ClusterRacks(s)
	for ti := range s.Topics {
		t := &s.Topics[ti]
		cfg := risk.EffectiveTopicConfig(t, s.Configs)
		w.sample(topicRFDesc, float64(cfg.ReplicationFactor), t.Name)
		if cfg.Known {
			w.sample(topicMinISRDesc, float64(cfg.MinInsyncReplicas), t.Name)
			w.sample(topicUncleanDesc, boolean(cfg.UncleanLeaderElection), t.Name)
			w.sample(topicRetentionSecondsDesc, cfg.RetentionSeconds, t.Name)
			w.sample(topicRetentionBytesDesc, float64(cfg.RetentionBytes), t.Name)
			w.sample(topicInfoDesc, 1, t.Name, cfg.CleanupPolicy, cfg.CompressionType, cfg.TimestampType, strconv.FormatBool(cfg.RemoteStorage))
		} else if s.Configs != nil {
			w.sample(topicConfigErrorDesc, 1, t.Name, cfg.Err)
		}
		minISR := 0
		if cfg.Known {
			minISR = cfg.MinInsyncReplicas
		}
		underMinISR, atMinISR, singleInSync := 0, 0, 0
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			var st risk.MinISRState
			if cfg.Known {
				st = risk.PartitionMinISR(p, minISR)
				underMinISR += int(boolean(st.UnderMinISR))
				atMinISR += int(boolean(st.AtMinISR))
			}
			single := risk.SingleInSyncReplica(p)
			singleInSync += int(boolean(single))
			if !c.series.partition(p, risk.Partition(p, live)) {
				continue
			}
			part := id(p.ID)
			if cfg.Known {
				w.sample(underMinISRDesc, boolean(st.UnderMinISR), t.Name, part)
				w.sample(atMinISRDesc, boolean(st.AtMinISR), t.Name, part)
			}
			w.sample(singleInSyncDesc, boolean(single), t.Name, part)
		}
		if cfg.Known {
			w.sample(topicUnderMinISRDesc, float64(underMinISR), t.Name)
			w.sample(topicAtMinISRDesc, float64(atMinISR), t.Name)
		}
		w.sample(topicSingleInSyncDesc, float64(singleInSync), t.Name)
		th := c.policy.Topic(t.Name)
		findings := append(risk.TopicFindings(t, cfg, racks, th), risk.ProducerFindings(t.Name, s.Producers, th)...)
		for _, f := range findings {
			w.sample(topicRiskDesc, 1, t.Name, f)
		}
		w.sample(topicScoreDesc, float64(risk.Score(t, findings, live, minISR)), t.Name)
	}

	if s.Configs == nil {
		return
	}
	w.sample(configReadTimeDesc, unixSeconds(s.Configs.Time))
	found := map[string]bool{}
	for _, f := range risk.ClusterFindings(s, c.policy.Cluster()) {
		found[f] = true
	}
	for _, r := range risk.ClusterRisks {
		w.sample(clusterRiskDesc, boolean(found[r]), r)
	}
	for _, b := range risk.AllBrokerDefaults(s.Configs) {
		if !b.Known {
			w.sample(brokerConfigErrorDesc, 1, id(b.ID), b.Err)
			continue
		}
		w.sample(brokerDefaultMinISRDesc, float64(b.MinInsyncReplicas), id(b.ID))
		w.sample(brokerDefaultUncleanDesc, boolean(b.UncleanLeaderElection), id(b.ID))
		w.sample(brokerDefaultRFDesc, float64(b.DefaultReplicationFactor), id(b.ID))
		w.sample(brokerAutoCreateDesc, boolean(b.AutoCreateTopics), id(b.ID))
	}
}

var _ renderer = (*Config)(nil)
