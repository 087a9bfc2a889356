package risk

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"

// NeedsELR reports whether a partition's eligible leader replicas (KIP-966)
// are worth reading this poll: its ISR is empty, it is under minISR (0 when
// the topic's min.insync.replicas is unknown), or its leader changed since
// the previous poll. Only then can the ELR be non-empty or decide whether an
// election was clean; reading it for every partition every poll would cost
// the whole cluster's metadata.
func NeedsELR(p *snapshot.Partition, minISR int, leaderChanged bool) bool {
	return len(p.ISR) == 0 || len(p.ISR) < minISR || leaderChanged
}

// LeaderChanged reports whether cur has a leader and its id or leader epoch
// differs from prev: an election happened between the two polls.
func LeaderChanged(prev, cur *snapshot.Partition) bool {
	if cur.Leader == snapshot.NoLeader {
		return false
	}
	epochChanged := prev.LeaderEpoch >= 0 && cur.LeaderEpoch >= 0 && prev.LeaderEpoch != cur.LeaderEpoch
	return cur.Leader != prev.Leader || epochChanged
}
