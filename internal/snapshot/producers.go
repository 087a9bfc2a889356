package snapshot

import "time"

// Producers is the producer side of the cluster as the producers step read
// it: the latest read and the one before, so that what changed between two
// reads can be judged. Both reads are immutable; between reads every
// snapshot carries the same *Producers.
type Producers struct {
	// Current is the latest read.
	Current *ProducerRead
	// Previous is the read before Current, nil after the first read.
	Previous *ProducerRead
}

// ProducerRead is one read of the producer side: the active producers of
// every partition (DescribeProducers), the last stable offset of the
// partitions with transactional producers (ListOffsets read_committed) and
// the open transactions (ListTransactions, DescribeTransactions).
type ProducerRead struct {
	// Time is when the read started.
	Time time.Time
	// Partitions holds the producer state of each partition, by topic and
	// partition id. A partition that could not be read carries its error.
	Partitions map[string]map[int32]PartitionProducers
	// Transactions are the Ongoing transactions the coordinators that
	// answered listed, sorted by transactional id.
	Transactions []Transaction
	// TransactionsErr is the error of the coordinators that did not answer
	// (nil when all did); Transactions then lacks theirs.
	TransactionsErr error
}

// PartitionProducers is the producer state of one partition.
type PartitionProducers struct {
	// Err is why the partition's producers could not be read (nil when
	// they were): a transport error or a sarama.KError.
	Err error
	// HighWatermark is the partition's high watermark in the poll of the
	// read, -1 when unknown.
	HighWatermark int64
	// Producers are the active idempotent and transactional producers,
	// sorted by producer id.
	Producers []ProducerState
	// LastStable is the last stable offset, read only for partitions with a
	// transactional producer or an open transaction.
	LastStable LastStableOffset
}

// ProducerState is one active producer of a partition (KIP-664).
type ProducerState struct {
	ID           int64
	Epoch        int32
	LastSequence int32
	// LastTimestamp is the timestamp of the producer's last batch in Unix
	// milliseconds, -1 when unknown.
	LastTimestamp int64
	// CoordinatorEpoch is the epoch of the transaction coordinator that
	// last wrote a marker for the producer, -1 when none did (the producer
	// never ended a transaction on this partition).
	CoordinatorEpoch int32
	// TxnStartOffset is the first offset of the producer's open
	// transaction on this partition, -1 when none is open.
	TxnStartOffset int64
}

// Transactional reports whether the producer writes in transactions: it has
// an open one or has ended one on the partition.
func (p ProducerState) Transactional() bool {
	return p.TxnStartOffset >= 0 || p.CoordinatorEpoch >= 0
}

// LastStableOffset is a partition's last stable offset: the first offset of
// its oldest open transaction, or the high watermark when none is open.
type LastStableOffset struct {
	// Read is true when ListOffsets read_committed was asked for it.
	Read bool
	// Err is why it could not be read (nil when it was or was not asked).
	Err error
	// Offset is the last stable offset when Read and Err is nil.
	Offset int64
}

// Known reports whether the last stable offset was read.
func (l LastStableOffset) Known() bool { return l.Read && l.Err == nil }

// Transaction is one Ongoing transaction as its coordinator describes it.
type Transaction struct {
	ID         string
	ProducerID int64
	// Coordinator is the broker that listed the transaction.
	Coordinator int32
	// Start is when the transaction started on the coordinator.
	Start time.Time
	// Timeout is the transaction's own timeout (transaction.timeout.ms).
	Timeout time.Duration
	// Partitions are the partitions the transaction writes, by topic.
	Partitions map[string][]int32
	// Err is why the transaction could not be described (nil when it was);
	// Start, Timeout and Partitions are then unknown.
	Err error
}
