package snapshot

import "time"

// Quorum is the KRaft controller quorum as DescribeQuorum describes the
// metadata log (__cluster_metadata partition 0).
type Quorum struct {
	// LeaderID is the active controller, -1 while there is none.
	LeaderID int32
	// LeaderEpoch is the quorum's epoch; it moves with each election.
	LeaderEpoch int32
	// HighWatermark is the metadata log's committed offset.
	HighWatermark int64
	// Voters are the voting controllers, sorted by ID.
	Voters []QuorumReplica
}

// QuorumReplica is one controller's replication state as the leader sees it.
type QuorumReplica struct {
	ID int32
	// LogEndOffset is the replica's log end offset, -1 when unknown.
	LogEndOffset int64
	// LastFetch is when the leader last got a fetch from the replica, and
	// LastCaughtUp when the replica last had the leader's whole log, on the
	// leader's clock; zero when unknown (DescribeQuorum v0). For the leader
	// itself both are the leader's time of the answer.
	LastFetch, LastCaughtUp time.Time
}
