package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

type reportFunc func() *consumers.Report

func (f reportFunc) Report() *consumers.Report { return f() }

func testConsumerReport() *consumers.Report {
	s := &snapshot.Snapshot{Time: time.Unix(1700000000, 0), Collectors: []snapshot.CollectorResult{
		{Name: snapshot.CollectorMetadata, Success: true}, {Name: snapshot.CollectorConsumerGroups, Success: true}}}
	return &consumers.Report{Snapshot: s, Groups: []consumers.Group{
		{Name: "billing", State: "Stable", Members: 2, MembersKnown: true, Rebalances: 3, Status: risk.StatusWarn, HasStatus: true,
			Topics: []consumers.Topic{{Name: "orders", HasOffsets: true, CurrentOffsetSum: 150, LagSum: 50,
				MaxLagSeconds: 12.5, MaxLagSecondsKnown: true, Headroom: 3587.5, HeadroomKnown: true, RetentionLost: 20,
				Unassigned: 1, UnassignedKnown: true, Status: risk.StatusWarn, HasStatus: true,
				Partitions: []consumers.Partition{
					{ID: 0, Committed: 100, Lag: risk.PartitionLag{Known: true, Lag: 0}, LagSeconds: 0, LagSecondsKnown: true},
					{ID: 1, Committed: 50, Lag: risk.PartitionLag{Known: true, Lag: 50, BehindLogStart: 20}, LagSeconds: 12.5, LagSecondsKnown: true, Status: risk.StatusWarn},
				}}}},
		{Name: "audit", State: "Empty", MembersKnown: true, Status: risk.StatusStop, HasStatus: true, OffsetsExpiry: 86000, OffsetsExpiryKnown: true,
			Topics: []consumers.Topic{{Name: "orders", HasOffsets: true, CurrentOffsetSum: 7, LagSum: 0, Status: risk.StatusStop, HasStatus: true, Skipped: 55,
				Partitions: []consumers.Partition{
					{ID: 0, Committed: 7, Lag: risk.PartitionLag{}},
				}}}},
	}, Gone: []consumers.GoneGroup{{Name: "nightly", Topics: []consumers.GoneTopic{{Name: "orders", ExpiredUnread: 40, RetentionLost: 2}}}}}
}

func TestConsumerGolden(t *testing.T) {
	c := NewConsumer(reportFunc(testConsumerReport), GranularityPartition)
	want := `
# HELP kafka_consumergroup_current_offset Committed offset of the consumer group on the partition (absent when it has none), from the last poll.
# TYPE kafka_consumergroup_current_offset gauge
kafka_consumergroup_current_offset{consumergroup="audit",partition="0",topic="orders"} 7
kafka_consumergroup_current_offset{consumergroup="billing",partition="0",topic="orders"} 100
kafka_consumergroup_current_offset{consumergroup="billing",partition="1",topic="orders"} 50
# HELP kafka_consumergroup_current_offset_sum Sum of the consumer group's committed offsets over the topic's partitions, from the last poll.
# TYPE kafka_consumergroup_current_offset_sum gauge
kafka_consumergroup_current_offset_sum{consumergroup="audit",topic="orders"} 7
kafka_consumergroup_current_offset_sum{consumergroup="billing",topic="orders"} 150
# HELP kafka_consumergroup_expired_unread_messages_total Messages the consumer group had not read when Kafka deleted its committed offsets (offsets.retention.minutes after it became Empty): skipped on its return with auto.offset.reset=latest, read again from the log start with earliest; since the exporter started watching the group.
# TYPE kafka_consumergroup_expired_unread_messages_total counter
kafka_consumergroup_expired_unread_messages_total{consumergroup="audit",topic="orders"} 0
kafka_consumergroup_expired_unread_messages_total{consumergroup="billing",topic="orders"} 0
kafka_consumergroup_expired_unread_messages_total{consumergroup="nightly",topic="orders"} 40
# HELP kafka_consumergroup_lag Messages the consumer group has not consumed on the partition: latest offset minus committed offset, never negative, from the last poll.
# TYPE kafka_consumergroup_lag gauge
kafka_consumergroup_lag{consumergroup="billing",partition="0",topic="orders"} 0
kafka_consumergroup_lag{consumergroup="billing",partition="1",topic="orders"} 50
# HELP kafka_consumergroup_lag_seconds Age in seconds of the oldest message the consumer group has not consumed on the partition, 0 when caught up; absent when the exporter's history does not reach back to it, from the last poll.
# TYPE kafka_consumergroup_lag_seconds gauge
kafka_consumergroup_lag_seconds{consumergroup="billing",partition="0",topic="orders"} 0
kafka_consumergroup_lag_seconds{consumergroup="billing",partition="1",topic="orders"} 12.5
# HELP kafka_consumergroup_lag_sum Messages the consumer group has not consumed, summed over the topic's partitions whose offsets are known, from the last poll.
# TYPE kafka_consumergroup_lag_sum gauge
kafka_consumergroup_lag_sum{consumergroup="audit",topic="orders"} 0
kafka_consumergroup_lag_sum{consumergroup="billing",topic="orders"} 50
# HELP kafka_consumergroup_max_lag_seconds Age in seconds of the oldest message the consumer group has not consumed on the topic; absent when some lagging partition's age is unknown, from the last poll.
# TYPE kafka_consumergroup_max_lag_seconds gauge
kafka_consumergroup_max_lag_seconds{consumergroup="billing",topic="orders"} 12.5
# HELP kafka_consumergroup_members Number of members of the consumer group, from the last poll.
# TYPE kafka_consumergroup_members gauge
kafka_consumergroup_members{consumergroup="audit"} 0
kafka_consumergroup_members{consumergroup="billing"} 2
# HELP kafka_consumergroup_messages_behind_log_start Messages retention deleted before the consumer group read them: log start offset minus committed offset when the commit is below the log start, else 0, from the last poll.
# TYPE kafka_consumergroup_messages_behind_log_start gauge
kafka_consumergroup_messages_behind_log_start{consumergroup="billing",partition="0",topic="orders"} 0
kafka_consumergroup_messages_behind_log_start{consumergroup="billing",partition="1",topic="orders"} 20
# HELP kafka_consumergroup_offsets_expiry_seconds Seconds left before Kafka deletes the committed offsets of the consumer group, which has no active member (never more than the true time left: counted from the last poll that saw it active); absent when the exporter did not see it leave, from the last poll.
# TYPE kafka_consumergroup_offsets_expiry_seconds gauge
kafka_consumergroup_offsets_expiry_seconds{consumergroup="audit"} 86000
# HELP kafka_consumergroup_rebalances_total Rebalances of the consumer group (generation changes, or member-set changes when the generation is not exposed) since the exporter started watching it.
# TYPE kafka_consumergroup_rebalances_total counter
kafka_consumergroup_rebalances_total{consumergroup="audit"} 0
kafka_consumergroup_rebalances_total{consumergroup="billing"} 3
# HELP kafka_consumergroup_retention_headroom_seconds Seconds until time-based retention deletes messages the consumer group has not read: retention.ms minus the max lag in seconds; negative when it already does, from the last poll.
# TYPE kafka_consumergroup_retention_headroom_seconds gauge
kafka_consumergroup_retention_headroom_seconds{consumergroup="billing",topic="orders"} 3587.5
# HELP kafka_consumergroup_retention_lost_messages_total Messages retention deleted before the consumer group read them, counted once each, since the exporter started watching the group.
# TYPE kafka_consumergroup_retention_lost_messages_total counter
kafka_consumergroup_retention_lost_messages_total{consumergroup="audit",topic="orders"} 0
kafka_consumergroup_retention_lost_messages_total{consumergroup="billing",topic="orders"} 20
kafka_consumergroup_retention_lost_messages_total{consumergroup="nightly",topic="orders"} 2
# HELP kafka_consumergroup_skipped_messages_total Messages the consumer group's committed offset moved past while no member could have read them (an offset reset forward while Empty, or a return after its offsets expired or fell out of range), since the exporter started watching the group.
# TYPE kafka_consumergroup_skipped_messages_total counter
kafka_consumergroup_skipped_messages_total{consumergroup="audit",topic="orders"} 55
kafka_consumergroup_skipped_messages_total{consumergroup="billing",topic="orders"} 0
kafka_consumergroup_skipped_messages_total{consumergroup="nightly",topic="orders"} 0
# HELP kafka_consumergroup_state 1 for the consumer group's current state, 0 for the others, from the last poll.
# TYPE kafka_consumergroup_state gauge
kafka_consumergroup_state{consumergroup="audit",state="CompletingRebalance"} 0
kafka_consumergroup_state{consumergroup="audit",state="Dead"} 0
kafka_consumergroup_state{consumergroup="audit",state="Empty"} 1
kafka_consumergroup_state{consumergroup="audit",state="PreparingRebalance"} 0
kafka_consumergroup_state{consumergroup="audit",state="Stable"} 0
kafka_consumergroup_state{consumergroup="billing",state="CompletingRebalance"} 0
kafka_consumergroup_state{consumergroup="billing",state="Dead"} 0
kafka_consumergroup_state{consumergroup="billing",state="Empty"} 0
kafka_consumergroup_state{consumergroup="billing",state="PreparingRebalance"} 0
kafka_consumergroup_state{consumergroup="billing",state="Stable"} 1
# HELP kafka_consumergroup_status 1 for the consumer group's status (OK, WARN, REWIND, SKIP, STALL, STOP; the worst of its partitions), 0 for the others, from the last poll.
# TYPE kafka_consumergroup_status gauge
kafka_consumergroup_status{consumergroup="audit",status="OK"} 0
kafka_consumergroup_status{consumergroup="audit",status="REWIND"} 0
kafka_consumergroup_status{consumergroup="audit",status="SKIP"} 0
kafka_consumergroup_status{consumergroup="audit",status="STALL"} 0
kafka_consumergroup_status{consumergroup="audit",status="STOP"} 1
kafka_consumergroup_status{consumergroup="audit",status="WARN"} 0
kafka_consumergroup_status{consumergroup="billing",status="OK"} 0
kafka_consumergroup_status{consumergroup="billing",status="REWIND"} 0
kafka_consumergroup_status{consumergroup="billing",status="SKIP"} 0
kafka_consumergroup_status{consumergroup="billing",status="STALL"} 0
kafka_consumergroup_status{consumergroup="billing",status="STOP"} 0
kafka_consumergroup_status{consumergroup="billing",status="WARN"} 1
# HELP kafka_consumergroup_topic_status 1 for the consumer group's status on the topic (OK, WARN, REWIND, SKIP, STALL, STOP; the worst of its partitions), 0 for the others, from the last poll.
# TYPE kafka_consumergroup_topic_status gauge
kafka_consumergroup_topic_status{consumergroup="audit",status="OK",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="audit",status="REWIND",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="audit",status="SKIP",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="audit",status="STALL",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="audit",status="STOP",topic="orders"} 1
kafka_consumergroup_topic_status{consumergroup="audit",status="WARN",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="billing",status="OK",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="billing",status="REWIND",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="billing",status="SKIP",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="billing",status="STALL",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="billing",status="STOP",topic="orders"} 0
kafka_consumergroup_topic_status{consumergroup="billing",status="WARN",topic="orders"} 1
# HELP kafka_consumergroup_unassigned_partitions Partitions of a topic the stable consumer group subscribes to that no member is assigned: nobody reads them, from the last poll.
# TYPE kafka_consumergroup_unassigned_partitions gauge
kafka_consumergroup_unassigned_partitions{consumergroup="billing",topic="orders"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerTopicGranularityDropsPartitionSeries(t *testing.T) {
	c := NewConsumer(reportFunc(testConsumerReport), GranularityTopic)
	for _, name := range []string{"kafka_consumergroup_current_offset", "kafka_consumergroup_lag",
		"kafka_consumergroup_lag_seconds", "kafka_consumergroup_messages_behind_log_start"} {
		if n := testutil.CollectAndCount(c, name); n != 0 {
			t.Fatalf("%s: %d series at topic granularity, want 0", name, n)
		}
	}
	if n := testutil.CollectAndCount(c, "kafka_consumergroup_lag_sum"); n != 2 {
		t.Fatalf("kafka_consumergroup_lag_sum: %d series, want 2", n)
	}
}

func TestConsumerRendersNothingWithoutMetadata(t *testing.T) {
	for name, r := range map[string]*consumers.Report{
		"before the first poll": nil,
		"metadata failed": {Snapshot: &snapshot.Snapshot{Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Err: "no broker answered Metadata"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			c := NewConsumer(reportFunc(func() *consumers.Report { return r }), GranularityPartition)
			if n := testutil.CollectAndCount(c); n != 0 {
				t.Fatalf("rendered %d series, want 0", n)
			}
		})
	}
}
