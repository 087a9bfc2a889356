package collector

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

var (
	partitionLabels = []string{"topic", "partition"}

	brokersDesc = gaugeFamily("kafka_brokers",
		"Number of live brokers in the cluster"+fromLastPoll)
	brokerInfoDesc = gaugeFamily("kafka_broker_info",
		"Information about a live broker (always 1)"+fromLastPoll, []string{"id", "address", "rack"}...)
	brokerUpDesc = gaugeFamily("kafka_broker_up",
		"1 when the broker is in the live broker list, 0 when it hosts replicas but is missing from it (down)"+fromLastPoll, []string{"id"}...)
	brokerOutOfSyncDesc = gaugeFamily("kafka_broker_out_of_sync_replicas",
		"Number of partition replicas hosted on the broker that are outside their partition's ISR"+fromLastPoll, []string{"id"}...)
	topicPartitionsDesc = gaugeFamily("kafka_topic_partitions",
		"Number of partitions of the topic"+fromLastPoll, []string{"topic"}...)
	leaderDesc = gaugeFamily("kafka_topic_partition_leader",
		"Broker id of the partition's leader, -1 when it has none"+fromLastPoll, partitionLabels...)
	replicasDesc = gaugeFamily("kafka_topic_partition_replicas",
		"Number of replicas assigned to the partition"+fromLastPoll, partitionLabels...)
	inSyncDesc = gaugeFamily("kafka_topic_partition_in_sync_replica",
		"Number of in-sync replicas of the partition"+fromLastPoll, partitionLabels...)
	preferredDesc = gaugeFamily("kafka_topic_partition_leader_is_preferred",
		"1 when the partition's leader is its preferred (first assigned) replica"+fromLastPoll, partitionLabels...)
	underReplicatedDesc = gaugeFamily("kafka_topic_partition_under_replicated_partition",
		"1 when fewer replicas of the partition are in sync than are assigned"+fromLastPoll, partitionLabels...)
	offlineDesc = gaugeFamily("kafka_topic_partition_offline",
		"1 when the partition has no live leader: it can be neither written nor read"+fromLastPoll, partitionLabels...)
	offlineReplicasDesc = gaugeFamily("kafka_topic_partition_offline_replicas",
		"Number of the partition's replicas that Kafka reports offline"+fromLastPoll, partitionLabels...)
	currentOffsetDesc = gaugeFamily("kafka_topic_partition_current_offset",
		"Latest offset (high watermark) of the partition"+fromLastPoll, partitionLabels...)
	oldestOffsetDesc = gaugeFamily("kafka_topic_partition_oldest_offset",
		"Oldest offset (log start) of the partition"+fromLastPoll, partitionLabels...)

	brokerRespondingDesc = gaugeFamily("kafka_broker_responding",
		"1 when the broker answers the exporter's requests, 0 when it is registered (or hosts replicas) but its last requests timed out (--kafka.timeout): hung, not down"+fromLastPoll, []string{"id"}...)
	leaderUnresponsiveDesc = gaugeFamily("kafka_topic_partition_leader_unresponsive",
		"1 when the partition's leader is a broker that does not answer (kafka_broker_responding 0): writes to the partition stall"+fromLastPoll, partitionLabels...)
	topicLeaderUnresponsiveDesc = gaugeFamily("kafka_topic_leader_unresponsive_partitions",
		"Number of the topic's partitions led by a broker that does not answer (kafka_broker_responding 0)"+fromLastPoll, []string{"topic"}...)

	topicUnderReplicatedDesc = gaugeFamily("kafka_topic_under_replicated_partitions",
		"Number of the topic's partitions with fewer in-sync replicas than assigned replicas"+fromLastPoll, []string{"topic"}...)
	topicOfflineDesc = gaugeFamily("kafka_topic_offline_partitions",
		"Number of the topic's partitions without a live leader (neither writable nor readable)"+fromLastPoll, []string{"topic"}...)
	topicMessagesInDesc = counterFamily("kafka_topic_messages_in_total",
		"Sum of the latest offsets (high watermarks) of the topic's partitions: messages appended since the topic was created; rate() is the produce rate in messages per second. Absent while an offset is unknown"+fromLastPoll, []string{"topic"}...)
)

// Replication renders brokers and per-partition replication health.
type Replication struct {
	source SnapshotSource
	series PartitionSeries
}

// NewReplication returns the replication collector; series chooses which
// partitions get per-partition series.
func NewReplication(source SnapshotSource, series PartitionSeries) *Replication {
	return &Replication{source: source, series: series}
}

var replicationFamilies = []*family{brokersDesc, brokerInfoDesc, brokerUpDesc, brokerRespondingDesc, brokerOutOfSyncDesc,
	topicPartitionsDesc, leaderDesc, replicasDesc, inSyncDesc, preferredDesc, underReplicatedDesc,
	offlineDesc, offlineReplicasDesc, leaderUnresponsiveDesc, currentOffsetDesc, oldestOffsetDesc,
	topicUnderReplicatedDesc, topicOfflineDesc, topicLeaderUnresponsiveDesc, topicMessagesInDesc}

func (c *Replication) families() []*family { return replicationFamilies }

// Describe implements prometheus.Collector.
func (c *Replication) Describe(ch chan<- *prometheus.Desc) { describe(ch, replicationFamilies) }

// Collect implements prometheus.Collector.
func (c *Replication) Collect(ch chan<- prometheus.Metric) { c.render(channelWriter(ch)) }

// render emits the samples. Nothing is rendered when the last poll could not
// read the cluster metadata: no data is better than stale data.
func (c *Replication) render(w sampleWriter) {
	s := c.source.Snapshot()
	if !s.Succeeded(fetch.CollectorMetadata) {
		return
	}
	w.sample(brokersDesc, float64(len(s.Brokers)))
	for _, b := range s.Brokers {
		w.sample(brokerInfoDesc, 1, id(b.ID), b.Addr, b.Rack)
	}
	brokers := risk.Brokers(s)
	for _, b := range brokers {
		w.sample(brokerUpDesc, boolean(b.Up), id(b.ID))
		w.sample(brokerRespondingDesc, boolean(s.BrokerResponding(b.ID)), id(b.ID))
		w.sample(brokerOutOfSyncDesc, float64(b.OutOfSyncReplicas), id(b.ID))
	}
	// A hung broker the controller fenced and that hosts no replicas any
	// more is still watched until it answers.
	for _, hung := range s.Unresponsive {
		if !slices.ContainsFunc(brokers, func(b risk.BrokerHealth) bool { return b.ID == hung }) {
			w.sample(brokerRespondingDesc, 0, id(hung))
		}
	}

	live := risk.LiveBrokers(s)
	for ti := range s.Topics {
		t := &s.Topics[ti]
		w.sample(topicPartitionsDesc, float64(len(t.Partitions)), t.Name)
		underReplicated, offline, leaderHung := 0, 0, 0
		messagesIn, offsetsKnown := int64(0), true
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			h := risk.Partition(p, live)
			if h.UnderReplicated {
				underReplicated++
			}
			if h.Offline {
				offline++
			}
			hung := p.Leader != snapshot.NoLeader && !s.BrokerResponding(p.Leader)
			if hung {
				leaderHung++
			}
			if p.Offsets.Known {
				messagesIn += p.Offsets.Latest
			} else {
				offsetsKnown = false
			}
			if !c.series.partition(p, h) && !hung {
				continue
			}
			part := id(p.ID)
			w.sample(leaderDesc, float64(p.Leader), t.Name, part)
			w.sample(replicasDesc, float64(h.Replicas), t.Name, part)
			w.sample(inSyncDesc, float64(h.InSync), t.Name, part)
			w.sample(preferredDesc, boolean(h.LeaderIsPreferred), t.Name, part)
			w.sample(underReplicatedDesc, boolean(h.UnderReplicated), t.Name, part)
			w.sample(offlineDesc, boolean(h.Offline), t.Name, part)
			w.sample(offlineReplicasDesc, float64(h.OfflineReplicas), t.Name, part)
			w.sample(leaderUnresponsiveDesc, boolean(hung), t.Name, part)
			if p.Offsets.Known {
				w.sample(currentOffsetDesc, float64(p.Offsets.Latest), t.Name, part)
				w.sample(oldestOffsetDesc, float64(p.Offsets.Oldest), t.Name, part)
			}
		}
		w.sample(topicUnderReplicatedDesc, float64(underReplicated), t.Name)
		w.sample(topicOfflineDesc, float64(offline), t.Name)
		w.sample(topicLeaderUnresponsiveDesc, float64(leaderHung), t.Name)
		if offsetsKnown {
			w.sample(topicMessagesInDesc, float64(messagesIn), t.Name)
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
