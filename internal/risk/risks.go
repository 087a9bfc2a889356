package risk

import "slices"

// The fixed set of topic loss risks, the values of the risk label of
// kafka_topic_loss_risk. docs/risks.md explains each one and its fix.
const (
	// RiskReplicationFactorBelow3: some partition has fewer replicas than
	// the policy's minimum replication factor (default 3).
	RiskReplicationFactorBelow3 = "replication_factor_below_3"
	// RiskMinInsyncReplicasBelow2: min.insync.replicas is below the
	// policy's minimum (default 2): acks=all is acknowledged by one replica.
	RiskMinInsyncReplicasBelow2 = "min_insync_replicas_below_2"
	// RiskNoWriteFaultTolerance: replication factor <= min.insync.replicas,
	// so losing any one replica blocks acks=all writes.
	RiskNoWriteFaultTolerance = "no_write_fault_tolerance"
	// RiskUncleanLeaderElection: unclean.leader.election.enable is true, so
	// an out-of-sync replica may become leader and truncate acked messages.
	RiskUncleanLeaderElection = "unclean_leader_election_enabled"
	// RiskReplicasInOneRack: every replica of some partition (with two or
	// more replicas) sits in one rack while the cluster spans several.
	RiskReplicasInOneRack = "replicas_in_one_rack"
	// RiskNonIdempotentWrites: the topic was written between two producer
	// reads and no partition shows an idempotent producer's write, so its
	// writers are not idempotent (retries may duplicate or reorder, acks
	// may be 0 or 1).
	RiskNonIdempotentWrites = "non_idempotent_writes"
)

// TopicRisks is the fixed set of topic risks, in documentation order.
var TopicRisks = []string{
	RiskReplicationFactorBelow3,
	RiskMinInsyncReplicasBelow2,
	RiskNoWriteFaultTolerance,
	RiskUncleanLeaderElection,
	RiskReplicasInOneRack,
	RiskNonIdempotentWrites,
}

// The fixed set of cluster loss risks, the values of the risk label of
// kafka_cluster_loss_risk.
const (
	// ClusterRiskConsumerOffsetsRF: __consumer_offsets has (or will be
	// created with) fewer replicas than the minimum.
	ClusterRiskConsumerOffsetsRF = "consumer_offsets_replication_factor_below_3"
	// ClusterRiskConsumerOffsetsMinISR: __consumer_offsets has
	// min.insync.replicas below the minimum.
	ClusterRiskConsumerOffsetsMinISR = "consumer_offsets_min_insync_replicas_below_2"
	// ClusterRiskTransactionStateRF: __transaction_state has (or will be
	// created with) fewer replicas than the minimum.
	ClusterRiskTransactionStateRF = "transaction_state_replication_factor_below_3"
	// ClusterRiskTransactionStateMinISR: __transaction_state has (or will be
	// created with) min.insync.replicas below the minimum.
	ClusterRiskTransactionStateMinISR = "transaction_state_min_insync_replicas_below_2"
	// ClusterRiskDefaultReplicationFactor: auto.create.topics.enable is true
	// and default.replication.factor is below the minimum, so a producer's
	// typo creates an under-replicated topic.
	ClusterRiskDefaultReplicationFactor = "default_replication_factor_below_3"
	// ClusterRiskUncleanDefault: a broker's default
	// unclean.leader.election.enable is true.
	ClusterRiskUncleanDefault = "unclean_leader_election_enabled_by_default"
	// ClusterRiskMinISRDefault: a broker's default min.insync.replicas is
	// below the minimum.
	ClusterRiskMinISRDefault = "default_min_insync_replicas_below_2"
	// ClusterRiskBrokersDisagree: live brokers have different values for a
	// default that topics inherit, so a topic's safety depends on which
	// broker leads it.
	ClusterRiskBrokersDisagree = "brokers_disagree_on_defaults"
)

// ClusterRisks is the fixed set of cluster risks, in documentation order.
var ClusterRisks = []string{
	ClusterRiskConsumerOffsetsRF,
	ClusterRiskConsumerOffsetsMinISR,
	ClusterRiskTransactionStateRF,
	ClusterRiskTransactionStateMinISR,
	ClusterRiskDefaultReplicationFactor,
	ClusterRiskUncleanDefault,
	ClusterRiskMinISRDefault,
	ClusterRiskBrokersDisagree,
}

// IsTopicRisk reports whether name is one of TopicRisks.
func IsTopicRisk(name string) bool { return slices.Contains(TopicRisks, name) }

// IsClusterRisk reports whether name is one of ClusterRisks.
func IsClusterRisk(name string) bool { return slices.Contains(ClusterRisks, name) }

// Default thresholds, used when no policy file overrides them.
const (
	DefaultMinReplicationFactor = 3
	DefaultMinInsyncReplicas    = 2
)

// Thresholds are the standard a topic (or the cluster) is judged against,
// from the policy file or the defaults.
type Thresholds struct {
	// MinReplicationFactor: fewer replicas is RiskReplicationFactorBelow3.
	MinReplicationFactor int
	// MinInsyncReplicas: a lower min.insync.replicas is
	// RiskMinInsyncReplicasBelow2.
	MinInsyncReplicas int
	// Ignored are the risks not reported (exempted).
	Ignored map[string]bool
}

// DefaultThresholds are the thresholds without a policy file.
func DefaultThresholds() Thresholds {
	return Thresholds{MinReplicationFactor: DefaultMinReplicationFactor, MinInsyncReplicas: DefaultMinInsyncReplicas}
}

// Policy gives the thresholds of each topic and of the cluster.
type Policy interface {
	// Topic returns the thresholds of the named topic.
	Topic(name string) Thresholds
	// Cluster returns the thresholds of the cluster-wide settings.
	Cluster() Thresholds
}

// DefaultPolicy is the policy without a policy file: the default
// thresholds for every topic and the cluster, nothing exempted.
type DefaultPolicy struct{}

// Topic implements Policy.
func (DefaultPolicy) Topic(string) Thresholds { return DefaultThresholds() }

// Cluster implements Policy.
func (DefaultPolicy) Cluster() Thresholds { return DefaultThresholds() }
