package integration

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	gometrics "github.com/rcrowley/go-metrics"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/canary"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// canaryWait bounds the waits of the canary tests: a node stop or start
// and a leader election take a few seconds on the test cluster.
const canaryWait = 60 * time.Second

// canarySum adds every series of name whose labels include labels.
func canarySum(s *scrape, name string, labels map[string]string) float64 {
	total := 0.0
	for _, x := range s.Matching(name, labels) {
		total += x.Value
	}
	return total
}

// waitForCanarySum scrapes until the sum of name{labels} satisfies cond.
func waitForCanarySum(t *testing.T, e *exporter, timeout time.Duration, name string, labels map[string]string, cond func(float64) bool, what string) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := "no scrape yet"
	for {
		s, err := e.TryScrape()
		if err != nil {
			last = err.Error()
		} else if v := canarySum(s, name, labels); cond(v) {
			return v
		} else {
			last = fmt.Sprintf("sum of %s%v = %v", name, labels, v)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s; last: %s", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// canaryPerPartition returns name's value per partition label.
func canaryPerPartition(s *scrape, name string) map[string]float64 {
	out := map[string]float64{}
	for _, x := range s.Series(name) {
		out[x.Labels["partition"]] = x.Value
	}
	return out
}

// checkCanaryNoLoss fails the test when the canary counted a lost, duplicated or
// out-of-order message.
func checkCanaryNoLoss(t *testing.T, e *exporter, phase string) {
	t.Helper()
	s := e.Scrape(t)
	for _, m := range []string{"kafka_canary_messages_lost_total", "kafka_canary_messages_duplicated_total", "kafka_canary_messages_out_of_order_total"} {
		if v := canarySum(s, m, nil); v != 0 {
			t.Errorf("%s: %s = %v, want 0 (%v)", phase, m, v, canaryPerPartition(s, m))
		}
	}
}

// startCanary runs an exporter with the canary on a topic of its own, which
// is deleted when the test ends.
func startCanary(t *testing.T, c *kafkatest.Cluster, topic string, args ...string) *exporter {
	t.Helper()
	t.Cleanup(func() { c.DeleteTopic(t, topic) })
	e := startExporter(t, append([]string{"--canary.enable", "--canary.topic=" + topic, "--poll.interval=5s"}, args...)...)
	e.WaitForValue(t, canaryWait, "kafka_canary_up", nil, equals(1), "canary up")
	return e
}

// canaryLeaders returns the leader of each partition of topic.
func canaryLeaders(t *testing.T, admin sarama.ClusterAdmin, topic string) map[int32]int32 {
	t.Helper()
	md, err := admin.DescribeTopics([]string{topic})
	if err != nil || len(md) != 1 {
		t.Fatalf("describing %s: %v", topic, err)
	}
	out := map[int32]int32{}
	for _, p := range md[0].Partitions {
		out[p.ID] = p.Leader
	}
	return out
}

// The node-failure scenarios on one canary run: all nodes up for 30
// s, one node stopped, a second stopped (acks=all fails with
// NOT_ENOUGH_REPLICAS), both restarted; never a lost or duplicated message.
func TestCanaryNodeFailures(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("canary-nodes")
	const interval = 500 * time.Millisecond
	e := startCanary(t, c, topic, "--canary.interval="+interval.String(), "--canary.loss-timeout=5s")
	admin := c.Admin(t)

	// The planned layout: one partition per broker, each broker the leader
	// of one, RF 3, no finding.
	leaders := canaryLeaders(t, admin, topic)
	if len(leaders) != 3 {
		t.Fatalf("canary topic has %d partitions, want one per broker (3)", len(leaders))
	}
	s := e.Scrape(t)
	if v := canarySum(s, "kafka_canary_topic_finding", nil); v != 0 {
		t.Errorf("topic findings on a healthy 3-broker cluster: %v", s.Series("kafka_canary_topic_finding"))
	}

	// 1. All nodes up for at least 30 s: everything acked is read back.
	start := time.Now()
	phase := func(what string) { t.Logf("%s at %s", what, time.Since(start).Round(100*time.Millisecond)) }
	for p := range leaders {
		e.WaitForValue(t, canaryWait, "kafka_canary_messages_received_total", map[string]string{"partition": strconv.Itoa(int(p))}, atLeast(1), "first message read back")
	}
	// 31 s of messages: the first tick's messages came before start.
	waitForCanarySum(t, e, canaryWait, "kafka_canary_messages_acked_total", nil, atLeast(3*31/interval.Seconds()), "31 s of messages acknowledged")
	if time.Since(start) < 30*time.Second {
		t.Fatalf("31 s of messages in %s", time.Since(start))
	}
	s = e.Scrape(t)
	acked, received := canaryPerPartition(s, "kafka_canary_messages_acked_total"), canaryPerPartition(s, "kafka_canary_messages_received_total")
	for p, a := range acked {
		if received[p] < a-2 {
			t.Errorf("partition %s: %v acked, only %v read back", p, a, received[p])
		}
	}
	if v := canarySum(s, "kafka_canary_produce_errors_total", nil); v != 0 {
		t.Errorf("produce errors with every node up: %v", s.Series("kafka_canary_produce_errors_total"))
	}
	checkCanaryNoLoss(t, e, "all nodes up")
	phase("30 s with all nodes up")

	// 2. Stop the leader of partition 2: its partition gets a new leader
	// and produce goes on.
	first := leaders[2]
	p2 := map[string]string{"partition": "2"}
	c.StopNode(t, first)
	before := e.WaitForValue(t, 5*time.Second, "kafka_canary_messages_acked_total", p2, atLeast(0), "acked")
	e.WaitForValue(t, canaryWait, "kafka_canary_messages_acked_total", p2, atLeast(before+5), "produce to the stopped leader's partition continues after the election")
	checkCanaryNoLoss(t, e, "one node stopped")
	phase("produce continued with one node stopped")

	// 3. Stop a second node: one replica left, below min.insync.replicas 2.
	var second int32
	for _, id := range c.NodeIDs() {
		if id != first && second == 0 {
			second = id
		}
	}
	c.StopNode(t, second)
	nerLabels := []map[string]string{{"error": "NOT_ENOUGH_REPLICAS"}, {"error": "NOT_ENOUGH_REPLICAS_AFTER_APPEND"}}
	deadline := time.Now().Add(canaryWait)
	for {
		s := e.Scrape(t)
		if canarySum(s, "kafka_canary_produce_errors_total", nerLabels[0])+canarySum(s, "kafka_canary_produce_errors_total", nerLabels[1]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no NOT_ENOUGH_REPLICAS produce error with two of three nodes down; errors: %v", s.Series("kafka_canary_produce_errors_total"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	checkCanaryNoLoss(t, e, "two nodes stopped")
	phase("NOT_ENOUGH_REPLICAS with two nodes stopped")

	// 4. Restart both: every partition is written and read again.
	c.StartAll(t)
	phase("nodes restarted")
	s = e.Scrape(t)
	acked, received = canaryPerPartition(s, "kafka_canary_messages_acked_total"), canaryPerPartition(s, "kafka_canary_messages_received_total")
	for p := range acked {
		l := map[string]string{"partition": p}
		e.WaitForValue(t, canaryWait, "kafka_canary_messages_acked_total", l, atLeast(acked[p]+5), "partition "+p+" acknowledged again after the restart")
		e.WaitForValue(t, canaryWait, "kafka_canary_messages_received_total", l, atLeast(received[p]+5), "partition "+p+" read again after the restart")
	}
	// A gap left by the failures would be counted within the loss timeout
	// (5 s): let it pass with messages flowing.
	got := waitForCanarySum(t, e, canaryWait, "kafka_canary_messages_received_total", nil, atLeast(canarySum(s, "kafka_canary_messages_received_total", nil)+3*7/interval.Seconds()),
		"7 s more of messages read back")
	checkCanaryNoLoss(t, e, "after the restart")
	phase("recovered")
	t.Logf("read back %v canary messages; produce errors: %v", got, e.Scrape(t).Series("kafka_canary_produce_errors_total"))
}

// The detector on the case acks=all alone does not protect: RF 2,
// min.insync.replicas 1, unclean election allowed. The follower is stopped,
// the leader alone acknowledges messages, the leader is stopped and the
// stale follower elected: the messages only the leader had are gone, and
// the canary counts exactly those that were acknowledged.
func TestCanaryDetectsUncleanElectionLoss(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("canary-unclean")
	const interval = 200 * time.Millisecond
	e := startCanary(t, c, topic, "--canary.interval="+interval.String(), "--canary.loss-timeout=3s",
		"--canary.partitions=1", "--canary.replication-factor=2", "--canary.min-insync-replicas=1", "--canary.unclean-leader-election")
	if !strings.Contains(e.Logs(), "configured unsafely") {
		t.Errorf("no warning about the unsafe canary flags in the log")
	}
	for _, f := range []string{canary.FindingRFBelow3, canary.FindingMinISRBelow2, canary.FindingUncleanElection} {
		e.WaitForValue(t, 10*time.Second, "kafka_canary_topic_finding", map[string]string{"finding": f}, equals(1), "finding "+f)
	}
	pl := map[string]string{"partition": "0"}
	e.WaitForValue(t, canaryWait, "kafka_canary_messages_received_total", pl, atLeast(5), "messages read back")

	admin := c.Admin(t)
	md, err := admin.DescribeTopics([]string{topic})
	if err != nil || len(md) != 1 || len(md[0].Partitions) != 1 || len(md[0].Partitions[0].Replicas) != 2 {
		t.Fatalf("canary topic metadata: %v %+v", err, md)
	}
	leader, follower := md[0].Partitions[0].Replicas[0], md[0].Partitions[0].Replicas[1]

	began := time.Now()
	phase := func(what string) { t.Logf("%s at %s", what, time.Since(began).Round(100*time.Millisecond)) }
	c.StopNode(t, follower)
	phase("follower stopped")
	c.WaitFor(t, canaryWait, "the follower out of the ISR", func() (bool, string) {
		md, err := admin.DescribeTopics([]string{topic})
		if err != nil || len(md) != 1 || len(md[0].Partitions) != 1 {
			return false, fmt.Sprint(err)
		}
		isr := md[0].Partitions[0].Isr
		return len(isr) == 1 && isr[0] == leader, fmt.Sprintf("ISR %v", isr)
	})
	alone := e.WaitForValue(t, 5*time.Second, "kafka_canary_messages_acked_total", pl, atLeast(0), "acked")
	e.WaitForValue(t, canaryWait, "kafka_canary_messages_acked_total", pl, atLeast(alone+10), "10 messages acknowledged by the leader alone")
	if v := canarySum(e.Scrape(t), "kafka_canary_produce_errors_total", nil); v != 0 {
		t.Fatalf("%v produce errors before the leader stopped; the test needs every message up to here acknowledged", v)
	}

	phase("10 acknowledged by the leader alone")
	c.StopNode(t, leader)
	phase("leader stopped")
	// Once a produce fails, every message before it has its answer: the
	// acknowledged ones are sequence numbers 0 .. acked-1.
	waitForCanarySum(t, e, canaryWait, "kafka_canary_produce_errors_total", nil, atLeast(1), "produce fails with the leader down")
	ackedBefore := e.WaitForValue(t, 5*time.Second, "kafka_canary_messages_acked_total", pl, atLeast(0), "acked")

	phase("produce failing")
	c.StartNode(t, follower)
	phase("follower started")
	electUnclean(t, c, topic, follower)
	phase("follower elected")

	// What survived: the canary's sequence numbers in the new leader's log.
	present := readCanarySeqs(t, c, topic)
	survived := 0
	for seq := range present {
		if seq < uint64(ackedBefore) {
			survived++
		}
	}
	wantLost := int(ackedBefore) - survived
	t.Logf("acknowledged before the leader stopped: %v; of those in the log after the unclean election: %d; lost: %d", ackedBefore, survived, wantLost)
	if wantLost < 10 {
		t.Fatalf("only %d acknowledged messages vanished, want at least the 10 the leader acknowledged alone", wantLost)
	}
	e.WaitForValue(t, canaryWait, "kafka_canary_messages_lost_total", pl, equals(float64(wantLost)), "the vanished acknowledged messages counted as lost")
	phase("loss counted")
	for _, line := range strings.Split(e.Logs(), "\n") {
		if strings.Contains(line, "component=canary") && (strings.Contains(line, "truncated") || strings.Contains(line, "messages lost")) {
			t.Logf("exporter: %s", line)
		}
	}

	// No more is counted afterwards: 2 loss timeouts of messages later,
	// lost is the same.
	recv := e.WaitForValue(t, 5*time.Second, "kafka_canary_messages_received_total", pl, atLeast(0), "received")
	e.WaitForValue(t, canaryWait, "kafka_canary_messages_received_total", pl, atLeast(recv+6/interval.Seconds()), "6 s more of messages")
	s := e.Scrape(t)
	if v, _ := s.Value("kafka_canary_messages_lost_total", pl); v != float64(wantLost) {
		t.Errorf("kafka_canary_messages_lost_total = %v later, want it to stay %d", v, wantLost)
	}
	if v := canarySum(s, "kafka_canary_messages_duplicated_total", nil); v != 0 {
		t.Errorf("kafka_canary_messages_duplicated_total = %v, want 0", v)
	}
}

// readCanarySeqs reads partition 0 of topic from its start to its current
// end and returns the sequence numbers of the canary messages in it.
func readCanarySeqs(t *testing.T, c *kafkatest.Cluster, topic string) map[uint64]bool {
	t.Helper()
	client, err := sarama.NewClient(c.Bootstrap(), c.SaramaConfig())
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	defer client.Close()
	var end int64
	c.WaitFor(t, canaryWait, "the log end of the new leader", func() (bool, string) {
		_ = client.RefreshMetadata(topic)
		end, err = client.GetOffset(topic, 0, sarama.OffsetNewest)
		return err == nil, fmt.Sprint(err)
	})
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatalf("consuming %s/0: %v", topic, err)
	}
	defer pc.Close()
	seqs := map[uint64]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), canaryWait)
	defer cancel()
	for next := int64(-1); next < end-1; {
		select {
		case m := <-pc.Messages():
			next = m.Offset
			if msg, err := canary.DecodeMessage(m.Value); err == nil {
				seqs[msg.Seq] = true
			}
		case err := <-pc.Errors():
			t.Fatalf("reading %s/0: %v", topic, err)
		case <-ctx.Done():
			t.Fatalf("reading %s/0 up to offset %d: %v", topic, end, ctx.Err())
		}
	}
	return seqs
}

// The canary run in-process against the real cluster: once its context is
// cancelled, Run returns promptly and every goroutine it started (producer,
// consumers, topic checks, sarama's own) is gone.
func TestCanaryShutdownLeavesNoGoroutine(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("canary-shutdown")
	t.Cleanup(func() { c.DeleteTopic(t, topic) })
	// As in the exporter's main: sarama's meters would start go-metrics'
	// process-wide ticker goroutine, which never ends.
	nilMetrics := gometrics.UseNilMetrics
	gometrics.UseNilMetrics = true
	t.Cleanup(func() { gometrics.UseNilMetrics = nilMetrics })
	baseline := runtime.NumGoroutine()

	reg := prometheus.NewRegistry()
	m := canary.NewMetrics(reg)
	conf := c.SaramaConfig()
	conf.Net.ReadTimeout = 3 * time.Second
	k := canary.New(canary.Options{TopicOptions: canary.TopicOptions{Topic: topic}, Interval: 100 * time.Millisecond, LossTimeout: 5 * time.Second,
		Servers: c.Bootstrap(), Sarama: conf}, m, log.NewNopLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx) }()
	c.WaitFor(t, canaryWait, "messages read back", func() (bool, string) {
		v := testutil.ToFloat64(m.Received.WithLabelValues("0"))
		return v >= 5, fmt.Sprintf("%v received", v)
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of the cancel")
	}
	c.WaitFor(t, 10*time.Second, "the canary's goroutines to end", func() (bool, string) {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return true, ""
		}
		buf := make([]byte, 1<<16)
		return false, fmt.Sprintf("%d goroutines, %d before:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	})
	if v := testutil.ToFloat64(m.Lost.WithLabelValues("0")); v != 0 {
		t.Errorf("lost %v", v)
	}
}
