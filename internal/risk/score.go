package risk

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"

// Weights of the topic loss-risk score (docs/risks.md, "Risk score"). The
// score adds the weight of each finding to the weight of the topic's worst
// partition state, and caps the sum at 100; an offline partition scores 100
// outright.
var (
	// FindingWeights is the weight of each topic finding.
	FindingWeights = map[string]int{
		RiskReplicationFactorBelow3: 25,
		RiskMinInsyncReplicasBelow2: 20,
		RiskUncleanLeaderElection:   20,
		RiskNoWriteFaultTolerance:   10,
		RiskReplicasInOneRack:       10,
		RiskNonIdempotentWrites:     10,
	}
)

// Weights of the worst live partition state.
const (
	WeightOffline         = 100
	WeightUnderMinISR     = 40
	WeightSingleInSync    = 30
	WeightAtMinISR        = 20
	WeightUnderReplicated = 10
)

// PartitionStateWeight is the score weight of one partition's live state:
// the heaviest state that applies. minISR is the topic's
// min.insync.replicas, 0 when unknown (then the min-ISR states are not
// judged).
func PartitionStateWeight(p *snapshot.Partition, live Live, minISR int) int {
	pv := PartitionVerdict{Health: PartitionHealthOf(p, live), SingleInSync: SingleInSyncReplica(p)}
	if minISR > 0 {
		pv.MinISR = PartitionMinISR(p, minISR)
	}
	return stateWeight(pv, minISR)
}

// stateWeight is PartitionStateWeight of a judged partition.
func stateWeight(pv PartitionVerdict, minISR int) int {
	h := pv.Health
	switch {
	case h.Offline:
		return WeightOffline
	case minISR > 0 && pv.MinISR.UnderMinISR:
		return WeightUnderMinISR
	case pv.SingleInSync:
		return WeightSingleInSync
	case minISR > 0 && pv.MinISR.AtMinISR && h.UnderReplicated:
		return WeightAtMinISR
	case h.UnderReplicated:
		return WeightUnderReplicated
	}
	return 0
}

// Score is a topic's 0-100 loss-risk score: 0 is a topic that meets the
// policy and whose partitions are all healthy, 100 one that is losing or
// has lost availability now (an offline partition). It adds the weights of
// the findings (FindingWeights) to the weight of the worst partition state
// (PartitionStateWeight) and caps the sum at 100.
func Score(t *snapshot.Topic, findings []string, live Live, minISR int) int {
	worst := 0
	for i := range t.Partitions {
		worst = max(worst, PartitionStateWeight(&t.Partitions[i], live, minISR))
	}
	return scoreOf(worst, findings)
}

// scoreOf is the score of a topic whose worst partition weighs worst.
func scoreOf(worst int, findings []string) int {
	if worst >= WeightOffline {
		return 100
	}
	score := worst
	for _, f := range findings {
		score += FindingWeights[f]
	}
	return min(score, 100)
}
