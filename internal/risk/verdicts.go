package risk

import (
	"slices"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Verdicts is everything the judge concluded from one snapshot under one
// policy. Judge builds it once per poll; it is never changed afterwards, so
// every collector and every scrape reads the same conclusions without
// judging again. There is one field per concern: a new signal adds its own
// field (and its judging function) here, and Judge fills it.
type Verdicts struct {
	// Snapshot is the snapshot judged (never nil).
	Snapshot *snapshot.Snapshot
	// Degraded is true when any partition is under-replicated or offline
	// (see Degraded).
	Degraded bool
	// Brokers is the health of every broker the snapshot knows of, sorted
	// by id (see Brokers).
	Brokers []BrokerHealth
	// BrokerLag is the follower lag of every live broker that answered,
	// sorted by id (see BrokerReplicaLag).
	BrokerLag []BrokerLag
	// Topics are the topics' verdicts, index-aligned with Snapshot.Topics.
	Topics []TopicVerdict
	// Cluster is the cluster-wide configuration verdict; nil when the
	// configuration was never read.
	Cluster *ClusterVerdict
	// Quorum is the KRaft controller quorum's verdict; nil when the quorum
	// was not read (ZooKeeper clusters, or the step failed).
	Quorum *QuorumState
	// StableLags are the consumer groups' lags to the last stable offset,
	// in the order of the snapshot's groups and their offsets; empty when
	// the producer side was never read.
	StableLags []GroupStableLag
}

// TopicVerdict is what the judge concluded about one topic.
type TopicVerdict struct {
	// Config is the topic's effective configuration.
	Config TopicConfig
	// Partitions are the partitions' verdicts, index-aligned with the
	// topic's snapshot partitions.
	Partitions []PartitionVerdict
	// UnderReplicated, Offline, UnderMinISR, AtMinISR, SingleInSync and
	// LeaderUnresponsive count the topic's partitions in each state (the
	// min-ISR counts only when Config.Known).
	UnderReplicated, Offline, UnderMinISR, AtMinISR, SingleInSync, LeaderUnresponsive int
	// Uncommitted is the sum of the partitions' uncommitted messages, over
	// those whose log ends are known; UncommittedKnown is false when none is.
	Uncommitted      int64
	UncommittedKnown bool
	// Reassigning counts the partitions being reassigned.
	Reassigning int
	// Findings are the topic's loss risks in TopicRisks order: its
	// configuration and placement (TopicFindings), then its producers
	// (ProducerFindings).
	Findings []string
	// Score is the topic's 0-100 loss-risk score.
	Score int
	// Thresholds are the policy's thresholds the topic was judged under.
	Thresholds Thresholds
	// Producers is the topic's producer side; nil when the producer side
	// was never read.
	Producers *TopicProducers
}

// PartitionVerdict is what the judge concluded about one partition.
type PartitionVerdict struct {
	// Health is the partition's replication health.
	Health PartitionHealth
	// MinISR is the partition judged against its topic's
	// min.insync.replicas; zero when the topic's configuration is unknown.
	MinISR MinISRState
	// SingleInSync: more than one replica, only one in sync.
	SingleInSync bool
	// LeaderUnresponsive: the partition's leader is a broker that let the
	// exporter's requests time out (hung, not down): writes to it stall.
	LeaderUnresponsive bool
	// Healthy is the at-risk series test (see Healthy).
	Healthy bool
	// LogEnds is the partition judged from its replicas' log ends.
	LogEnds LogEnds
}

// ClusterVerdict is the cluster-wide configuration verdict.
type ClusterVerdict struct {
	// Findings are the cluster loss risks found (see ClusterFindings).
	Findings []string
	// BrokerDefaults are every broker's defaults, sorted by id.
	BrokerDefaults []BrokerDefaults
}

// Found reports whether the cluster risk r was found.
func (c *ClusterVerdict) Found(r string) bool {
	return slices.Contains(c.Findings, r)
}
