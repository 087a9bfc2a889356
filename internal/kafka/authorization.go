package kafka

import (
	"errors"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
)

// Resource types of the authorization errors Kafka returns, as labels of
// kafka_loss_exporter_authorization_errors_total.
const (
	ResourceTopic   = "topic"
	ResourceGroup   = "group"
	ResourceCluster = "cluster"
)

// AuthorizationResource says which kind of resource an error denied access
// to: topic, group or cluster for TOPIC_, GROUP_ and
// CLUSTER_AUTHORIZATION_FAILED, and false for any other error.
func AuthorizationResource(err error) (string, bool) {
	var kerr sarama.KError
	if err == nil || !errors.As(err, &kerr) {
		return "", false
	}
	switch kerr {
	case sarama.ErrTopicAuthorizationFailed:
		return ResourceTopic, true
	case sarama.ErrGroupAuthorizationFailed:
		return ResourceGroup, true
	case sarama.ErrClusterAuthorizationFailed:
		return ResourceCluster, true
	}
	return "", false
}

// authorizationErrorsHelp is the HELP text of authorization_errors_total.
const authorizationErrorsHelp = "Number of resources Kafka refused to show the exporter (TOPIC_, GROUP_ or CLUSTER_AUTHORIZATION_FAILED), by resource type (topic, group, cluster); each refused resource counts once per read of a collector. Non-zero: the exporter's principal lacks ACLs (docs/security.md) and some metrics are missing."

// AuthorizationCounts counts the resources Kafka refused to show the
// exporter, by resource type, as the client_golang counter
// kafka_loss_exporter_authorization_errors_total{resource_type}. Every
// resource type is there from the start, 0 until Kafka refuses one, so that
// rate() and alerts see the series. It is safe for concurrent use.
type AuthorizationCounts struct {
	counts *prometheus.CounterVec
}

// NewAuthorizationCounts returns zeroed counters, registered with reg unless
// reg is nil.
func NewAuthorizationCounts(reg prometheus.Registerer) *AuthorizationCounts {
	a := &AuthorizationCounts{counts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: selfPrefix + "authorization_errors_total",
		Help: authorizationErrorsHelp,
	}, []string{"resource_type"})}
	for _, rt := range []string{ResourceCluster, ResourceGroup, ResourceTopic} {
		a.counts.WithLabelValues(rt)
	}
	if reg != nil {
		reg.MustRegister(a.counts)
	}
	return a
}

// Add counts n denied resources of one type.
func (a *AuthorizationCounts) Add(resourceType string, n int) {
	if n <= 0 {
		return
	}
	a.counts.WithLabelValues(resourceType).Add(float64(n))
}

// Total returns the count of one resource type.
func (a *AuthorizationCounts) Total(resourceType string) uint64 {
	for _, m := range collect(a.counts) {
		if labelValue(m, "resource_type") == resourceType {
			return uint64(m.GetCounter().GetValue())
		}
	}
	return 0
}
