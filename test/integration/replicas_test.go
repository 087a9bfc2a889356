package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/exportertest"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// replicaPollArgs poll every second with a short Kafka timeout, so that a
// poll that waits on a frozen broker still ends well within the cluster's
// 3 s ISR and session timeouts.
var replicaPollArgs = []string{"--poll.interval=1s", "--poll.fast-interval=1s", "--kafka.timeout=1s", "--poll.timeout=4s"}

// kcatProduce writes n messages to topic/partition with kcat (an
// independent client) at the given acks and returns how many kcat reports
// delivered (it exits non-zero on a failed delivery).
func kcatProduce(t *testing.T, c *kafkatest.Cluster, topic string, partition int32, n int, acks string) {
	t.Helper()
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, "m%d\n", i)
	}
	c.Kcat(t, in.String(), "-P", "-t", topic, "-p", strconv.Itoa(int(partition)), "-X", "acks="+acks, "-X", "message.timeout.ms=20000")
}

// kcatCount reads topic/partition from the start to its end with kcat and
// returns the number of messages a consumer can read (the high watermark
// minus the log start, for a topic without compaction or transactions).
func kcatCount(t *testing.T, c *kafkatest.Cluster, topic string, partition int32) int {
	t.Helper()
	out := c.Kcat(t, "", "-C", "-t", topic, "-p", strconv.Itoa(int(partition)), "-o", "beginning", "-e", "-q", "-f", "%o\n")
	return len(strings.Fields(out))
}

// freeze sends SIGSTOP to a node and registers its SIGCONT on cleanup.
func freeze(t *testing.T, c *kafkatest.Cluster, id int32) (thaw func()) {
	t.Helper()
	pid := nodePID(t, c, id)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	done := false
	thaw = func() {
		if !done {
			done = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("SIGCONT node %d: %v", id, err)
			}
		}
	}
	t.Cleanup(thaw)
	return thaw
}

// Done-when 1: a follower frozen with SIGSTOP while N messages are written
// with acks=1 holds none of them: they are uncommitted on the leader and the
// frozen replica lags by N. Both return to 0 once it runs again.
func TestReplicaLagFrozenFollower(t *testing.T) {
	c := kafkatest.Require(t)
	const leader, frozen, other = 1, 3, 2
	const n = 10
	topic := kafkatest.UniqueTopic("replica-lag")
	c.CreateTopicWithAssignment(t, topic, [][]int32{{leader, other, frozen}}, nil)
	c.Produce(t, topic, 0, 5, sarama.WaitForAll)
	e := startExporter(t, replicaPollArgs...)
	pl := map[string]string{"topic": topic, "partition": "0"}
	lag := func(r int32) map[string]string {
		return map[string]string{"topic": topic, "partition": "0", "replica": strconv.Itoa(int(r))}
	}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_replica_lag_messages", lag(frozen), equals(0), "the follower caught up")
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_uncommitted_messages", pl, equals(0), "nothing uncommitted")

	thaw := freeze(t, c, frozen)
	kcatProduce(t, c, topic, 0, n, "1")
	e.WaitFor(t, 20*time.Second, fmt.Sprintf("%d uncommitted messages and the frozen replica %d behind by %d", n, frozen, n), func(s *exportertest.Scrape) (bool, string) {
		u, uok := s.Value("kafka_topic_partition_uncommitted_messages", pl)
		l, lok := s.Value("kafka_topic_partition_replica_lag_messages", lag(frozen))
		o, _ := s.Value("kafka_topic_partition_replica_lag_messages", lag(other))
		b, _ := s.Value("kafka_broker_replica_lag_messages", map[string]string{"id": strconv.Itoa(frozen)})
		return uok && lok && u == n && l == n && o == 0 && b >= n,
			fmt.Sprintf("uncommitted %v (%v), frozen lag %v (%v), other lag %v, broker lag %v", u, uok, l, lok, o, b)
	})
	thaw()
	e.WaitFor(t, 60*time.Second, "uncommitted and lag back to 0", func(s *exportertest.Scrape) (bool, string) {
		u, uok := s.Value("kafka_topic_partition_uncommitted_messages", pl)
		l, lok := s.Value("kafka_topic_partition_replica_lag_messages", lag(frozen))
		return uok && lok && u == 0 && l == 0, fmt.Sprintf("uncommitted %v (%v), frozen lag %v (%v)", u, uok, l, lok)
	})
	if got := kcatCount(t, c, topic, 0); got != 5+n {
		t.Errorf("kcat reads %d messages, want %d", got, 5+n)
	}
	if v, ok := e.Scrape(t).Value("kafka_topic_partition_log_end_offset", pl); !ok || v != 5+n {
		t.Errorf("kafka_topic_partition_log_end_offset = %v (%v), want %d", v, ok, 5+n)
	}
}

// Done-when 2: on Kafka 4.x with eligible leader replicas (KIP-966) an
// RF-1 partition whose broker restarts, and an RF-2 partition whose ISR
// shrank below min.insync.replicas and whose leader then came from the ELR,
// are elected cleanly: no suspected unclean election.
func TestElectionsFromEligibleReplicasAreClean(t *testing.T) {
	c := kafkatest.Require(t)
	version, err := c.Version()
	if err != nil {
		t.Fatal(err)
	}
	// Kafka 3.x has no ELR: an RF-1 partition keeps its last ISR member
	// (still clean), and a partition whose whole ISR is down waits for it.
	withELR := !strings.HasPrefix(version, "3.")
	rf1 := kafkatest.UniqueTopic("elr-rf1")
	elr := kafkatest.UniqueTopic("elr-minisr")
	c.CreateTopicWithAssignment(t, rf1, [][]int32{{3}}, nil)
	c.CreateTopicWithAssignment(t, elr, [][]int32{{1, 2}}, map[string]string{"min.insync.replicas": "2"})
	c.Produce(t, rf1, 0, 10, sarama.WaitForAll)
	c.Produce(t, elr, 0, 10, sarama.WaitForAll)
	e := startExporter(t, replicaPollArgs...)
	suspected := func(topic string) string {
		v, ok := e.Scrape(t).Value("kafka_topic_unclean_leader_elections_suspected_total", map[string]string{"topic": topic})
		return fmt.Sprintf("%v (present %v)", v, ok)
	}
	for _, topic := range []string{rf1, elr} {
		e.WaitForValue(t, 30*time.Second, "kafka_topic_unclean_leader_elections_suspected_total", map[string]string{"topic": topic}, equals(0), "counter starts")
	}

	// RF-1: the only replica's broker stops and starts again.
	rf1p := map[string]string{"topic": rf1, "partition": "0"}
	c.StopNode(t, 3)
	e.WaitForValue(t, eventWait, "kafka_topic_partition_offline", rf1p, equals(1), "the RF-1 partition is offline")
	if withELR {
		e.WaitForValue(t, 20*time.Second, "kafka_topic_partition_eligible_leader_replicas", rf1p, equals(1), "its replica is an eligible leader replica")
	}
	c.StartNode(t, 3)
	e.WaitForValue(t, eventWait, "kafka_topic_leader_changes_total", map[string]string{"topic": rf1}, atLeast(1), "the RF-1 partition has its leader back")
	if got := suspected(rf1); got != "0 (present true)" {
		t.Errorf("RF-1 restart: suspected unclean elections %s, want 0", got)
	}

	if !withELR {
		return
	}
	// RF-2, min ISR 2: the follower stops, the ISR falls below min ISR and
	// the follower becomes an eligible leader replica; then the leader
	// stops too (the controller quorum goes with it) and the follower
	// comes back: it is elected from the ELR.
	elrp := map[string]string{"topic": elr, "partition": "0"}
	c.StopNode(t, 2)
	e.WaitForValue(t, eventWait, "kafka_topic_partition_eligible_leader_replicas", elrp, equals(1), "the stopped follower is eligible")
	c.StopNode(t, 1)
	c.StartNode(t, 2)
	e.WaitForValue(t, 2*eventWait, "kafka_topic_partition_leader", elrp, equals(2), "the eligible follower leads")
	c.StartNode(t, 1)
	e.WaitForValue(t, eventWait, "kafka_topic_partition_in_sync_replica", elrp, equals(2), "both replicas in sync again")
	if got := suspected(elr); got != "0 (present true)" {
		t.Errorf("election from the ELR: suspected unclean elections %s, want 0", got)
	}
	if got := kcatCount(t, c, elr, 0); got != 10 {
		t.Errorf("kcat reads %d messages of %s after the ELR election, want 10", got, elr)
	}
	if v, ok := e.Scrape(t).Value("kafka_topic_truncated_messages_total", map[string]string{"topic": elr}); !ok || v != 0 {
		t.Errorf("truncated messages %v (%v) after an ELR election of a caught-up replica, want 0", v, ok)
	}
}

// Done-when 3: a leader holding M messages written with acks=1 beyond the
// high watermark dies with its follower, and the follower, which never got
// them, is elected: the M messages are truncated. The follower is killed,
// not frozen: a frozen follower still receives the leader's answer to the
// fetch it had in flight, and gets the messages when it thaws. Whether the
// controller dropped the dead follower from the ISR before the leader died
// (then the high watermark held the M messages and fell) or not (then only
// the leader's log end held them), exactly M are counted.
func TestTruncationCountsMessagesBeyondTheHighWatermark(t *testing.T) {
	c := kafkatest.Require(t)
	const leader, follower = 1, 2
	const committed, beyond = 20, 7
	topic := kafkatest.UniqueTopic("truncate-leo")
	c.CreateTopicWithAssignment(t, topic, [][]int32{{leader, follower}},
		map[string]string{"min.insync.replicas": "1", "unclean.leader.election.enable": "true"})
	kcatProduce(t, c, topic, 0, committed, "all")
	e := startExporter(t, replicaPollArgs...)
	tl := map[string]string{"topic": topic}
	pl := map[string]string{"topic": topic, "partition": "0"}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_current_offset", pl, equals(committed), "high watermark")
	e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_in_sync_replica", pl, equals(2), "follower in sync")

	c.KillNode(t, follower)
	kcatProduce(t, c, topic, 0, beyond, "1")
	s := e.WaitFor(t, 20*time.Second, "the leader's log end holds the acks=1 messages", func(s *exportertest.Scrape) (bool, string) {
		v, _ := s.Value("kafka_topic_partition_log_end_offset", pl)
		return v == committed+beyond, fmt.Sprintf("log end %v", v)
	})
	u, _ := s.Value("kafka_topic_partition_uncommitted_messages", pl)
	t.Logf("at the leader's last poll: %v uncommitted messages (%d when the follower was still in the ISR)", u, beyond)
	c.KillNode(t, leader)
	c.StartNode(t, follower)
	e.WaitForValue(t, 2*eventWait, "kafka_topic_partition_leader", pl, equals(follower), "the follower leads")
	e.WaitForValue(t, eventWait, "kafka_topic_truncated_messages_total", tl, equals(beyond), "the acks=1 messages only the old leader had are counted")
	if got := kcatCount(t, c, topic, 0); got != committed {
		t.Errorf("kcat reads %d messages after the election, want %d (the %d acks=1 messages are gone)", got, committed, beyond)
	}
	c.StartNode(t, leader)
	e.WaitForValue(t, eventWait, "kafka_topic_partition_in_sync_replica", pl, equals(2), "old leader back in sync")
	if v, _ := e.Scrape(t).Value("kafka_topic_truncated_messages_total", tl); v != beyond {
		t.Errorf("kafka_topic_truncated_messages_total = %v after the old leader returned, want %d", v, beyond)
	}
}

// Done-when 4: a throttled reassignment adding a replica spans several
// polls; the partition is reported reassigning, never under-replicated, and
// then done.
func TestReassignmentIsNotUnderReplication(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("reassign")
	c.CreateTopicWithAssignment(t, topic, [][]int32{{1, 2}}, nil)
	// About 2 MB that a 200 kB/s throttle takes ~10 s to copy.
	var in strings.Builder
	payload := strings.Repeat("x", 1000)
	for range 2000 {
		in.WriteString(payload + "\n")
	}
	c.Kcat(t, in.String(), "-P", "-t", topic, "-p", "0", "-X", "acks=all")
	e := startExporter(t, replicaPollArgs...)
	pl := map[string]string{"topic": topic, "partition": "0"}
	tl := map[string]string{"topic": topic}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_reassigning_partitions", tl, equals(0), "not reassigning")

	plan := fmt.Sprintf(`{"version":1,"partitions":[{"topic":%q,"partition":0,"replicas":[1,2,3]}]}`, topic)
	file := t.TempDir() + "/plan.json"
	if err := os.WriteFile(file, []byte(plan), 0o600); err != nil {
		t.Fatal(err)
	}
	bs := strings.Join(c.Bootstrap(), ",")
	c.Tool(t, kafkatest.Reassign, "--bootstrap-server", bs, "--reassignment-json-file", file, "--execute", "--throttle", "200000")
	t.Cleanup(func() {
		// --verify removes the throttle once the reassignment is done.
		_, _ = c.TryTool(t, kafkatest.Reassign, "--bootstrap-server", bs, "--reassignment-json-file", file, "--verify")
	})
	seen, under := 0, 0
	e.WaitFor(t, 120*time.Second, "the reassignment seen in progress and then done", func(s *exportertest.Scrape) (bool, string) {
		r, _ := s.Value("kafka_topic_partition_reassigning", pl) // present (1) only while reassigning
		u, _ := s.Value("kafka_topic_partition_under_replicated_partition", pl)
		tr, _ := s.Value("kafka_topic_under_replicated_partitions", tl)
		if r == 1 {
			seen++
		}
		if u != 0 || tr != 0 {
			under++
		}
		replicas, _ := s.Value("kafka_topic_partition_replicas", pl)
		return seen > 0 && r == 0 && replicas == 3, fmt.Sprintf("reassigning %v (seen %d scrapes), replicas %v", r, seen, replicas)
	})
	if under > 0 {
		t.Errorf("the partition was reported under-replicated in %d scrapes during the reassignment", under)
	}
	if seen < 2 {
		t.Errorf("the reassignment was seen in progress in %d scrapes; the throttle should make it span several polls", seen)
	}
	out := c.Tool(t, kafkatest.Reassign, "--bootstrap-server", bs, "--reassignment-json-file", file, "--verify")
	if !strings.Contains(out, "is completed") {
		t.Errorf("kafka-reassign-partitions --verify: %s", out)
	}
	e.WaitForValue(t, 10*time.Second, "kafka_topic_reassigning_partitions", tl, equals(0), "no partition reassigning")
	if e.Scrape(t).Has("kafka_topic_partition_reassigning", pl) {
		t.Errorf("kafka_topic_partition_reassigning still present after the reassignment")
	}
}
