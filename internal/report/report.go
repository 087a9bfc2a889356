// Package report turns one poll's snapshot and the judge's conclusions about
// it into a loss-audit report: a flat, ordered list of findings (each with a
// severity, a subject, the risk, a one-line detail, a one-line fix and its
// runbook) plus the topics ranked by risk score. It is pure: the audit
// subcommand and the /status page render the same Report value, built from
// the same snapshot the collectors render, never from a poll of their own.
package report

import (
	"fmt"
	"time"
)

// SchemaVersion is the version of the JSON form of Report (docs/audit.md).
// It changes only when a field is removed or changes meaning.
const SchemaVersion = 1

// Severity ranks a finding. The order is info < warning < critical.
type Severity int

// The severities, least severe first; they match the alerts' severity
// labels.
const (
	// Info: worth a look, not a risk of loss by itself.
	Info Severity = iota
	// Warning: one more failure (or a configuration mistake) away from
	// losing messages.
	Warning
	// Critical: messages are being lost, or cannot be written, now.
	Critical
)

// Severities lists the severities, most severe first (report order).
var Severities = []Severity{Critical, Warning, Info}

// String is the severity's name: critical, warning or info.
func (s Severity) String() string {
	switch s {
	case Critical:
		return "critical"
	case Warning:
		return "warning"
	case Info:
		return "info"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity parses critical, warning or info.
func ParseSeverity(name string) (Severity, error) {
	for _, s := range Severities {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want critical, warning or info)", name)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Kind says what a finding is about.
type Kind string

// The kinds of subject, in report order within a severity.
const (
	KindCluster   Kind = "cluster"
	KindBroker    Kind = "broker"
	KindPartition Kind = "partition"
	KindGroup     Kind = "consumer_group"
	KindTopic     Kind = "topic"
	KindExporter  Kind = "exporter"
)

var kindOrder = map[Kind]int{KindCluster: 0, KindBroker: 1, KindPartition: 2, KindGroup: 3, KindTopic: 4, KindExporter: 5}

// Finding is one thing that can lose messages (or hides whether it can).
type Finding struct {
	Severity Severity `json:"severity"`
	Kind     Kind     `json:"kind"`
	// Subject names what the finding is about, for people: "orders",
	// "orders/3" (topic/partition), "broker 2", "billing on orders"
	// (group on topic), "cluster", "configs" (a part of the poll).
	Subject string `json:"subject"`
	// Topic, Partition, Group and Broker identify the subject for
	// programs; each is set only where it applies.
	Topic     string `json:"topic,omitempty"`
	Partition *int32 `json:"partition,omitempty"`
	Group     string `json:"consumer_group,omitempty"`
	Broker    *int32 `json:"broker,omitempty"`
	// Risk is the risk's stable name: a kafka_topic_loss_risk or
	// kafka_cluster_loss_risk risk label, or one of the live-state risks
	// (Risk* constants of this package).
	Risk string `json:"risk"`
	// Detail says what was seen, in one line.
	Detail string `json:"detail"`
	// Fix says what to do, in one line.
	Fix string `json:"fix"`
	// Runbook is the URL of the runbook of the matching alert.
	Runbook string `json:"runbook"`
}

// TopicScore is a topic with a loss-risk score above zero.
type TopicScore struct {
	Topic string `json:"topic"`
	// Score is kafka_topic_loss_risk_score: 0 (meets the policy, healthy)
	// to 100 (a partition is offline).
	Score      int `json:"score"`
	Partitions int `json:"partitions"`
	// UnhealthyPartitions counts the partitions that are offline, led by
	// an unresponsive broker, under-replicated or down to one in-sync
	// replica.
	UnhealthyPartitions int `json:"unhealthy_partitions"`
	// Risks are the topic's configuration and placement risks.
	Risks []string `json:"risks"`
}

// Summary counts what the poll saw and what the report found.
type Summary struct {
	Brokers     int `json:"brokers"`
	BrokersDown int `json:"brokers_down"`
	// BrokersUnresponsive counts the brokers that let a request time out
	// and have not answered since (kafka_broker_responding 0).
	BrokersUnresponsive int `json:"brokers_unresponsive"`
	Topics              int `json:"topics"`
	Partitions          int `json:"partitions"`
	// HealthyPartitions are the partitions without a partition finding.
	HealthyPartitions int `json:"healthy_partitions"`
	Groups            int `json:"consumer_groups"`
	Critical          int `json:"critical"`
	Warning           int `json:"warning"`
	Info              int `json:"info"`
}

// Part is the outcome of one part of the poll.
type Part struct {
	Name    string `json:"name"`
	Success bool   `json:"success"`
	// Error is why the part failed ("" on success).
	Error string `json:"error,omitempty"`
}

// Report is the loss audit of one poll. It is never modified once built.
type Report struct {
	SchemaVersion int `json:"schema_version"`
	// Time is when the poll started; Duration how long it took.
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration_ns"`
	// ClusterID is the cluster id Metadata reported ("" when unknown).
	ClusterID string  `json:"cluster_id"`
	Summary   Summary `json:"summary"`
	// Parts are the parts of the poll with their outcome, in poll order.
	Parts []Part `json:"parts"`
	// Findings are ordered by severity (critical first), kind, subject and
	// risk.
	Findings []Finding `json:"findings"`
	// Topics are the topics with a score above zero, highest first.
	Topics []TopicScore `json:"topics"`
}

// Count returns the number of findings at or above severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

// Worst is the most severe finding's severity; ok is false without
// findings.
func (r *Report) Worst() (s Severity, ok bool) {
	if len(r.Findings) == 0 {
		return 0, false
	}
	return r.Findings[0].Severity, true
}

// BySeverity returns the findings of severity s (a sub-slice: the findings
// are sorted by severity).
func (r *Report) BySeverity(s Severity) []Finding {
	lo, hi := -1, len(r.Findings)
	for i, f := range r.Findings {
		if f.Severity == s && lo < 0 {
			lo = i
		}
		if f.Severity < s {
			hi = i
			break
		}
	}
	if lo < 0 || lo >= hi {
		return nil
	}
	return r.Findings[lo:hi]
}
