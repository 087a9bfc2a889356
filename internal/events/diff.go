// Package events infers what happened between two polls: ISR shrinks and
// expands, leader changes, suspected unclean leader elections and log
// truncation (the offsets that vanished: measured message loss). Diff is a
// pure function of two snapshots; Accumulator keeps the counters across
// polls.
package events

import (
	"slices"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// PartitionChange is what happened to one partition between two polls.
type PartitionChange struct {
	Topic     string
	Partition int32

	// RemovedFromISR and AddedToISR are the broker ids that left and joined
	// the ISR. A non-empty RemovedFromISR is one ISR shrink, a non-empty
	// AddedToISR one ISR expand (both can happen between two polls).
	RemovedFromISR, AddedToISR []int32

	// LeaderChanged is true when the partition has a leader now and its id
	// or its leader epoch differs from before (an election happened).
	LeaderChanged bool
	// PrevLeader, Leader, PrevLeaderEpoch and LeaderEpoch describe the
	// leadership before and after, for logging.
	PrevLeader, Leader           int32
	PrevLeaderEpoch, LeaderEpoch int32

	// SuspectedUnclean is true when the new leader was an assigned replica
	// outside the previous ISR, or the leader changed while the high
	// watermark fell: committed messages may have been lost.
	SuspectedUnclean bool

	// Truncated is how many offsets that consumers could read before are
	// gone: the high watermark fell below its previous value (not counting
	// offsets that retention had already removed).
	Truncated int64
	// PrevLatest and Latest are the high watermarks before and after when
	// Truncated > 0.
	PrevLatest, Latest int64
}

// ISRShrunk reports whether a replica left the ISR.
func (c PartitionChange) ISRShrunk() bool { return len(c.RemovedFromISR) > 0 }

// ISRExpanded reports whether a replica joined the ISR.
func (c PartitionChange) ISRExpanded() bool { return len(c.AddedToISR) > 0 }

// ISRChanged reports whether the ISR changed.
func (c PartitionChange) ISRChanged() bool { return c.ISRShrunk() || c.ISRExpanded() }

func (c PartitionChange) any() bool {
	return c.ISRChanged() || c.LeaderChanged || c.SuspectedUnclean || c.Truncated > 0
}

// Diff compares two snapshots of the cluster and returns the partitions
// where something happened, in topic and partition order. Partitions and
// topics seen for the first time, and topics that were deleted and
// re-created under the same name (see SameTopic), yield nothing: there is no
// earlier state to compare with. A partition whose leader epoch went
// backwards yields nothing either: its metadata came from a broker that had
// not caught up yet. Offsets are compared only when both snapshots know them.
//
// A nil prev or cur yields nothing.
func Diff(prev, cur *snapshot.Snapshot) []PartitionChange {
	if prev == nil || cur == nil {
		return nil
	}
	var out []PartitionChange
	for ti := range cur.Topics {
		t := &cur.Topics[ti]
		pt := prev.Topic(t.Name)
		if pt == nil || !SameTopic(pt, t) {
			continue
		}
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			pp := pt.Partition(p.ID)
			if pp == nil || StaleMetadata(pp, p) {
				continue
			}
			if c := diffPartition(t.Name, pp, p); c.any() {
				out = append(out, c)
			}
		}
	}
	return out
}

// SameTopic reports whether cur is the same topic as prev rather than a
// topic deleted and re-created under the same name. When both carry a topic
// id the ids decide; without ids a changed partition count means re-created
// (Kafka can add partitions, but then the id tells, on any broker that gives
// ids).
func SameTopic(prev, cur *snapshot.Topic) bool {
	var zero [16]byte
	if prev.ID != zero && cur.ID != zero {
		return prev.ID == cur.ID
	}
	return len(prev.Partitions) == len(cur.Partitions)
}

// StaleMetadata reports whether cur is older than prev: its leader epoch is
// lower. Metadata answered by a broker that lags the controller looks so.
func StaleMetadata(prev, cur *snapshot.Partition) bool {
	return prev.LeaderEpoch >= 0 && cur.LeaderEpoch >= 0 && cur.LeaderEpoch < prev.LeaderEpoch
}

func diffPartition(topic string, prev, cur *snapshot.Partition) PartitionChange {
	c := PartitionChange{
		Topic:           topic,
		Partition:       cur.ID,
		RemovedFromISR:  minus(prev.ISR, cur.ISR),
		AddedToISR:      minus(cur.ISR, prev.ISR),
		PrevLeader:      prev.Leader,
		Leader:          cur.Leader,
		PrevLeaderEpoch: prev.LeaderEpoch,
		LeaderEpoch:     cur.LeaderEpoch,
	}
	epochChanged := prev.LeaderEpoch >= 0 && cur.LeaderEpoch >= 0 && prev.LeaderEpoch != cur.LeaderEpoch
	c.LeaderChanged = cur.Leader != snapshot.NoLeader && (cur.Leader != prev.Leader || epochChanged)

	if prev.Offsets.Known && cur.Offsets.Known && cur.Offsets.Latest < prev.Offsets.Latest {
		// Offsets below the previous log start were already gone (retention,
		// DeleteRecords); only those consumers could still read are lost.
		c.Truncated = prev.Offsets.Latest - max(cur.Offsets.Latest, prev.Offsets.Oldest)
		if c.Truncated < 0 {
			c.Truncated = 0
		}
		c.PrevLatest, c.Latest = prev.Offsets.Latest, cur.Offsets.Latest
	}

	if c.LeaderChanged {
		// A replica assigned before but outside the ISR can only lead after
		// an unclean election. A replica newly assigned (reassignment) can
		// join the ISR and lead between two polls, so only the high
		// watermark can tell for it.
		outsideISR := slices.Contains(prev.Replicas, cur.Leader) && !slices.Contains(prev.ISR, cur.Leader)
		hwFell := prev.Offsets.Known && cur.Offsets.Known && cur.Offsets.Latest < prev.Offsets.Latest
		c.SuspectedUnclean = outsideISR || hwFell
	}
	return c
}

// minus returns the ids in a that are not in b, in a's order.
func minus(a, b []int32) []int32 {
	var out []int32
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}
