package risk

import (
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// ProducerFindings returns the topic's producer-side loss risks under the
// thresholds th: RiskNonIdempotentWrites when NonIdempotentWrites says so
// and the policy does not exempt it.
func ProducerFindings(topic string, p *snapshot.Producers, th Thresholds) []string {
	if th.Ignored[RiskNonIdempotentWrites] || !NonIdempotentWrites(topic, p) {
		return nil
	}
	return []string{RiskNonIdempotentWrites}
}

// NonIdempotentWrites reports whether the topic was written without
// idempotence between the two last producer reads: some partition's high
// watermark advanced, and no partition shows a producer state written in
// that interval (a producer that is new, or whose epoch or last sequence
// changed, or whose last timestamp is at or after the previous read). It is
// false when it cannot be judged: a single read, or a partition whose
// producers or high watermark either read missed.
func NonIdempotentWrites(topic string, p *snapshot.Producers) bool {
	if p == nil || p.Current == nil || p.Previous == nil {
		return false
	}
	cur, prev := p.Current.Partitions[topic], p.Previous.Partitions[topic]
	if len(cur) == 0 {
		return false
	}
	advanced := false
	for id, c := range cur {
		before, ok := prev[id]
		if !ok || c.Err != nil || before.Err != nil || c.HighWatermark < 0 || before.HighWatermark < 0 {
			return false
		}
		if c.HighWatermark > before.HighWatermark {
			advanced = true
		}
		if wroteIdempotently(c.Producers, before.Producers, p.Previous.Time) {
			return false
		}
	}
	return advanced
}

// wroteIdempotently reports whether a partition's producers show a write
// since the previous read: a producer absent before, or with another epoch
// or last sequence, or a last timestamp at or after the previous read.
func wroteIdempotently(cur, prev []snapshot.ProducerState, prevTime time.Time) bool {
	before := make(map[int64]snapshot.ProducerState, len(prev))
	for _, st := range prev {
		before[st.ID] = st
	}
	for _, st := range cur {
		b, ok := before[st.ID]
		if !ok || b.Epoch != st.Epoch || b.LastSequence != st.LastSequence {
			return true
		}
		if st.LastTimestamp >= 0 && st.LastTimestamp >= prevTime.UnixMilli() {
			return true
		}
	}
	return false
}

// IdempotentProducers counts the distinct active idempotent and
// transactional producers over the topic's partitions in the read; known
// is false when the read has no partition of the topic or missed one.
func IdempotentProducers(topic string, r *snapshot.ProducerRead) (n int, known bool) {
	if r == nil || len(r.Partitions[topic]) == 0 {
		return 0, false
	}
	ids := map[int64]bool{}
	for _, pp := range r.Partitions[topic] {
		if pp.Err != nil {
			return 0, false
		}
		for _, st := range pp.Producers {
			ids[st.ID] = true
		}
	}
	return len(ids), true
}

// LastStableLag is the number of messages of a partition that
// read_committed consumers cannot see yet: its high watermark minus its last
// stable offset, never negative (the two are read one after the other).
// ok is false when either is unknown.
func LastStableLag(pp snapshot.PartitionProducers) (lag int64, ok bool) {
	if !pp.LastStable.Known() || pp.HighWatermark < 0 {
		return 0, false
	}
	return max(pp.HighWatermark-pp.LastStable.Offset, 0), true
}

// StableLag is a consumer group's lag to the last stable offset of a
// partition whose last stable offset is below its high watermark: the last
// stable offset minus the committed offset, never negative. ok is false
// when the two offsets do not differ or are unknown: the lag to the high
// watermark says it all then.
func StableLag(pp snapshot.PartitionProducers, committed int64) (lag int64, ok bool) {
	if l, known := LastStableLag(pp); !known || l == 0 {
		return 0, false
	}
	return max(pp.LastStable.Offset-committed, 0), true
}

// TopicTransactions is what the open transactions of a read say about one
// topic.
type TopicTransactions struct {
	// Open counts the Ongoing transactions that write the topic.
	Open int
	// OldestAge is the age of the oldest of them at the read.
	OldestAge time.Duration
	// Hanging counts those open past their own timeout at the read.
	Hanging int
}

// TransactionsByTopic judges the Ongoing transactions of a read, at the
// read's time, by the topics they write. Topics without an open transaction
// are absent; transactions that could not be described are left out.
func TransactionsByTopic(r *snapshot.ProducerRead) map[string]TopicTransactions {
	out := map[string]TopicTransactions{}
	if r == nil {
		return out
	}
	for _, tx := range r.Transactions {
		if tx.Err != nil {
			continue
		}
		age := max(r.Time.Sub(tx.Start), 0)
		for topic := range tx.Partitions {
			tt := out[topic]
			tt.Open++
			tt.OldestAge = max(tt.OldestAge, age)
			if tx.Timeout > 0 && age > tx.Timeout {
				tt.Hanging++
			}
			out[topic] = tt
		}
	}
	return out
}
