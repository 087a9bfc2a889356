package canary

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsGolden(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	now := time.Unix(1700000000, 500000000)
	m.InitPartition(0)
	m.InitPartition(1)
	m.Sent.WithLabelValues("0").Add(3)
	m.Acked.WithLabelValues("0").Add(2)
	m.produceError("NOT_ENOUGH_REPLICAS")
	m.applyVerdict(0, VerdictReceived, 20*time.Millisecond, now)
	m.applyVerdict(0, VerdictOutOfOrder, 3*time.Second, now)
	m.applyVerdict(0, VerdictDuplicate, time.Second, now)
	m.applyVerdict(0, VerdictReread, time.Second, now)
	m.applyVerdict(0, VerdictIgnored, time.Second, now)
	m.Lost.WithLabelValues("1").Add(4)
	m.Up.Set(1)
	m.SetFindings([]string{FindingRFBelow3})

	want := `
# HELP kafka_canary_messages_acked_total Canary messages the cluster acknowledged (acks=all), by partition.
# TYPE kafka_canary_messages_acked_total counter
kafka_canary_messages_acked_total{partition="0"} 2
kafka_canary_messages_acked_total{partition="1"} 0
# HELP kafka_canary_messages_duplicated_total Canary messages read back a second time at another offset, by partition.
# TYPE kafka_canary_messages_duplicated_total counter
kafka_canary_messages_duplicated_total{partition="0"} 1
kafka_canary_messages_duplicated_total{partition="1"} 0
# HELP kafka_canary_messages_lost_total Acknowledged canary messages that were never read back, or vanished from the log after being read, within the loss timeout while later ones arrived, by partition.
# TYPE kafka_canary_messages_lost_total counter
kafka_canary_messages_lost_total{partition="0"} 0
kafka_canary_messages_lost_total{partition="1"} 4
# HELP kafka_canary_messages_out_of_order_total Canary messages read back after a message with a higher sequence number, by partition.
# TYPE kafka_canary_messages_out_of_order_total counter
kafka_canary_messages_out_of_order_total{partition="0"} 1
kafka_canary_messages_out_of_order_total{partition="1"} 0
# HELP kafka_canary_messages_received_total Canary messages of this exporter process read back, first copies only, by partition.
# TYPE kafka_canary_messages_received_total counter
kafka_canary_messages_received_total{partition="0"} 2
kafka_canary_messages_received_total{partition="1"} 0
# HELP kafka_canary_messages_sent_total Canary messages handed to the producer, by partition.
# TYPE kafka_canary_messages_sent_total counter
kafka_canary_messages_sent_total{partition="0"} 3
kafka_canary_messages_sent_total{partition="1"} 0
# HELP kafka_canary_produce_errors_total Canary messages whose produce failed after the producer's retries, by Kafka error name (NOT_ENOUGH_REPLICAS ...; TIMEOUT, CONNECTION, OTHER for transport errors).
# TYPE kafka_canary_produce_errors_total counter
kafka_canary_produce_errors_total{error="NOT_ENOUGH_REPLICAS"} 1
# HELP kafka_canary_last_received_timestamp_seconds Unix time at which the last canary message of the partition was read back, 0 before the first one.
# TYPE kafka_canary_last_received_timestamp_seconds gauge
kafka_canary_last_received_timestamp_seconds{partition="0"} 1.7000000005e+09
kafka_canary_last_received_timestamp_seconds{partition="1"} 0
# HELP kafka_canary_up 1 when the canary topic is usable and the canary writes and reads it, 0 when it cannot (see kafka_canary_topic_finding).
# TYPE kafka_canary_up gauge
kafka_canary_up 1
# HELP kafka_canary_topic_finding 1 when the canary topic has the problem named by finding, 0 when not.
# TYPE kafka_canary_topic_finding gauge
kafka_canary_topic_finding{finding="broker_leads_no_partition"} 0
kafka_canary_topic_finding{finding="cannot_create"} 0
kafka_canary_topic_finding{finding="cannot_describe"} 0
kafka_canary_topic_finding{finding="cannot_repair"} 0
kafka_canary_topic_finding{finding="min_insync_replicas_below_2"} 0
kafka_canary_topic_finding{finding="not_authorized"} 0
kafka_canary_topic_finding{finding="replicas_not_rack_spread"} 0
kafka_canary_topic_finding{finding="rf_below_3"} 1
kafka_canary_topic_finding{finding="unclean_leader_election_enabled"} 0
# HELP kafka_canary_end_to_end_latency_seconds Time from sending a canary message to reading it back, in seconds.
# TYPE kafka_canary_end_to_end_latency_seconds histogram
kafka_canary_end_to_end_latency_seconds_bucket{le="0.001"} 0
kafka_canary_end_to_end_latency_seconds_bucket{le="0.002"} 0
kafka_canary_end_to_end_latency_seconds_bucket{le="0.004"} 0
kafka_canary_end_to_end_latency_seconds_bucket{le="0.008"} 0
kafka_canary_end_to_end_latency_seconds_bucket{le="0.016"} 0
kafka_canary_end_to_end_latency_seconds_bucket{le="0.032"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="0.064"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="0.128"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="0.256"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="0.512"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="1.024"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="2.048"} 1
kafka_canary_end_to_end_latency_seconds_bucket{le="4.096"} 2
kafka_canary_end_to_end_latency_seconds_bucket{le="8.192"} 2
kafka_canary_end_to_end_latency_seconds_bucket{le="16.384"} 2
kafka_canary_end_to_end_latency_seconds_bucket{le="+Inf"} 2
kafka_canary_end_to_end_latency_seconds_sum 3.02
kafka_canary_end_to_end_latency_seconds_count 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"kafka_canary_messages_sent_total", "kafka_canary_messages_acked_total", "kafka_canary_produce_errors_total",
		"kafka_canary_messages_received_total", "kafka_canary_messages_lost_total", "kafka_canary_messages_duplicated_total",
		"kafka_canary_messages_out_of_order_total", "kafka_canary_last_received_timestamp_seconds", "kafka_canary_up",
		"kafka_canary_topic_finding", "kafka_canary_end_to_end_latency_seconds"); err != nil {
		t.Fatal(err)
	}
	// Every metric of the agreed list is registered.
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range []string{"kafka_canary_messages_sent_total", "kafka_canary_messages_acked_total", "kafka_canary_produce_errors_total",
		"kafka_canary_messages_received_total", "kafka_canary_messages_lost_total", "kafka_canary_messages_duplicated_total",
		"kafka_canary_messages_out_of_order_total", "kafka_canary_produce_latency_seconds", "kafka_canary_end_to_end_latency_seconds",
		"kafka_canary_last_received_timestamp_seconds", "kafka_canary_up", "kafka_canary_topic_finding"} {
		if !have[name] {
			t.Errorf("%s is not registered", name)
		}
	}
}
