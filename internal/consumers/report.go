// Package consumers keeps the consumer-group state that spans polls (lag
// tables, status windows, loss and rebalance counters) and turns each
// poll's snapshot into an immutable Report for rendering. It does no I/O:
// the poller calls Tracker.Observe with every snapshot.
package consumers

import (
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Report is everything the consumer collector renders for one poll. It is
// never modified after Tracker publishes it.
type Report struct {
	// Snapshot is the poll the report was built from.
	Snapshot *snapshot.Snapshot
	// Groups are sorted by name.
	Groups []Group
	// Gone are the groups whose offsets Kafka deleted (expiry, or an
	// operator's delete) and that did not come back yet, sorted by name:
	// their counters stay exported.
	Gone []GoneGroup
}

// GoneGroup is a vanished group's counters.
type GoneGroup struct {
	Name   string
	Topics []GoneTopic
}

// GoneTopic is a vanished group's counters on one topic.
type GoneTopic struct {
	Name                                  string
	ExpiredUnread, Skipped, RetentionLost uint64
	// ExpiredUnreadAt and SkippedAt are the polls at which ExpiredUnread
	// and Skipped last grew (zero when they never did).
	ExpiredUnreadAt, SkippedAt time.Time
}

// Group is one consumer group's judged state.
type Group struct {
	Name  string
	State string
	// Members is the number of members; MembersKnown is false when the
	// group could not be described.
	Members      int
	MembersKnown bool
	// Rebalances counts the rebalances seen since the exporter started
	// watching the group.
	Rebalances uint64
	// OffsetsExpiry is the time in seconds left before Kafka deletes the
	// committed offsets of the group, which has no active member
	// (risk.OffsetsExpiry); known only when the exporter saw the clock start.
	OffsetsExpiry      float64
	OffsetsExpiryKnown bool
	// Status is the worst status over the group's partitions; HasStatus is
	// false when the group has no evaluated partition.
	Status    risk.Status
	HasStatus bool
	// Topics are the topics the group committed offsets on, or is
	// subscribed to, sorted by name.
	Topics []Topic
}

// Topic is a group's state on one topic.
type Topic struct {
	Name string
	// HasOffsets is true when the group has a commit on the topic.
	HasOffsets bool
	// CurrentOffsetSum and LagSum add up the committed offsets and the
	// known lags of the topic's partitions.
	CurrentOffsetSum, LagSum int64
	// MaxLagSeconds is the largest lag in seconds; it is known only when
	// every partition with a lag has a lag in seconds.
	MaxLagSeconds      float64
	MaxLagSecondsKnown bool
	// Headroom is the retention headroom in seconds (risk.RetentionHeadroom).
	Headroom      float64
	HeadroomKnown bool
	// RetentionLost counts the messages retention deleted before the group
	// read them, since the exporter started.
	RetentionLost uint64
	// ExpiredUnread counts the messages the group had not read when Kafka
	// deleted its committed offsets (risk.ExpiredUnread); Skipped the
	// messages its committed offset moved past unread
	// (risk.SkippedMessages); both since the exporter started.
	ExpiredUnread, Skipped uint64
	// ExpiredUnreadAt and SkippedAt are the polls at which ExpiredUnread
	// and Skipped last grew (zero when they never did), so that a report
	// can tell a recent loss from an old one.
	ExpiredUnreadAt, SkippedAt time.Time
	// Unassigned counts partitions of a subscribed topic assigned to no
	// member of a stable group with members; UnassignedKnown says whether
	// it could be judged.
	Unassigned      int
	UnassignedKnown bool
	Status          risk.Status
	HasStatus       bool
	Partitions      []Partition
}

// Partition is a group's state on one partition it committed on.
type Partition struct {
	ID        int32
	Committed int64
	// Lag is known when the partition's offsets are.
	Lag risk.PartitionLag
	// LagSeconds is known when the lag table reaches back to the group's
	// next message.
	LagSeconds      float64
	LagSecondsKnown bool
	Status          risk.Status
}
