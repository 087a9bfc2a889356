package risk

// Status is a Burrow-style evaluation of a consumer's progress on a
// partition, a topic or a whole group. Statuses are ordered by severity;
// a topic or group takes the worst status of its partitions.
type Status int

// The statuses, least severe first.
const (
	// StatusOK: the consumer keeps up, or is behind but catching up.
	StatusOK Status = iota
	// StatusWarn: the consumer is moving but the lag is growing.
	StatusWarn
	// StatusRewind: the committed offset went backwards (an offset reset
	// or a replay): messages are read again, or were skipped before.
	StatusRewind
	// StatusSkip: the committed offset moved forward past messages no
	// member could have read (SkippedMessages): an offset reset to the log
	// end, or a return after the offsets expired.
	StatusSkip
	// StatusStall: the group has members but its committed offset does not
	// move while messages wait.
	StatusStall
	// StatusStop: the group has no active member and messages wait.
	StatusStop
)

// Statuses lists every status, least severe first.
var Statuses = []Status{StatusOK, StatusWarn, StatusRewind, StatusSkip, StatusStall, StatusStop}

// String is the status label value.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusWarn:
		return "WARN"
	case StatusRewind:
		return "REWIND"
	case StatusSkip:
		return "SKIP"
	case StatusStall:
		return "STALL"
	case StatusStop:
		return "STOP"
	}
	return "UNKNOWN"
}

// Worst returns the more severe of a and b.
func Worst(a, b Status) Status { return max(a, b) }

// Observation is what one poll saw of a group on one partition.
type Observation struct {
	// Committed is the committed offset.
	Committed int64
	// Lag is the lag in messages against the log end of that poll.
	Lag int64
}

// MinStatusWindow is the smallest status window: a trend needs three points.
const MinStatusWindow = 3

// PartitionStatus evaluates a group's progress on one partition from the
// observations of its last polls (oldest first, at most window of them;
// the last is the current poll). Rules, first match wins:
//
//  1. STOP: the group is known to have no active member (Empty) and the
//     current lag is above 0. Unlike Burrow, which judges the lag as of the
//     last commit (so a consumer that stopped while caught up stays OK while
//     messages pile up), the lag is always measured against the current log
//     end, so STOP fires with the first message the stopped group misses.
//  2. REWIND: the committed offset went down between two polls of the window.
//     SKIP: the committed offset skipped messages (SkippedMessages) at a poll
//     of the window (skipped).
//  3. STALL: the window is full, the committed offset is the same in every
//     observation and the lag is above 0 in every one: the group has
//     members but does not progress. (OffsetFetch does not return commit
//     times, so a group re-committing the same offset and one not
//     committing at all look the same: both are stuck.)
//  4. WARN: the window is full, the current lag is above 0, and the lowest
//     lag of the newer half of the window is above the lowest lag of the
//     older half: the lag's floor is rising. Burrow's rule (lag grew at
//     every single commit of the window) almost never holds for real
//     consumers, whose lag is a sawtooth; the rising floor ignores the
//     teeth and catches the trend.
//  5. OK otherwise.
//
// An empty window is OK.
func PartitionStatus(obs []Observation, window int, hasMembers, membersKnown, skipped bool) Status {
	n := len(obs)
	if n == 0 {
		return StatusOK
	}
	window = max(window, MinStatusWindow)
	cur := obs[n-1]
	if membersKnown && !hasMembers && cur.Lag > 0 {
		return StatusStop
	}
	for i := 1; i < n; i++ {
		if obs[i].Committed < obs[i-1].Committed {
			return StatusRewind
		}
	}
	if skipped {
		return StatusSkip
	}
	if n < window {
		return StatusOK
	}
	stalled := true
	for _, o := range obs {
		if o.Committed != obs[0].Committed || o.Lag <= 0 {
			stalled = false
			break
		}
	}
	if stalled {
		return StatusStall
	}
	if cur.Lag > 0 && minLag(obs[n/2:]) > minLag(obs[:n/2]) {
		return StatusWarn
	}
	return StatusOK
}

func minLag(obs []Observation) int64 {
	m := obs[0].Lag
	for _, o := range obs[1:] {
		m = min(m, o.Lag)
	}
	return m
}

// GroupView is what one poll saw of a group's membership, for counting
// rebalances.
type GroupView struct {
	// Generation is the derived generation, -1 when unknown.
	Generation int32
	// MembersKnown is true when the member list is known (the group was
	// described, or its state says it is empty).
	MembersKnown bool
	// Members are the member ids, sorted.
	Members []string
}

// Rebalances counts the rebalances between two polls of a group. When both
// polls know the generation, it is the number of generations in between
// (0 if it went down: the group was deleted and re-created). Otherwise one
// rebalance is counted when the member set changed, since every join or
// leave makes the coordinator rebalance; a rebalance that kept the exact
// member set between two polls without a known generation is missed.
func Rebalances(prev, cur GroupView) int {
	if prev.Generation >= 0 && cur.Generation >= 0 {
		return int(max(cur.Generation-prev.Generation, 0))
	}
	if !prev.MembersKnown || !cur.MembersKnown {
		return 0
	}
	if len(prev.Members) != len(cur.Members) {
		return 1
	}
	for i := range prev.Members {
		if prev.Members[i] != cur.Members[i] {
			return 1
		}
	}
	return 0
}
