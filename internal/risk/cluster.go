package risk

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Kafka's internal topics whose loss loses committed offsets or
// transactions.
const (
	ConsumerOffsetsTopic  = "__consumer_offsets"
	TransactionStateTopic = "__transaction_state"
)

// BrokerDefaults are the defaults one broker gives to the topics it leads
// and creates.
type BrokerDefaults struct {
	ID int32
	// Known is false when the broker's configuration could not be read;
	// Err then names why.
	Known bool
	Err   string
	// MinInsyncReplicas is the default min.insync.replicas.
	MinInsyncReplicas int
	// UncleanLeaderElection is the default unclean.leader.election.enable.
	UncleanLeaderElection bool
	// DefaultReplicationFactor is default.replication.factor.
	DefaultReplicationFactor int
	// AutoCreateTopics is auto.create.topics.enable.
	AutoCreateTopics bool
	// OffsetsTopicReplicationFactor, TransactionStateReplicationFactor and
	// TransactionStateMinISR are what the internal topics are created with.
	OffsetsTopicReplicationFactor     int
	TransactionStateReplicationFactor int
	TransactionStateMinISR            int
}

// disagreement are the broker defaults that must be equal on every broker.
func (b BrokerDefaults) disagreement() [4]int64 {
	return [4]int64{int64(b.MinInsyncReplicas), b2i(b.UncleanLeaderElection), int64(b.DefaultReplicationFactor), b2i(b.AutoCreateTopics)}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// AllBrokerDefaults returns every broker's defaults, sorted by broker id (nil
// when the configuration was never read).
func AllBrokerDefaults(c *snapshot.Configs) []BrokerDefaults {
	if c == nil {
		return nil
	}
	out := make([]BrokerDefaults, 0, len(c.Brokers))
	for _, id := range sortedIDs(c.Brokers) {
		out = append(out, ResolveBrokerDefaults(id, c.Brokers[id]))
	}
	return out
}

// ResolveBrokerDefaults reads one broker's defaults; a missing entry takes
// Kafka's built-in default (a missing unclean.leader.election.enable is
// false).
func ResolveBrokerDefaults(id int32, rc snapshot.ResourceConfig) BrokerDefaults {
	b := BrokerDefaults{ID: id}
	if rc.Err != "" {
		b.Err = rc.Err
		return b
	}
	get := func(name string) string {
		if v, ok := rc.Get(name); ok {
			return v.Value
		}
		return kafkaDefaults[name]
	}
	b.Known = true
	b.MinInsyncReplicas = int(parseInt(get("min.insync.replicas"), 1))
	b.UncleanLeaderElection = parseBool(get("unclean.leader.election.enable"))
	b.DefaultReplicationFactor = int(parseInt(get("default.replication.factor"), 1))
	b.AutoCreateTopics = parseBool(get("auto.create.topics.enable"))
	b.OffsetsTopicReplicationFactor = int(parseInt(get("offsets.topic.replication.factor"), 3))
	b.TransactionStateReplicationFactor = int(parseInt(get("transaction.state.log.replication.factor"), 3))
	b.TransactionStateMinISR = int(parseInt(get("transaction.state.log.min.isr"), 2))
	return b
}

// internalTopic is what is known of an internal topic's replication factor
// and min.insync.replicas (0 when unknown).
type internalTopic struct{ rf, minISR int }

// internalTopicSettings judges an internal topic from the topic itself when
// it exists, else from the broker settings it will be created with.
func internalTopicSettings(s *snapshot.Snapshot, name string, brokers []BrokerDefaults, rfOf, minISROf func(BrokerDefaults) int) internalTopic {
	var it internalTopic
	if t := s.Topic(name); t != nil && len(t.Partitions) > 0 {
		it.rf = ReplicationFactor(t)
		if cfg := EffectiveTopicConfig(t, s.Configs); cfg.Known {
			it.minISR = cfg.MinInsyncReplicas
		}
		return it
	}
	// Not created yet (or filtered out): the lowest value any broker would
	// create it with.
	for _, b := range brokers {
		if !b.Known {
			continue
		}
		if v := rfOf(b); it.rf == 0 || v < it.rf {
			it.rf = v
		}
		if v := minISROf(b); it.minISR == 0 || v < it.minISR {
			it.minISR = v
		}
	}
	return it
}

// ClusterFindings returns the cluster-wide loss risks, in ClusterRisks
// order, under the thresholds th. Ignored risks are left out.
func ClusterFindings(s *snapshot.Snapshot, th Thresholds) []string {
	brokers := AllBrokerDefaults(s.Configs)
	var out []string
	add := func(risk string, cond bool) {
		if cond && !th.Ignored[risk] {
			out = append(out, risk)
		}
	}
	offsets := internalTopicSettings(s, ConsumerOffsetsTopic, brokers,
		func(b BrokerDefaults) int { return b.OffsetsTopicReplicationFactor },
		func(b BrokerDefaults) int { return b.MinInsyncReplicas })
	txn := internalTopicSettings(s, TransactionStateTopic, brokers,
		func(b BrokerDefaults) int { return b.TransactionStateReplicationFactor },
		func(b BrokerDefaults) int { return b.TransactionStateMinISR })
	add(ClusterRiskConsumerOffsetsRF, offsets.rf > 0 && offsets.rf < th.MinReplicationFactor)
	add(ClusterRiskConsumerOffsetsMinISR, offsets.minISR > 0 && offsets.minISR < th.MinInsyncReplicas)
	add(ClusterRiskTransactionStateRF, txn.rf > 0 && txn.rf < th.MinReplicationFactor)
	add(ClusterRiskTransactionStateMinISR, txn.minISR > 0 && txn.minISR < th.MinInsyncReplicas)

	var autoCreateLowRF, unclean, lowMinISR, disagree bool
	var first *BrokerDefaults
	for i := range brokers {
		b := &brokers[i]
		if !b.Known {
			continue
		}
		autoCreateLowRF = autoCreateLowRF || (b.AutoCreateTopics && b.DefaultReplicationFactor < th.MinReplicationFactor)
		unclean = unclean || b.UncleanLeaderElection
		lowMinISR = lowMinISR || b.MinInsyncReplicas < th.MinInsyncReplicas
		if first == nil {
			first = b
		} else if b.disagreement() != first.disagreement() {
			disagree = true
		}
	}
	add(ClusterRiskDefaultReplicationFactor, autoCreateLowRF)
	add(ClusterRiskUncleanDefault, unclean)
	add(ClusterRiskMinISRDefault, lowMinISR)
	add(ClusterRiskBrokersDisagree, disagree)
	return out
}
