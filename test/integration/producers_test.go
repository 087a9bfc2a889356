package integration

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/exportertest"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// producersInterval is --producers.poll.interval in these tests (with the
// default --poll.interval=1s of startExporter).
const producersInterval = 2 * time.Second

// kcatProduceLoop writes one message to topic with kcat every 300 ms until
// the test ends, with the given extra librdkafka properties (-X k=v).
func kcatProduceLoop(t *testing.T, c *kafkatest.Cluster, topic string, props ...string) {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kcat is required (Debian package kcat): %v", err)
		}
		t.Skip("kcat not found; skipped outside CI")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	args := []string{"-P", "-b", strings.Join(c.Bootstrap(), ","), "-t", topic, "-p", "0"}
	for _, p := range props {
		args = append(args, "-X", p)
	}
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			cmd := exec.CommandContext(ctx, kcat, args...)
			cmd.Stdin = strings.NewReader(fmt.Sprintf("message %d\n", i))
			if out, err := cmd.CombinedOutput(); err != nil && ctx.Err() == nil {
				t.Errorf("kcat %v: %v\n%s", props, err, out)
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
}

// A topic written by kcat without idempotence (acks=1) gets the finding
// non_idempotent_writes and no idempotent producer; a topic written by kcat
// with idempotence gets no finding and at least one idempotent producer.
func TestProducersIdempotence(t *testing.T) {
	c := kafkatest.Require(t)
	plain := kafkatest.UniqueTopic("prod-plain")
	idem := kafkatest.UniqueTopic("prod-idem")
	c.CreateTopic(t, plain, 1, 3, map[string]string{"min.insync.replicas": "2"})
	c.CreateTopic(t, idem, 1, 3, map[string]string{"min.insync.replicas": "2"})
	e := startExporter(t, "--producers.poll.interval="+producersInterval.String(), "--topic.filter=prod-.*")
	kcatProduceLoop(t, c, plain, "enable.idempotence=false", "acks=1")
	kcatProduceLoop(t, c, idem, "enable.idempotence=true")

	finding := func(topic string) map[string]string {
		return map[string]string{"topic": topic, "risk": "non_idempotent_writes"}
	}
	start := time.Now()
	e.WaitForValue(t, 60*time.Second, "kafka_topic_loss_risk", finding(plain), equals(1), "non_idempotent_writes on the kcat acks=1 topic")
	t.Logf("non_idempotent_writes on %s after %s", plain, time.Since(start).Round(100*time.Millisecond))
	e.WaitForValue(t, 30*time.Second, "kafka_topic_idempotent_producers", map[string]string{"topic": plain}, equals(0), "no idempotent producer on the acks=1 topic")
	n := e.WaitForValue(t, 30*time.Second, "kafka_topic_idempotent_producers", map[string]string{"topic": idem},
		func(v float64) bool { return v >= 1 }, "idempotent producers on the idempotent topic")
	t.Logf("%s: %v idempotent producers (one per kcat run)", idem, n)
	// Several more producer reads while both keep writing: the idempotent
	// topic never gets the finding, the other keeps it.
	for reads := 0; reads < 4; reads++ {
		deadline := time.Now().Add(producersInterval + time.Second)
		for time.Now().Before(deadline) {
			s := e.Scrape(t)
			if s.Has("kafka_topic_loss_risk", finding(idem)) {
				t.Fatalf("non_idempotent_writes on %s, written only by an idempotent producer", idem)
			}
			if !s.Has("kafka_topic_loss_risk", finding(plain)) {
				t.Fatalf("non_idempotent_writes on %s went away while the acks=1 producer keeps writing", plain)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

// openTransaction runs testdata/OpenTransaction.java (a Java transactional
// producer from the Kafka client jar) writing n messages to partition 0 of
// topic in a transaction it keeps open; commit ends it. It returns once the
// messages are written. A transaction not committed by the test is committed
// when it ends.
func openTransaction(t *testing.T, c *kafkatest.Cluster, topic, txnID string, n int) (commit func()) {
	t.Helper()
	j := startJavaClient(t, c, "transactional producer", "OpenTransaction.java", c.Bootstrap()[0], topic, txnID, fmt.Sprint(n), "600000")
	// Runs before the client's own cleanup closes its standard input.
	t.Cleanup(func() { _, _ = io.WriteString(j.stdin, "commit\n") })
	j.waitOutput(t, "open", 60*time.Second)
	return func() {
		t.Helper()
		if _, err := io.WriteString(j.stdin, "commit\n"); err != nil {
			t.Fatalf("telling the transactional producer to commit: %v", err)
		}
		j.waitOutput(t, "committed", 60*time.Second)
	}
}

// A transactional producer writes N messages after M plain ones and keeps
// its transaction open: the last stable offset stays at M, its lag is N, a
// read_committed group's lag to it is told apart from its lag to the high
// watermark, the open transaction's age follows the true age, and
// KafkaTransactionOpenTooLong goes pending in a real Prometheus. After the
// commit the lag is 0 and the age is gone.
func TestProducersOpenTransaction(t *testing.T) {
	promBin := requirePrometheus(t)
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("prod-txn")
	c.CreateTopic(t, topic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	const plain, n = 3, 7
	c.Produce(t, topic, 0, plain, sarama.WaitForAll)
	group := topic + "-group"
	c.CommitOffsets(t, group, topic, map[int32]int64{0: 1})

	e := startExporter(t, "--producers.poll.interval="+producersInterval.String(), "--topic.filter=prod-txn.*", "--group.filter="+group)
	prom := startPrometheus(t, promBin, e.URL())

	before := time.Now()
	commit := openTransaction(t, c, topic, topic+"-txid", n)
	written := time.Now()
	t.Logf("transaction of %d messages open after %s", n, written.Sub(before).Round(100*time.Millisecond))

	part := map[string]string{"topic": topic, "partition": "0"}
	tp := map[string]string{"topic": topic}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_last_stable_offset_lag", part, equals(n), "last stable offset lag = N")
	e.WaitForValue(t, 10*time.Second, "kafka_topic_partition_last_stable_offset", part, equals(plain), "last stable offset at the transaction's first message")
	e.WaitForValue(t, 10*time.Second, "kafka_consumergroup_lag_stable", map[string]string{"consumergroup": group, "topic": topic, "partition": "0"},
		equals(plain-1), "read_committed lag to the last stable offset")
	e.WaitForValue(t, 10*time.Second, "kafka_consumergroup_lag", map[string]string{"consumergroup": group, "topic": topic, "partition": "0"},
		equals(plain+n-1), "lag to the high watermark")
	e.WaitForValue(t, 10*time.Second, "kafka_topic_hanging_transactions", tp, equals(0), "not past its 10-minute timeout")

	// The age follows the true age (between the start of the producer and
	// the end of its writes) within one poll of a producer read.
	slack := producersInterval + 2*time.Second
	for i := 0; i < 5; i++ {
		s := e.Scrape(t)
		at := time.Now()
		age, ok := s.Value("kafka_topic_oldest_open_transaction_seconds", tp)
		if !ok {
			t.Fatalf("kafka_topic_oldest_open_transaction_seconds{topic=%q} absent while the transaction is open", topic)
		}
		lo, hi := at.Sub(written)-slack, at.Sub(before)+time.Second
		if got := time.Duration(age * float64(time.Second)); got < lo || got > hi {
			t.Errorf("open transaction age %s, want between %s and %s", got, lo, hi)
		}
		time.Sleep(producersInterval)
	}

	// KafkaTransactionOpenTooLong (> 60 s) goes pending, then fires after the
	// shortened for:.
	var pendingSeen bool
	prom.waitFor(t, 120*time.Second, func() bool {
		a := prom.alert(t, "KafkaTransactionOpenTooLong", topic)
		if a != nil && a.State == "pending" && !pendingSeen {
			pendingSeen = true
			t.Logf("KafkaTransactionOpenTooLong pending %s after the transaction began", time.Since(before).Round(time.Second))
		}
		return pendingSeen
	}, "KafkaTransactionOpenTooLong pending")
	if a := prom.alert(t, "KafkaTransactionHanging", topic); a != nil {
		t.Errorf("KafkaTransactionHanging %s for a transaction within its timeout", a.State)
	}

	commit()
	committed := time.Now()
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_last_stable_offset_lag", part, equals(0), "lag 0 after the commit")
	e.WaitFor(t, 30*time.Second, "no open-transaction age after the commit", func(s *exportertest.Scrape) (bool, string) {
		if v, ok := s.Value("kafka_topic_oldest_open_transaction_seconds", tp); ok {
			return false, fmt.Sprintf("age %v", v)
		}
		if v, ok := s.Value("kafka_consumergroup_lag_stable", map[string]string{"consumergroup": group, "topic": topic, "partition": "0"}); ok {
			return false, fmt.Sprintf("lag_stable %v", v)
		}
		return true, ""
	})
	t.Logf("lag 0 and age gone %s after the commit", time.Since(committed).Round(100*time.Millisecond))
	prom.waitFor(t, 60*time.Second, func() bool { return prom.alert(t, "KafkaTransactionOpenTooLong", topic) == nil },
		"KafkaTransactionOpenTooLong resolved after the commit")
}
