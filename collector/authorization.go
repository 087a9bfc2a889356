package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// authorizationErrorsHelp is the HELP text of authorization_errors_total.
const authorizationErrorsHelp = "Number of resources Kafka refused to show the exporter (TOPIC_, GROUP_ or CLUSTER_AUTHORIZATION_FAILED), by resource type (topic, group, cluster); each refused resource counts once per read of a collector. Non-zero: the exporter's principal lacks ACLs (docs/security.md) and some metrics are missing."

var authorizationErrorsDesc = prometheus.NewDesc(selfPrefix+"authorization_errors_total", authorizationErrorsHelp,
	[]string{"resource_type"}, nil)

// Authorization renders the count of authorization errors. Every resource
// type is always reported, 0 until Kafka refuses one, so that rate() and
// alerts see the series from the start.
type Authorization struct {
	denied *kafka.AuthorizationCounts
}

// NewAuthorization returns the authorization-errors collector.
func NewAuthorization(denied *kafka.AuthorizationCounts) *Authorization {
	return &Authorization{denied: denied}
}

// Describe implements prometheus.Collector.
func (a *Authorization) Describe(ch chan<- *prometheus.Desc) { ch <- authorizationErrorsDesc }

// Collect implements prometheus.Collector.
func (a *Authorization) Collect(ch chan<- prometheus.Metric) {
	for _, rt := range []string{kafka.ResourceCluster, kafka.ResourceGroup, kafka.ResourceTopic} {
		ch <- prometheus.MustNewConstMetric(authorizationErrorsDesc, prometheus.CounterValue, float64(a.denied.Total(rt)), rt)
	}
}

var _ prometheus.Collector = (*Authorization)(nil)
