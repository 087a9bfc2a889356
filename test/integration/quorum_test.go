package integration

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// quorumPoll is the poll interval of the quorum test: a stopped voter stops
// counting as caught up 5 s after it last caught up (on the leader's
// clock), so with polls 5 s apart the second poll after the stop sees it.
const quorumPoll = 5 * time.Second

// quorumStatus is Kafka's own view of the controller quorum, from its
// kafka-metadata-quorum tool (an independent client).
type quorumStatus struct{ leader, epoch int }

var quorumLine = regexp.MustCompile(`(?m)^(LeaderId|LeaderEpoch):\s+(-?\d+)`)

func metadataQuorum(t *testing.T, c *kafkatest.Cluster) (quorumStatus, error) {
	t.Helper()
	out, err := c.TryTool(t, kafkatest.MetadataQuorum, "--bootstrap-server", c.Bootstrap()[0], "describe", "--status")
	if err != nil {
		return quorumStatus{}, err
	}
	st := quorumStatus{leader: -2, epoch: -2}
	for _, m := range quorumLine.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.Atoi(m[2])
		if m[1] == "LeaderId" {
			st.leader = v
		} else {
			st.epoch = v
		}
	}
	if st.leader == -2 || st.epoch == -2 {
		return st, fmt.Errorf("kafka-metadata-quorum gave no leader and epoch:\n%s", out)
	}
	return st, nil
}

// TestControllerQuorum: on KRaft the exporter reports the controller quorum
// as Kafka's own tool does; stopping one of the three voters (not the
// leader) brings caught_up_voters to 2 within two polls and makes
// KafkaControllerQuorumBareMajority pending in a real Prometheus; the
// restart clears both. On ZooKeeper there is no quorum: the series are
// absent, the collector succeeds, and the exporter says so once.
func TestControllerQuorum(t *testing.T) {
	c := kafkatest.Require(t)
	if c.ZooKeeper() {
		e := startExporter(t)
		e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_collector_success", map[string]string{"collector": "controller_quorum"}, equals(1), "the quorum step succeeds")
		e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"}, atLeast(3), "three polls")
		if s := e.Scrape(t); s.Has("kafka_controller_quorum_voters", nil) {
			t.Errorf("kafka_controller_quorum_voters served on a ZooKeeper cluster")
		}
		const said = "controller quorum: DescribeQuorum not supported by broker"
		if n := strings.Count(e.Logs(), said); n != 1 {
			t.Errorf("the exporter said %q %d times, want once:\n%s", said, n, e.Logs())
		}
		return
	}

	promBin := requirePrometheus(t)
	t.Cleanup(func() { c.RestoreAll(t) })
	e := startExporter(t, "--poll.interval="+quorumPoll.String(), "--poll.fast-interval="+quorumPoll.String())
	prom := startPrometheus(t, promBin, e.URL())
	e.WaitForValue(t, 60*time.Second, "kafka_controller_quorum_voters", nil, equals(3), "three voters")
	e.WaitForValue(t, 30*time.Second, "kafka_controller_quorum_caught_up_voters", nil, equals(3), "all voters caught up")

	// The leader and epoch agree with kafka-metadata-quorum (asked until a
	// poll and the tool see the same leadership).
	var leader int
	c.WaitFor(t, 60*time.Second, "leader and epoch as kafka-metadata-quorum gives them", func() (bool, string) {
		want, err := metadataQuorum(t, c)
		if err != nil {
			return false, err.Error()
		}
		s := e.Scrape(t)
		id, _ := s.Value("kafka_controller_quorum_leader_id", nil)
		epoch, _ := s.Value("kafka_controller_quorum_leader_epoch", nil)
		leader = want.leader
		return int(id) == want.leader && int(epoch) == want.epoch,
			fmt.Sprintf("exporter leader %v epoch %v, tool %+v", id, epoch, want)
	})
	for _, id := range c.NodeIDs() {
		e.WaitForValue(t, 10*time.Second, "kafka_controller_quorum_voter_lag_records", map[string]string{"replica": strconv.Itoa(int(id))},
			func(v float64) bool { return v >= 0 && v < 50 }, "a healthy voter's lag")
	}

	var voter int32
	for _, id := range c.NodeIDs() {
		if int(id) != leader {
			voter = id
			break
		}
	}
	polls := func() float64 {
		v, _ := e.Scrape(t).Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
		return v
	}
	c.StopNode(t, voter)
	stopped, before := time.Now(), polls()
	e.WaitForValue(t, 4*quorumPoll, "kafka_controller_quorum_caught_up_voters", nil, equals(2), fmt.Sprintf("voter %d no longer caught up", voter))
	took := polls() - before
	t.Logf("MEASURED voter %d stopped -> caught_up_voters 2 after %.0f poll(s), %s", voter, took, time.Since(stopped).Round(100*time.Millisecond))
	if took > 2 {
		t.Errorf("caught_up_voters reached 2 after %.0f polls, want within two", took)
	}
	r := map[string]string{"replica": strconv.Itoa(int(voter))}
	e.WaitForValue(t, 2*quorumPoll, "kafka_controller_quorum_voter_lag_records", r, func(v float64) bool { return v > 0 }, "the stopped voter lags")
	prom.waitFor(t, 60*time.Second, func() bool { return prom.alert(t, "KafkaControllerQuorumBareMajority", "") != nil },
		"KafkaControllerQuorumBareMajority pending (or firing)")
	t.Logf("MEASURED KafkaControllerQuorumBareMajority active %s after the stop", time.Since(stopped).Round(100*time.Millisecond))

	c.StartNode(t, voter)
	e.WaitForValue(t, 60*time.Second, "kafka_controller_quorum_caught_up_voters", nil, equals(3), "the voter caught up again")
	prom.waitFor(t, 60*time.Second, func() bool { return prom.alert(t, "KafkaControllerQuorumBareMajority", "") == nil },
		"KafkaControllerQuorumBareMajority cleared after the restart")
}
