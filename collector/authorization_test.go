package collector

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

func TestAuthorizationCollector(t *testing.T) {
	denied := kafka.NewAuthorizationCounts()
	denied.Add(kafka.ResourceTopic, 3)
	denied.Add(kafka.ResourceGroup, 1)
	want := `
# HELP kafka_loss_exporter_authorization_errors_total ` + authorizationErrorsHelp + `
# TYPE kafka_loss_exporter_authorization_errors_total counter
kafka_loss_exporter_authorization_errors_total{resource_type="cluster"} 0
kafka_loss_exporter_authorization_errors_total{resource_type="group"} 1
kafka_loss_exporter_authorization_errors_total{resource_type="topic"} 3
`
	if err := testutil.CollectAndCompare(NewAuthorization(denied), strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
