package risk

import (
	"sort"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// LogEnds is a partition judged from its replicas' log end offsets.
type LogEnds struct {
	// Known is true when the leader's log end offset and the high watermark
	// were both read; the other fields are zero otherwise.
	Known bool
	// LeaderLogEnd is the leader's log end offset.
	LeaderLogEnd int64
	// Uncommitted is the leader's log end minus the high watermark: the
	// messages written but not yet on every in-sync replica. Those that
	// were acknowledged with acks=0 or acks=1 are lost if the leader fails
	// now. Never below 0 (the two offsets are read an instant apart).
	Uncommitted int64
	// MaxLag is the largest lag of a follower whose log end was read.
	MaxLag int64
}

// Lagging reports whether anything is on the leader that is not yet on
// every replica: --partition.series=at-risk renders the partition's
// log-end series then.
func (l LogEnds) Lagging() bool { return l.Uncommitted > 0 || l.MaxLag > 0 }

// PartitionLogEnds judges one partition's log ends.
func PartitionLogEnds(p *snapshot.Partition) LogEnds {
	if !p.Offsets.Known || !p.Offsets.LogEndKnown {
		return LogEnds{}
	}
	l := LogEnds{Known: true, LeaderLogEnd: p.Offsets.LogEnd, Uncommitted: max(0, p.Offsets.LogEnd-p.Offsets.Latest)}
	for _, r := range p.LogEnds {
		if lag, ok := FollowerLag(p, r); ok {
			l.MaxLag = max(l.MaxLag, lag)
		}
	}
	return l
}

// FollowerLag is how many messages the follower replica r is behind its
// leader: the leader's log end minus the follower's, never below 0. It is
// not known (false) for the leader itself, or when either log end was not
// read.
func FollowerLag(p *snapshot.Partition, r snapshot.ReplicaLogEnd) (int64, bool) {
	if r.Broker == p.Leader || !r.Known || !p.Offsets.LogEndKnown || p.Leader == snapshot.NoLeader {
		return 0, false
	}
	return max(0, p.Offsets.LogEnd-r.LogEnd), true
}

// BrokerLag is the replica lag of one broker.
type BrokerLag struct {
	ID int32
	// Lag is the sum of FollowerLag over the follower replicas the broker
	// hosts: how many messages it is behind in all.
	Lag int64
}

// BrokerReplicaLag sums the follower lag per live broker, sorted by id. A
// broker is left out when the log end of a follower replica it hosts could
// not be read because the broker did not answer (a partial sum would pass
// for a small lag); replicas that answered with a Kafka error (a replica
// still being created, a failed log directory) and replicas of partitions
// whose leader's log end is unknown are left out of the sum. A live broker
// that hosts no follower replica has lag 0.
func BrokerReplicaLag(s *snapshot.Snapshot) []BrokerLag {
	lag := make(map[int32]int64, len(s.Brokers))
	unknown := map[int32]bool{}
	for _, b := range s.Brokers {
		lag[b.ID] = 0
	}
	for ti := range s.Topics {
		for pi := range s.Topics[ti].Partitions {
			p := &s.Topics[ti].Partitions[pi]
			for _, r := range p.LogEnds {
				if r.Broker == p.Leader {
					continue
				}
				if !r.Known && r.Err == sarama.ErrNoError {
					unknown[r.Broker] = true
					continue
				}
				if l, ok := FollowerLag(p, r); ok {
					lag[r.Broker] += l
				}
			}
		}
	}
	out := make([]BrokerLag, 0, len(lag))
	for id, l := range lag {
		if !unknown[id] {
			out = append(out, BrokerLag{ID: id, Lag: l})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
