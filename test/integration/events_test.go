package integration

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// eventWait bounds waits for events: a few polls, plus the time Kafka takes
// to fence a node and elect a leader.
const eventWait = 60 * time.Second

func atLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }

// Stopping a node shrinks the ISR of every partition it hosts and moves the
// leadership it held; restarting it expands them again. Nothing is lost.
func TestEventsNodeStopAndRestart(t *testing.T) {
	c := kafkatest.Require(t)
	const stopped = 3
	topic := kafkatest.UniqueTopic("events-stop")
	// Node 3 leads partition 0 and follows in partition 1.
	c.CreateTopicWithAssignment(t, topic, [][]int32{{3, 1, 2}, {1, 2, 3}}, nil)
	c.Produce(t, topic, 0, 10, sarama.WaitForAll)
	c.Produce(t, topic, 1, 10, sarama.WaitForAll)

	// A normal interval far longer than the test's waits: only the fast
	// interval can make the exporter see the flap in time.
	e := startExporter(t, "--poll.interval=30s", "--poll.fast-interval=1s")
	tl := map[string]string{"topic": topic}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_isr_shrinks_total", tl, equals(0), "counters of a new topic start at 0")
	s := e.Scrape(t)
	brokerBefore, ok := s.Value("kafka_broker_isr_shrinks_total", map[string]string{"id": strconv.Itoa(stopped)})
	if !ok {
		t.Fatalf("no kafka_broker_isr_shrinks_total for broker %d", stopped)
	}
	if n := len(s.Series("kafka_topic_partition_last_isr_change_timestamp_seconds")); n != 0 {
		t.Fatalf("%d last ISR change series before any change, want 0", n)
	}

	// The exporter polls every 30s while healthy; the stop is seen at its
	// next normal poll at the latest, and everything after at the fast one.
	c.StopNode(t, stopped)
	e.WaitForValue(t, eventWait, "kafka_topic_isr_shrinks_total", tl, atLeast(2), "both partitions of the topic shrink")
	e.WaitForValue(t, 10*time.Second, "kafka_broker_isr_shrinks_total", map[string]string{"id": strconv.Itoa(stopped)}, atLeast(brokerBefore+2),
		"the stopped broker's replicas are counted as dropped")
	e.WaitForValue(t, 10*time.Second, "kafka_topic_leader_changes_total", tl, atLeast(1), "partition 0 got a new leader")
	for _, p := range []string{"0", "1"} {
		e.WaitForValue(t, 10*time.Second, "kafka_topic_partition_last_isr_change_timestamp_seconds", map[string]string{"topic": topic, "partition": p},
			func(v float64) bool { return v > float64(time.Now().Add(-5*time.Minute).Unix()) }, "last ISR change time of partition "+p)
	}

	// While a partition is under-replicated the exporter polls every second.
	polls := e.WaitForValue(t, 10*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(0), "polls")
	e.WaitForValue(t, 15*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(polls+3),
		"three more polls at the fast interval while under-replicated (the normal interval is 30s)")

	c.StartNode(t, stopped)
	e.WaitForValue(t, eventWait, "kafka_topic_isr_expands_total", tl, atLeast(2), "both partitions expand again")

	s = e.Scrape(t)
	for _, m := range []string{"kafka_topic_unclean_leader_elections_suspected_total", "kafka_topic_truncated_messages_total"} {
		if v, ok := s.Value(m, tl); !ok || v != 0 {
			t.Errorf("%s{topic=%q} = %v (present %v) after a clean stop and restart, want 0", m, topic, v, ok)
		}
	}
}

// A real unclean election with real loss: the stale follower becomes leader
// and the messages only the old leader had are gone.
func TestEventsUncleanElectionMeasuresLoss(t *testing.T) {
	c := kafkatest.Require(t)
	const leader, follower = 1, 2
	const committed, lost = 20, 37
	topic := kafkatest.UniqueTopic("events-unclean")
	c.CreateTopicWithAssignment(t, topic, [][]int32{{leader, follower}},
		map[string]string{"min.insync.replicas": "1", "unclean.leader.election.enable": "true"})
	e := startExporter(t)
	tl := map[string]string{"topic": topic}
	pl := map[string]string{"topic": topic, "partition": "0"}

	c.Produce(t, topic, 0, committed, sarama.WaitForAll)
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_current_offset", pl, equals(committed), "high watermark after the replicated messages")
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_in_sync_replica", pl, equals(2), "follower in sync")

	c.StopNode(t, follower)
	e.WaitForValue(t, eventWait, "kafka_topic_partition_in_sync_replica", pl, equals(1), "follower out of the ISR")
	c.Produce(t, topic, 0, lost, sarama.WaitForLocal)
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_current_offset", pl, equals(committed+lost), "high watermark with the messages only the leader has")

	// With two of three combined nodes down the controller quorum is gone;
	// it comes back with the stale follower.
	c.StopNode(t, leader)
	checkLastReplicaGone(t, c, e, topic, leader)
	c.StartNode(t, follower)
	electUnclean(t, c, topic, follower)

	e.WaitForValue(t, eventWait, "kafka_topic_partition_leader", pl, equals(follower), "the stale follower leads")
	e.WaitForValue(t, eventWait, "kafka_topic_unclean_leader_elections_suspected_total", tl, atLeast(1), "unclean election suspected")
	e.WaitForValue(t, eventWait, "kafka_topic_truncated_messages_total", tl, equals(lost), "the vanished messages are counted exactly")

	// The old leader comes back, truncates its log and follows: nothing more
	// is counted.
	suspected := e.WaitForValue(t, 5*time.Second, "kafka_topic_unclean_leader_elections_suspected_total", tl, atLeast(1), "suspected")
	c.StartNode(t, leader)
	e.WaitForValue(t, eventWait, "kafka_topic_partition_in_sync_replica", pl, equals(2), "old leader back in sync")
	polls := e.WaitForValue(t, 10*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(0), "polls")
	e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(polls+3), "three more polls")
	s := e.Scrape(t)
	if v, _ := s.Value("kafka_topic_truncated_messages_total", tl); v != lost {
		t.Errorf("kafka_topic_truncated_messages_total = %v after the old leader returned, want %d", v, lost)
	}
	if v, _ := s.Value("kafka_topic_unclean_leader_elections_suspected_total", tl); v != suspected {
		t.Errorf("kafka_topic_unclean_leader_elections_suspected_total = %v after the old leader returned, want %v", v, suspected)
	}
}

var isrField = regexp.MustCompile(`partition 0, leader (-?\d+), replicas: [0-9,]*, isrs: (\d+(?:,\d+)*)?`)

// checkLastReplicaGone: with the last in-sync replica (last) of partition 0
// stopped, the partition has no leader, and the exporter reports the ISR
// kcat's metadata shows. That ISR is the version's behaviour: ZooKeeper mode
// and KRaft before 4.0 keep the last member in the ISR; 4.x (eligible
// leader replicas, KIP-966) empties the ISR and lists the replica as
// eligible instead.
func checkLastReplicaGone(t *testing.T, c *kafkatest.Cluster, e *exporter, topic string, last int32) {
	t.Helper()
	pl := map[string]string{"topic": topic, "partition": "0"}
	e.WaitForValue(t, eventWait, "kafka_topic_partition_leader", pl, equals(-1), "no leader with the last in-sync replica stopped")
	version, err := c.Version()
	if err != nil {
		t.Fatal(err)
	}
	var isr []string
	c.WaitFor(t, 60*time.Second, "kcat's metadata of "+topic+" without a leader", func() (bool, string) {
		out, err := c.TryKcat("", "-L", "-t", topic)
		if err != nil {
			return false, fmt.Sprintf("%v: %s", err, out)
		}
		m := isrField.FindStringSubmatch(out)
		if m == nil || m[1] != "-1" {
			return false, out
		}
		isr = nil
		if m[2] != "" {
			isr = strings.Split(m[2], ",")
		}
		return true, ""
	})
	kept := c.ZooKeeper() || strings.HasPrefix(version, "3.")
	t.Logf("MEASURED Kafka %s (ZooKeeper %t): ISR with the last in-sync replica stopped: %v", version, c.ZooKeeper(), isr)
	if kept && (len(isr) != 1 || isr[0] != strconv.Itoa(int(last))) {
		t.Errorf("Kafka %s: ISR %v with the last in-sync replica %d stopped, want it kept: [%d]", version, isr, last, last)
	}
	if !kept && len(isr) != 0 {
		t.Errorf("Kafka %s: ISR %v with the last in-sync replica %d stopped, want it empty (eligible leader replicas)", version, isr, last)
	}
	e.WaitForValue(t, 10*time.Second, "kafka_topic_partition_in_sync_replica", pl, equals(float64(len(isr))), "the ISR size kcat shows")
}

// electUnclean makes want the leader of partition 0 with an unclean
// election, retrying until the controller quorum is back and want is
// unfenced. The controller may also elect it by itself (the topic allows
// unclean elections); then the election is not needed.
func electUnclean(t *testing.T, c *kafkatest.Cluster, topic string, want int32) {
	t.Helper()
	admin := c.Admin(t)
	c.WaitFor(t, 90*time.Second, fmt.Sprintf("an unclean election of %s/0", topic), func() (bool, string) {
		res, err := admin.ElectLeaders(sarama.UncleanElection, map[string][]int32{topic: {0}})
		if err != nil {
			return false, err.Error()
		}
		r := res[topic][0]
		if r == nil {
			return false, "no result for the partition"
		}
		if !errors.Is(r.ErrorCode, sarama.ErrNoError) && !errors.Is(r.ErrorCode, sarama.ErrElectionNotNeeded) {
			return false, r.ErrorCode.Error()
		}
		md, err := admin.DescribeTopics([]string{topic})
		if err != nil || len(md) != 1 || len(md[0].Partitions) != 1 {
			return false, fmt.Sprintf("describe: %v", err)
		}
		if l := md[0].Partitions[0].Leader; l != want {
			return false, fmt.Sprintf("leader %d", l)
		}
		return true, ""
	})
}

// Deleting a topic and creating it again under the same name is no loss.
func TestEventsTopicRecreatedIsNoTruncation(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("events-recreate")
	c.CreateTopic(t, topic, 1, 3, nil)
	c.Produce(t, topic, 0, 50, sarama.WaitForAll)
	e := startExporter(t)
	tl := map[string]string{"topic": topic}
	pl := map[string]string{"topic": topic, "partition": "0"}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_current_offset", pl, equals(50), "high watermark of the first topic")

	c.DeleteTopic(t, topic)
	c.CreateTopic(t, topic, 1, 3, nil)
	c.Produce(t, topic, 0, 5, sarama.WaitForAll)
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_current_offset", pl, equals(5), "high watermark of the re-created topic")
	polls := e.WaitForValue(t, 10*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(0), "polls")
	e.WaitForValue(t, 10*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(polls+2), "two more polls")

	s := e.Scrape(t)
	for _, m := range []string{"kafka_topic_truncated_messages_total", "kafka_topic_isr_shrinks_total", "kafka_topic_unclean_leader_elections_suspected_total"} {
		if v, ok := s.Value(m, tl); !ok || v != 0 {
			t.Errorf("%s{topic=%q} = %v (present %v) after delete and re-create, want 0", m, topic, v, ok)
		}
	}
}
