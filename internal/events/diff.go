// Package events infers what happened between two polls: ISR shrinks and
// expands, leader changes, suspected unclean leader elections and log
// truncation (the offsets that vanished: measured message loss). Diff is a
// pure function of two snapshots; Accumulator keeps the counters across
// polls.
package events

import (
	"slices"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
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
	// outside the previous ISR and not an eligible leader replica, or the
	// leader changed while the high watermark fell: committed messages may
	// have been lost (see suspectedUnclean).
	SuspectedUnclean bool

	// Truncated is how many offsets that were in the log before are gone:
	// the high watermark fell, or the previous leader's log end lay beyond
	// the start of the new leader's epoch (see truncated; offsets that
	// retention had already removed do not count).
	Truncated int64
	// PrevLatest and Latest are the offsets compared when Truncated > 0:
	// the high watermarks before and after, or the previous leader's log
	// end and the start of the new leader's epoch.
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
	c.LeaderChanged = risk.LeaderChanged(prev, cur)

	c.Truncated, c.PrevLatest, c.Latest = truncated(prev, cur, c.LeaderChanged)
	if c.LeaderChanged {
		c.SuspectedUnclean = suspectedUnclean(prev, cur)
	}
	return c
}

// truncated returns how many offsets that were in the log before are gone,
// and the offsets before and after it compared. Two views are compared and
// the larger loss counts:
//   - the high watermark fell: offsets consumers could read are gone;
//   - after an election, the previous leader's log end at the last poll
//     lies beyond where the new leader's epoch began (cur.EpochStart): the
//     messages the old leader held that the new one never got are
//     truncated, committed or not. This counts the acks=0/1 messages above
//     the high watermark that the first view misses. Messages written
//     between the last poll and the failure stay uncounted (a lower bound).
//
// Offsets below the previous log start were already gone (retention,
// DeleteRecords) and do not count.
func truncated(prev, cur *snapshot.Partition, leaderChanged bool) (lost, before, after int64) {
	po, co := &prev.Offsets, &cur.Offsets
	if po.Known && co.Known && co.Latest < po.Latest {
		lost, before, after = max(0, po.Latest-max(co.Latest, po.Oldest)), po.Latest, co.Latest
	}
	if leaderChanged && po.LogEndKnown && cur.EpochStart.Known && cur.EpochStart.Offset < po.LogEnd {
		if l := po.LogEnd - max(cur.EpochStart.Offset, po.Oldest); l > lost {
			lost, before, after = l, po.LogEnd, cur.EpochStart.Offset
		}
	}
	return lost, before, after
}

// suspectedUnclean judges an election (cur's leader differs from prev's).
// A replica assigned before but outside the ISR can only lead after an
// unclean election, unless it was an eligible leader replica (KIP-966: it
// holds every committed message; Kafka 4.x elects from the ELR when the ISR
// is empty, for example when the only replica of an RF-1 partition
// restarts) or, with ISR and ELR both empty, one of the last known eligible
// replicas. Without the ELR (brokers before 3.7, or ELR not read) only the
// ISR decides. Nor is an election suspected whose new leader's log, where
// its epoch began, reaches the high watermark of the last poll: it held
// every message committed then (a restarted replica that caught up, joined
// the ISR and was elected between two polls). A replica newly assigned
// (reassignment) can join the ISR and lead between two polls, so only the
// high watermark can tell for it: a high watermark that fell is suspected
// whoever leads.
func suspectedUnclean(prev, cur *snapshot.Partition) bool {
	outsideISR := slices.Contains(prev.Replicas, cur.Leader) && !slices.Contains(prev.ISR, cur.Leader)
	eligible := prev.ELR.Known && (slices.Contains(prev.ELR.Eligible, cur.Leader) ||
		(len(prev.ISR) == 0 && len(prev.ELR.Eligible) == 0 && slices.Contains(prev.ELR.LastKnown, cur.Leader)))
	// The new leader's log at its election held every message committed
	// at the last poll: it caught up (and joined the ISR) between two
	// polls, or came back with its whole log.
	heldCommitted := prev.Offsets.Known && cur.EpochStart.Known && cur.EpochStart.Offset >= prev.Offsets.Latest
	hwFell := prev.Offsets.Known && cur.Offsets.Known && cur.Offsets.Latest < prev.Offsets.Latest
	return (outsideISR && !eligible && !heldCommitted) || hwFell
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
