package risk

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// PartitionLag is how far a group is behind on one partition.
type PartitionLag struct {
	// Known is false when the partition's offsets could not be read this
	// poll (or the group has no commit on it): then there is no lag, never
	// a made-up -1.
	Known bool
	// Lag is latest offset minus committed offset, in messages, never
	// negative (a commit beyond the log end is caught up). It includes the
	// BehindLogStart messages that can no longer be read.
	Lag int64
	// BehindLogStart is how many messages retention (or DeleteRecords)
	// removed before the group read them: log start minus committed offset
	// when the commit is below the log start, else 0.
	BehindLogStart int64
	// BeyondLogEnd is true when the commit is above the log end (the log
	// was truncated, or the commit raced the ListOffsets answer).
	BeyondLogEnd bool
}

// Lag judges a committed offset against the partition's offsets. A negative
// committed offset means "no commit" and gives an unknown lag.
func Lag(committed int64, off snapshot.Offsets) PartitionLag {
	if committed < 0 || !off.Known {
		return PartitionLag{}
	}
	l := PartitionLag{Known: true}
	switch {
	case committed > off.Latest:
		l.BeyondLogEnd = true
	default:
		l.Lag = off.Latest - committed
	}
	if committed < off.Oldest {
		l.BehindLogStart = off.Oldest - committed
	}
	return l
}

// RetentionLoss counts the messages a group lost to retention, without
// counting any twice. countedUpTo is the offset up to which loss on this
// partition was already counted (0 at first). When the committed offset is
// below the log start, the messages from max(committed, countedUpTo) up to
// the log start were deleted unread; they are counted once and countedUpTo
// moves to the log start.
func RetentionLoss(committed, logStart, countedUpTo int64) (lost, newCountedUpTo int64) {
	if committed < 0 || committed >= logStart {
		return 0, countedUpTo
	}
	from := max(committed, countedUpTo)
	if logStart <= from {
		return 0, countedUpTo
	}
	return logStart - from, logStart
}

// RetentionHeadroom is how long, in seconds, until retention starts deleting
// messages a group has not read: the topic's retention time minus the
// group's largest lag in seconds on it. It is known only for topics whose
// configuration was read and whose retention deletes by time
// (cleanup.policy includes delete and retention.ms >= 0). A negative value
// means retention is already due to delete unread messages. Size-based
// retention (retention.bytes) is not estimated: the exporter does not read
// partition sizes.
func RetentionHeadroom(cfg TopicConfig, maxLagSeconds float64) (float64, bool) {
	if !cfg.Known || !cfg.DeletesByTime() {
		return 0, false
	}
	return cfg.RetentionSeconds - maxLagSeconds, true
}
