// Package dashboards holds the Grafana dashboards of kafka-loss-exporter.
//
// The *.json files in this directory are generated from the Go definitions
// in this package by `make dashboards` (go run ./dashboards/gen), so that
// every panel gets the same conventions (datasource variable, job/instance
// filter, unit, description, alert thresholds read from alerts/); a test
// fails when a file differs from what the definitions generate. The files
// are what users import (file provisioning, Kubernetes sidecar); they are
// embedded as Files for tests.
package dashboards

import (
	"bytes"
	"embed"
	"encoding/json"
)

// Files holds the generated dashboard JSON files (*.json in this directory).
//
//go:embed *.json
var Files embed.FS

// Tag is carried by every dashboard; the dashboards link to each other by it.
const Tag = "kafka-loss-exporter"

// All returns every dashboard, in the order of their files.
func All() []*Dashboard {
	return []*Dashboard{Overview(), TopicDetail(), GroupDetail(), Canary()}
}

// Render returns a dashboard's file content: indented JSON ending in a
// newline.
func Render(d *Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newDashboard wraps the panels of l with what every dashboard shares: the
// datasource, job, cluster and instance variables (then extra ones), links to the
// other dashboards, the default time range and refresh.
func newDashboard(uid, file, title, description string, l *layout, extra ...Variable) *Dashboard {
	vars := append([]Variable{datasourceVariable(), jobVariable(), clusterVariable(), instanceVariable()}, extra...)
	return &Dashboard{
		Annotations: Annotations{List: []map[string]any{{
			"builtIn":    1,
			"datasource": map[string]any{"type": "grafana", "uid": "-- Grafana --"},
			"enable":     true,
			"hide":       true,
			"iconColor":  "rgba(0, 211, 255, 1)",
			"name":       "Annotations & Alerts",
			"type":       "dashboard",
		}, firingAlertsAnnotation()}},
		Description:  description,
		Editable:     true,
		GraphTooltip: 1,
		Links: []Link{{
			AsDropdown: true, Icon: "external link", IncludeVars: true, KeepTime: true, Tags: []string{Tag},
			Title: "Kafka loss dashboards", Type: "dashboards",
		}},
		Panels:        l.panels,
		Refresh:       "30s",
		SchemaVersion: SchemaVersion,
		Tags:          []string{"kafka", Tag},
		Templating:    Templating{List: vars},
		Time:          TimeRange{From: "now-6h", To: "now"},
		Title:         title,
		UID:           uid,
		Version:       1,
		FileName:      file,
	}
}

// firingAlertsAnnotation marks, on every time series panel, when the
// project's alerts (alerts/*.yml, all named Kafka*) fired for the selected
// jobs and clusters (alerts carry no instance: they aggregate the exporter
// replicas away): "since when" at a glance. It needs the rules loaded in the
// Prometheus the datasource points at; without them it shows nothing.
func firingAlertsAnnotation() map[string]any {
	return map[string]any{
		"datasource":      promDatasource,
		"enable":          true,
		"expr":            `ALERTS{alertstate="firing", alertname=~"Kafka.*", job=~"$job", ` + clusterMatcher + `}`,
		"hide":            false,
		"iconColor":       "red",
		"name":            "Kafka loss alerts firing",
		"step":            "1m",
		"tagKeys":         "alertname,severity",
		"textFormat":      "{{alertname}} {{topic}}{{consumergroup}}{{id}} on {{cluster}}{{job}}",
		"titleFormat":     "{{alertname}}",
		"useValueForTime": false,
	}
}

func datasourceVariable() Variable {
	return Variable{
		Current: map[string]any{}, Label: "Data source", Name: "datasource", Options: []any{}, Query: "prometheus",
		Refresh: 1, Type: "datasource",
		Description: "The Prometheus that scrapes the kafka-loss-exporter targets.",
	}
}

// queryVariable is a multi-select variable with All whose values are the
// label values of a metric.
func queryVariable(name, label, definition, allValue, description string) Variable {
	return Variable{
		AllValue: allValue, Current: map[string]any{}, Datasource: promDatasource, Definition: definition,
		Description: description, IncludeAll: true, Label: label, Multi: true, Name: name, Options: []any{},
		Query: map[string]any{
			"qryType": 1, "query": definition, "refId": "PrometheusVariableQueryEditor-VariableQuery",
		},
		Refresh: 2, Sort: 1, Type: "query",
	}
}

// jobVariable lists the scrape jobs of exporters; "All" is the regex of the
// values, so it never matches another job's series.
func jobVariable() Variable {
	return queryVariable("job", "Job", "label_values(kafka_loss_exporter_build_info, job)", "",
		"Prometheus jobs that scrape kafka-loss-exporter.")
}

// clusterVariable lists the cluster label Prometheus attaches to the
// exporter's targets (target relabelling or external labels; the exporter
// sets none). Without such a label it has no values and "All" (.*) matches
// every series, so the dashboards work the same.
func clusterVariable() Variable {
	return queryVariable("cluster", "Cluster",
		`label_values(kafka_loss_exporter_build_info{job=~"$job"}, cluster)`, ".*",
		"The cluster label attached to the exporter's targets (ServiceMonitor relabelling, static_configs labels or "+
			"external labels); empty when there is none.")
}

func instanceVariable() Variable {
	return queryVariable("instance", "Instance (replica)",
		`label_values(kafka_loss_exporter_build_info{job=~"$job", `+clusterMatcher+`}, instance)`, ".+",
		"Exporter targets: one per replica; one or two replicas watch one Kafka cluster.")
}

func topicVariable() Variable {
	return queryVariable("topic", "Topic", `label_values(`+sel("kafka_topic_partitions")+`, topic)`, ".+",
		"Topics the exporter watches (--topic.filter).")
}

func groupVariable() Variable {
	return queryVariable("consumergroup", "Consumer group",
		`label_values(`+sel("kafka_consumergroup_rebalances_total")+`, consumergroup)`, ".+",
		"Consumer groups the exporter watches (--group.filter).")
}
