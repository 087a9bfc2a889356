package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
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

	cgCurrentOffsetFamily = gaugeFamily("kafka_consumergroup_current_offset",
		"Committed offset of the consumer group on the partition (absent when it has none)"+fromLastPoll, groupPartLabels...)
	cgLagFamily = gaugeFamily("kafka_consumergroup_lag",
		"Messages the consumer group has not consumed on the partition: latest offset minus committed offset, never negative"+fromLastPoll, groupPartLabels...)
	cgLagSecondsFamily = gaugeFamily("kafka_consumergroup_lag_seconds",
		"Age in seconds of the oldest message the consumer group has not consumed on the partition, 0 when caught up; absent when the exporter's history does not reach back to it"+fromLastPoll, groupPartLabels...)
	cgBehindLogStartFamily = gaugeFamily("kafka_consumergroup_messages_behind_log_start",
		"Messages retention deleted before the consumer group read them: log start offset minus committed offset when the commit is below the log start, else 0"+fromLastPoll, groupPartLabels...)
	cgCurrentOffsetSumFamily = gaugeFamily("kafka_consumergroup_current_offset_sum",
		"Sum of the consumer group's committed offsets over the topic's partitions"+fromLastPoll, groupTopicLabel...)
	cgLagSumFamily = gaugeFamily("kafka_consumergroup_lag_sum",
		"Messages the consumer group has not consumed, summed over the topic's partitions whose offsets are known"+fromLastPoll, groupTopicLabel...)
	cgMaxLagSecondsFamily = gaugeFamily("kafka_consumergroup_max_lag_seconds",
		"Age in seconds of the oldest message the consumer group has not consumed on the topic; absent when some lagging partition's age is unknown"+fromLastPoll, groupTopicLabel...)
	cgHeadroomFamily = gaugeFamily("kafka_consumergroup_retention_headroom_seconds",
		"Seconds until time-based retention deletes messages the consumer group has not read: retention.ms minus the max lag in seconds; negative when it already does"+fromLastPoll, groupTopicLabel...)
	cgRetentionLostFamily = counterFamily("kafka_consumergroup_retention_lost_messages_total",
		"Messages retention deleted before the consumer group read them, counted once each, since the exporter started watching the group.", groupTopicLabel...)
	cgExpiredUnreadFamily = counterFamily("kafka_consumergroup_expired_unread_messages_total",
		"Messages the consumer group had not read when Kafka deleted its committed offsets (offsets.retention.minutes after it became Empty): skipped on its return with auto.offset.reset=latest, read again from the log start with earliest; since the exporter started watching the group.", groupTopicLabel...)
	cgSkippedFamily = counterFamily("kafka_consumergroup_skipped_messages_total",
		"Messages the consumer group's committed offset moved past while no member could have read them (an offset reset forward while Empty, or a return after its offsets expired or fell out of range), since the exporter started watching the group.", groupTopicLabel...)
	cgOffsetsExpiryFamily = gaugeFamily("kafka_consumergroup_offsets_expiry_seconds",
		"Seconds left before Kafka deletes the committed offsets of the consumer group, which has no active member (never more than the true time left: counted from the last poll that saw it active); absent when the exporter did not see it leave"+fromLastPoll, groupLabels...)
	cgUnassignedFamily = gaugeFamily("kafka_consumergroup_unassigned_partitions",
		"Partitions of a topic the stable consumer group subscribes to that no member is assigned: nobody reads them"+fromLastPoll, groupTopicLabel...)
	cgTopicStatusFamily = gaugeFamily("kafka_consumergroup_topic_status",
		"1 for the consumer group's status on the topic (OK, WARN, REWIND, SKIP, STALL, STOP; the worst of its partitions), 0 for the others"+fromLastPoll, []string{"consumergroup", "topic", "status"}...)
	cgMembersFamily = gaugeFamily("kafka_consumergroup_members",
		"Number of members of the consumer group"+fromLastPoll, groupLabels...)
	cgStateFamily = gaugeFamily("kafka_consumergroup_state",
		"1 for the consumer group's current state, 0 for the others"+fromLastPoll, []string{"consumergroup", "state"}...)
	cgRebalancesFamily = counterFamily("kafka_consumergroup_rebalances_total",
		"Rebalances of the consumer group (generation changes, or member-set changes when the generation is not exposed) since the exporter started watching it.", groupLabels...)
	cgStatusFamily = gaugeFamily("kafka_consumergroup_status",
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

var consumerFamilies = []*family{cgCurrentOffsetFamily, cgLagFamily, cgLagSecondsFamily, cgBehindLogStartFamily,
	cgCurrentOffsetSumFamily, cgLagSumFamily, cgMaxLagSecondsFamily, cgHeadroomFamily, cgRetentionLostFamily,
	cgExpiredUnreadFamily, cgSkippedFamily, cgOffsetsExpiryFamily, cgUnassignedFamily, cgTopicStatusFamily, cgMembersFamily, cgStateFamily, cgRebalancesFamily, cgStatusFamily}

func (c *Consumer) families() []*family { return consumerFamilies }

// Describe implements prometheus.Collector.
func (c *Consumer) Describe(ch chan<- *prometheus.Desc) { describe(ch, consumerFamilies) }

// Collect implements prometheus.Collector.
func (c *Consumer) Collect(ch chan<- prometheus.Metric) { c.render(channelWriter(ch), nil) }

// render emits the samples. Nothing is rendered when the last poll could not
// read the cluster metadata.
func (c *Consumer) render(w sampleWriter, _ *risk.Verdicts) {
	r := c.source.Report()
	if r == nil || !r.Snapshot.Succeeded(snapshot.CollectorMetadata) {
		return
	}
	gauge, counter := w.sample, w.sample
	for gi := range r.Groups {
		g := &r.Groups[gi]
		if g.MembersKnown {
			gauge(cgMembersFamily, float64(g.Members), g.Name)
		}
		if g.State != "" {
			current := false
			for _, st := range groupStates {
				current = current || st == g.State
				gauge(cgStateFamily, boolean(st == g.State), g.Name, st)
			}
			if !current {
				gauge(cgStateFamily, 1, g.Name, g.State)
			}
		}
		counter(cgRebalancesFamily, float64(g.Rebalances), g.Name)
		if g.OffsetsExpiryKnown {
			gauge(cgOffsetsExpiryFamily, g.OffsetsExpiry, g.Name)
		}
		if g.HasStatus {
			for _, st := range risk.Statuses {
				gauge(cgStatusFamily, boolean(st == g.Status), g.Name, st.String())
			}
		}
		for ti := range g.Topics {
			t := &g.Topics[ti]
			if t.UnassignedKnown {
				gauge(cgUnassignedFamily, float64(t.Unassigned), g.Name, t.Name)
			}
			if !t.HasOffsets {
				continue
			}
			gauge(cgCurrentOffsetSumFamily, float64(t.CurrentOffsetSum), g.Name, t.Name)
			gauge(cgLagSumFamily, float64(t.LagSum), g.Name, t.Name)
			if t.MaxLagSecondsKnown {
				gauge(cgMaxLagSecondsFamily, t.MaxLagSeconds, g.Name, t.Name)
			}
			if t.HeadroomKnown {
				gauge(cgHeadroomFamily, t.Headroom, g.Name, t.Name)
			}
			counter(cgRetentionLostFamily, float64(t.RetentionLost), g.Name, t.Name)
			counter(cgExpiredUnreadFamily, float64(t.ExpiredUnread), g.Name, t.Name)
			counter(cgSkippedFamily, float64(t.Skipped), g.Name, t.Name)
			if t.HasStatus {
				for _, st := range risk.Statuses {
					gauge(cgTopicStatusFamily, boolean(st == t.Status), g.Name, t.Name, st.String())
				}
			}
			if !c.perPartition {
				continue
			}
			for pi := range t.Partitions {
				p := &t.Partitions[pi]
				part := id(p.ID)
				gauge(cgCurrentOffsetFamily, float64(p.Committed), g.Name, t.Name, part)
				if !p.Lag.Known {
					continue
				}
				gauge(cgLagFamily, float64(p.Lag.Lag), g.Name, t.Name, part)
				gauge(cgBehindLogStartFamily, float64(p.Lag.BehindLogStart), g.Name, t.Name, part)
				if p.LagSecondsKnown {
					gauge(cgLagSecondsFamily, p.LagSeconds, g.Name, t.Name, part)
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
			counter(cgRetentionLostFamily, float64(t.RetentionLost), g.Name, t.Name)
			counter(cgExpiredUnreadFamily, float64(t.ExpiredUnread), g.Name, t.Name)
			counter(cgSkippedFamily, float64(t.Skipped), g.Name, t.Name)
		}
	}
}

var _ renderer = (*Consumer)(nil)
