package risk

// TopicProducers is what the judge concluded about one topic's producer
// side from the last producer read.
type TopicProducers struct {
	// Idempotent counts the topic's active idempotent and transactional
	// producers (see IdempotentProducers); IdempotentKnown is false when a
	// partition could not be read.
	Idempotent      int
	IdempotentKnown bool
	// LastStable are the partitions whose last stable offset lag is known
	// (see LastStableLag), in the topic's partition order.
	LastStable []PartitionLastStable
	// Transactions are the topic's Ongoing transactions (see
	// TransactionsByTopic); TransactionsOpen is false when none is open.
	Transactions     TopicTransactions
	TransactionsOpen bool
}

// PartitionLastStable is one partition's last stable offset and the
// messages read_committed consumers cannot see yet.
type PartitionLastStable struct {
	Partition int32
	Offset    int64
	Lag       int64
}

// GroupStableLag is a consumer group's lag to the last stable offset of one
// partition (see StableLag).
type GroupStableLag struct {
	Group     string
	Topic     string
	Partition int32
	Lag       int64
}

// judgeProducers fills the producer verdicts of v from the snapshot's last
// producer read; it leaves them empty when the producer side was never read.
func judgeProducers(v *Verdicts) {
	s := v.Snapshot
	if s.Producers == nil || s.Producers.Current == nil {
		return
	}
	read := s.Producers.Current
	txns := TransactionsByTopic(read)
	for ti := range s.Topics {
		t := &s.Topics[ti]
		tp := &TopicProducers{}
		tp.Idempotent, tp.IdempotentKnown = IdempotentProducers(t.Name, read)
		parts := read.Partitions[t.Name]
		for pi := range t.Partitions {
			pp, ok := parts[t.Partitions[pi].ID]
			if !ok {
				continue
			}
			if lag, ok := LastStableLag(pp); ok {
				tp.LastStable = append(tp.LastStable, PartitionLastStable{Partition: t.Partitions[pi].ID, Offset: pp.LastStable.Offset, Lag: lag})
			}
		}
		tp.Transactions, tp.TransactionsOpen = txns[t.Name]
		v.Topics[ti].Producers = tp
	}
	for gi := range s.Groups {
		g := &s.Groups[gi]
		for _, o := range g.Offsets {
			pp, ok := read.Partitions[o.Topic][o.Partition]
			if !ok {
				continue
			}
			if lag, ok := StableLag(pp, o.Offset); ok {
				v.StableLags = append(v.StableLags, GroupStableLag{Group: g.Name, Topic: o.Topic, Partition: o.Partition, Lag: lag})
			}
		}
	}
}
