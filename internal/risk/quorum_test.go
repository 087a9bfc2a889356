package risk

import (
	"reflect"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestQuorum(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	ago := func(d time.Duration) time.Time { return at.Add(-d) }
	voter := func(id int32, end int64, caughtUp time.Time) snapshot.QuorumReplica {
		return snapshot.QuorumReplica{ID: id, LogEndOffset: end, LastFetch: caughtUp, LastCaughtUp: caughtUp}
	}
	for _, c := range []struct {
		name string
		q    *snapshot.Quorum
		want QuorumState
	}{
		{"no quorum (ZooKeeper)", nil, QuorumState{}},
		{"all caught up", &snapshot.Quorum{LeaderID: 3, HighWatermark: 112, Voters: []snapshot.QuorumReplica{
			voter(1, 112, ago(400*time.Millisecond)), voter(2, 111, ago(450*time.Millisecond)), voter(3, 112, at)}},
			QuorumState{Voters: 3, CaughtUp: 3, Majority: 2, Replicas: []VoterState{
				{ID: 1, LagRecords: 0, LastCaughtUp: ago(400 * time.Millisecond), CaughtUp: true},
				{ID: 2, LagRecords: 1, LastCaughtUp: ago(450 * time.Millisecond), CaughtUp: true},
				{ID: 3, LagRecords: 0, LastCaughtUp: at, CaughtUp: true}}}},
		{"one voter stopped: bare majority", &snapshot.Quorum{LeaderID: 1, HighWatermark: 300, Voters: []snapshot.QuorumReplica{
			voter(1, 300, at), voter(2, 299, ago(time.Second)), voter(3, 250, ago(30*time.Second))}},
			QuorumState{Voters: 3, CaughtUp: 2, Majority: 2, Replicas: []VoterState{
				{ID: 1, LagRecords: 0, LastCaughtUp: at, CaughtUp: true},
				{ID: 2, LagRecords: 1, LastCaughtUp: ago(time.Second), CaughtUp: true},
				{ID: 3, LagRecords: 50, LastCaughtUp: ago(30 * time.Second), CaughtUp: false}}}},
		{"just past the bound", &snapshot.Quorum{LeaderID: 1, Voters: []snapshot.QuorumReplica{
			voter(1, 10, at), voter(2, 9, ago(QuorumCaughtUpWithin+time.Millisecond))}},
			QuorumState{Voters: 2, CaughtUp: 1, Majority: 2, Replicas: []VoterState{
				{ID: 1, LagRecords: 0, LastCaughtUp: at, CaughtUp: true},
				{ID: 2, LagRecords: 1, LastCaughtUp: ago(QuorumCaughtUpWithin + time.Millisecond), CaughtUp: false}}}},
		{"v0 answer without timestamps: log end decides", &snapshot.Quorum{LeaderID: 1, Voters: []snapshot.QuorumReplica{
			{ID: 1, LogEndOffset: 10}, {ID: 2, LogEndOffset: 10}, {ID: 3, LogEndOffset: 4}}},
			QuorumState{Voters: 3, CaughtUp: 2, Majority: 2, Replicas: []VoterState{
				{ID: 1, LagRecords: 0, CaughtUp: true}, {ID: 2, LagRecords: 0, CaughtUp: true}, {ID: 3, LagRecords: 6}}}},
		{"no leader: the latest fetch is the clock", &snapshot.Quorum{LeaderID: -1, HighWatermark: 20, Voters: []snapshot.QuorumReplica{
			voter(1, 18, at), voter(2, 17, ago(10*time.Second))}},
			QuorumState{Voters: 2, CaughtUp: 1, Majority: 2, Replicas: []VoterState{
				{ID: 1, LagRecords: 2, LastCaughtUp: at, CaughtUp: true},
				{ID: 2, LagRecords: 3, LastCaughtUp: ago(10 * time.Second)}}}},
		{"unknown log end", &snapshot.Quorum{LeaderID: 1, HighWatermark: 5, Voters: []snapshot.QuorumReplica{
			voter(1, 5, at), {ID: 2, LogEndOffset: -1}}},
			QuorumState{Voters: 2, CaughtUp: 1, Majority: 2, Replicas: []VoterState{
				{ID: 1, LagRecords: 0, LastCaughtUp: at, CaughtUp: true}, {ID: 2, LagRecords: -1}}}},
	} {
		if got := Quorum(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}
