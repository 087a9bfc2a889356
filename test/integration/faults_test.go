package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// Fault tests: each provokes one fault on the real cluster while a watcher
// scrapes the exporter every 200 ms (watch_test.go) and checks that every
// scrape answers, that polls end within --poll.timeout and that cluster
// series never come from an old snapshot; then each checks that the failure
// is marked per collector with its reason, that the exporter recovers by
// itself, and that goroutines and open fds come back to where they were.

// Poll settings of the fault tests (startExporter's defaults).
const (
	faultPollInterval = time.Second
	faultPollTimeout  = 5 * time.Second
	watchEvery        = 200 * time.Millisecond
)

var collectorNames = []string{"metadata", "offsets", "configs", "consumer_groups"}

// startFaultExporter starts the exporter, waits until every collector
// succeeds, and returns it with its resources measured after warm-up.
func startFaultExporter(t *testing.T, args ...string) (*exporter, resources) {
	t.Helper()
	e := startExporter(t, args...)
	waitAllCollectors(t, e, 60*time.Second, "every collector succeeds")
	return e, sampleResources(t, e)
}

func waitAllCollectors(t *testing.T, e *exporter, timeout time.Duration, what string) {
	t.Helper()
	for _, name := range collectorNames {
		e.WaitForValue(t, timeout, "kafka_loss_exporter_collector_success", map[string]string{"collector": name}, equals(1), what+": "+name)
	}
}

// collectorErrors is kafka_loss_exporter_collector_errors_total{collector,reason} (0 when absent).
func collectorErrors(s *scrape, collector, reason string) float64 {
	v, _ := s.Value("kafka_loss_exporter_collector_errors_total", map[string]string{"collector": collector, "reason": reason})
	return v
}

// nodePID reads node id's pid from the cluster's state dir.
func nodePID(t *testing.T, c *kafkatest.Cluster, id int32) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir(), fmt.Sprintf("node-%d", id), "kafka.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// activeController returns the KRaft quorum leader (the active controller)
// as the running nodes record it in their quorum-state files, and its epoch.
func activeController(c *kafkatest.Cluster, skip int32) (leader int32, epoch int) {
	leader = -1
	for _, id := range c.NodeIDs() {
		if id == skip {
			continue
		}
		b, err := os.ReadFile(filepath.Join(c.Dir(), fmt.Sprintf("node-%d", id), "data", "__cluster_metadata-0", "quorum-state"))
		if err != nil {
			continue
		}
		var qs struct {
			LeaderID    int32 `json:"leaderId"`
			LeaderEpoch int   `json:"leaderEpoch"`
		}
		if json.Unmarshal(b, &qs) != nil || qs.LeaderID < 0 {
			continue
		}
		if qs.LeaderEpoch > epoch {
			leader, epoch = qs.LeaderID, qs.LeaderEpoch
		}
	}
	return leader, epoch
}

// TestFaultLeaderDownInMetadata kills a broker with SIGKILL: until the
// controller fences it (broker.session.timeout.ms, 3 s), Metadata still
// names it leader of its partitions. The exporter must mark the offsets
// collector failed with reason connection and serve no offset for those
// partitions (rather than an old one), then recover on its own.
func TestFaultLeaderDownInMetadata(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("fault-leader-down")
	c.CreateTopic(t, topic, 6, 3, nil)
	e, before := startFaultExporter(t, "--poll.interval=500ms")
	w := watch(t, e, watchEvery, 500*time.Millisecond, faultPollTimeout)

	// The victim is a broker the exporter reports leading a partition of the
	// topic (placement and earlier kills decide which). The window between
	// SIGKILL and fencing is a few seconds; a loaded machine can miss it, so
	// the kill is tried up to three times, each time on a current leader.
	var victim int32
	seen := false
	for attempt := 1; attempt <= 3 && !seen; attempt++ {
		if attempt > 1 {
			t.Logf("attempt %d: the window was missed; restarting broker %d and killing a leader again", attempt, victim)
			c.StartNode(t, victim)
			e.WaitForValue(t, 60*time.Second, "kafka_brokers", nil, equals(3), "the broker is back")
			waitAllCollectors(t, e, 60*time.Second, "recovered before the next kill")
		}
		victim = topicLeader(t, e, topic)
		c.KillNode(t, victim)
		seen = leaderDownWindow(t, e, topic, float64(victim), 20*time.Second)
	}
	if !seen {
		t.Fatal("in three kills, never saw a poll whose metadata named the killed broker as leader while offsets failed")
	}

	waitAllCollectors(t, e, 60*time.Second, "recovered once leaders moved")
	c.StartNode(t, victim)
	e.WaitForValue(t, 60*time.Second, "kafka_brokers", nil, equals(3), "the broker is back")
	waitNoLeak(t, e, before)
	w.Check(t)
}

// topicLeader returns the broker the exporter reports as leader of the
// topic's partition 0.
func topicLeader(t *testing.T, e *exporter, topic string) int32 {
	t.Helper()
	v := e.WaitForValue(t, 30*time.Second, "kafka_topic_partition_leader", map[string]string{"topic": topic, "partition": "0"},
		func(v float64) bool { return v > 0 }, "a leader of "+topic+"/0")
	return int32(v)
}

// leaderDownWindow scrapes until a poll shows offsets failed while the
// metadata still names the killed victim leader of a partition of topic, and
// checks that no offset is served for those partitions. It reports whether
// such a poll was seen within the timeout.
func leaderDownWindow(t *testing.T, e *exporter, topic string, victim float64, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	seen := false
	for !seen && time.Now().Before(deadline) {
		s, err := e.TryScrape()
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if ok, _ := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": "offsets"}); ok != 0 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for _, x := range s.Series("kafka_topic_partition_leader") {
			if x.Labels["topic"] != topic || x.Value != victim {
				continue
			}
			seen = true
			if _, ok := s.Value("kafka_topic_partition_current_offset", x.Labels); ok {
				t.Errorf("partition %s/%s: an offset is served while its listed leader %v is down", topic, x.Labels["partition"], victim)
			}
		}
		if seen && collectorErrors(s, "offsets", "connection") < 1 {
			t.Errorf("offsets failed without a connection reason: %s", s.Raw())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return seen
}

// TestFaultNodeKilledMidPoll freezes a broker (SIGSTOP) so that the poll in
// flight blocks on it, and kills it with SIGKILL while the poll waits. The
// poll must end within --poll.timeout, the failure must be marked, and the
// exporter must recover without leaking.
func TestFaultNodeKilledMidPoll(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("fault-mid-poll")
	c.CreateTopic(t, topic, 6, 3, nil)
	e, before := startFaultExporter(t)
	w := watch(t, e, watchEvery, faultPollInterval, faultPollTimeout)

	const victim = 3
	pid := nodePID(t, c, victim)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// A poll is blocked on the frozen broker when none has ended for
	// well over an interval (a healthy poll takes tens of milliseconds).
	c.WaitFor(t, 30*time.Second, "a poll blocked on the frozen broker", func() (bool, string) {
		s, err := e.TryScrape()
		if err != nil {
			return false, err.Error()
		}
		start, _ := s.Value("kafka_loss_exporter_last_poll_timestamp_seconds", nil)
		d, _ := s.Value("kafka_loss_exporter_poll_duration_seconds", nil)
		idle := float64(time.Now().UnixNano())/1e9 - (start + d)
		return idle > faultPollInterval.Seconds()+0.7, fmt.Sprintf("last poll ended %.1fs ago", idle)
	})
	c.KillNode(t, victim) // SIGKILL ends a stopped process too
	c.WaitFor(t, 30*time.Second, "the blocked poll marked as failed", func() (bool, string) {
		s, err := e.TryScrape()
		if err != nil {
			return false, err.Error()
		}
		// The request in flight on the frozen broker fails when the
		// kill resets its connection.
		n := collectorErrors(s, "offsets", "connection") + collectorErrors(s, "metadata", "connection") + collectorErrors(s, "offsets", "timeout")
		return n >= 1, fmt.Sprintf("%v offsets/metadata errors counted", n)
	})
	waitAllCollectors(t, e, 60*time.Second, "recovered with the broker dead")
	c.StartNode(t, victim)
	e.WaitForValue(t, 60*time.Second, "kafka_brokers", nil, equals(3), "the broker is back")
	waitNoLeak(t, e, before)
	w.Check(t)
}

// All nodes down, then back: TestWholeClusterDown (replication_test.go)
// carries the same checks as the tests here.

// blackHole accepts TCP connections and never answers. It counts the
// connections it holds open, which tells whether the exporter closes the
// ones it gave up on.
type blackHole struct {
	l        net.Listener
	mu       sync.Mutex
	open     int
	accepted int
}

func newBlackHole(t *testing.T) *blackHole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{l: l}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.open++
			h.accepted++
			h.mu.Unlock()
			go func() {
				_, _ = io.Copy(io.Discard, conn) // until the exporter closes it
				conn.Close()
				h.mu.Lock()
				h.open--
				h.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return h
}

func (h *blackHole) Addr() string { return h.l.Addr().String() }

func (h *blackHole) counts() (open, accepted int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open, h.accepted
}

// TestFaultBlackHoleBootstrap puts a server that accepts connections but
// never answers in the bootstrap list.
func TestFaultBlackHoleBootstrap(t *testing.T) {
	c := kafkatest.Require(t)

	t.Run("first of the seeds", func(t *testing.T) {
		// --kafka.timeout equal to --poll.timeout: the first poll spends all
		// its time on the black hole. The exporter must then try it last,
		// or it would never get through.
		hole := newBlackHole(t)
		e := startExporterOn(t, append([]string{hole.Addr()}, c.Bootstrap()...), "--kafka.timeout=5s", "--poll.timeout=5s")
		w := watch(t, e, watchEvery, faultPollInterval, faultPollTimeout)
		e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_up", nil, equals(1), "up despite the black hole")
		waitAllCollectors(t, e, 30*time.Second, "every collector succeeds")
		if n := collectorErrors(e.Scrape(t), "metadata", "timeout"); n > 1 {
			t.Errorf("%v metadata timeouts: the black hole was tried first more than once", n)
		}
		w.Check(t)
	})

	t.Run("only seed", func(t *testing.T) {
		hole := newBlackHole(t)
		e := startExporterOn(t, nil, "--kafka.server="+hole.Addr(), "--poll.interval=500ms", "--kafka.timeout=1s", "--poll.timeout=2s")
		w := watch(t, e, watchEvery, 500*time.Millisecond, 2*time.Second)
		e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_collector_errors_total", map[string]string{"collector": "metadata", "reason": "timeout"},
			func(v float64) bool { return v >= 2 }, "metadata timeouts counted")
		before := sampleResources(t, e)
		e.WaitForValue(t, 60*time.Second, "kafka_loss_exporter_collector_errors_total", map[string]string{"collector": "metadata", "reason": "timeout"},
			func(v float64) bool { return v >= 12 }, "ten more metadata timeouts")
		s := e.Scrape(t)
		if v, _ := s.Value("kafka_loss_exporter_up", nil); v != 0 {
			t.Errorf("up %v with only a black hole to talk to", v)
		}
		waitNoLeak(t, e, before)
		// Each poll opened a connection to the black hole; the exporter
		// must close each one it gave up on.
		c.WaitFor(t, 10*time.Second, "the exporter to close the connections it gave up on", func() (bool, string) {
			open, accepted := hole.counts()
			return open <= 2, fmt.Sprintf("%d of %d connections still open", open, accepted)
		})
		open, accepted := hole.counts()
		t.Logf("MEASURED black hole: %d connections accepted, %d open", accepted, open)
		if n := strings.Count(e.Logs(), `msg="poll failed"`); n > 2 {
			t.Errorf("%d 'poll failed' lines logged for one unchanging reason", n)
		}
		w.Check(t)
	})
}

// TestFaultControllerMoves stops the active KRaft controller: a new one is
// elected, the exporter stays up throughout and all its collectors recover.
func TestFaultControllerMoves(t *testing.T) {
	c := kafkatest.Require(t)
	e, before := startFaultExporter(t)
	w := watch(t, e, watchEvery, faultPollInterval, faultPollTimeout)

	old, oldEpoch := activeController(c, 0)
	if old < 0 {
		t.Fatal("no active controller found in the quorum-state files")
	}
	c.StopNode(t, old)
	var now int32
	c.WaitFor(t, 60*time.Second, "a new active controller", func() (bool, string) {
		leader, epoch := activeController(c, old)
		now = leader
		return leader >= 0 && leader != old && epoch > oldEpoch, fmt.Sprintf("leader %d epoch %d", leader, epoch)
	})
	t.Logf("MEASURED the active controller moved from node %d to node %d", old, now)
	e.WaitForValue(t, 30*time.Second, "kafka_brokers", nil, equals(2), "the stopped node left the broker list")
	waitAllCollectors(t, e, 60*time.Second, "every collector succeeds with the new controller")
	s := e.Scrape(t)
	if v, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "failure"}); v != 0 {
		t.Errorf("%v polls failed while the controller moved", v)
	}

	c.StartNode(t, old)
	e.WaitForValue(t, 60*time.Second, "kafka_brokers", nil, equals(3), "the node is back")
	waitAllCollectors(t, e, 60*time.Second, "every collector succeeds")
	waitNoLeak(t, e, before)
	w.Check(t)
}

// TestFaultTopicDeletedDuringPoll creates and deletes topics while the
// exporter polls every 500 ms: the deleted topic's series go away, no
// collector stays failed, and nothing leaks.
func TestFaultTopicDeletedDuringPoll(t *testing.T) {
	c := kafkatest.Require(t)
	e, before := startFaultExporter(t, "--poll.interval=500ms", "--config.poll.interval=1s")
	w := watch(t, e, watchEvery, 500*time.Millisecond, faultPollTimeout)

	for i := 0; i < 3; i++ {
		topic := kafkatest.UniqueTopic("fault-deleted")
		c.CreateTopic(t, topic, 12, 3, nil)
		labels := map[string]string{"topic": topic}
		e.WaitForValue(t, 30*time.Second, "kafka_topic_partitions", labels, equals(12), "the new topic is seen")
		c.DeleteTopic(t, topic)
		c.WaitFor(t, 30*time.Second, "the deleted topic's series to go", func() (bool, string) {
			s, err := e.TryScrape()
			if err != nil {
				return false, err.Error()
			}
			for _, name := range []string{"kafka_topic_partitions", "kafka_topic_partition_current_offset", "kafka_topic_partition_in_sync_replica"} {
				for _, x := range s.Series(name) {
					if x.Labels["topic"] == topic {
						return false, name + " still served"
					}
				}
			}
			return true, ""
		})
	}
	waitAllCollectors(t, e, 30*time.Second, "every collector succeeds after the deletions")
	s := e.Scrape(t)
	for _, x := range s.Series("kafka_loss_exporter_collector_errors_total") {
		t.Logf("MEASURED collector errors around topic deletions: %v %v", x.Labels, x.Value)
	}
	waitNoLeak(t, e, before)
	w.Check(t)
}
