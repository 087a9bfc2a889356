package collector

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/events"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

type countsFunc func() events.Counts

func (f countsFunc) Counts() events.Counts { return f() }

func TestEventsGolden(t *testing.T) {
	c := NewEvents(countsFunc(func() events.Counts {
		return events.Counts{
			Topics: map[string]events.TopicCounts{
				"orders":   {ISRShrinks: 3, ISRExpands: 2, LeaderChanges: 2, SuspectedUncleanElections: 1, TruncatedMessages: 250},
				"payments": {},
			},
			BrokerISRShrinks: map[int32]uint64{1: 0, 2: 1, 3: 2},
			LastISRChange: map[events.PartitionKey]time.Time{
				{Topic: "orders", Partition: 0}: time.Unix(1700000000, 500_000_000),
			},
		}
	}))
	want := `
# HELP kafka_broker_isr_shrinks_total Number of replicas hosted on the broker that were dropped from their partition's ISR, counted by comparing successive polls since the exporter started.
# TYPE kafka_broker_isr_shrinks_total counter
kafka_broker_isr_shrinks_total{id="1"} 0
kafka_broker_isr_shrinks_total{id="2"} 1
kafka_broker_isr_shrinks_total{id="3"} 2
# HELP kafka_topic_isr_expands_total Number of times a partition of the topic gained a replica in its ISR, counted by comparing successive polls since the exporter started.
# TYPE kafka_topic_isr_expands_total counter
kafka_topic_isr_expands_total{topic="orders"} 2
kafka_topic_isr_expands_total{topic="payments"} 0
# HELP kafka_topic_isr_shrinks_total Number of times a partition of the topic lost a replica from its ISR, counted by comparing successive polls since the exporter started.
# TYPE kafka_topic_isr_shrinks_total counter
kafka_topic_isr_shrinks_total{topic="orders"} 3
kafka_topic_isr_shrinks_total{topic="payments"} 0
# HELP kafka_topic_leader_changes_total Number of leader elections (new leader id or leader epoch) in partitions of the topic, counted by comparing successive polls since the exporter started.
# TYPE kafka_topic_leader_changes_total counter
kafka_topic_leader_changes_total{topic="orders"} 2
kafka_topic_leader_changes_total{topic="payments"} 0
# HELP kafka_topic_partition_last_isr_change_timestamp_seconds Unix time of the poll that last saw the partition's ISR change; only partitions whose ISR changed since the exporter started.
# TYPE kafka_topic_partition_last_isr_change_timestamp_seconds gauge
kafka_topic_partition_last_isr_change_timestamp_seconds{partition="0",topic="orders"} 1.7000000005e+09
# HELP kafka_topic_truncated_messages_total Number of messages (offsets) that consumers could read and that vanished because a partition's high watermark went backwards: measured message loss, counted by comparing successive polls since the exporter started.
# TYPE kafka_topic_truncated_messages_total counter
kafka_topic_truncated_messages_total{topic="orders"} 250
kafka_topic_truncated_messages_total{topic="payments"} 0
# HELP kafka_topic_unclean_leader_elections_suspected_total Number of leader elections in partitions of the topic that look unclean: the new leader was outside the previous ISR, or the high watermark fell, counted by comparing successive polls since the exporter started.
# TYPE kafka_topic_unclean_leader_elections_suspected_total counter
kafka_topic_unclean_leader_elections_suspected_total{topic="orders"} 1
kafka_topic_unclean_leader_elections_suspected_total{topic="payments"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

// The counters are history, not the state of the last poll: they stay while
// the cluster cannot be read.
func TestEventsStayExportedWhileTheClusterIsUnreachable(t *testing.T) {
	acc := events.NewAccumulator(log.NewNopLogger())
	ok := func(isr ...int32) *snapshot.Snapshot {
		return &snapshot.Snapshot{
			Collectors: []snapshot.CollectorResult{{Name: "metadata", Success: true}},
			Topics: []snapshot.Topic{{Name: "orders", Partitions: []snapshot.Partition{
				{ID: 0, Leader: 1, LeaderEpoch: 1, Replicas: []int32{1, 2}, ISR: isr},
			}}},
		}
	}
	acc.Observe(ok(1, 2), nil)
	acc.Observe(ok(1), nil)
	acc.Observe(&snapshot.Snapshot{Collectors: []snapshot.CollectorResult{{Name: "metadata", Err: "down"}}}, errors.New("no broker answered Metadata"))

	c := NewEvents(acc)
	want := `
# HELP kafka_broker_isr_shrinks_total Number of replicas hosted on the broker that were dropped from their partition's ISR, counted by comparing successive polls since the exporter started.
# TYPE kafka_broker_isr_shrinks_total counter
kafka_broker_isr_shrinks_total{id="1"} 0
kafka_broker_isr_shrinks_total{id="2"} 1
# HELP kafka_topic_isr_shrinks_total Number of times a partition of the topic lost a replica from its ISR, counted by comparing successive polls since the exporter started.
# TYPE kafka_topic_isr_shrinks_total counter
kafka_topic_isr_shrinks_total{topic="orders"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "kafka_topic_isr_shrinks_total", "kafka_broker_isr_shrinks_total"); err != nil {
		t.Fatal(err)
	}
}
