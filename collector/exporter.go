package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

const selfPrefix = "kafka_loss_exporter_"

var (
	upDesc = prometheus.NewDesc(selfPrefix+"up",
		"1 when the last poll read the cluster, 0 when it could not.", nil, nil)
	lastSuccessDesc = prometheus.NewDesc(selfPrefix+"last_poll_success_timestamp_seconds",
		"Unix time at which the last successful poll started, 0 before the first one.", nil, nil)
	lastAttemptDesc = prometheus.NewDesc(selfPrefix+"last_poll_timestamp_seconds",
		"Unix time at which the last poll started, successful or not, 0 before the first one.", nil, nil)
	pollDurationDesc = prometheus.NewDesc(selfPrefix+"poll_duration_seconds",
		"How long the last poll took, in seconds.", nil, nil)
	pollsDesc = prometheus.NewDesc(selfPrefix+"polls_total",
		"Number of polls run, by result (success, failure).", []string{"result"}, nil)
	collectorSuccessDesc = prometheus.NewDesc(selfPrefix+"collector_success",
		"1 when the collector fully succeeded in the last poll, 0 when it failed or only partly succeeded.", []string{"collector"}, nil)
	collectorDurationDesc = prometheus.NewDesc(selfPrefix+"collector_duration_seconds",
		"How long the collector took in the last poll, in seconds.", []string{"collector"}, nil)
)

// StatusSource gives the poller's status.
type StatusSource interface {
	Status() snapshot.PollStatus
}

// Exporter renders the exporter's own health: poll outcome, per-collector
// success and duration. The Kafka client registers its own request
// metrics (kafka.NewClient).
type Exporter struct {
	snapshots SnapshotSource
	status    StatusSource
	// collectors are the collector names always reported, so that a
	// collector that did not run shows success 0 instead of vanishing.
	collectors []string
}

// NewExporter returns the self-metrics collector. collectors lists the
// collector names that every poll is expected to run.
func NewExporter(snapshots SnapshotSource, status StatusSource, collectors []string) *Exporter {
	return &Exporter{snapshots: snapshots, status: status, collectors: collectors}
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, lastSuccessDesc, lastAttemptDesc, pollDurationDesc, pollsDesc,
		collectorSuccessDesc, collectorDurationDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	st := e.status.Status()
	// A nil snapshot after a poll means the last one is too old to serve
	// (the poll loop is stuck): not up, every collector 0.
	s := e.snapshots.Snapshot()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(upDesc, boolean(st.Up && s != nil))
	gauge(lastSuccessDesc, unixSeconds(st.LastSuccess))
	gauge(lastAttemptDesc, unixSeconds(st.LastAttempt))
	gauge(pollDurationDesc, st.LastDuration.Seconds())
	counter(pollsDesc, float64(st.Polls-st.Failures), "success")
	counter(pollsDesc, float64(st.Failures), "failure")

	seen := map[string]bool{}
	if s != nil {
		for _, c := range s.Collectors {
			seen[c.Name] = true
			gauge(collectorSuccessDesc, boolean(c.Success), c.Name)
			gauge(collectorDurationDesc, c.Duration.Seconds(), c.Name)
		}
	}
	for _, name := range e.collectors {
		if !seen[name] {
			gauge(collectorSuccessDesc, 0, name)
		}
	}
}

var _ prometheus.Collector = (*Exporter)(nil)
