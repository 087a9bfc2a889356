package snapshot

import "time"

// NoGeneration is Group.Generation when the group's generation is unknown.
const NoGeneration int32 = -1

// Group is one consumer group as the consumer-groups step read it.
type Group struct {
	Name string
	// Coordinator is the broker that coordinates the group (the broker whose
	// ListGroups answer listed it).
	Coordinator int32
	// ProtocolType is "consumer" for Kafka consumers, "" for groups that
	// only commit offsets (no group membership), "connect" for Connect.
	ProtocolType string
	// Type is the group type from ListGroups v5+ ("classic", "consumer",
	// "streams"); "" when the broker does not say.
	Type string
	// State is the group state (Stable, Empty, PreparingRebalance,
	// CompletingRebalance, Dead, or for KIP-848 groups Assigning,
	// Reconciling); "" when unknown.
	State string
	// Described is true when DescribeGroups answered for the group, so
	// Members is authoritative. Empty groups are not described (they have
	// no members by definition) and have Described false.
	Described bool
	// Members are the group's members, sorted by ID.
	Members []Member
	// Generation is the group's generation derived from the members'
	// subscriptions: one more than the highest generation a member says it
	// held when it last joined (KIP-792); NoGeneration when no member says.
	Generation int32
	// Offsets are the committed offsets, sorted by topic then partition.
	// A partition without a commit is absent.
	Offsets []CommittedOffset
	// OffsetsKnown is true when OffsetFetch answered for the group.
	OffsetsKnown bool
	// Err is why part of the group could not be read (nil when all was):
	// one error per failed request, each naming its API and wrapping the
	// Kafka error (a sarama.KError) or the transport error.
	Err error
}

// Member is one member of a consumer group.
type Member struct {
	ID         string
	InstanceID string
	ClientID   string
	Host       string
	// Subscribed are the topics the member subscribes to (sorted), from its
	// consumer-protocol metadata; nil when it could not be decoded.
	Subscribed []string
	// Assigned are the partitions assigned to the member, by topic.
	Assigned map[string][]int32
	// SubscriptionGeneration is the generation the member held when it last
	// joined (consumer protocol subscription v2+, KIP-792), -1 when absent.
	SubscriptionGeneration int32
}

// CommittedOffset is a group's committed offset of one partition.
type CommittedOffset struct {
	Topic     string
	Partition int32
	Offset    int64
	// LeaderEpoch is the leader epoch the commit carried, -1 when none.
	LeaderEpoch int32
}

// HasActiveMembers reports whether the group is known to have members: it
// was described and lists at least one, or its state says it is not empty.
func (g *Group) HasActiveMembers() (has, known bool) {
	switch g.State {
	case "Empty", "Dead":
		return false, true
	}
	if g.Described {
		return len(g.Members) > 0, true
	}
	return false, false
}

// RecordRef names one record: the next message a group will read.
type RecordRef struct {
	Topic     string
	Partition int32
	Offset    int64
}

// RecordTime is the timestamp of the first record at or after a RecordRef's
// offset, read by the record-timestamps step (--lag.read-timestamps).
type RecordTime struct {
	RecordRef
	// Found is false when the record could not be read (deleted, too
	// large for the fetch, no timestamp).
	Found bool
	Time  time.Time
	// LogAppendTime is true when the broker stamped the record; otherwise
	// the time is the producer's clock (CreateTime).
	LogAppendTime bool
}
