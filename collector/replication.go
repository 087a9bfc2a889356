package collector

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

var (
	partitionLabels = []string{"topic", "partition"}

	brokersFamily = gaugeFamily("kafka_brokers",
		"Number of live brokers in the cluster"+fromLastPoll)
	brokerInfoFamily = gaugeFamily("kafka_broker_info",
		"Information about a live broker (always 1)"+fromLastPoll, []string{"id", "address", "rack"}...)
	brokerUpFamily = gaugeFamily("kafka_broker_up",
		"1 when the broker is in the live broker list, 0 when it hosts replicas but is missing from it (down)"+fromLastPoll, []string{"id"}...)
	brokerOutOfSyncFamily = gaugeFamily("kafka_broker_out_of_sync_replicas",
		"Number of partition replicas hosted on the broker that are outside their partition's ISR"+fromLastPoll, []string{"id"}...)
	topicPartitionsFamily = gaugeFamily("kafka_topic_partitions",
		"Number of partitions of the topic"+fromLastPoll, []string{"topic"}...)
	leaderFamily = gaugeFamily("kafka_topic_partition_leader",
		"Broker id of the partition's leader, -1 when it has none"+fromLastPoll, partitionLabels...)
	replicasFamily = gaugeFamily("kafka_topic_partition_replicas",
		"Number of replicas assigned to the partition"+fromLastPoll, partitionLabels...)
	inSyncFamily = gaugeFamily("kafka_topic_partition_in_sync_replica",
		"Number of in-sync replicas of the partition"+fromLastPoll, partitionLabels...)
	preferredFamily = gaugeFamily("kafka_topic_partition_leader_is_preferred",
		"1 when the partition's leader is its preferred (first assigned) replica"+fromLastPoll, partitionLabels...)
	underReplicatedFamily = gaugeFamily("kafka_topic_partition_under_replicated_partition",
		"1 when fewer replicas of the partition are in sync than are assigned"+fromLastPoll, partitionLabels...)
	offlineFamily = gaugeFamily("kafka_topic_partition_offline",
		"1 when the partition has no live leader: it can be neither written nor read"+fromLastPoll, partitionLabels...)
	offlineReplicasFamily = gaugeFamily("kafka_topic_partition_offline_replicas",
		"Number of the partition's replicas that Kafka reports offline"+fromLastPoll, partitionLabels...)
	currentOffsetFamily = gaugeFamily("kafka_topic_partition_current_offset",
		"Latest offset (high watermark) of the partition"+fromLastPoll, partitionLabels...)
	oldestOffsetFamily = gaugeFamily("kafka_topic_partition_oldest_offset",
		"Oldest offset (log start) of the partition"+fromLastPoll, partitionLabels...)

	brokerRespondingFamily = gaugeFamily("kafka_broker_responding",
		"1 when the broker answers the exporter's requests, 0 when it is registered (or hosts replicas) but its last requests timed out (--kafka.timeout): hung, not down"+fromLastPoll, []string{"id"}...)
	leaderUnresponsiveFamily = gaugeFamily("kafka_topic_partition_leader_unresponsive",
		"1 when the partition's leader is a broker that does not answer (kafka_broker_responding 0): writes to the partition stall"+fromLastPoll, partitionLabels...)
	topicLeaderUnresponsiveFamily = gaugeFamily("kafka_topic_leader_unresponsive_partitions",
		"Number of the topic's partitions led by a broker that does not answer (kafka_broker_responding 0)"+fromLastPoll, []string{"topic"}...)

	topicUnderReplicatedFamily = gaugeFamily("kafka_topic_under_replicated_partitions",
		"Number of the topic's partitions with fewer in-sync replicas than assigned replicas"+fromLastPoll, []string{"topic"}...)
	topicOfflineFamily = gaugeFamily("kafka_topic_offline_partitions",
		"Number of the topic's partitions without a live leader (neither writable nor readable)"+fromLastPoll, []string{"topic"}...)
	topicMessagesInFamily = counterFamily("kafka_topic_messages_in_total",
		"Sum of the latest offsets (high watermarks) of the topic's partitions: messages appended since the topic was created; rate() is the produce rate in messages per second. Absent while an offset is unknown"+fromLastPoll, []string{"topic"}...)
)

// Replication renders brokers and per-partition replication health.
type Replication struct {
	source VerdictsSource
	series PartitionSeries
}

// NewReplication returns the replication collector; series chooses which
// partitions get per-partition series.
func NewReplication(source VerdictsSource, series PartitionSeries) *Replication {
	return &Replication{source: source, series: series}
}

var replicationFamilies = []*family{brokersFamily, brokerInfoFamily, brokerUpFamily, brokerRespondingFamily, brokerOutOfSyncFamily,
	topicPartitionsFamily, leaderFamily, replicasFamily, inSyncFamily, preferredFamily, underReplicatedFamily,
	offlineFamily, offlineReplicasFamily, leaderUnresponsiveFamily, currentOffsetFamily, oldestOffsetFamily,
	topicUnderReplicatedFamily, topicOfflineFamily, topicLeaderUnresponsiveFamily, topicMessagesInFamily}

func (c *Replication) families() []*family { return replicationFamilies }

// Describe implements prometheus.Collector.
func (c *Replication) Describe(ch chan<- *prometheus.Desc) { describe(ch, replicationFamilies) }

// Collect implements prometheus.Collector.
func (c *Replication) Collect(ch chan<- prometheus.Metric) {
	c.render(channelWriter(ch), c.source.Verdicts())
}

// render emits the samples. Nothing is rendered when the last poll could not
// read the cluster metadata: no data is better than stale data.
func (c *Replication) render(w sampleWriter, v *risk.Verdicts) {
	if v == nil || !v.Snapshot.Succeeded(snapshot.CollectorMetadata) {
		return
	}
	s := v.Snapshot
	w.sample(brokersFamily, float64(len(s.Brokers)))
	for _, b := range s.Brokers {
		w.sample(brokerInfoFamily, 1, id(b.ID), b.Addr, b.Rack)
	}
	for _, b := range v.Brokers {
		w.sample(brokerUpFamily, boolean(b.Up), id(b.ID))
		w.sample(brokerRespondingFamily, boolean(s.BrokerResponding(b.ID)), id(b.ID))
		w.sample(brokerOutOfSyncFamily, float64(b.OutOfSyncReplicas), id(b.ID))
	}
	// A hung broker the controller fenced and that hosts no replicas any
	// more is still watched until it answers.
	for _, hung := range s.Unresponsive {
		if !slices.ContainsFunc(v.Brokers, func(b risk.BrokerHealth) bool { return b.ID == hung }) {
			w.sample(brokerRespondingFamily, 0, id(hung))
		}
	}
	for ti := range s.Topics {
		t, tv := &s.Topics[ti], &v.Topics[ti]
		w.sample(topicPartitionsFamily, float64(len(t.Partitions)), t.Name)
		messagesIn, offsetsKnown := int64(0), true
		for pi := range t.Partitions {
			p, pv := &t.Partitions[pi], &tv.Partitions[pi]
			if p.Offsets.Known {
				messagesIn += p.Offsets.Latest
			} else {
				offsetsKnown = false
			}
			if !c.series.partition(pv) {
				continue
			}
			part, h := id(p.ID), &pv.Health
			w.sample(leaderFamily, float64(p.Leader), t.Name, part)
			w.sample(replicasFamily, float64(h.Replicas), t.Name, part)
			w.sample(inSyncFamily, float64(h.InSync), t.Name, part)
			w.sample(preferredFamily, boolean(h.LeaderIsPreferred), t.Name, part)
			w.sample(underReplicatedFamily, boolean(h.UnderReplicated), t.Name, part)
			w.sample(offlineFamily, boolean(h.Offline), t.Name, part)
			w.sample(offlineReplicasFamily, float64(h.OfflineReplicas), t.Name, part)
			w.sample(leaderUnresponsiveFamily, boolean(pv.LeaderUnresponsive), t.Name, part)
			if p.Offsets.Known {
				w.sample(currentOffsetFamily, float64(p.Offsets.Latest), t.Name, part)
				w.sample(oldestOffsetFamily, float64(p.Offsets.Oldest), t.Name, part)
			}
		}
		w.sample(topicUnderReplicatedFamily, float64(tv.UnderReplicated), t.Name)
		w.sample(topicOfflineFamily, float64(tv.Offline), t.Name)
		w.sample(topicLeaderUnresponsiveFamily, float64(tv.LeaderUnresponsive), t.Name)
		if offsetsKnown {
			w.sample(topicMessagesInFamily, float64(messagesIn), t.Name)
		}
	}
}

// smallIDs are the decimal strings of 0..len-1, so that rendering partition
// and broker ids allocates nothing.
var smallIDs = func() []string {
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	return ids
}()

func id(i int32) string {
	if i >= 0 && int(i) < len(smallIDs) {
		return smallIDs[i]
	}
	return strconv.FormatInt(int64(i), 10)
}

func boolean(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var _ renderer = (*Replication)(nil)
