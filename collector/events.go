package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/events"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

const sinceStart = ", counted by comparing successive polls since the exporter started."

var (
	isrShrinksFamily = counterFamily("kafka_topic_isr_shrinks_total",
		"Number of times a partition of the topic lost a replica from its ISR"+sinceStart, []string{"topic"}...)
	isrExpandsFamily = counterFamily("kafka_topic_isr_expands_total",
		"Number of times a partition of the topic gained a replica in its ISR"+sinceStart, []string{"topic"}...)
	brokerISRShrinksFamily = counterFamily("kafka_broker_isr_shrinks_total",
		"Number of replicas hosted on the broker that were dropped from their partition's ISR"+sinceStart, []string{"id"}...)
	leaderChangesFamily = counterFamily("kafka_topic_leader_changes_total",
		"Number of leader elections (new leader id or leader epoch) in partitions of the topic"+sinceStart, []string{"topic"}...)
	uncleanFamily = counterFamily("kafka_topic_unclean_leader_elections_suspected_total",
		"Number of leader elections in partitions of the topic that look unclean: the new leader was outside the previous ISR, or the high watermark fell"+sinceStart, []string{"topic"}...)
	truncatedFamily = counterFamily("kafka_topic_truncated_messages_total",
		"Number of messages (offsets) that consumers could read and that vanished because a partition's high watermark went backwards: measured message loss"+sinceStart, []string{"topic"}...)
	lastISRChangeFamily = gaugeFamily("kafka_topic_partition_last_isr_change_timestamp_seconds",
		"Unix time of the poll that last saw the partition's ISR change; only partitions whose ISR changed since the exporter started.", partitionLabels...)
)

// EventSource gives the accumulated event counters.
type EventSource interface {
	Counts() events.Counts
}

// Events renders the replication event counters. They are not taken from
// the last poll: they keep their values, and stay exported, while the
// cluster is unreachable.
type Events struct {
	source EventSource
}

// NewEvents returns the events collector.
func NewEvents(source EventSource) *Events { return &Events{source: source} }

var eventFamilies = []*family{isrShrinksFamily, isrExpandsFamily, brokerISRShrinksFamily, leaderChangesFamily,
	uncleanFamily, truncatedFamily, lastISRChangeFamily}

func (c *Events) families() []*family { return eventFamilies }

// Describe implements prometheus.Collector.
func (c *Events) Describe(ch chan<- *prometheus.Desc) { describe(ch, eventFamilies) }

// Collect implements prometheus.Collector.
func (c *Events) Collect(ch chan<- prometheus.Metric) { c.render(channelWriter(ch), nil) }

func (c *Events) render(w sampleWriter, _ *risk.Verdicts) {
	counts := c.source.Counts()
	counter := func(f *family, v uint64, labels ...string) { w.sample(f, float64(v), labels...) }
	for topic, tc := range counts.Topics {
		counter(isrShrinksFamily, tc.ISRShrinks, topic)
		counter(isrExpandsFamily, tc.ISRExpands, topic)
		counter(leaderChangesFamily, tc.LeaderChanges, topic)
		counter(uncleanFamily, tc.SuspectedUncleanElections, topic)
		counter(truncatedFamily, tc.TruncatedMessages, topic)
	}
	for broker, n := range counts.BrokerISRShrinks {
		counter(brokerISRShrinksFamily, n, id(broker))
	}
	for k, at := range counts.LastISRChange {
		w.sample(lastISRChangeFamily, unixSeconds(at), k.Topic, id(k.Partition))
	}
}

var _ renderer = (*Events)(nil)
