package risk

import (
	"reflect"
	"testing"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// logEnds builds a partition led by 1 with replicas 1, 2, 3, high
// watermark hw, and the given replica log ends (-1: unknown, broker did not
// answer; -2: answered with an error; -3: broker down, no entry).
func logEnds(hw int64, ends ...int64) snapshot.Partition {
	p := snapshot.Partition{Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3},
		Offsets: snapshot.Offsets{Known: true, Latest: hw}}
	for i, e := range ends {
		r := snapshot.ReplicaLogEnd{Broker: int32(i + 1)}
		switch {
		case e == -3:
			continue
		case e == -2:
			r.Err = sarama.ErrNotLeaderForPartition
		case e >= 0:
			r.Known, r.LogEnd = true, e
		}
		p.LogEnds = append(p.LogEnds, r)
		if i == 0 && e >= 0 {
			p.Offsets.LogEnd, p.Offsets.LogEndKnown = e, true
		}
	}
	return p
}

func TestPartitionLogEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    snapshot.Partition
		want LogEnds
	}{
		{"all caught up", logEnds(100, 100, 100, 100), LogEnds{Known: true, LeaderLogEnd: 100}},
		{"acks=1 messages on the leader only", logEnds(100, 110, 100, 100), LogEnds{Known: true, LeaderLogEnd: 110, Uncommitted: 10, MaxLag: 10}},
		{"one follower behind", logEnds(90, 110, 90, 110), LogEnds{Known: true, LeaderLogEnd: 110, Uncommitted: 20, MaxLag: 20}},
		{"log end read before the high watermark", logEnds(105, 100, 100, 100), LogEnds{Known: true, LeaderLogEnd: 100}},
		{"follower read after the leader", logEnds(100, 100, 103, 100), LogEnds{Known: true, LeaderLogEnd: 100}},
		{"follower unknown", logEnds(100, 110, -1, 105), LogEnds{Known: true, LeaderLogEnd: 110, Uncommitted: 10, MaxLag: 5}},
		{"follower down", logEnds(100, 110, -3, 100), LogEnds{Known: true, LeaderLogEnd: 110, Uncommitted: 10, MaxLag: 10}},
		{"leader log end unknown", logEnds(100, -1, 90, 90), LogEnds{}},
		{"leader answered an error", logEnds(100, -2, 90, 90), LogEnds{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PartitionLogEnds(&tc.p); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if got, want := PartitionLogEnds(&tc.p).Lagging(), tc.want.Uncommitted > 0 || tc.want.MaxLag > 0; got != want {
				t.Errorf("Lagging = %v, want %v", got, want)
			}
		})
	}
	hwUnknown := logEnds(100, 110, 100, 100)
	hwUnknown.Offsets.Known = false
	if got := PartitionLogEnds(&hwUnknown); got.Known {
		t.Errorf("high watermark unknown: got %+v, want unknown", got)
	}
}

func TestFollowerLag(t *testing.T) {
	p := logEnds(100, 110, 95, -1)
	for _, tc := range []struct {
		name   string
		r      snapshot.ReplicaLogEnd
		lag    int64
		wantOK bool
	}{
		{"leader itself", p.LogEnds[0], 0, false},
		{"follower", p.LogEnds[1], 15, true},
		{"follower unknown", p.LogEnds[2], 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lag, ok := FollowerLag(&p, tc.r)
			if lag != tc.lag || ok != tc.wantOK {
				t.Errorf("got %d, %v; want %d, %v", lag, ok, tc.lag, tc.wantOK)
			}
		})
	}
	offline := logEnds(100, 110, 95, 100)
	offline.Leader = snapshot.NoLeader
	if _, ok := FollowerLag(&offline, offline.LogEnds[1]); ok {
		t.Error("lag known for a partition without a leader")
	}
}

func TestBrokerReplicaLag(t *testing.T) {
	s := &snapshot.Snapshot{
		Brokers: []snapshot.Broker{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}},
		Topics: []snapshot.Topic{{Name: "t", Partitions: []snapshot.Partition{
			logEnds(100, 110, 100, 107), // 2 behind by 10, 3 by 3
			logEnds(50, 50, 40, -2),     // 2 behind by 10; 3 answered an error
			logEnds(10, -1, 0, 0),       // leader unknown: no lag known
		}}},
	}
	want := []BrokerLag{{ID: 1, Lag: 0}, {ID: 2, Lag: 20}, {ID: 3, Lag: 3}, {ID: 4, Lag: 0}}
	if got := BrokerReplicaLag(s); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// Broker 3 did not answer for one follower replica: its sum is left out.
	s.Topics[0].Partitions = append(s.Topics[0].Partitions, logEnds(5, 5, 5, -1))
	want = []BrokerLag{{ID: 1, Lag: 0}, {ID: 2, Lag: 20}, {ID: 4, Lag: 0}}
	if got := BrokerReplicaLag(s); !reflect.DeepEqual(got, want) {
		t.Errorf("broker 3 unreachable: got %+v\nwant %+v", got, want)
	}
}
