package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// fromProducerRead marks metrics whose value comes from the producer-side
// read, which is done every --producers.poll.interval rather than every poll.
const fromProducerRead = "; producer side read every --producers.poll.interval" + fromLastPoll

var (
	topicIdempotentProducersFamily = gaugeFamily("kafka_topic_idempotent_producers",
		"Active idempotent or transactional producers of the topic (distinct producer ids over its partitions, DescribeProducers); absent when a partition could not be read"+fromProducerRead, topicLabels...)
	lastStableOffsetFamily = gaugeFamily("kafka_topic_partition_last_stable_offset",
		"Last stable offset of the partition (ListOffsets read_committed): read_committed consumers read up to it; only for partitions with a transactional producer or an open transaction"+fromProducerRead, partitionLabels...)
	lastStableLagFamily = gaugeFamily("kafka_topic_partition_last_stable_offset_lag",
		"Messages of the partition read_committed consumers cannot see yet: high watermark minus last stable offset; only for partitions with a transactional producer or an open transaction"+fromProducerRead, partitionLabels...)
	oldestOpenTxnFamily = gaugeFamily("kafka_topic_oldest_open_transaction_seconds",
		"Age in seconds of the oldest Ongoing transaction writing the topic (ListTransactions, DescribeTransactions); absent when none is open"+fromProducerRead, topicLabels...)
	hangingTxnFamily = gaugeFamily("kafka_topic_hanging_transactions",
		"Ongoing transactions writing the topic that are open past their own transaction.timeout.ms; present for topics with an open transaction"+fromProducerRead, topicLabels...)
	cgLagStableFamily = gaugeFamily("kafka_consumergroup_lag_stable",
		"Messages a read_committed consumer group can still read on the partition: last stable offset minus committed offset, never negative; only where the last stable offset is below the high watermark (an open transaction)"+fromProducerRead, groupPartLabels...)
)

// Producers renders the producer side: idempotent producers, last stable
// offsets, open and hanging transactions, and consumer-group lag to the
// last stable offset. The finding non_idempotent_writes is rendered by
// Config with the other findings.
type Producers struct {
	source VerdictsSource
}

// NewProducers returns the producer-side collector.
func NewProducers(source VerdictsSource) *Producers { return &Producers{source: source} }

var producerFamilies = []*family{topicIdempotentProducersFamily, lastStableOffsetFamily, lastStableLagFamily,
	oldestOpenTxnFamily, hangingTxnFamily, cgLagStableFamily}

func (c *Producers) families() []*family { return producerFamilies }

// Describe implements prometheus.Collector.
func (c *Producers) Describe(ch chan<- *prometheus.Desc) { describe(ch, producerFamilies) }

// Collect implements prometheus.Collector.
func (c *Producers) Collect(ch chan<- prometheus.Metric) {
	c.render(channelWriter(ch), c.source.Verdicts())
}

// render emits the samples of the topics of the last poll. Nothing is
// rendered when the last poll could not read the cluster metadata or the
// producer side was never read.
func (c *Producers) render(w sampleWriter, v *risk.Verdicts) {
	if v == nil {
		return
	}
	s := v.Snapshot
	if !s.Succeeded(snapshot.CollectorMetadata) || s.Producers == nil || s.Producers.Current == nil {
		return
	}
	for ti := range s.Topics {
		t, tp := &s.Topics[ti], v.Topics[ti].Producers
		if tp.IdempotentKnown {
			w.sample(topicIdempotentProducersFamily, float64(tp.Idempotent), t.Name)
		}
		for _, ls := range tp.LastStable {
			part := id(ls.Partition)
			w.sample(lastStableOffsetFamily, float64(ls.Offset), t.Name, part)
			w.sample(lastStableLagFamily, float64(ls.Lag), t.Name, part)
		}
		if tp.TransactionsOpen {
			w.sample(oldestOpenTxnFamily, tp.Transactions.OldestAge.Seconds(), t.Name)
			w.sample(hangingTxnFamily, float64(tp.Transactions.Hanging), t.Name)
		}
	}
	for _, l := range v.StableLags {
		w.sample(cgLagStableFamily, float64(l.Lag), l.Group, l.Topic, id(l.Partition))
	}
}

var _ renderer = (*Producers)(nil)
