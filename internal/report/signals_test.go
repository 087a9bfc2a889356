package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	prommodel "github.com/prometheus/common/model"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/alerts"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// base is a healthy three-broker cluster with topic t (partition 0 led by
// broker 1, partition 1 by broker 2), at time at.
func base() *snapshot.Snapshot {
	return &snapshot.Snapshot{Time: at, ClusterID: "c",
		Brokers: []snapshot.Broker{{ID: 1}, {ID: 2}, {ID: 3}},
		Topics: []snapshot.Topic{{Name: "t", Partitions: []snapshot.Partition{
			part(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3}), part(1, 2, []int32{2, 3, 1}, []int32{2, 3, 1})}}},
		Collectors: []snapshot.CollectorResult{{Name: "metadata", Success: true}},
	}
}

// found lists the findings of the report as "severity subject risk: detail".
func found(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Severity.String()+" "+f.Subject+" "+f.Risk+": "+f.Detail)
	}
	return out
}

func checkFindings(t *testing.T, name string, r *Report, want []string) {
	t.Helper()
	got := found(r)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: findings\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// KafkaBrokerUnresponsive: kafka_broker_responding 0 is critical, for the
// broker and for each partition it leads (a partition whose leader does
// not answer takes no writes); a hung broker the controller fenced gets one
// finding, the heavier.
func TestUnresponsiveBrokerFindings(t *testing.T) {
	for _, tc := range []struct {
		name         string
		unresponsive []int32
		live         []int32
		want         []string
	}{
		{"all answer", nil, []int32{1, 2, 3}, nil},
		{"a follower hangs", []int32{3}, []int32{1, 2, 3}, []string{
			"critical broker 3 broker_unresponsive: a request timed out and it has not answered since; partitions it leads: 0"}},
		{"a leader hangs", []int32{2}, []int32{1, 2, 3}, []string{
			"critical broker 2 broker_unresponsive: a request timed out and it has not answered since; partitions it leads: 1",
			"critical t/1 leader_unresponsive: leader 2, replicas [2,3,1], in sync [2,3,1]"}},
		{"hung, then fenced", []int32{3}, []int32{1, 2}, []string{
			"critical broker 3 broker_unresponsive: a request timed out and it has not answered since; partitions it leads: 0; not in the live broker list, 2 of its replicas are out of sync",
			"warning t/0 under_replicated: leader 1, replicas [1,2,3], in sync [1,2]",
			"warning t/1 under_replicated: leader 2, replicas [2,3,1], in sync [2,1]"}},
	} {
		s := base()
		s.Unresponsive = tc.unresponsive
		s.Brokers = nil
		for _, id := range tc.live {
			s.Brokers = append(s.Brokers, snapshot.Broker{ID: id})
		}
		if len(tc.live) < 3 { // the controller dropped broker 3 from the ISRs
			s.Topics[0].Partitions[0].ISR = []int32{1, 2}
			s.Topics[0].Partitions[1].ISR = []int32{2, 1}
		}
		r := Build(Input{Verdicts: judged(s)})
		checkFindings(t, tc.name, r, tc.want)
		if r.Summary.BrokersUnresponsive != len(tc.unresponsive) {
			t.Errorf("%s: %d unresponsive brokers, want %d", tc.name, r.Summary.BrokersUnresponsive, len(tc.unresponsive))
		}
	}
}

// KafkaTransactionOpenTooLong (warning, oldest open transaction > 60 s) and
// KafkaTransactionHanging (critical, open past its own timeout): a topic
// gets the heavier; the detail carries the last stable offset lag.
func TestTransactionFindings(t *testing.T) {
	tx := func(id string, age, timeout time.Duration) snapshot.Transaction {
		return snapshot.Transaction{ID: id, Start: at.Add(-age), Timeout: timeout, Partitions: map[string][]int32{"t": {1}}}
	}
	for _, tc := range []struct {
		name string
		txs  []snapshot.Transaction
		want []string
	}{
		{"none open", nil, nil},
		{"a young one", []snapshot.Transaction{tx("a", 5*time.Second, time.Minute)}, nil},
		{"exactly a minute", []snapshot.Transaction{tx("a", time.Minute, 15*time.Minute)}, nil},
		{"just over a minute", []snapshot.Transaction{tx("a", 61*time.Second, 15*time.Minute)}, []string{
			`warning t transaction_open_too_long: 1 open transactions; the oldest (transactional.id "a") is 61 s old; read_committed consumers cannot see 25 messages on partitions [1]`}},
		{"at its timeout", []snapshot.Transaction{tx("a", 15*time.Minute, 15*time.Minute)}, []string{
			`warning t transaction_open_too_long: 1 open transactions; the oldest (transactional.id "a") is 900 s old; read_committed consumers cannot see 25 messages on partitions [1]`}},
		{"past its timeout", []snapshot.Transaction{tx("young", time.Second, time.Minute), tx("old", 16*time.Minute, 15*time.Minute)}, []string{
			`critical t transaction_hanging: 1 of 2 open transactions are past their own transaction.timeout.ms; the oldest (transactional.id "old") is 960 s old; read_committed consumers cannot see 25 messages on partitions [1]`}},
		{"hanging with a short timeout", []snapshot.Transaction{tx("a", 30*time.Second, 10*time.Second)}, []string{
			`critical t transaction_hanging: 1 of 1 open transactions are past their own transaction.timeout.ms; the oldest (transactional.id "a") is 30 s old; read_committed consumers cannot see 25 messages on partitions [1]`}},
		{"not described", []snapshot.Transaction{{ID: "x", Err: errDenied}}, nil},
	} {
		s := base()
		s.Producers = &snapshot.Producers{Current: &snapshot.ProducerRead{Time: at, Transactions: tc.txs,
			Partitions: map[string]map[int32]snapshot.PartitionProducers{"t": {
				0: {HighWatermark: 100, LastStable: snapshot.LastStableOffset{Read: true, Offset: 100}},
				1: {HighWatermark: 100, LastStable: snapshot.LastStableOffset{Read: true, Offset: 75}}}}}}
		checkFindings(t, tc.name, Build(Input{Verdicts: judged(s)}), tc.want)
	}
	// Without a producer read, nothing is judged.
	checkFindings(t, "no producer read", Build(Input{Verdicts: judged(base())}), nil)
}

var errDenied = snapshotErr("TRANSACTIONAL_ID_AUTHORIZATION_FAILED")

type snapshotErr string

func (e snapshotErr) Error() string { return string(e) }

// KafkaConsumerGroupOffsetsExpiring: offsets deleted within a day (< 86400
// s) while the group has unread messages (lag above 0 on any topic).
func TestOffsetsExpiringFinding(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expiry float64
		known  bool
		lags   []int64
		want   []string
	}{
		{"unknown", 10, false, []int64{5}, nil},
		{"a day away", 86400, true, []int64{5}, nil},
		{"just under a day", 86399, true, []int64{5}, []string{
			"warning g offsets_expiring: no active member: Kafka deletes its committed offsets in 86399 s (offsets.retention.minutes) while 5 messages wait unread"}},
		{"nothing unread", 60, true, []int64{0, 0}, nil},
		{"unread on the second topic", 0, true, []int64{0, 7}, []string{
			"warning g offsets_expiring: no active member: Kafka deletes its committed offsets in 0 s (offsets.retention.minutes) while 7 messages wait unread"}},
	} {
		s := base()
		g := consumers.Group{Name: "g", State: "Empty", OffsetsExpiry: tc.expiry, OffsetsExpiryKnown: tc.known}
		for i, lag := range tc.lags {
			g.Topics = append(g.Topics, consumers.Topic{Name: string(rune('a' + i)), HasOffsets: true, LagSum: lag})
		}
		checkFindings(t, tc.name, Build(Input{Verdicts: judged(s), Groups: &consumers.Report{Snapshot: s, Groups: []consumers.Group{g}}}), tc.want)
	}
}

// KafkaConsumerGroupOffsetsExpiredUnread and KafkaConsumerGroupSkippedMessages:
// the counter grew within the 30 minutes before the poll, for a group
// that exists or one that vanished.
func TestLossCounterFindings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ago   time.Duration
		never bool
		want  bool
	}{
		{"never grew", 0, true, false},
		{"grew at this poll", 0, false, true},
		{"29m59s ago", 30*time.Minute - time.Second, false, true},
		{"30 minutes ago", 30 * time.Minute, false, false},
		{"two hours ago", 2 * time.Hour, false, false},
	} {
		s := base()
		when := at.Add(-tc.ago)
		if tc.never {
			when = time.Time{}
		}
		gr := &consumers.Report{Snapshot: s,
			Groups: []consumers.Group{{Name: "live", Topics: []consumers.Topic{{Name: "t", HasOffsets: true,
				ExpiredUnread: 3, ExpiredUnreadAt: when, Skipped: 4, SkippedAt: when}}}},
			Gone: []consumers.GoneGroup{{Name: "gone", Topics: []consumers.GoneTopic{{Name: "t",
				ExpiredUnread: 5, ExpiredUnreadAt: when, Skipped: 6, SkippedAt: when}}}}}
		var want []string
		if tc.want {
			stamp := when.UTC().Format(time.RFC3339)
			want = []string{
				"critical gone on t offsets_expired_unread: Kafka deleted its committed offsets with unread messages (5 since the exporter started, the last at " + stamp + ")",
				"critical gone on t skipped_messages: its committed offsets moved past unread messages (6 since the exporter started, the last at " + stamp + ")",
				"critical live on t offsets_expired_unread: Kafka deleted its committed offsets with unread messages (3 since the exporter started, the last at " + stamp + ")",
				"critical live on t skipped_messages: its committed offsets moved past unread messages (4 since the exporter started, the last at " + stamp + ")",
			}
		}
		checkFindings(t, tc.name, Build(Input{Verdicts: judged(s), Groups: gr}), want)
	}
}

// Each live-state rule has the severity of the alert whose runbook it
// links, and the thresholds the report judges with are the alerts' own.
// The configuration risks are left out: they link KafkaTopicLossRisk and
// KafkaClusterLossRisk (severity info) but are reported as warnings, as
// docs/audit.md says.
func TestRulesMatchTheAlerts(t *testing.T) {
	files, err := alerts.Load(alerts.Files)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]alerts.Rule{}
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					byName[r.Alert] = r
				}
			}
		}
	}
	for name, ru := range rules {
		if ru.alert == "KafkaTopicLossRisk" || ru.alert == "KafkaClusterLossRisk" {
			continue
		}
		a, ok := byName[ru.alert]
		if !ok {
			t.Errorf("risk %s: no alert %s in alerts/*.yml", name, ru.alert)
			continue
		}
		if a.Labels["severity"] != ru.severity.String() {
			t.Errorf("risk %s: severity %s, alert %s has %s", name, ru.severity, ru.alert, a.Labels["severity"])
		}
	}
	for _, tc := range []struct{ alert, threshold string }{
		{"KafkaConsumerGroupRetentionHeadroomLow", fmt.Sprintf("< %d", headroomAlertSeconds)},
		{"KafkaConsumerGroupRetentionHeadroomLow", fmt.Sprintf("/ %d", headroomLagShare)},
		{"KafkaConsumerGroupOffsetsExpiring", fmt.Sprintf("< %d", offsetsExpiryAlertSeconds)},
		{"KafkaConsumerGroupOffsetsExpiring", "kafka_consumergroup_lag_sum) > 0"},
		{"KafkaConsumerGroupOffsetsExpiredUnread", fmt.Sprintf("[%s]))", prommodel.Duration(lossCounterWindow))},
		{"KafkaConsumerGroupSkippedMessages", fmt.Sprintf("[%s]))", prommodel.Duration(lossCounterWindow))},
		{"KafkaTransactionOpenTooLong", fmt.Sprintf("> %.0f", openTransactionAlert.Seconds())},
		{"KafkaTransactionHanging", "(kafka_topic_hanging_transactions) > 0"},
		{"KafkaBrokerUnresponsive", "(kafka_broker_responding) == 0"},
	} {
		if expr := byName[tc.alert].Expr; !strings.Contains(expr, tc.threshold) {
			t.Errorf("%s: the report judges with %q, the alert's expression is %q", tc.alert, tc.threshold, expr)
		}
	}
}
