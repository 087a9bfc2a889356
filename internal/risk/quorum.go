package risk

import (
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// QuorumCaughtUpWithin is how recently a controller must have had the
// leader's whole metadata log to count as caught up, on the leader's clock.
// A healthy follower catches up at every fetch (the log grows by a no-op
// record every 500 ms); 5 s is more than twice Kafka's default
// controller.quorum.fetch.timeout.ms (2 s), after which a follower that
// hears nothing from the leader starts an election.
const QuorumCaughtUpWithin = 5 * time.Second

// QuorumState is the judged state of the controller quorum.
type QuorumState struct {
	// Voters is the number of voting controllers; CaughtUp how many of them
	// are caught up (the leader always is).
	Voters, CaughtUp int
	// Majority is the number of voters an election or a metadata commit
	// needs.
	Majority int
	// Replicas are the voters, sorted by ID.
	Replicas []VoterState
}

// VoterState is one voter's replication state.
type VoterState struct {
	ID int32
	// LagRecords is how many records the voter's log ends behind the
	// leader's (0 for the leader; -1 when unknown).
	LagRecords int64
	// LastCaughtUp is when the leader last saw the voter caught up (zero:
	// unknown).
	LastCaughtUp time.Time
	CaughtUp     bool
}

// Quorum judges the controller quorum: a voter is caught up when its log
// ends where the leader's does, or when the leader saw it caught up within
// QuorumCaughtUpWithin of the leader's time of the answer (the leader's own
// entry carries that time; without it, the latest fetch any voter made).
func Quorum(q *snapshot.Quorum) QuorumState {
	if q == nil {
		return QuorumState{}
	}
	st := QuorumState{Voters: len(q.Voters), Majority: len(q.Voters)/2 + 1}
	leaderEnd := q.HighWatermark
	var now time.Time
	for _, v := range q.Voters {
		if v.ID == q.LeaderID {
			leaderEnd = max(leaderEnd, v.LogEndOffset)
			now = v.LastCaughtUp
		}
	}
	if now.IsZero() {
		for _, v := range q.Voters {
			if v.LastFetch.After(now) {
				now = v.LastFetch
			}
		}
	}
	for _, v := range q.Voters {
		vs := VoterState{ID: v.ID, LagRecords: -1, LastCaughtUp: v.LastCaughtUp}
		if v.LogEndOffset >= 0 && leaderEnd >= 0 {
			vs.LagRecords = max(leaderEnd-v.LogEndOffset, 0)
		}
		switch {
		case v.ID == q.LeaderID && q.LeaderID >= 0:
			vs.CaughtUp = true
		case vs.LagRecords == 0:
			vs.CaughtUp = true
		case !v.LastCaughtUp.IsZero() && !now.IsZero():
			vs.CaughtUp = now.Sub(v.LastCaughtUp) <= QuorumCaughtUpWithin
		}
		if vs.CaughtUp {
			st.CaughtUp++
		}
		st.Replicas = append(st.Replicas, vs)
	}
	return st
}
