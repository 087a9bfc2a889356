package integration

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

const consumerWait = 60 * time.Second

// groupMember is one running sarama consumer-group member.
type groupMember struct {
	cancel context.CancelFunc
	done   chan struct{}
	group  sarama.ConsumerGroup
}

// joinGroup starts a consumer-group member on topic. With consume it reads
// and commits every message; without, it joins and holds its partitions but
// never marks or commits anything (a stuck consumer).
func joinGroup(t *testing.T, c *kafkatest.Cluster, groupID, topic string, consume bool) *groupMember {
	t.Helper()
	cfg := c.SaramaConfig()
	cfg.ClientID = "consumer-test"
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	g, err := sarama.NewConsumerGroup(c.Bootstrap(), groupID, cfg)
	if err != nil {
		t.Fatalf("consumer group %s: %v", groupID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &groupMember{cancel: cancel, done: make(chan struct{}), group: g}
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, handler{consume: consume}); err != nil && ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	t.Cleanup(m.stop)
	return m
}

func (m *groupMember) stop() {
	m.cancel()
	<-m.done
	_ = m.group.Close()
}

type handler struct{ consume bool }

func (handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if h.consume {
				s.MarkMessage(msg, "")
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

// groupLabels are the labels of a group's per-partition series.
func partLabels(group, topic string, partition int) map[string]string {
	return map[string]string{"consumergroup": group, "topic": topic, "partition": strconv.Itoa(partition)}
}

// A group that consumes and commits shows lag 0 and lag seconds 0; when a
// second member joins, the rebalance is counted and both members are seen.
func TestConsumerCaughtUpGroupAndRebalance(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cg-live")
	c.CreateTopic(t, topic, 2, 3, nil)
	group := topic + "-group"
	c.Produce(t, topic, 0, 50, sarama.WaitForAll)
	c.Produce(t, topic, 1, 30, sarama.WaitForAll)

	e := startExporter(t, "--group.filter="+group)
	joinGroup(t, c, group, topic, true)

	for p, end := range []float64{50, 30} {
		e.WaitForValue(t, consumerWait, "kafka_consumergroup_current_offset", partLabels(group, topic, p), equals(end),
			fmt.Sprintf("the group to commit offset %v on partition %d", end, p))
		e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag", partLabels(group, topic, p), equals(0), "lag 0")
		e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag_seconds", partLabels(group, topic, p), equals(0), "lag seconds 0")
	}
	g := map[string]string{"consumergroup": group}
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", g, equals(1), "one member")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Stable"}, equals(1), "state Stable")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_unassigned_partitions", map[string]string{"consumergroup": group, "topic": topic}, equals(0), "every partition assigned")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag_sum", map[string]string{"consumergroup": group, "topic": topic}, equals(0), "lag sum 0")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_current_offset_sum", map[string]string{"consumergroup": group, "topic": topic}, equals(80), "offset sum 80")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_status", map[string]string{"consumergroup": group, "status": "OK"}, equals(1), "status OK")
	before, _ := e.Scrape(t).Value("kafka_consumergroup_rebalances_total", g)

	checkPromtool(t, e.Scrape(t).Raw())

	joinGroup(t, c, group, topic, true)
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", g, equals(2), "two members after the second joined")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_rebalances_total", g, func(v float64) bool { return v >= before+1 },
		fmt.Sprintf("the rebalance counted (was %v)", before))
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Stable"}, equals(1), "state Stable again")
}

// An Empty group (offsets committed, no member) reports its lag; while
// messages arrive at a known rate its lag equals the messages produced
// since its commit and its lag in seconds tracks the age of the first of
// them within the stated tolerance; and it is STOP.
func TestConsumerEmptyGroupLagGrowsAtKnownRate(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cg-rate")
	c.CreateTopic(t, topic, 1, 3, nil)
	group := topic + "-group"
	const committed = 20
	c.Produce(t, topic, 0, committed, sarama.WaitForAll)
	c.CommitOffsets(t, group, topic, map[int32]int64{0: committed})

	e := startExporter(t, "--group.filter="+group)
	labels := partLabels(group, topic, 0)
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag", labels, equals(0), "lag 0 before producing")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Empty"}, equals(1), "state Empty")
	// Let the exporter see the log end at the committed offset for two
	// polls, so its table reaches back to the first unread message.
	e.WaitPolls(t, consumerWait, 2)

	// 10 messages every 500 ms: 20 messages per second, for 8 s.
	producer := c.SyncProducer(t, sarama.WaitForAll)
	firstAt := time.Now()
	produced := 0
	for i := 0; i < 16; i++ {
		msgs := make([]*sarama.ProducerMessage, 10)
		for j := range msgs {
			msgs[j] = &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("m")}
		}
		if err := producer.SendMessages(msgs); err != nil {
			t.Fatalf("producing: %v", err)
		}
		produced += len(msgs)
		time.Sleep(time.Until(firstAt.Add(time.Duration(i+1) * 500 * time.Millisecond)))
	}

	// The lag is exact: the log end the exporter saw minus the commit.
	want := float64(produced)
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag", labels, equals(want), "lag = messages produced since the commit")
	s := e.Scrape(t)
	end, ok := s.Value("kafka_topic_partition_current_offset", map[string]string{"topic": topic, "partition": "0"})
	if !ok || end-committed != want {
		t.Fatalf("log end %v (found %v), want %v", end, ok, committed+want)
	}
	if v, ok := s.Value("kafka_consumergroup_lag_sum", map[string]string{"consumergroup": group, "topic": topic}); !ok || v != want {
		t.Fatalf("lag_sum %v (found %v), want %v", v, ok, want)
	}
	// The age of message 20 (produced at firstAt) as of the poll the value
	// comes from (its start time is kafka_loss_exporter_last_poll_success_
	// timestamp_seconds). Interpolating between two polls is off by at most
	// one poll interval (1 s); 0.5 s more covers produce latency and the
	// ListOffsets answer arriving a little after the poll start.
	const tolerance = 1.5
	for range 3 {
		s := e.Scrape(t)
		polled, _ := s.Value("kafka_loss_exporter_last_poll_success_timestamp_seconds", nil)
		age := polled - float64(firstAt.UnixNano())/1e9
		got, ok := s.Value("kafka_consumergroup_lag_seconds", labels)
		if !ok {
			t.Fatalf("no kafka_consumergroup_lag_seconds for the group")
		}
		if math.Abs(got-age) > tolerance {
			t.Fatalf("lag seconds %v, want %v +- %v", got, age, tolerance)
		}
		t.Logf("lag seconds %.3f, age of the first unread message at the poll %.3f", got, age)
		maxLag, ok := s.Value("kafka_consumergroup_max_lag_seconds", map[string]string{"consumergroup": group, "topic": topic})
		if !ok || maxLag != got {
			t.Fatalf("max lag seconds %v (found %v), want %v", maxLag, ok, got)
		}
		// Default retention is 7 days: headroom = 604800 - max lag.
		head, ok := s.Value("kafka_consumergroup_retention_headroom_seconds", map[string]string{"consumergroup": group, "topic": topic})
		if !ok || math.Abs(head-(604800-maxLag)) > 1e-6 {
			t.Fatalf("retention headroom %v (found %v), want %v", head, ok, 604800-maxLag)
		}
		e.WaitPolls(t, consumerWait, 1)
	}
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_status", map[string]string{"consumergroup": group, "status": "STOP"}, equals(1),
		"STOP: no member while messages wait")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_topic_status", map[string]string{"consumergroup": group, "topic": topic, "status": "STOP"}, equals(1),
		"topic status STOP")
}

// Records deleted (DeleteRecords moves the log start, as retention does)
// before the group read them are reported exactly, and counted once.
func TestConsumerRetentionDeletesUnreadMessages(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cg-retention")
	c.CreateTopic(t, topic, 1, 3, map[string]string{"retention.ms": "3600000"})
	group := topic + "-group"
	c.Produce(t, topic, 0, 100, sarama.WaitForAll)
	c.CommitOffsets(t, group, topic, map[int32]int64{0: 10})

	e := startExporter(t, "--group.filter="+group)
	labels := partLabels(group, topic, 0)
	gt := map[string]string{"consumergroup": group, "topic": topic}
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag", labels, equals(90), "lag 90")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_messages_behind_log_start", labels, equals(0), "nothing deleted yet")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_retention_lost_messages_total", gt, equals(0), "no loss yet")

	deleteRecords(t, c, topic, 30)
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_messages_behind_log_start", labels, equals(20), "20 unread messages deleted")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_retention_lost_messages_total", gt, equals(20), "20 lost")

	deleteRecords(t, c, topic, 45)
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_messages_behind_log_start", labels, equals(35), "35 unread messages deleted")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_retention_lost_messages_total", gt, equals(35), "35 lost in all")
	// Later polls must not count the same messages again.
	e.WaitPolls(t, consumerWait, 3)
	if v, _ := e.Scrape(t).Value("kafka_consumergroup_retention_lost_messages_total", gt); v != 35 {
		t.Fatalf("lost %v after three more polls, want still 35", v)
	}
	// The topic's retention (1 h) shows as headroom once lag seconds are known.
	if v, ok := e.Scrape(t).Value("kafka_consumergroup_lag", labels); !ok || v != 90 {
		t.Fatalf("lag %v (found %v), want 90 (the deleted messages are still lag)", v, ok)
	}
}

func deleteRecords(t *testing.T, c *kafkatest.Cluster, topic string, before int64) {
	t.Helper()
	if err := c.Admin(t).DeleteRecords(topic, map[int32]int64{0: before}); err != nil {
		t.Fatalf("DeleteRecords %s before %d: %v", topic, before, err)
	}
}

// A group with a member that holds its partition but never moves its
// committed offset while messages arrive becomes STALL.
func TestConsumerStalledGroup(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cg-stall")
	c.CreateTopic(t, topic, 1, 3, nil)
	group := topic + "-group"
	c.Produce(t, topic, 0, 10, sarama.WaitForAll)
	c.CommitOffsets(t, group, topic, map[int32]int64{0: 10})

	e := startExporter(t, "--group.filter="+group, "--group.status-window=3")
	joinGroup(t, c, group, topic, false)
	g := map[string]string{"consumergroup": group}
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", g, equals(1), "the stuck member joined")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		producer := c.SyncProducer(t, sarama.WaitForAll)
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				_, _, _ = producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("m")})
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	e.WaitForValue(t, consumerWait, "kafka_consumergroup_status", map[string]string{"consumergroup": group, "status": "STALL"}, equals(1),
		"STALL: member present, offset not moving, messages arriving")
	if v, _ := e.Scrape(t).Value("kafka_consumergroup_current_offset", partLabels(group, topic, 0)); v != 10 {
		t.Fatalf("committed offset %v, want 10 (unchanged)", v)
	}
}

// The Kafka requests of one steady-state poll do not grow with the number
// of groups: with 50 groups (48 Empty with commits, 2 with a live member)
// the consumer-groups step sends one ListGroups per broker and at most one
// DescribeGroups and one OffsetFetch per coordinator, and no FindCoordinator.
func TestConsumerRequestsPerPollWith50Groups(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cg-scale")
	c.CreateTopic(t, topic, 3, 3, nil)
	for p := int32(0); p < 3; p++ {
		c.Produce(t, topic, p, 10, sarama.WaitForAll)
	}
	prefix := topic + "-g"
	for i := range 48 {
		c.CommitOffsets(t, fmt.Sprintf("%s%02d", prefix, i), topic, map[int32]int64{0: int64(i % 10), 1: 5, 2: 10})
	}
	joinGroup(t, c, prefix+"48", topic, true)
	joinGroup(t, c, prefix+"49", topic, true)

	e := startExporter(t, "--group.filter="+prefix+".*")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", map[string]string{"consumergroup": prefix + "49"}, equals(1), "the live groups")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", map[string]string{"consumergroup": prefix + "48"}, equals(1), "the live groups")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag_sum", map[string]string{"consumergroup": prefix + "49", "topic": topic}, equals(0), "the live groups caught up")
	if n := len(e.Scrape(t).Series("kafka_consumergroup_rebalances_total")); n != 50 {
		t.Fatalf("%d groups reported, want 50", n)
	}

	const polls = 5
	a := afterPoll(t, e, 0)
	b := afterPoll(t, e, a.polls+polls)
	brokers := float64(len(c.NodeIDs()))
	// n polls completed between the two scrapes; the next poll may already
	// have sent some requests, so each bound allows the requests of n+1 polls.
	n := b.polls - a.polls
	count := map[string]float64{}
	perPoll := map[string]float64{}
	var total float64
	for api, v := range b.requests {
		count[api] = v - a.requests[api]
		perPoll[api] = count[api] / n
		if api != "DescribeConfigs" { // read on its own interval
			total += count[api]
		}
	}
	t.Logf("Kafka requests per poll with 50 groups on %v brokers over %v polls: %v (total %v)", brokers, n, perPoll, total/n)
	if count["ListGroups"] < brokers*n || count["ListGroups"] > brokers*(n+1) {
		t.Errorf("%v ListGroups in %v polls, want one per broker (%v) per poll", count["ListGroups"], n, brokers)
	}
	for _, api := range []string{"DescribeGroups", "OffsetFetch"} {
		if count[api] > brokers*(n+1) {
			t.Errorf("%v %s in %v polls, want at most one per coordinator (%v) per poll", count[api], api, n, brokers)
		}
	}
	if count["FindCoordinator"] != 0 {
		t.Errorf("%v FindCoordinator requests, want 0", count["FindCoordinator"])
	}
	if total > (6*brokers+4)*(n+1) {
		t.Errorf("%v requests in %v polls, want at most 6 x brokers + 4 = %v per poll", total, n, 6*brokers+4)
	}
}

type pollCounts struct {
	polls    float64
	requests map[string]float64
}

// afterPoll waits until at least minPolls successful polls are done and
// scrapes right after one completes, so that no poll is half counted.
func afterPoll(t *testing.T, e *exporter, minPolls float64) pollCounts {
	t.Helper()
	deadline := time.Now().Add(consumerWait)
	last, _ := e.Scrape(t).Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
	for time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		s := e.Scrape(t)
		n, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
		if n == last || n < minPolls {
			last = n
			continue
		}
		pc := pollCounts{polls: n, requests: map[string]float64{}}
		for _, sr := range s.Series("kafka_loss_exporter_kafka_requests_total") {
			pc.requests[sr.Labels["api"]] = sr.Value
		}
		return pc
	}
	t.Fatalf("no poll completed within %v", consumerWait)
	return pollCounts{}
}

// Without history (the exporter starts while a group is already behind),
// lag in seconds is left out by default, and with --lag.read-timestamps it
// comes from the timestamp of the group's next message.
func TestConsumerLagSecondsFromRecordTimestamps(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cg-timestamps")
	c.CreateTopic(t, topic, 1, 3, nil)
	group := topic + "-group"
	c.Produce(t, topic, 0, 5, sarama.WaitForAll)
	producedAt := time.Now()
	c.Produce(t, topic, 0, 20, sarama.WaitForAll)
	c.CommitOffsets(t, group, topic, map[int32]int64{0: 5})
	labels := partLabels(group, topic, 0)

	plain := startExporter(t, "--group.filter="+group)
	plain.WaitForValue(t, consumerWait, "kafka_consumergroup_lag", labels, equals(20), "lag 20")

	e := startExporter(t, "--group.filter="+group, "--lag.read-timestamps")
	got := e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag_seconds", labels, func(float64) bool { return true }, "lag seconds from the record timestamp")
	// The record was produced between producedAt and the end of the second
	// Produce; the value is as of the last poll (at most 1 s old).
	age := time.Since(producedAt).Seconds()
	if got > age+0.5 || got < age-2.5 {
		t.Fatalf("lag seconds %v, want about %v (the age of message 5)", got, age)
	}
	if _, ok := plain.Scrape(t).Value("kafka_consumergroup_lag_seconds", labels); ok {
		t.Fatalf("lag seconds reported without history and without --lag.read-timestamps")
	}
	if _, ok := plain.Scrape(t).Value("kafka_consumergroup_max_lag_seconds", map[string]string{"consumergroup": group, "topic": topic}); ok {
		t.Fatalf("max lag seconds reported while a partition's age is unknown")
	}
}

// A KIP-848 consumer group (group.protocol=consumer, Kafka 4.0+), which the
// classic DescribeGroups does not describe, is described with
// ConsumerGroupDescribe: members, state, lag, and its group epoch counts a
// rebalance when the member leaves.
func TestConsumerKIP848Group(t *testing.T) {
	c := kafkatest.Require(t)
	version, err := c.Version()
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(version, "3.") {
		t.Skipf("KIP-848 consumer groups need Kafka 4.0 or later, the cluster runs %s", version)
	}
	topic := kafkatest.UniqueTopic("cg-kip848")
	c.CreateTopic(t, topic, 2, 3, nil)
	group := topic + "-group"
	c.Produce(t, topic, 0, 20, sarama.WaitForAll)
	c.Produce(t, topic, 1, 10, sarama.WaitForAll)

	// No --kafka.version: the versions are negotiated with each broker.
	e := startExporter(t, "--group.filter="+group)
	member := startJavaClient(t, c, "KIP-848 consumer", "Kip848Consumer.java", c.Bootstrap()[0], topic, group)
	member.waitOutput(t, "subscribed", consumerWait)
	g := map[string]string{"consumergroup": group}
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", g, equals(1), "the KIP-848 member described")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Stable"}, equals(1), "state Stable")
	for p, end := range []float64{20, 10} {
		e.WaitForValue(t, consumerWait, "kafka_consumergroup_current_offset", partLabels(group, topic, p), equals(end), "offsets committed")
		e.WaitForValue(t, consumerWait, "kafka_consumergroup_lag", partLabels(group, topic, p), equals(0), "lag 0")
	}
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_unassigned_partitions", map[string]string{"consumergroup": group, "topic": topic}, equals(0), "both partitions assigned")
	before, _ := e.Scrape(t).Value("kafka_consumergroup_rebalances_total", g)

	_ = member.stdin.Close() // the member leaves the group
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Empty"}, equals(1), "state Empty after the member left")
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_rebalances_total", g, func(v float64) bool { return v >= before+1 },
		fmt.Sprintf("the group epoch change counted (was %v)", before))
	e.WaitForValue(t, consumerWait, "kafka_consumergroup_members", g, equals(0), "no member")
}

// kafkaExporterSumNames are the two names kept from danielqsj/kafka_exporter
// for dashboard compatibility (the issue asks for them) although promtool's
// linter reserves the _sum suffix for summaries and histograms.
var kafkaExporterSumNames = []string{"kafka_consumergroup_current_offset_sum", "kafka_consumergroup_lag_sum"}

// checkPromtool runs `promtool check metrics` on a scrape and fails on
// anything but the lint finding on the kafka_exporter _sum names.
func checkPromtool(t *testing.T, raw []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is required (Debian package prometheus): %v", err)
		}
		t.Skipf("promtool not installed: %v", err)
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(raw)
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		allowed := false
		for _, name := range kafkaExporterSumNames {
			allowed = allowed || line == name+` non-histogram and non-summary metrics should not have "_sum" suffix`
		}
		if !allowed {
			t.Fatalf("promtool check metrics:\n%s", out)
		}
	}
}
