package snapshot

import "github.com/IBM/sarama"

// ReplicaLogEnd is one replica's log end offset, as the broker hosting it
// answered ListOffsets with the debugging replica id (-2): every replica,
// leader or follower, answers with the end of its own log.
type ReplicaLogEnd struct {
	// Broker is the id of the broker hosting the replica.
	Broker int32
	// Known is true when the replica answered with an offset.
	Known bool
	// LogEnd is the replica's log end offset when Known.
	LogEnd int64
	// Stale is true when the replica's broker is live but did not answer
	// this poll (a broker frozen in a long pause, or cut off from the
	// exporter): LogEnd is then its last answer. A frozen replica's log
	// does not move, so its lag behind the leader is still measured.
	Stale bool
	// Err is the Kafka error the replica answered with (ErrNoError when
	// it answered, or when its broker could not be asked at all).
	Err sarama.KError
}

// EpochStart is the offset at which the partition's current leader epoch
// began on the leader's log: the leader's log end when it was elected, read
// with OffsetForLeaderEpoch for the epoch before the current one. What the
// previous leader had beyond it is truncated.
type EpochStart struct {
	// Known is true when the leader answered.
	Known bool
	// Offset is the start of the current epoch when Known.
	Offset int64
	// Err is the Kafka error the leader answered with (ErrNoError when it
	// answered, or was not asked).
	Err sarama.KError
}

// ELR is a partition's eligible leader replicas (KIP-966), read with
// DescribeTopicPartitions.
type ELR struct {
	// Known is true when the partition was read.
	Known bool
	// Eligible are the replicas outside the ISR that still hold every
	// committed message: electing one of them is clean.
	Eligible []int32
	// LastKnown are the last known eligible replicas, kept while both the
	// ISR and the ELR are empty.
	LastKnown []int32
	// Err is the Kafka error of the partition's topic (ErrNoError when
	// read, or not asked).
	Err sarama.KError
}

// Reassignment is an ongoing partition reassignment (KIP-455), read with
// ListPartitionReassignments.
type Reassignment struct {
	// Adding are the replicas being added, Removing those being removed.
	// During a reassignment Partition.Replicas lists both.
	Adding, Removing []int32
}

// LogEndOf returns the log end of the replica on broker id, and whether it
// is known.
func (p *Partition) LogEndOf(id int32) (int64, bool) {
	for _, r := range p.LogEnds {
		if r.Broker == id {
			return r.LogEnd, r.Known
		}
	}
	return 0, false
}
