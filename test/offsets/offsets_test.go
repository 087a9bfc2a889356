package offsets

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/exportertest"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// produce writes n messages to partition 0 of topic with kcat (acks=all).
func produce(t *testing.T, c *kafkatest.Cluster, topic string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "m%d\n", i)
	}
	c.Kcat(t, b.String(), "-P", "-t", topic, "-p", "0", "-X", "acks=all")
}

// groupConsumer is kcat's balanced consumer (classic group protocol) in a
// group, reading from the earliest offset and committing automatically.
type groupConsumer struct {
	t    *testing.T
	cmd  interface{ Wait() error }
	stop func()
	done chan struct{}
}

// startConsumer starts a kcat group member on topic.
func startConsumer(t *testing.T, c *kafkatest.Cluster, group, topic string) *groupConsumer {
	t.Helper()
	cmd, err := c.KcatCommand("-G", group, "-q", "-X", "auto.offset.reset=earliest",
		"-X", "auto.commit.interval.ms=500", "-X", "session.timeout.ms=6000", topic)
	if err != nil {
		t.Fatal(err)
	}
	var out exportertest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting kcat -G %s: %v", group, err)
	}
	gc := &groupConsumer{t: t, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(gc.done) }()
	// SIGTERM: kcat closes its consumer, which commits and leaves the group.
	gc.stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-gc.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-gc.done
		}
	}
	t.Cleanup(func() {
		gc.stop()
		if t.Failed() {
			t.Logf("kcat -G %s output:\n%s", group, exportertest.Tail(out.String(), 20))
		}
	})
	return gc
}

// consumeAndLeave produces n messages, lets a kcat member of group read and
// commit them while the exporter sees it, and stops it: the group is then
// Empty at offset n, and the exporter saw it leave.
func consumeAndLeave(t *testing.T, c *kafkatest.Cluster, e *exportertest.Exporter, group, topic string, n int) {
	t.Helper()
	produce(t, c, topic, n)
	consumer := startConsumer(t, c, group, topic)
	e.WaitForValue(t, 60*time.Second, "kafka_consumergroup_current_offset", map[string]string{"consumergroup": group, "partition": "0"},
		equals(float64(n)), fmt.Sprintf("the group's commit of offset %d", n))
	e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_members", map[string]string{"consumergroup": group},
		equals(1), "the exporter to see the group's member")
	consumer.stop()
}

func startExporter(t *testing.T, c *kafkatest.Cluster, group string) *exportertest.Exporter {
	return exportertest.Start(t, exportertest.Options{Binary: exporterBinary, Bootstrap: c.Bootstrap(),
		Args: []string{"--group.filter=" + group, "--config.poll.interval=10s"}})
}

func labels(group, topic string) map[string]string {
	return map[string]string{"consumergroup": group, "topic": topic}
}

func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

// A group commits offset 10 of 50 messages and leaves. The expiry counts
// down from at most one minute; after Kafka deletes its offsets, the 40
// messages it never read are counted.
func TestExpiredOffsetsCountUnreadMessages(t *testing.T) {
	c := requireCluster(t)
	topic := kafkatest.UniqueTopic("expiry")
	group := topic + "-group"
	c.CreateTopic(t, topic, 1, 3, nil)
	e := startExporter(t, c, group)

	consumeAndLeave(t, c, e, group, topic, 10)
	produce(t, c, topic, 40)

	// Independent truth: Kafka's own tool says the group is Empty at 10 of 50.
	out := c.Tool(t, kafkatest.ConsumerGroups, "--bootstrap-server", c.Bootstrap()[0], "--describe", "--group", group)
	if !strings.Contains(out, topic) || !strings.Contains(strings.Join(strings.Fields(out), " "), " 10 50 40 ") {
		t.Fatalf("kafka-consumer-groups --describe does not show offset 10, log end 50, lag 40:\n%s", out)
	}

	first := e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_offsets_expiry_seconds", map[string]string{"consumergroup": group},
		func(v float64) bool { return v > 0 && v <= 60 }, "an expiry countdown within offsets.retention.minutes=1")
	e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_offsets_expiry_seconds", map[string]string{"consumergroup": group},
		func(v float64) bool { return v < first }, "the expiry to count down")

	// Kafka deletes the offsets 60 s after the group became Empty, at its
	// next 5 s check; the group then vanishes from the listing.
	e.WaitForValue(t, 120*time.Second, "kafka_consumergroup_expired_unread_messages_total", labels(group, topic),
		equals(40), "40 unread messages counted when the offsets expired")
	out, _ = c.TryTool(t, kafkatest.ConsumerGroups, "--bootstrap-server", c.Bootstrap()[0], "--describe", "--group", group)
	if !strings.Contains(out, "not found") && !strings.Contains(out, "does not exist") {
		t.Fatalf("kafka-consumer-groups still shows offsets of %s after the exporter counted them expired:\n%s", group, out)
	}
	s := e.Scrape(t)
	if v, _ := s.Value("kafka_consumergroup_skipped_messages_total", labels(group, topic)); v != 0 {
		t.Fatalf("skipped_messages_total %v after an expiry, want 0 until the group comes back", v)
	}
}

// An Empty group with 55 unread messages is reset to the log end by Kafka's
// own tool: the 55 messages are counted as skipped, and the status is SKIP.
func TestResetToLatestCountsSkippedMessages(t *testing.T) {
	c := requireCluster(t)
	topic := kafkatest.UniqueTopic("reset")
	group := topic + "-group"
	c.CreateTopic(t, topic, 1, 3, nil)
	e := startExporter(t, c, group)

	consumeAndLeave(t, c, e, group, topic, 5)
	produce(t, c, topic, 55)
	e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_lag_sum", labels(group, topic), equals(55), "55 unread messages")
	e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Empty"},
		equals(1), "the group to be Empty")

	c.Tool(t, kafkatest.ConsumerGroups, "--bootstrap-server", c.Bootstrap()[0], "--group", group, "--topic", topic,
		"--reset-offsets", "--to-latest", "--execute")
	e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_skipped_messages_total", labels(group, topic),
		equals(55), "55 skipped messages after --reset-offsets --to-latest")
	e.WaitForValue(t, 10*time.Second, "kafka_consumergroup_status", map[string]string{"consumergroup": group, "status": "SKIP"},
		equals(1), "status SKIP")
}

// A group that consumes normally, through a rebalance (a second member
// joins, then leaves), counts no skip and no expired message.
func TestNormalConsumptionIsNeverASkip(t *testing.T) {
	c := requireCluster(t)
	topic := kafkatest.UniqueTopic("consume")
	group := topic + "-group"
	c.CreateTopic(t, topic, 2, 3, nil)
	e := startExporter(t, c, group)

	first := startConsumer(t, c, group, topic)
	produce(t, c, topic, 30)
	e.WaitForValue(t, 60*time.Second, "kafka_consumergroup_current_offset", map[string]string{"consumergroup": group, "partition": "0"},
		equals(30), "the first member's commit of offset 30")
	second := startConsumer(t, c, group, topic)
	e.WaitForValue(t, 60*time.Second, "kafka_consumergroup_members", map[string]string{"consumergroup": group},
		equals(2), "two members after the rebalance")
	produce(t, c, topic, 30)
	e.WaitForValue(t, 60*time.Second, "kafka_consumergroup_current_offset", map[string]string{"consumergroup": group, "partition": "0"},
		equals(60), "the commit of offset 60")
	second.stop()
	produce(t, c, topic, 30)
	e.WaitForValue(t, 60*time.Second, "kafka_consumergroup_current_offset", map[string]string{"consumergroup": group, "partition": "0"},
		equals(90), "the commit of offset 90 after the second member left")
	first.stop()
	e.WaitForValue(t, 30*time.Second, "kafka_consumergroup_state", map[string]string{"consumergroup": group, "state": "Empty"},
		equals(1), "the group to be Empty")

	s := e.Scrape(t)
	if v, ok := s.Value("kafka_consumergroup_rebalances_total", map[string]string{"consumergroup": group}); !ok || v < 1 {
		t.Fatalf("rebalances_total %v (present %v), want >= 1", v, ok)
	}
	for _, name := range []string{"kafka_consumergroup_skipped_messages_total", "kafka_consumergroup_expired_unread_messages_total"} {
		if v, ok := s.Value(name, labels(group, topic)); !ok || v != 0 {
			t.Fatalf("%s %v (present %v), want 0", name, v, ok)
		}
	}
	if v, _ := s.Value("kafka_consumergroup_status", map[string]string{"consumergroup": group, "status": "SKIP"}); v != 0 {
		t.Fatalf("status SKIP during normal consumption")
	}
}
