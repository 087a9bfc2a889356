package collector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

var (
	partitionLabels = []string{"topic", "partition"}

	brokersDesc = prometheus.NewDesc("kafka_brokers",
		"Number of live brokers in the cluster"+fromLastPoll, nil, nil)
	brokerInfoDesc = prometheus.NewDesc("kafka_broker_info",
		"Information about a live broker (always 1)"+fromLastPoll, []string{"id", "address", "rack"}, nil)
	brokerUpDesc = prometheus.NewDesc("kafka_broker_up",
		"1 when the broker is in the live broker list, 0 when it hosts replicas but is missing from it (down)"+fromLastPoll, []string{"id"}, nil)
	brokerOutOfSyncDesc = prometheus.NewDesc("kafka_broker_out_of_sync_replicas",
		"Number of partition replicas hosted on the broker that are outside their partition's ISR"+fromLastPoll, []string{"id"}, nil)
	topicPartitionsDesc = prometheus.NewDesc("kafka_topic_partitions",
		"Number of partitions of the topic"+fromLastPoll, []string{"topic"}, nil)
	leaderDesc = prometheus.NewDesc("kafka_topic_partition_leader",
		"Broker id of the partition's leader, -1 when it has none"+fromLastPoll, partitionLabels, nil)
	replicasDesc = prometheus.NewDesc("kafka_topic_partition_replicas",
		"Number of replicas assigned to the partition"+fromLastPoll, partitionLabels, nil)
	inSyncDesc = prometheus.NewDesc("kafka_topic_partition_in_sync_replica",
		"Number of in-sync replicas of the partition"+fromLastPoll, partitionLabels, nil)
	preferredDesc = prometheus.NewDesc("kafka_topic_partition_leader_is_preferred",
		"1 when the partition's leader is its preferred (first assigned) replica"+fromLastPoll, partitionLabels, nil)
	underReplicatedDesc = prometheus.NewDesc("kafka_topic_partition_under_replicated_partition",
		"1 when fewer replicas of the partition are in sync than are assigned"+fromLastPoll, partitionLabels, nil)
	offlineDesc = prometheus.NewDesc("kafka_topic_partition_offline",
		"1 when the partition has no live leader: it can be neither written nor read"+fromLastPoll, partitionLabels, nil)
	offlineReplicasDesc = prometheus.NewDesc("kafka_topic_partition_offline_replicas",
		"Number of the partition's replicas that Kafka reports offline"+fromLastPoll, partitionLabels, nil)
	currentOffsetDesc = prometheus.NewDesc("kafka_topic_partition_current_offset",
		"Latest offset (high watermark) of the partition"+fromLastPoll, partitionLabels, nil)
	oldestOffsetDesc = prometheus.NewDesc("kafka_topic_partition_oldest_offset",
		"Oldest offset (log start) of the partition"+fromLastPoll, partitionLabels, nil)

	topicUnderReplicatedDesc = prometheus.NewDesc("kafka_topic_under_replicated_partitions",
		"Number of the topic's partitions with fewer in-sync replicas than assigned replicas"+fromLastPoll, []string{"topic"}, nil)
	topicOfflineDesc = prometheus.NewDesc("kafka_topic_offline_partitions",
		"Number of the topic's partitions without a live leader (neither writable nor readable)"+fromLastPoll, []string{"topic"}, nil)
	topicMessagesInDesc = prometheus.NewDesc("kafka_topic_messages_in_total",
		"Sum of the latest offsets (high watermarks) of the topic's partitions: messages appended since the topic was created; rate() is the produce rate in messages per second. Absent while an offset is unknown"+fromLastPoll, []string{"topic"}, nil)
)

// Replication renders brokers and per-partition replication health.
type Replication struct {
	source SnapshotSource
}

// NewReplication returns the replication collector.
func NewReplication(source SnapshotSource) *Replication {
	return &Replication{source: source}
}

// Describe implements prometheus.Collector.
func (c *Replication) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{brokersDesc, brokerInfoDesc, brokerUpDesc, brokerOutOfSyncDesc,
		topicPartitionsDesc, leaderDesc, replicasDesc, inSyncDesc, preferredDesc, underReplicatedDesc,
		offlineDesc, offlineReplicasDesc, currentOffsetDesc, oldestOffsetDesc,
		topicUnderReplicatedDesc, topicOfflineDesc, topicMessagesInDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Nothing is rendered when the last
// poll could not read the cluster metadata: no data is better than stale data.
func (c *Replication) Collect(ch chan<- prometheus.Metric) {
	s := c.source.Snapshot()
	if !s.Succeeded(fetch.CollectorMetadata) {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}

	gauge(brokersDesc, float64(len(s.Brokers)))
	for _, b := range s.Brokers {
		gauge(brokerInfoDesc, 1, id(b.ID), b.Addr, b.Rack)
	}
	for _, b := range risk.Brokers(s) {
		gauge(brokerUpDesc, boolean(b.Up), id(b.ID))
		gauge(brokerOutOfSyncDesc, float64(b.OutOfSyncReplicas), id(b.ID))
	}

	live := risk.LiveBrokers(s)
	for ti := range s.Topics {
		t := &s.Topics[ti]
		gauge(topicPartitionsDesc, float64(len(t.Partitions)), t.Name)
		underReplicated, offline := 0, 0
		messagesIn, offsetsKnown := int64(0), true
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			h := risk.Partition(p, live)
			part := id(p.ID)
			gauge(leaderDesc, float64(p.Leader), t.Name, part)
			gauge(replicasDesc, float64(h.Replicas), t.Name, part)
			gauge(inSyncDesc, float64(h.InSync), t.Name, part)
			gauge(preferredDesc, boolean(h.LeaderIsPreferred), t.Name, part)
			gauge(underReplicatedDesc, boolean(h.UnderReplicated), t.Name, part)
			gauge(offlineDesc, boolean(h.Offline), t.Name, part)
			gauge(offlineReplicasDesc, float64(h.OfflineReplicas), t.Name, part)
			if p.Offsets.Known {
				gauge(currentOffsetDesc, float64(p.Offsets.Latest), t.Name, part)
				gauge(oldestOffsetDesc, float64(p.Offsets.Oldest), t.Name, part)
				messagesIn += p.Offsets.Latest
			} else {
				offsetsKnown = false
			}
			if h.UnderReplicated {
				underReplicated++
			}
			if h.Offline {
				offline++
			}
		}
		gauge(topicUnderReplicatedDesc, float64(underReplicated), t.Name)
		gauge(topicOfflineDesc, float64(offline), t.Name)
		if offsetsKnown {
			ch <- prometheus.MustNewConstMetric(topicMessagesInDesc, prometheus.CounterValue, float64(messagesIn), t.Name)
		}
	}
}

func id(i int32) string { return strconv.FormatInt(int64(i), 10) }

func boolean(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var _ prometheus.Collector = (*Replication)(nil)
