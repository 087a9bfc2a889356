package risk

// SkipObservation is what two consecutive polls saw of a consumer group on
// one partition, for judging whether its committed offset moved past
// messages that nobody read.
type SkipObservation struct {
	// Prev is the committed offset at the previous poll (or, for a group
	// whose offsets expired, its last committed offset before they did);
	// Cur is the committed offset now.
	Prev, Cur int64
	// PrevLogStart and PrevLatest are the partition's log start and latest
	// offsets at the previous poll.
	PrevLogStart, PrevLatest int64
	// PrevEmpty and CurEmpty say whether the group was known to have no
	// active member at each poll.
	PrevEmpty, CurEmpty bool
	// HadMembership is true for groups that use group membership (a
	// protocol type such as "consumer"); groups that only commit offsets
	// (Flink, Spark, assign()) are always Empty and their commits are their
	// consumption, so they are never judged.
	HadMembership bool
	// Returned is true when the group comes back after Kafka deleted its
	// offsets (expiry), so Prev is the position it lost.
	Returned bool
}

// SkippedMessages counts the messages a group's committed offset skipped
// between two polls: messages that were in the log, after the group's
// position, and that no member could have read. The rules, first match wins:
//
//  1. The offset did not move forward, or the group does not use group
//     membership: 0.
//  2. The group was Empty at both polls (an operator's reset, for example
//     `kafka-consumer-groups --reset-offsets --to-latest`): every message
//     from its old position (or the log start, if retention had passed it)
//     up to the new one.
//  3. The group comes back (it was Empty, or its offsets had expired, at
//     the previous poll) and its old position was gone: its offsets expired,
//     or the position was below the log start (out of range), so
//     auto.offset.reset decided where it starts. Counted: the messages from
//     the old position (or the log start) up to the new one, but no further
//     than the log end of the previous poll; messages produced after that
//     may have been read by the returning consumer, so the count is a lower
//     bound.
//  4. Otherwise (members consume): forward moves are consumption, 0.
//
// Messages below the log start are not counted here: retention deleted them
// (RetentionLoss counts those).
func SkippedMessages(o SkipObservation) int64 {
	if o.Cur <= o.Prev || !o.HadMembership || o.Prev < 0 {
		return 0
	}
	from := max(o.Prev, o.PrevLogStart)
	switch {
	case o.PrevEmpty && o.CurEmpty && !o.Returned:
		return max(o.Cur-from, 0)
	case (o.PrevEmpty || o.Returned) && (o.Returned || o.Prev < o.PrevLogStart):
		return max(min(o.Cur, o.PrevLatest)-from, 0)
	}
	return 0
}

// ExpiredUnread counts the messages a group had not read on a partition when
// Kafka deleted its committed offset: from its last committed offset (or the
// log start, if retention had passed it) to the log end. With
// auto.offset.reset=latest they are skipped when the group comes back; with
// earliest they are read again from the log start.
func ExpiredUnread(lastCommitted, logStart, latest int64) int64 {
	if lastCommitted < 0 {
		return 0
	}
	return max(latest-max(lastCommitted, logStart), 0)
}
