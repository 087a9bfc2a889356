package risk

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"

// MinISRState is a partition's in-sync replica count judged against its
// topic's min.insync.replicas.
//
// The configured min.insync.replicas is used as it is. Since KIP-966 (Kafka
// 3.7+) the broker caps it at the replication factor, min(minISR, RF), both
// for its own UnderMinIsr/AtMinIsr metrics and for rejecting acks=all
// writes: a partition whose replication factor is below min.insync.replicas
// then takes acks=all writes that fewer replicas hold than the topic
// demands, and the broker's metrics call it healthy (older brokers reject
// every acks=all write to it instead). The exporter does not hide that
// case: such a partition is reported under its minimum, and the
// configuration risk RiskNoWriteFaultTolerance names the cause.
// EffectiveMinISR is kept for reference.
type MinISRState struct {
	// MinISR is the configured min.insync.replicas.
	MinISR int
	// EffectiveMinISR is min(MinISR, replication factor), what KIP-966
	// brokers use for their own metrics.
	EffectiveMinISR int
	// UnderMinISR: fewer replicas in sync than MinISR. Producers with
	// acks=all get NOT_ENOUGH_REPLICAS.
	UnderMinISR bool
	// AtMinISR: exactly MinISR replicas in sync; one more failure stops
	// acks=all writes.
	AtMinISR bool
}

// PartitionMinISR judges one partition against min.insync.replicas.
func PartitionMinISR(p *snapshot.Partition, minISR int) MinISRState {
	isr, rf := len(p.ISR), len(p.Replicas)
	st := MinISRState{MinISR: minISR, EffectiveMinISR: min(minISR, rf)}
	st.UnderMinISR = isr < minISR
	st.AtMinISR = isr == minISR
	return st
}

// SingleInSyncReplica reports whether the partition has replicas to spare
// (replication factor above 1) but only one of them is in sync: the next
// disk failure loses its acknowledged messages for good.
func SingleInSyncReplica(p *snapshot.Partition) bool {
	return len(p.Replicas) > 1 && len(p.ISR) == 1
}
