package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// Lag granularities accepted by NewConsumer.
const (
	// GranularityPartition renders per-partition and per-topic series.
	GranularityPartition = "partition"
	// GranularityTopic drops the per-partition series to bound cardinality.
	GranularityTopic = "topic"
)

// groupStates are the classic group states always rendered by
// kafka_consumergroup_state, so that `== 1` alerts see every state.
var groupStates = []string{"Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"}

var (
	groupLabels     = []string{"consumergroup"}
	groupTopicLabel = []string{"consumergroup", "topic"}
	groupPartLabels = []string{"consumergroup", "topic", "partition"}

	cgCurrentOffsetDesc = gaugeFamily("kafka_consumergroup_current_offset",
		"Committed offset of the consumer group on the partition (absent when it has none)"+fromLastPoll, groupPartLabels...)
	cgLagDesc = gaugeFamily("kafka_consumergroup_lag",
		"Messages the consumer group has not consumed on the partition: latest offset minus committed offset, never negative"+fromLastPoll, groupPartLabels...)
	cgLagSecondsDesc = gaugeFamily("kafka_consumergroup_lag_seconds",
		"Age in seconds of the oldest message the consumer group has not consumed on the partition, 0 when caught up; absent when the exporter's history does not reach back to it"+fromLastPoll, groupPartLabels...)
	cgBehindLogStartDesc = gaugeFamily("kafka_consumergroup_messages_behind_log_start",
		"Messages retention deleted before the consumer group read them: log start offset minus committed offset when the commit is below the log start, else 0"+fromLastPoll, groupPartLabels...)
	cgCurrentOffsetSumDesc = gaugeFamily("kafka_consumergroup_current_offset_sum",
		"Sum of the consumer group's committed offsets over the topic's partitions"+fromLastPoll, groupTopicLabel...)
	cgLagSumDesc = gaugeFamily("kafka_consumergroup_lag_sum",
		"Messages the consumer group has not consumed, summed over the topic's partitions whose offsets are known"+fromLastPoll, groupTopicLabel...)
	cgMaxLagSecondsDesc = gaugeFamily("kafka_consumergroup_max_lag_seconds",
		"Age in seconds of the oldest message the consumer group has not consumed on the topic; absent when some lagging partition's age is unknown"+fromLastPoll, groupTopicLabel...)
	cgHeadroomDesc = gaugeFamily("kafka_consumergroup_retention_headroom_seconds",
		"Seconds until time-based retention deletes messages the consumer group has not read: retention.ms minus the max lag in seconds; negative when it already does"+fromLastPoll, groupTopicLabel...)
	cgRetentionLostDesc = counterFamily("kafka_consumergroup_retention_lost_messages_total",
		"Messages retention deleted before the consumer group read them, counted once each, since the exporter started watching the group.", groupTopicLabel...)
	cgExpiredUnreadDesc = counterFamily("kafka_consumergroup_expired_unread_messages_total",
		"Messages the consumer group had not read when Kafka deleted its committed offsets (offsets.retention.minutes after it became Empty): skipped on its return with auto.offset.reset=latest, read again from the log start with earliest; since the exporter started watching the group.", groupTopicLabel...)
	cgSkippedDesc = counterFamily("kafka_consumergroup_skipped_messages_total",
		"Messages the consumer group's committed offset moved past while no member could have read them (an offset reset forward while Empty, or a return after its offsets expired or fell out of range), since the exporter started watching the group.", groupTopicLabel...)
	cgOffsetsExpiryDesc = gaugeFamily("kafka_consumergroup_offsets_expiry_seconds",
		"Seconds left before Kafka deletes the committed offsets of the consumer group, which has no active member (never more than the true time left: counted from the last poll that saw it active); absent when the exporter did not see it leave"+fromLastPoll, groupLabels...)
	cgUnassignedDesc = gaugeFamily("kafka_consumergroup_unassigned_partitions",
		"Partitions of a topic the stable consumer group subscribes to that no member is assigned: nobody reads them"+fromLastPoll, groupTopicLabel...)
	cgTopicStatusDesc = gaugeFamily("kafka_consumergroup_topic_status",
		"1 for the consumer group's status on the topic (OK, WARN, REWIND, SKIP, STALL, STOP; the worst of its partitions), 0 for the others"+fromLastPoll, []string{"consumergroup", "topic", "status"}...)
	cgMembersDesc = gaugeFamily("kafka_consumergroup_members",
		"Number of members of the consumer group"+fromLastPoll, groupLabels...)
	cgStateDesc = gaugeFamily("kafka_consumergroup_state",
		"1 for the consumer group's current state, 0 for the others"+fromLastPoll, []string{"consumergroup", "state"}...)
	cgRebalancesDesc = counterFamily("kafka_consumergroup_rebalances_total",
		"Rebalances of the consumer group (generation changes, or member-set changes when the generation is not exposed) since the exporter started watching it.", groupLabels...)
	cgStatusDesc = gaugeFamily("kafka_consumergroup_status",
		"1 for the consumer group's status (OK, WARN, REWIND, SKIP, STALL, STOP; the worst of its partitions), 0 for the others"+fromLastPoll, []string{"consumergroup", "status"}...)
)

// ReportSource gives the latest consumer report (nil before the first poll).
type ReportSource interface {
	Report() *consumers.Report
}

// Consumer renders consumer-group lag, loss to retention and health.
type Consumer struct {
	source       ReportSource
	perPartition bool
}

// NewConsumer returns the consumer collector. granularity is
// GranularityPartition or GranularityTopic.
func NewConsumer(source ReportSource, granularity string) *Consumer {
	return &Consumer{source: source, perPartition: granularity != GranularityTopic}
}

var consumerFamilies = []*family{cgCurrentOffsetDesc, cgLagDesc, cgLagSecondsDesc, cgBehindLogStartDesc,
	cgCurrentOffsetSumDesc, cgLagSumDesc, cgMaxLagSecondsDesc, cgHeadroomDesc, cgRetentionLostDesc,
	cgExpiredUnreadDesc, cgSkippedDesc, cgOffsetsExpiryDesc, cgUnassignedDesc, cgTopicStatusDesc, cgMembersDesc, cgStateDesc, cgRebalancesDesc, cgStatusDesc}

func (c *Consumer) families() []*family { return consumerFamilies }

// Describe implements prometheus.Collector.
func (c *Consumer) Describe(ch chan<- *prometheus.Desc) { describe(ch, consumerFamilies) }

// Collect implements prometheus.Collector.
func (c *Consumer) Collect(ch chan<- prometheus.Metric) { c.render(channelWriter(ch)) }

// render emits the samples. Nothing is rendered when the last poll could not
// read the cluster metadata.
func (c *Consumer) render(w sampleWriter) {
	r := c.source.Report()
	if r == nil || !r.Snapshot.Succeeded(fetch.CollectorMetadata) {
		return
	}
	gauge, counter := w.sample, w.sample
	for gi := range r.Groups {
		g := &r.Groups[gi]
		if g.MembersKnown {
			gauge(cgMembersDesc, float64(g.Members), g.Name)
		}
		if g.State != "" {
			current := false
			for _, st := range groupStates {
				current = current || st == g.State
				gauge(cgStateDesc, boolean(st == g.State), g.Name, st)
			}
			if !current {
				gauge(cgStateDesc, 1, g.Name, g.State)
			}
		}
		counter(cgRebalancesDesc, float64(g.Rebalances), g.Name)
		if g.OffsetsExpiryKnown {
			gauge(cgOffsetsExpiryDesc, g.OffsetsExpiry, g.Name)
		}
		if g.HasStatus {
			for _, st := range risk.Statuses {
				gauge(cgStatusDesc, boolean(st == g.Status), g.Name, st.String())
			}
		}
		for ti := range g.Topics {
			t := &g.Topics[ti]
			if t.UnassignedKnown {
				gauge(cgUnassignedDesc, float64(t.Unassigned), g.Name, t.Name)
			}
			if !t.HasOffsets {
				continue
			}
			gauge(cgCurrentOffsetSumDesc, float64(t.CurrentOffsetSum), g.Name, t.Name)
			gauge(cgLagSumDesc, float64(t.LagSum), g.Name, t.Name)
			if t.MaxLagSecondsKnown {
				gauge(cgMaxLagSecondsDesc, t.MaxLagSeconds, g.Name, t.Name)
			}
			if t.HeadroomKnown {
				gauge(cgHeadroomDesc, t.Headroom, g.Name, t.Name)
			}
			counter(cgRetentionLostDesc, float64(t.RetentionLost), g.Name, t.Name)
			counter(cgExpiredUnreadDesc, float64(t.ExpiredUnread), g.Name, t.Name)
			counter(cgSkippedDesc, float64(t.Skipped), g.Name, t.Name)
			if t.HasStatus {
				for _, st := range risk.Statuses {
					gauge(cgTopicStatusDesc, boolean(st == t.Status), g.Name, t.Name, st.String())
				}
			}
			if !c.perPartition {
				continue
			}
			for pi := range t.Partitions {
				p := &t.Partitions[pi]
				part := id(p.ID)
				gauge(cgCurrentOffsetDesc, float64(p.Committed), g.Name, t.Name, part)
				if !p.Lag.Known {
					continue
				}
				gauge(cgLagDesc, float64(p.Lag.Lag), g.Name, t.Name, part)
				gauge(cgBehindLogStartDesc, float64(p.Lag.BehindLogStart), g.Name, t.Name, part)
				if p.LagSecondsKnown {
					gauge(cgLagSecondsDesc, p.LagSeconds, g.Name, t.Name, part)
				}
			}
		}
	}
	// Groups whose offsets Kafka deleted keep their counters, so that
	// increase() sees the messages counted when they vanished.
	for gi := range r.Gone {
		g := &r.Gone[gi]
		for ti := range g.Topics {
			t := &g.Topics[ti]
			counter(cgRetentionLostDesc, float64(t.RetentionLost), g.Name, t.Name)
			counter(cgExpiredUnreadDesc, float64(t.ExpiredUnread), g.Name, t.Name)
			counter(cgSkippedDesc, float64(t.Skipped), g.Name, t.Name)
		}
	}
}

var _ renderer = (*Consumer)(nil)
