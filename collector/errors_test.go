package collector

import (
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/poller"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestCollectorErrors(t *testing.T) {
	errs := poller.NewCollectorErrors(log.NewNopLogger(), "metadata")
	errs.Observe(&snapshot.Snapshot{Collectors: []snapshot.CollectorResult{
		{Name: "metadata", Success: true},
		{Name: "offsets", Err: "broker 2: connection refused", Reason: "connection"},
		{Name: "consumer_groups", Err: "GROUP_AUTHORIZATION_FAILED", Reason: "authorization"},
	}}, nil)
	errs.Observe(&snapshot.Snapshot{Collectors: []snapshot.CollectorResult{
		{Name: "metadata", Success: true},
		{Name: "offsets", Err: "timeout", Reason: "timeout"},
	}}, nil)
	want := `
# HELP kafka_loss_exporter_collector_errors_total Number of polls in which the collector failed, by reason: timeout, connection, authentication, authorization, canceled, other, or the Kafka error name (for example NOT_CONTROLLER).
# TYPE kafka_loss_exporter_collector_errors_total counter
kafka_loss_exporter_collector_errors_total{collector="consumer_groups",reason="authorization"} 1
kafka_loss_exporter_collector_errors_total{collector="offsets",reason="connection"} 1
kafka_loss_exporter_collector_errors_total{collector="offsets",reason="timeout"} 1
`
	if err := testutil.CollectAndCompare(NewCollectorErrors(errs), strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
