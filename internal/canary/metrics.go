package canary

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Topic findings reported in kafka_canary_topic_finding{finding}. Each is
// always exported, 1 when it holds and 0 otherwise, so alerts and
// dashboards can tell "fine" from "not checked".
const (
	// FindingRFBelow3: the topic's replication factor is below 3 (fewer
	// brokers, or a flag asked for it); one failure can lose acknowledged
	// messages.
	FindingRFBelow3 = "rf_below_3"
	// FindingMinISRBelow2: min.insync.replicas is below 2, so acks=all
	// can be acknowledged by the leader alone.
	FindingMinISRBelow2 = "min_insync_replicas_below_2"
	// FindingUncleanElection: unclean.leader.election.enable is true.
	FindingUncleanElection = "unclean_leader_election_enabled"
	// FindingBrokerLeadsNone: a live broker is the preferred leader of no
	// canary partition, so its write path is not tested.
	FindingBrokerLeadsNone = "broker_leads_no_partition"
	// FindingRacksNotSpread: a partition's replicas share a rack although
	// more racks are available.
	FindingRacksNotSpread = "replicas_not_rack_spread"
	// FindingCannotCreate: the topic is missing and could not be created.
	FindingCannotCreate = "cannot_create"
	// FindingCannotDescribe: the topic or its configuration could not be
	// read.
	FindingCannotDescribe = "cannot_describe"
	// FindingCannotRepair: the topic differs from the plan and a repair
	// (configuration or new partitions) failed.
	FindingCannotRepair = "cannot_repair"
	// FindingNotAuthorized: Kafka refused a request of the canary
	// (TOPIC_AUTHORIZATION_FAILED and the like).
	FindingNotAuthorized = "not_authorized"
)

// Findings lists every finding, in the order they are exported.
var Findings = []string{
	FindingRFBelow3, FindingMinISRBelow2, FindingUncleanElection, FindingBrokerLeadsNone, FindingRacksNotSpread,
	FindingCannotCreate, FindingCannotDescribe, FindingCannotRepair, FindingNotAuthorized,
}

// latencyBuckets span 1 ms to about 16 s.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2, 15)

// Metrics are the canary's live metrics.
type Metrics struct {
	Sent          *prometheus.CounterVec
	Acked         *prometheus.CounterVec
	ProduceErrors *prometheus.CounterVec
	Received      *prometheus.CounterVec
	Lost          *prometheus.CounterVec
	Duplicated    *prometheus.CounterVec
	OutOfOrder    *prometheus.CounterVec
	ProduceLatency,
	EndToEndLatency prometheus.Histogram
	LastReceived *prometheus.GaugeVec
	Up           prometheus.Gauge
	TopicFinding *prometheus.GaugeVec
}

// NewMetrics creates the canary's metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	partition := []string{"partition"}
	m := &Metrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_messages_sent_total",
			Help: "Canary messages handed to the producer, by partition."}, partition),
		Acked: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_messages_acked_total",
			Help: "Canary messages the cluster acknowledged (acks=all), by partition."}, partition),
		ProduceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_produce_errors_total",
			Help: "Canary messages whose produce failed after the producer's retries, by Kafka error name (NOT_ENOUGH_REPLICAS ...; TIMEOUT, CONNECTION, OTHER for transport errors)."}, []string{"error"}),
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_messages_received_total",
			Help: "Canary messages of this exporter process read back, first copies only, by partition."}, partition),
		Lost: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_messages_lost_total",
			Help: "Acknowledged canary messages that were never read back, or vanished from the log after being read, within the loss timeout while later ones arrived, by partition."}, partition),
		Duplicated: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_messages_duplicated_total",
			Help: "Canary messages read back a second time at another offset, by partition."}, partition),
		OutOfOrder: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka_canary_messages_out_of_order_total",
			Help: "Canary messages read back after a message with a higher sequence number, by partition."}, partition),
		ProduceLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kafka_canary_produce_latency_seconds",
			Help: "Time from handing a canary message to the producer to its acknowledgement, in seconds.", Buckets: latencyBuckets}),
		EndToEndLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kafka_canary_end_to_end_latency_seconds",
			Help: "Time from sending a canary message to reading it back, in seconds.", Buckets: latencyBuckets}),
		LastReceived: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka_canary_last_received_timestamp_seconds",
			Help: "Unix time at which the last canary message of the partition was read back, 0 before the first one."}, partition),
		Up: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kafka_canary_up",
			Help: "1 when the canary topic is usable and the canary writes and reads it, 0 when it cannot (see kafka_canary_topic_finding)."}),
		TopicFinding: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka_canary_topic_finding",
			Help: "1 when the canary topic has the problem named by finding, 0 when not."}, []string{"finding"}),
	}
	reg.MustRegister(m.Sent, m.Acked, m.ProduceErrors, m.Received, m.Lost, m.Duplicated, m.OutOfOrder,
		m.ProduceLatency, m.EndToEndLatency, m.LastReceived, m.Up, m.TopicFinding)
	m.SetFindings(nil)
	return m
}

// InitPartition makes a partition's series exist at 0, so that increase()
// sees their first increment.
func (m *Metrics) InitPartition(p int32) {
	l := partitionLabel(p)
	m.Sent.WithLabelValues(l)
	m.Acked.WithLabelValues(l)
	m.Received.WithLabelValues(l)
	m.Lost.WithLabelValues(l)
	m.Duplicated.WithLabelValues(l)
	m.OutOfOrder.WithLabelValues(l)
	m.LastReceived.WithLabelValues(l)
}

// SetFindings sets every finding to 1 when it is in active, else 0.
func (m *Metrics) SetFindings(active []string) {
	on := map[string]bool{}
	for _, f := range active {
		on[f] = true
	}
	for _, f := range Findings {
		v := 0.0
		if on[f] {
			v = 1
		}
		m.TopicFinding.WithLabelValues(f).Set(v)
	}
}

// produceError counts a failed produce.
func (m *Metrics) produceError(name string) { m.ProduceErrors.WithLabelValues(name).Inc() }

// applyVerdict counts what the detector made of a received message.
func (m *Metrics) applyVerdict(p int32, v Verdict, latency time.Duration, now time.Time) {
	l := partitionLabel(p)
	switch v {
	case VerdictReceived, VerdictOutOfOrder:
		m.Received.WithLabelValues(l).Inc()
		if latency >= 0 {
			m.EndToEndLatency.Observe(latency.Seconds())
		}
		m.LastReceived.WithLabelValues(l).Set(float64(now.UnixNano()) / 1e9)
		if v == VerdictOutOfOrder {
			m.OutOfOrder.WithLabelValues(l).Inc()
		}
	case VerdictDuplicate:
		m.Duplicated.WithLabelValues(l).Inc()
	}
}

func partitionLabel(p int32) string { return strconv.Itoa(int(p)) }
