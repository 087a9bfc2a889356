// Package risk judges snapshots: pure functions that say, from what a poll
// saw, how close the cluster is to losing messages. Nothing here does I/O.
package risk

import (
	"slices"
	"sort"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// PartitionHealth is the judged replication state of one partition.
type PartitionHealth struct {
	// Replicas, InSync and OfflineReplicas count the assigned replicas, the
	// in-sync replicas and the replicas Kafka reports offline.
	Replicas, InSync, OfflineReplicas int
	// Offline is true when the partition has no leader, or its leader is not
	// a live broker: it can be neither written nor read.
	Offline bool
	// UnderReplicated is true when fewer replicas are in sync than assigned.
	UnderReplicated bool
	// LeaderIsPreferred is true when the leader is the first assigned replica.
	LeaderIsPreferred bool
}

// Live is the set of live broker ids of a snapshot.
type Live map[int32]bool

// LiveBrokers returns the live broker ids of s.
func LiveBrokers(s *snapshot.Snapshot) Live {
	live := make(Live, len(s.Brokers))
	for _, b := range s.Brokers {
		live[b.ID] = true
	}
	return live
}

// PartitionHealthOf judges one partition's replication state.
func PartitionHealthOf(p *snapshot.Partition, live Live) PartitionHealth {
	h := PartitionHealth{
		Replicas:        len(p.Replicas),
		InSync:          len(p.ISR),
		OfflineReplicas: len(p.OfflineReplicas),
	}
	h.Offline = p.Leader == snapshot.NoLeader || !live[p.Leader]
	h.UnderReplicated = h.InSync < h.Replicas
	h.LeaderIsPreferred = len(p.Replicas) > 0 && p.Leader == p.Replicas[0]
	return h
}

// BrokerHealth is the judged state of one broker.
type BrokerHealth struct {
	ID int32
	// Up is false for a broker that hosts replicas but is missing from the
	// live broker list: it is down.
	Up bool
	// OutOfSyncReplicas counts the partition replicas hosted on the broker
	// that are outside their partition's ISR.
	OutOfSyncReplicas int
}

// Brokers judges every broker the snapshot knows of: the live ones and those
// that only appear in replica lists. The result is sorted by id.
func Brokers(s *snapshot.Snapshot) []BrokerHealth {
	live := LiveBrokers(s)
	byID := map[int32]*BrokerHealth{}
	get := func(id int32) *BrokerHealth {
		b, ok := byID[id]
		if !ok {
			b = &BrokerHealth{ID: id, Up: live[id]}
			byID[id] = b
		}
		return b
	}
	for id := range live {
		get(id)
	}
	for ti := range s.Topics {
		for pi := range s.Topics[ti].Partitions {
			p := &s.Topics[ti].Partitions[pi]
			for _, r := range p.Replicas {
				b := get(r)
				if !slices.Contains(p.ISR, r) {
					b.OutOfSyncReplicas++
				}
			}
		}
	}
	out := make([]BrokerHealth, 0, len(byID))
	for _, b := range byID {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Healthy reports whether a partition is healthy, the test that
// --partition.series=at-risk uses to leave its per-partition series out: it
// has a live leader, every assigned replica is in its ISR, Kafka reports no
// replica offline, Metadata gave no error for it, and its offsets were read.
// A healthy partition is never under-replicated, offline, at or under
// min.insync.replicas because it lost a replica, nor down to a single
// in-sync replica; a fully replicated partition that is at or under
// min.insync.replicas only because of its configuration (replication factor
// <= min.insync.replicas) is healthy here: that is a topic configuration
// finding (kafka_topic_loss_risk), and the per-topic counts still include it.
// The leader being the preferred one is not part of health.
func Healthy(p *snapshot.Partition, h PartitionHealth) bool {
	return !h.Offline && !h.UnderReplicated && h.OfflineReplicas == 0 && p.Err == nil && p.Offsets.Known
}
