// Package snapshot holds the immutable view of a Kafka cluster that one poll
// builds. The poller publishes a *Snapshot and never changes it afterwards, so
// risk evaluation and rendering may read it from any goroutine without locks.
package snapshot

import (
	"errors"
	"slices"
	"sort"
	"time"
)

// Reasons a partition's offsets or a group's parts are unknown when Kafka
// gave no error code for it.
var (
	// ErrNoLeader: the partition has no leader to ask.
	ErrNoLeader = errors.New("no leader")
	// ErrLeaderUnreachable: the request to the partition's leader failed.
	ErrLeaderUnreachable = errors.New("leader unreachable")
	// ErrMissingFromResponse: the broker answered without the partition or
	// group asked for.
	ErrMissingFromResponse = errors.New("missing from the response")
)

// NoLeader is the leader id Kafka reports for a partition without a leader.
const NoLeader int32 = -1

// Snapshot is what one poll learned about the cluster.
type Snapshot struct {
	// Time is when the poll started.
	Time time.Time
	// Duration is how long the whole poll took.
	Duration time.Duration
	// ClusterID is the cluster id reported by Metadata ("" when unknown).
	ClusterID string
	// ControllerID is the active controller, -1 when unknown.
	ControllerID int32
	// Brokers are the live brokers listed by Metadata, sorted by ID.
	Brokers []Broker
	// Unresponsive are the ids of the brokers that let a request time out
	// and have not answered since, as of the end of the poll, sorted. A
	// broker hung while registered stays listed (and in Brokers) until
	// the controller fences it; it stays here until it answers again.
	Unresponsive []int32
	// Topics are the topics that passed the topic filters, sorted by name.
	Topics []Topic
	// Configs is the topic and broker configuration (nil when it was never
	// read); it may be older than the snapshot, see Configs.Time.
	Configs *Configs
	// Collectors is the outcome of each part of the poll, in poll order.
	Collectors []CollectorResult
	// Groups are the consumer groups that passed the group filters, sorted
	// by name (consumer-groups step).
	Groups []Group
	// ReassignmentsKnown is true when the ongoing reassignments were read
	// (reassignments step); Partition.Reassignment is then authoritative.
	ReassignmentsKnown bool
	// RecordTimes are the record timestamps read for lag in seconds
	// (record-timestamps step, only with --lag.read-timestamps).
	RecordTimes []RecordTime
	// Quorum is the KRaft controller quorum (controller-quorum step); nil
	// when it was not read, and on ZooKeeper clusters, which have none.
	Quorum *Quorum
	// Producers is the producer side (producers step), read every
	// --producers.poll.interval; nil when never read.
	Producers *Producers
}

// Broker is a live broker as listed by Metadata.
type Broker struct {
	ID   int32
	Addr string
	Rack string
}

// Topic is one topic and its partitions.
type Topic struct {
	Name string
	// ID is the topic id (Metadata v10+); zero when the broker gives none.
	ID [16]byte
	// Internal is true for Kafka's own topics such as __consumer_offsets.
	Internal bool
	// Partitions are sorted by ID.
	Partitions []Partition
}

// Partition is the replication state and offsets of one partition.
type Partition struct {
	ID int32
	// Leader is the leader broker id, NoLeader when the partition is offline.
	Leader int32
	// LeaderEpoch is the leader epoch (Metadata v7+), -1 when unknown.
	LeaderEpoch int32
	// Replicas is the assigned replica list; its first entry is the preferred leader.
	Replicas []int32
	// ISR is the in-sync replica set.
	ISR []int32
	// OfflineReplicas are replicas on brokers (or log dirs) that are offline.
	OfflineReplicas []int32
	// Err is the partition-level Kafka error from Metadata (a sarama.KError),
	// nil when none. It is formatted only when rendered or logged.
	Err error
	// Offsets are the partition's log start and end, when they could be read.
	Offsets Offsets
	// LogEnds are the log end offsets of the replicas on live brokers, in
	// Replicas order (replicas on brokers that are down are left out).
	LogEnds []ReplicaLogEnd
	// EpochStart is where the current leader epoch began; read only when
	// the leader changed since the previous poll.
	EpochStart EpochStart
	// ELR are the eligible leader replicas; read only for partitions under
	// min.insync.replicas, with an empty ISR, or whose leader changed.
	ELR ELR
	// Reassignment is the ongoing reassignment; nil when none (or when
	// reassignments could not be read, see Snapshot.ReassignmentsKnown).
	Reassignment *Reassignment
}

// Offsets are a partition's earliest and latest offsets from ListOffsets.
type Offsets struct {
	// Known is false when the offsets could not be read this poll (no
	// leader, leader unreachable, or a Kafka error); Err then says why.
	Known bool
	// Oldest is the log start offset.
	Oldest int64
	// Latest is the log end offset as seen by consumers (the high watermark).
	Latest int64
	// LogEndKnown is true when the leader's own log end offset was read;
	// LogEnd is then that offset (>= Latest but for the instant between the
	// two reads): the messages from Latest to LogEnd are not yet on every
	// in-sync replica.
	LogEndKnown bool
	LogEnd      int64
	// Err is why the offsets are unknown: ErrNoLeader, ErrLeaderUnreachable
	// (wrapping the transport error), ErrMissingFromResponse, or the
	// partition's Kafka error (a sarama.KError).
	Err error
}

// CollectorResult is the outcome of one part of a poll.
type CollectorResult struct {
	Name     string
	Success  bool
	Duration time.Duration
	// Err is the error that made Success false ("" on success). A partial
	// failure (some brokers answered) is still a failure.
	Err string
	// Reason classifies Err into a small bounded set (kafka.Reason: timeout,
	// connection, authentication, authorization, a Kafka error name ...);
	// "" on success and for a collector that did not run.
	Reason string
}

// Collector returns the result of the named collector and whether it ran.
func (s *Snapshot) Collector(name string) (CollectorResult, bool) {
	if s == nil {
		return CollectorResult{}, false
	}
	for _, c := range s.Collectors {
		if c.Name == name {
			return c, true
		}
	}
	return CollectorResult{}, false
}

// Succeeded reports whether the named collector ran and succeeded.
func (s *Snapshot) Succeeded(name string) bool {
	c, ok := s.Collector(name)
	return ok && c.Success
}

// Topic returns the named topic, or nil.
func (s *Snapshot) Topic(name string) *Topic {
	if s == nil {
		return nil
	}
	i := sort.Search(len(s.Topics), func(i int) bool { return s.Topics[i].Name >= name })
	if i < len(s.Topics) && s.Topics[i].Name == name {
		return &s.Topics[i]
	}
	return nil
}

// BrokerUp reports whether the broker id is in the live broker list.
func (s *Snapshot) BrokerUp(id int32) bool {
	for _, b := range s.Brokers {
		if b.ID == id {
			return true
		}
	}
	return false
}

// BrokerResponding reports whether the broker id answered the exporter's
// last requests (it is not in Unresponsive).
func (s *Snapshot) BrokerResponding(id int32) bool { return !slices.Contains(s.Unresponsive, id) }

// Partition returns the topic's partition with the given id, or nil.
func (t *Topic) Partition(id int32) *Partition {
	i := sort.Search(len(t.Partitions), func(i int) bool { return t.Partitions[i].ID >= id })
	if i < len(t.Partitions) && t.Partitions[i].ID == id {
		return &t.Partitions[i]
	}
	return nil
}
