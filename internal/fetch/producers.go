package fetch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorProducers is the name of the producer-side step.
const CollectorProducers = snapshot.CollectorProducers

// ErrProducersUnsupported is the producers step's error when the Kafka
// protocol version the exporter speaks predates DescribeProducers (2.8) or
// ListTransactions and DescribeTransactions (3.0).
var ErrProducersUnsupported = errors.New("the producer side needs Kafka protocol version 3.0 or later (DescribeProducers, ListTransactions, DescribeTransactions)")

// Producers is the step that reads the producer side: the active
// idempotent and transactional producers of every partition, the open
// transactions and the last stable offset of the partitions written in
// transactions. Like Configs it reads at most once per interval and puts
// the cached, immutable result in every snapshot in between.
//
// One read costs, for B live brokers: one DescribeProducers per leader
// broker and one ListTransactions per broker, in parallel; then one
// DescribeTransactions per coordinator that listed an Ongoing transaction
// and one ListOffsets (read_committed) per leader of a partition with a
// transactional producer or an open transaction, in parallel. At most 4 x B
// requests, whatever the number of partitions and transactions.
type Producers struct {
	client   *kafka.Client
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	cached    *snapshot.Producers
	cachedErr error
}

// NewProducers returns the producer-side step, reading at most once per
// interval.
func NewProducers(client *kafka.Client, interval time.Duration) *Producers {
	return &Producers{client: client, interval: interval, now: time.Now}
}

// Name implements Step.
func (p *Producers) Name() string { return CollectorProducers }

// Run implements Step. It sets s.Producers to the cached read, or to a
// fresh one (with the cached read as its previous) when the cache is due.
// A read that failed in part is published as far as it got and kept until
// the next read is due: the failed parts carry their errors.
func (p *Producers) Run(ctx context.Context, s *snapshot.Snapshot) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cached != nil && p.now().Sub(p.cached.Current.Time) < p.interval {
		s.Producers = p.cached
		return p.cachedErr
	}
	if !p.client.Version().IsAtLeast(sarama.V3_0_0_0) {
		return fmt.Errorf("%w; the exporter speaks %s", ErrProducersUnsupported, p.client.Version())
	}
	read, err := readProducers(ctx, p.client, s, p.now())
	next := &snapshot.Producers{Current: read}
	if p.cached != nil {
		next.Previous = p.cached.Current
	}
	p.cached, p.cachedErr = next, err
	s.Producers = next
	return err
}

// readProducers does one read of the producer side for the live brokers
// and topics of a poll (their partitions' leaders and high watermarks as
// that poll read them).
func readProducers(ctx context.Context, client *kafka.Client, s *snapshot.Snapshot, now time.Time) (*snapshot.ProducerRead, error) {
	topics := s.Topics
	read := &snapshot.ProducerRead{Time: now, Partitions: make(map[string]map[int32]snapshot.PartitionProducers, len(topics))}
	byLeader := map[int32][]topicPartition{}
	for _, t := range topics {
		parts := make(map[int32]snapshot.PartitionProducers, len(t.Partitions))
		for _, p := range t.Partitions {
			pp := snapshot.PartitionProducers{HighWatermark: -1}
			if p.Offsets.Known {
				pp.HighWatermark = p.Offsets.Latest
			}
			if p.Leader == snapshot.NoLeader {
				pp.Err = errNoLeader
			} else {
				byLeader[p.Leader] = append(byLeader[p.Leader], topicPartition{t.Name, p.ID})
			}
			parts[p.ID] = pp
		}
		read.Partitions[t.Name] = parts
	}
	leaders := sortedKeys(byLeader)
	brokers := make([]int32, len(s.Brokers))
	for i, b := range s.Brokers {
		brokers[i] = b.ID
	}

	// DescribeProducers to every leader and ListTransactions (then
	// DescribeTransactions) to every broker, all in parallel.
	described := make([]*sarama.DescribeProducersResponse, len(leaders))
	describeErrs := make([]error, len(leaders))
	txns := make([][]snapshot.Transaction, len(brokers))
	txnErrs := make([]error, len(brokers))
	parallel(len(leaders)+len(brokers), func(i int) {
		if i < len(leaders) {
			described[i], describeErrs[i] = describeProducers(ctx, client, leaders[i], byLeader[leaders[i]])
			return
		}
		i -= len(leaders)
		txns[i], txnErrs[i] = openTransactions(ctx, client, brokers[i])
	})

	var errs []error
	for i, leader := range leaders {
		if describeErrs[i] != nil {
			errs = append(errs, describeErrs[i])
		}
		addProducers(read.Partitions, byLeader[leader], described[i], describeErrs[i])
	}
	var txnFailed []error
	for i := range brokers {
		read.Transactions = append(read.Transactions, txns[i]...)
		if txnErrs[i] != nil {
			txnFailed = append(txnFailed, txnErrs[i])
		}
	}
	read.Transactions = uniqueTransactions(read.Transactions)
	if len(txnFailed) > 0 {
		read.TransactionsErr = fmt.Errorf("transactions of %d of %d brokers unknown: %w", len(txnFailed), len(brokers), kafka.JoinErrors(txnFailed))
		errs = append(errs, read.TransactionsErr)
	}

	if err := readLastStable(ctx, client, topics, read); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return read, fmt.Errorf("producer side read in part: %w", kafka.JoinErrors(errs))
	}
	return read, nil
}

// errNoLeader is the producer-read error of a partition without a leader.
var errNoLeader = sarama.ErrLeaderNotAvailable

// topicPartition names one partition.
type topicPartition struct {
	topic     string
	partition int32
}

// sortedKeys returns the broker ids of m in increasing order.
func sortedKeys[V any](m map[int32]V) []int32 {
	ids := make([]int32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// describeProducers sends one DescribeProducers request for every partition
// the broker leads.
func describeProducers(ctx context.Context, client *kafka.Client, leader int32, parts []topicPartition) (*sarama.DescribeProducersResponse, error) {
	req := &sarama.DescribeProducersRequest{Version: 0}
	idx := map[string]int{}
	for _, tp := range parts {
		i, ok := idx[tp.topic]
		if !ok {
			i = len(req.Topics)
			idx[tp.topic] = i
			req.Topics = append(req.Topics, sarama.DescribeProducersRequestTopic{Name: tp.topic})
		}
		req.Topics[i].PartitionIndexes = append(req.Topics[i].PartitionIndexes, tp.partition)
	}
	return kafka.OnBroker(ctx, client, leader, kafka.APIDescribeProducers, func(b *sarama.Broker) (*sarama.DescribeProducersResponse, error) {
		return b.DescribeProducers(req)
	})
}

// addProducers copies one leader's answer into the read: each partition
// gets its producers or its error (the request's error when it failed).
func addProducers(out map[string]map[int32]snapshot.PartitionProducers, parts []topicPartition, resp *sarama.DescribeProducersResponse, reqErr error) {
	answered := map[topicPartition]sarama.DescribeProducersResponsePartition{}
	if resp != nil {
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				answered[topicPartition{t.Name, p.PartitionIndex}] = p
			}
		}
	}
	for _, tp := range parts {
		pp := out[tp.topic][tp.partition]
		a, ok := answered[tp]
		switch {
		case reqErr != nil:
			pp.Err = reqErr
		case !ok:
			pp.Err = errMissingFromResponse
		case a.ErrorCode != sarama.ErrNoError:
			pp.Err = a.ErrorCode
		default:
			pp.Producers = make([]snapshot.ProducerState, 0, len(a.ActiveProducers))
			for _, st := range a.ActiveProducers {
				pp.Producers = append(pp.Producers, snapshot.ProducerState{
					ID: st.ProducerID, Epoch: st.ProducerEpoch, LastSequence: st.LastSequence,
					LastTimestamp: st.LastTimestamp, CoordinatorEpoch: st.CoordinatorEpoch, TxnStartOffset: st.CurrentTxnStartOffset,
				})
			}
			sort.Slice(pp.Producers, func(i, j int) bool { return pp.Producers[i].ID < pp.Producers[j].ID })
		}
		out[tp.topic][tp.partition] = pp
	}
}

// errMissingFromResponse is the error of a partition a broker's answer
// left out.
var errMissingFromResponse = errors.New("missing from the broker's response")

// uniqueTransactions sorts transactions by id and keeps one per id: during a
// coordinator move two brokers may list the same transaction; the
// described one (nil Err) is kept.
func uniqueTransactions(txns []snapshot.Transaction) []snapshot.Transaction {
	sort.SliceStable(txns, func(i, j int) bool {
		if txns[i].ID != txns[j].ID {
			return txns[i].ID < txns[j].ID
		}
		return txns[i].Err == nil && txns[j].Err != nil
	})
	var out []snapshot.Transaction
	for _, tx := range txns {
		if len(out) > 0 && out[len(out)-1].ID == tx.ID {
			continue
		}
		out = append(out, tx)
	}
	return out
}
