package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/poller"
)

var collectorErrorsDesc = prometheus.NewDesc(selfPrefix+"collector_errors_total",
	"Number of polls in which the collector failed, by reason: timeout, connection, authentication, authorization, canceled, other, or the Kafka error name (for example NOT_CONTROLLER).",
	[]string{"collector", "reason"}, nil)

// CollectorErrorsSource gives the collector failures counted so far.
type CollectorErrorsSource interface {
	Counts() []poller.CollectorErrorCount
}

// CollectorErrors renders kafka_loss_exporter_collector_errors_total.
type CollectorErrors struct {
	source CollectorErrorsSource
}

// NewCollectorErrors returns the collector of collector failure counts.
func NewCollectorErrors(source CollectorErrorsSource) *CollectorErrors {
	return &CollectorErrors{source: source}
}

// Describe implements prometheus.Collector.
func (c *CollectorErrors) Describe(ch chan<- *prometheus.Desc) { ch <- collectorErrorsDesc }

// Collect implements prometheus.Collector.
func (c *CollectorErrors) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.source.Counts() {
		ch <- prometheus.MustNewConstMetric(collectorErrorsDesc, prometheus.CounterValue, float64(n.Count), n.Collector, n.Reason)
	}
}

var _ prometheus.Collector = (*CollectorErrors)(nil)
