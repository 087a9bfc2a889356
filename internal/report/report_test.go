package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot/snapshottest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var at = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func topicConfig(kv ...string) snapshot.ResourceConfig {
	rc := snapshot.ResourceConfig{Entries: map[string]snapshot.ConfigValue{}}
	for i := 0; i < len(kv); i += 2 {
		rc.Entries[kv[i]] = snapshot.ConfigValue{Value: kv[i+1], Source: snapshot.SourceTopicOverride}
	}
	return rc
}

func part(id, leader int32, replicas, isr []int32) snapshot.Partition {
	return snapshot.Partition{ID: id, Leader: leader, Replicas: replicas, ISR: isr, Offsets: snapshot.Offsets{Known: true, Latest: 100}}
}

// planted is a cluster with one of each finding: broker 3 is down, orders
// has a partition at and one under min ISR, payments is unsafe and offline,
// logs is down to one in-sync replica, clicks allows unclean elections,
// broker 2 enables unclean elections by default, one group lost messages
// to retention and another is about to, and the consumer-groups part
// failed on one coordinator. Broker 4 is hung (it leads events/0), a
// transaction writing events hangs and one writing clicks is open for two
// minutes, group reports loses its offsets within two hours, audit and the
// vanished group legacy lost their offsets with unread messages, and
// returned skipped messages when it came back (stale did two hours ago,
// outside the alerts' 30 minutes).
func planted() Input {
	s := &snapshot.Snapshot{Time: at, Duration: 1234 * time.Millisecond, ClusterID: "planted-cluster", ControllerID: 1,
		Brokers:      []snapshot.Broker{{ID: 1, Rack: "a"}, {ID: 2, Rack: "b"}, {ID: 4, Rack: "c"}},
		Unresponsive: []int32{4},
		Topics: []snapshot.Topic{
			{Name: "clicks", Partitions: []snapshot.Partition{part(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3})}},
			{Name: "events", Partitions: []snapshot.Partition{part(0, 4, []int32{4, 1, 2}, []int32{4, 1, 2}), part(1, 1, []int32{1, 2, 4}, []int32{1, 2, 4})}},
			{Name: "healthy", Partitions: []snapshot.Partition{part(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3}), part(1, 2, []int32{2, 3, 1}, []int32{2, 3, 1})}},
			{Name: "logs", Partitions: []snapshot.Partition{part(0, 1, []int32{1, 3}, []int32{1})}},
			{Name: "orders", Partitions: []snapshot.Partition{
				part(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3}),
				part(1, 1, []int32{1, 2, 3}, []int32{1, 2}),
				part(2, 2, []int32{2, 3, 1}, []int32{2}),
				part(10, 2, []int32{2, 1, 3}, []int32{2, 1})}},
			{Name: "payments", Partitions: []snapshot.Partition{part(0, 3, []int32{3}, []int32{3})}},
		},
		Configs: &snapshot.Configs{Time: at,
			Topics: map[string]snapshot.ResourceConfig{
				"clicks":   topicConfig("min.insync.replicas", "2", "unclean.leader.election.enable", "true"),
				"events":   topicConfig("min.insync.replicas", "2"),
				"healthy":  topicConfig("min.insync.replicas", "2"),
				"logs":     topicConfig(),
				"orders":   topicConfig("min.insync.replicas", "2"),
				"payments": topicConfig("min.insync.replicas", "1"),
			},
			Brokers: map[int32]snapshot.ResourceConfig{
				1: {Entries: map[string]snapshot.ConfigValue{"min.insync.replicas": {Value: "1"}, "default.replication.factor": {Value: "3"}}},
				2: {Entries: map[string]snapshot.ConfigValue{"min.insync.replicas": {Value: "1"}, "default.replication.factor": {Value: "3"}}},
				4: {Entries: map[string]snapshot.ConfigValue{"min.insync.replicas": {Value: "1"}, "default.replication.factor": {Value: "3"}}},
			}},
		Producers: &snapshot.Producers{Current: &snapshot.ProducerRead{Time: at,
			Partitions: map[string]map[int32]snapshot.PartitionProducers{
				"events": {0: {HighWatermark: 100, LastStable: snapshot.LastStableOffset{Read: true, Offset: 100}},
					1: {HighWatermark: 100, LastStable: snapshot.LastStableOffset{Read: true, Offset: 60}}},
				"clicks": {0: {HighWatermark: 100, LastStable: snapshot.LastStableOffset{Read: true, Offset: 93}}},
			},
			Transactions: []snapshot.Transaction{
				{ID: "clicks-etl-0", Start: at.Add(-2 * time.Minute), Timeout: 15 * time.Minute, Partitions: map[string][]int32{"clicks": {0}}},
				{ID: "events-writer", Start: at.Add(-20 * time.Minute), Timeout: 15 * time.Minute, Partitions: map[string][]int32{"events": {1}}},
				{ID: "events-young", Start: at.Add(-5 * time.Second), Timeout: time.Minute, Partitions: map[string][]int32{"events": {1}}},
			}}},
		Collectors: []snapshot.CollectorResult{
			{Name: "metadata", Success: true}, {Name: "offsets", Success: true}, {Name: "configs", Success: true},
			{Name: "consumer_groups", Err: "broker 3: connection refused"},
		},
	}
	groups := &consumers.Report{Snapshot: s, Groups: []consumers.Group{
		{Name: "billing", Topics: []consumers.Topic{{Name: "orders", HasOffsets: true, Partitions: []consumers.Partition{
			{ID: 0, Committed: 10, Lag: risk.PartitionLag{Known: true, Lag: 90, BehindLogStart: 20}},
			{ID: 1, Committed: 50, Lag: risk.PartitionLag{Known: true, Lag: 50}},
			{ID: 2, Committed: 5, Lag: risk.PartitionLag{Known: true, Lag: 95, BehindLogStart: 15}}}}}},
		{Name: "etl", Topics: []consumers.Topic{{Name: "clicks", HasOffsets: true, Headroom: 100, HeadroomKnown: true,
			MaxLagSeconds: 3500, MaxLagSecondsKnown: true}}},
		{Name: "fine", Topics: []consumers.Topic{{Name: "clicks", HasOffsets: true, Headroom: 3000, HeadroomKnown: true,
			MaxLagSeconds: 60, MaxLagSecondsKnown: true}}},
		{Name: "audit", Topics: []consumers.Topic{{Name: "clicks", ExpiredUnread: 12, ExpiredUnreadAt: at.Add(-10 * time.Minute)}}},
		{Name: "reports", State: "Empty", MembersKnown: true, OffsetsExpiry: 7200, OffsetsExpiryKnown: true,
			Topics: []consumers.Topic{{Name: "orders", HasOffsets: true, LagSum: 30}}},
		{Name: "returned", Topics: []consumers.Topic{{Name: "events", HasOffsets: true, Skipped: 40, SkippedAt: at.Add(-time.Minute)}}},
		{Name: "stale", Topics: []consumers.Topic{{Name: "events", HasOffsets: true, Skipped: 5, SkippedAt: at.Add(-2 * time.Hour)}}},
	}, Gone: []consumers.GoneGroup{{Name: "legacy", Topics: []consumers.GoneTopic{
		{Name: "orders", ExpiredUnread: 40, ExpiredUnreadAt: at.Add(-5 * time.Minute)}}}}}
	return Input{Verdicts: judged(s), Groups: groups}
}

// judged is the verdicts of s under the default policy.
func judged(s *snapshot.Snapshot) *risk.Verdicts { return risk.Judge(s, risk.DefaultPolicy{}) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", name, got)
	}
}

func TestGoldenOutputs(t *testing.T) {
	r := Build(planted())
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Write(&b, r, format); err != nil {
			t.Fatal(err)
		}
		ext := map[string]string{"text": "txt", "json": "json", "markdown": "md"}[format]
		golden(t, "planted."+ext, b.Bytes())
	}
}

func TestPlantedFindings(t *testing.T) {
	r := Build(planted())
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Severity.String()+" "+f.Subject+" "+f.Risk)
	}
	want := []string{
		"critical broker 4 broker_unresponsive",
		"critical events/0 leader_unresponsive",
		"critical orders/2 under_min_isr",
		"critical payments/0 offline",
		"critical audit on clicks offsets_expired_unread",
		"critical billing on orders messages_behind_log_start",
		"critical etl on clicks retention_headroom_low",
		"critical legacy on orders offsets_expired_unread",
		"critical returned on events skipped_messages",
		"critical events transaction_hanging",
		"warning cluster consumer_offsets_min_insync_replicas_below_2",
		"warning cluster default_min_insync_replicas_below_2",
		"warning broker 3 broker_down",
		"warning logs/0 single_in_sync_replica",
		"warning orders/1 at_min_isr",
		"warning orders/10 at_min_isr",
		"warning reports offsets_expiring",
		"warning clicks unclean_leader_election_enabled",
		"warning clicks transaction_open_too_long",
		"warning logs replication_factor_below_3",
		"warning logs min_insync_replicas_below_2",
		"warning payments replication_factor_below_3",
		"warning payments min_insync_replicas_below_2",
		"warning payments no_write_fault_tolerance",
		"warning consumer_groups poll_part_failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Summary.Partitions != 11 || r.Summary.HealthyPartitions != 5 || r.Summary.BrokersDown != 1 || r.Summary.BrokersUnresponsive != 1 ||
		r.Summary.Critical != 10 || r.Summary.Warning != 15 {
		t.Errorf("summary %+v", r.Summary)
	}
	if r.Count(Critical) != 10 || r.Count(Warning) != 25 || r.Count(Info) != 25 {
		t.Errorf("counts %d %d %d", r.Count(Critical), r.Count(Warning), r.Count(Info))
	}
	if r.Topics[0].Topic != "payments" || r.Topics[0].Score != 100 {
		t.Errorf("top topic %+v, want payments at 100", r.Topics[0])
	}
}

// The report's scores are the collectors' scores: the same risk functions.
func TestScoresAreTheMetricScores(t *testing.T) {
	in := planted()
	r := Build(in)
	s := in.Verdicts.Snapshot
	live := risk.LiveBrokers(s)
	for _, ts := range r.Topics {
		top := s.Topic(ts.Topic)
		cfg := risk.EffectiveTopicConfig(top, s.Configs)
		findings := append(risk.TopicFindings(top, cfg, risk.ClusterRacks(s), risk.DefaultThresholds()),
			risk.ProducerFindings(top.Name, s.Producers, risk.DefaultThresholds())...)
		want := risk.Score(top, findings, live, cfg.MinInsyncReplicas)
		if ts.Score != want {
			t.Errorf("%s: score %d, want %d", ts.Topic, ts.Score, want)
		}
	}
}

func TestTextFitsWidth(t *testing.T) {
	in := planted()
	long := strings.Repeat("a-very-long-topic-name-", 8)
	s := in.Verdicts.Snapshot
	s.Topics = append(s.Topics, snapshot.Topic{Name: long, Partitions: []snapshot.Partition{part(0, 3, []int32{3}, []int32{3})}})
	in.Verdicts = judged(s)
	var b bytes.Buffer
	if err := WriteText(&b, Build(in)); err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(b.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > TextWidth {
			t.Errorf("line %d has %d columns: %q", i+1, n, l)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := Build(planted())
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Findings) != len(r.Findings) || back.Findings[0].Severity != Critical || back.SchemaVersion != SchemaVersion {
		t.Errorf("round trip lost data: %+v", back.Findings[0])
	}
}

// Every risk the risk package can report has a rule, and every rule's
// runbook exists in docs/runbooks.
func TestEveryRiskHasARuleAndRunbook(t *testing.T) {
	for _, r := range append(append([]string{}, risk.TopicRisks...), risk.ClusterRisks...) {
		if _, ok := rules[r]; !ok {
			t.Errorf("no rule for risk %s", r)
		}
	}
	for _, r := range risk.ClusterRisks {
		if clusterDetails[r] == "" {
			t.Errorf("no detail for cluster risk %s", r)
		}
	}
	for name, ru := range rules {
		if _, err := os.Stat(filepath.Join("..", "..", "docs", "runbooks", ru.alert+".md")); err != nil {
			t.Errorf("risk %s: runbook: %v", name, err)
		}
	}
}

func TestNoPollAndFailedMetadata(t *testing.T) {
	if r := Build(Input{}); len(r.Findings) != 0 || r.SchemaVersion != SchemaVersion {
		t.Errorf("empty input: %+v", r)
	}
	s := &snapshot.Snapshot{Time: at, Collectors: []snapshot.CollectorResult{{Name: "metadata", Err: "dial tcp: connection refused"}}}
	r := Build(Input{Verdicts: judged(s)})
	if len(r.Findings) != 1 || r.Findings[0].Risk != RiskPartFailed || r.Findings[0].Subject != "metadata" {
		t.Errorf("failed metadata: %+v", r.Findings)
	}
}

func TestSeverityParse(t *testing.T) {
	for _, s := range Severities {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if _, err := ParseSeverity("major"); err == nil {
		t.Error("major parsed")
	}
}

// The status page at 20,000 partitions stays under 200 KB, healthy or with
// a third of the partitions degraded (a broker down); it lists findings up
// to the cap and counts the rest.
func TestHTMLSizeAt20000Partitions(t *testing.T) {
	for _, degraded := range []bool{false, true} {
		s := snapshottest.Synthetic(200, 100, 50, 2, at)
		s.Configs = &snapshot.Configs{Time: at, Topics: map[string]snapshot.ResourceConfig{}, Brokers: map[int32]snapshot.ResourceConfig{}}
		for _, top := range s.Topics {
			s.Configs.Topics[top.Name] = topicConfig("min.insync.replicas", "2")
		}
		if degraded {
			s.Brokers = s.Brokers[:2]
			for ti := range s.Topics {
				for pi := range s.Topics[ti].Partitions {
					p := &s.Topics[ti].Partitions[pi]
					var isr []int32
					for _, id := range p.Replicas {
						if id != 3 {
							isr = append(isr, id)
						}
					}
					p.ISR = isr
					if p.Leader == 3 {
						p.Leader = isr[0]
					}
				}
			}
		}
		r := Build(Input{Verdicts: judged(s)})
		var b bytes.Buffer
		if err := WriteHTML(&b, r, HTMLOptions{Now: at.Add(3 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		t.Logf("degraded=%v: %d partitions, %d findings, page %d bytes", degraded, r.Summary.Partitions, len(r.Findings), b.Len())
		if r.Summary.Partitions != 20000 {
			t.Fatalf("%d partitions", r.Summary.Partitions)
		}
		if b.Len() >= 200*1024 {
			t.Errorf("degraded=%v: page is %d bytes, want under 200 KB", degraded, b.Len())
		}
		page := b.String()
		if strings.Contains(page, "<script") || strings.Contains(page, "src=") || strings.Contains(page, "stylesheet") {
			t.Error("the page must have no script and no external asset")
		}
		if degraded && !strings.Contains(page, "more warning findings are not listed") {
			t.Error("a degraded cluster's page must say how many findings it does not list")
		}
	}
}

func TestHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, Build(planted()), HTMLOptions{Now: at.Add(5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	golden(t, "planted.html", b.Bytes())
}
