package report

import (
	"fmt"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// openTransactionAlert is the threshold of the KafkaTransactionOpenTooLong
// alert: the oldest open transaction is older than a minute.
const openTransactionAlert = time.Minute

// transactions adds the topic's transaction finding, the heavier that
// applies: transaction_hanging (KafkaTransactionHanging: open past its own
// timeout) or transaction_open_too_long (KafkaTransactionOpenTooLong), from
// the topic's producer verdict tp, as the producer collector renders it.
// The detail names the oldest transaction
// and the messages read_committed consumers cannot see (the last stable
// offset lag), which has no alert of its own.
func (b builder) transactions(t *snapshot.Topic, tp *risk.TopicProducers, read *snapshot.ProducerRead) {
	tt := tp.Transactions
	var which, what string
	switch {
	case tt.Hanging > 0:
		which = RiskTransactionHanging
		what = fmt.Sprintf("%d of %d open transactions are past their own transaction.timeout.ms", tt.Hanging, tt.Open)
	case tt.OldestAge > openTransactionAlert:
		which = RiskTransactionOpenTooLong
		what = fmt.Sprintf("%d open transactions", tt.Open)
	default:
		return
	}
	detail := fmt.Sprintf("%s; the oldest (%s) is %.0f s old", what, oldestTransaction(t.Name, read), tt.OldestAge.Seconds())
	if lag, parts := lastStableLag(tp); lag > 0 {
		detail += fmt.Sprintf("; read_committed consumers cannot see %d messages on partitions %s", lag, ids(parts))
	}
	b.add(Finding{Kind: KindTopic, Subject: t.Name, Topic: t.Name, Risk: which, Detail: detail})
}

// oldestTransaction names the transactional id of the oldest described
// Ongoing transaction writing topic.
func oldestTransaction(topic string, read *snapshot.ProducerRead) string {
	var oldest *snapshot.Transaction
	for i := range read.Transactions {
		tx := &read.Transactions[i]
		if _, writes := tx.Partitions[topic]; tx.Err != nil || !writes {
			continue
		}
		if oldest == nil || tx.Start.Before(oldest.Start) {
			oldest = tx
		}
	}
	if oldest == nil {
		return "unknown id"
	}
	return fmt.Sprintf("transactional.id %q", oldest.ID)
}

// lastStableLag adds up the topic's last stable offset lags and lists the
// partitions that have one.
func lastStableLag(tp *risk.TopicProducers) (lag int64, parts []int32) {
	for _, ls := range tp.LastStable {
		if ls.Lag > 0 {
			lag += ls.Lag
			parts = append(parts, ls.Partition)
		}
	}
	return lag, parts
}
