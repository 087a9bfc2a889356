package fetch

import (
	"context"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// openTransactions asks one broker for the Ongoing transactions it
// coordinates (ListTransactions) and describes them all in one
// DescribeTransactions to the same broker: the broker that lists a
// transaction is its coordinator, so no FindCoordinator is needed. A
// transaction the coordinator could not describe carries its error.
func openTransactions(ctx context.Context, client *kafka.Client, broker int32) ([]snapshot.Transaction, error) {
	listReq := sarama.NewListTransactionsRequest(client.Version())
	listReq.StateFilters = []string{sarama.TransactionStateOngoing}
	listed, err := kafka.OnBroker(ctx, client, broker, kafka.APIListTransactions, func(b *sarama.Broker) (*sarama.ListTransactionsResponse, error) {
		return b.ListTransactions(listReq)
	})
	if err != nil {
		return nil, err
	}
	if listed.ErrorCode != sarama.ErrNoError {
		return nil, fmt.Errorf("broker %d: ListTransactions: %w", broker, listed.ErrorCode)
	}
	var ids []string
	for _, ts := range listed.TransactionStates {
		if ts.TransactionState == sarama.TransactionStateOngoing {
			ids = append(ids, ts.TransactionalID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	descReq := &sarama.DescribeTransactionsRequest{Version: 0, TransactionalIDs: ids}
	desc, err := kafka.OnBroker(ctx, client, broker, kafka.APIDescribeTransactions, func(b *sarama.Broker) (*sarama.DescribeTransactionsResponse, error) {
		return b.DescribeTransactions(descReq)
	})
	out := make([]snapshot.Transaction, 0, len(ids))
	if err != nil {
		for _, ts := range listed.TransactionStates {
			if ts.TransactionState == sarama.TransactionStateOngoing {
				out = append(out, snapshot.Transaction{ID: ts.TransactionalID, ProducerID: ts.ProducerID, Coordinator: broker, Err: err})
			}
		}
		return out, err
	}
	described := map[string]bool{}
	for _, ts := range desc.TransactionStates {
		described[ts.TransactionalID] = true
		tx := snapshot.Transaction{ID: ts.TransactionalID, ProducerID: ts.ProducerID, Coordinator: broker}
		switch {
		case ts.ErrorCode != sarama.ErrNoError:
			tx.Err = ts.ErrorCode
		case ts.TransactionState != sarama.TransactionStateOngoing:
			// Ended between the two requests.
			continue
		default:
			tx.Start = time.UnixMilli(ts.TransactionStartTime)
			tx.Timeout = ts.TransactionTimeout
			tx.Partitions = make(map[string][]int32, len(ts.Topics))
			for _, t := range ts.Topics {
				tx.Partitions[t.Topic] = append(tx.Partitions[t.Topic], t.Partitions...)
			}
		}
		out = append(out, tx)
	}
	for _, ts := range listed.TransactionStates {
		if ts.TransactionState == sarama.TransactionStateOngoing && !described[ts.TransactionalID] {
			out = append(out, snapshot.Transaction{ID: ts.TransactionalID, ProducerID: ts.ProducerID, Coordinator: broker, Err: errMissingFromResponse})
		}
	}
	return out, nil
}

// readLastStable reads the last stable offset (ListOffsets read_committed)
// of every partition with a transactional producer or an Ongoing
// transaction, one request per leader, leaders in parallel, and stores it
// in the read.
func readLastStable(ctx context.Context, client *kafka.Client, topics []snapshot.Topic, read *snapshot.ProducerRead) error {
	inTxn := map[topicPartition]bool{}
	for _, tx := range read.Transactions {
		for topic, parts := range tx.Partitions {
			for _, p := range parts {
				inTxn[topicPartition{topic, p}] = true
			}
		}
	}
	byLeader := map[int32][]topicPartition{}
	for _, t := range topics {
		for _, p := range t.Partitions {
			tp := topicPartition{t.Name, p.ID}
			if p.Leader == snapshot.NoLeader || !(inTxn[tp] || hasTransactional(read.Partitions[t.Name][p.ID])) {
				continue
			}
			byLeader[p.Leader] = append(byLeader[p.Leader], tp)
		}
	}
	leaders := sortedKeys(byLeader)
	resps := make([]*sarama.OffsetResponse, len(leaders))
	errs := make([]error, len(leaders))
	parallel(len(leaders), func(i int) {
		req := sarama.NewOffsetRequest(client.Version())
		req.IsolationLevel = sarama.ReadCommitted
		for _, tp := range byLeader[leaders[i]] {
			req.AddBlock(tp.topic, tp.partition, sarama.OffsetNewest, 1)
		}
		resps[i], errs[i] = kafka.OnBroker(ctx, client, leaders[i], kafka.APIListOffsets, func(b *sarama.Broker) (*sarama.OffsetResponse, error) {
			return b.GetAvailableOffsets(req)
		})
	})
	var failed []error
	for i, leader := range leaders {
		if errs[i] != nil {
			failed = append(failed, errs[i])
		}
		for _, tp := range byLeader[leader] {
			pp := read.Partitions[tp.topic][tp.partition]
			pp.LastStable = lastStableOf(resps[i], errs[i], tp)
			read.Partitions[tp.topic][tp.partition] = pp
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("ListOffsets read_committed failed on %d of %d leader brokers: %w", len(failed), len(leaders), kafka.JoinErrors(failed))
	}
	return nil
}

// hasTransactional reports whether a partition has a transactional
// producer.
func hasTransactional(pp snapshot.PartitionProducers) bool {
	for _, p := range pp.Producers {
		if p.Transactional() {
			return true
		}
	}
	return false
}

// lastStableOf reads one partition's last stable offset from a leader's
// answer.
func lastStableOf(resp *sarama.OffsetResponse, reqErr error, tp topicPartition) snapshot.LastStableOffset {
	if reqErr != nil {
		return snapshot.LastStableOffset{Read: true, Err: reqErr}
	}
	b := resp.GetBlock(tp.topic, tp.partition)
	switch {
	case b == nil:
		return snapshot.LastStableOffset{Read: true, Err: errMissingFromResponse}
	case b.Err != sarama.ErrNoError:
		return snapshot.LastStableOffset{Read: true, Err: b.Err}
	}
	return snapshot.LastStableOffset{Read: true, Offset: blockOffset(b)}
}
