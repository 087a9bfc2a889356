package risk

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"

// Degraded reports whether any partition of s is under-replicated or
// offline: the state in which ISR shrinks, leader elections and truncations
// happen, and in which the poller polls at its fast interval so that short
// flaps are not missed. A nil snapshot is not degraded.
func Degraded(s *snapshot.Snapshot) bool {
	if s == nil {
		return false
	}
	live := LiveBrokers(s)
	for ti := range s.Topics {
		for pi := range s.Topics[ti].Partitions {
			h := PartitionHealthOf(&s.Topics[ti].Partitions[pi], live)
			if h.UnderReplicated || h.Offline {
				return true
			}
		}
	}
	return false
}
