package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func quorumSnapshot(q *snapshot.Quorum, ok bool) *snapshot.Snapshot {
	return &snapshot.Snapshot{Quorum: q, Collectors: []snapshot.CollectorResult{
		{Name: fetch.CollectorMetadata, Success: true}, {Name: fetch.CollectorControllerQuorum, Success: ok}}}
}

// TestControllerQuorumGolden: voter 3 stopped 30 s ago, so two of three
// voters are caught up.
func TestControllerQuorumGolden(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	s := quorumSnapshot(&snapshot.Quorum{LeaderID: 1, LeaderEpoch: 7, HighWatermark: 300, Voters: []snapshot.QuorumReplica{
		{ID: 1, LogEndOffset: 300, LastFetch: at, LastCaughtUp: at},
		{ID: 2, LogEndOffset: 299, LastFetch: at.Add(-time.Second), LastCaughtUp: at.Add(-time.Second)},
		{ID: 3, LogEndOffset: 250, LastFetch: at.Add(-30 * time.Second), LastCaughtUp: at.Add(-30 * time.Second)},
	}}, true)
	want := `
# HELP kafka_controller_quorum_caught_up_voters Number of controller quorum voters that had the leader's whole metadata log within the last 5 seconds of the leader's clock; at a bare majority one more failure stops elections and ISR changes; KRaft only, absent on ZooKeeper clusters (DescribeQuorum), from the last poll.
# TYPE kafka_controller_quorum_caught_up_voters gauge
kafka_controller_quorum_caught_up_voters 2
# HELP kafka_controller_quorum_leader_epoch Epoch of the controller quorum's leader; it grows with every election; KRaft only, absent on ZooKeeper clusters (DescribeQuorum), from the last poll.
# TYPE kafka_controller_quorum_leader_epoch gauge
kafka_controller_quorum_leader_epoch 7
# HELP kafka_controller_quorum_leader_id Node id of the controller quorum's leader (the active controller), -1 when there is none; KRaft only, absent on ZooKeeper clusters (DescribeQuorum), from the last poll.
# TYPE kafka_controller_quorum_leader_id gauge
kafka_controller_quorum_leader_id 1
# HELP kafka_controller_quorum_voter_last_caught_up_timestamp_seconds Unix time, on the leader's clock, at which the voter last had the leader's whole metadata log; KRaft only, absent on ZooKeeper clusters (DescribeQuorum), from the last poll.
# TYPE kafka_controller_quorum_voter_last_caught_up_timestamp_seconds gauge
kafka_controller_quorum_voter_last_caught_up_timestamp_seconds{replica="1"} 1.7e+09
kafka_controller_quorum_voter_last_caught_up_timestamp_seconds{replica="2"} 1.699999999e+09
kafka_controller_quorum_voter_last_caught_up_timestamp_seconds{replica="3"} 1.69999997e+09
# HELP kafka_controller_quorum_voter_lag_records Records the voter's metadata log ends behind the quorum leader's; KRaft only, absent on ZooKeeper clusters (DescribeQuorum), from the last poll.
# TYPE kafka_controller_quorum_voter_lag_records gauge
kafka_controller_quorum_voter_lag_records{replica="1"} 0
kafka_controller_quorum_voter_lag_records{replica="2"} 1
kafka_controller_quorum_voter_lag_records{replica="3"} 50
# HELP kafka_controller_quorum_voters Number of voters of the KRaft controller quorum; KRaft only, absent on ZooKeeper clusters (DescribeQuorum), from the last poll.
# TYPE kafka_controller_quorum_voters gauge
kafka_controller_quorum_voters 3
`
	c := NewControllerQuorum(judged(func() *snapshot.Snapshot { return s }, risk.DefaultPolicy{}))
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

// TestControllerQuorumAbsent: no series on a ZooKeeper cluster (no quorum
// read), when the step failed, and before the first poll.
func TestControllerQuorumAbsent(t *testing.T) {
	for name, s := range map[string]*snapshot.Snapshot{
		"before the first poll": nil,
		"ZooKeeper cluster":     quorumSnapshot(nil, true),
		"step failed":           quorumSnapshot(&snapshot.Quorum{LeaderID: 1, Voters: []snapshot.QuorumReplica{{ID: 1}}}, false),
	} {
		c := NewControllerQuorum(judged(func() *snapshot.Snapshot { return s }, risk.DefaultPolicy{}))
		if n := testutil.CollectAndCount(c); n != 0 {
			t.Errorf("%s: %d series, want none", name, n)
		}
	}
}
