package collector

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/IBM/sarama"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// producersSnapshot: "plain" advanced with no producer state (a
// non-idempotent writer); "idem" has one idempotent producer whose sequence
// moved; "txn" has a transaction open for 90 s (timeout 60 s: hanging) with
// 7 messages above the last stable offset, and group "g" committed 4 on it;
// "broken"'s producers could not be read.
func producersSnapshot() *snapshot.Snapshot {
	at := time.Unix(1700000000, 0)
	prevAt := at.Add(-time.Minute)
	part := func(hw int64, producers ...snapshot.ProducerState) map[int32]snapshot.PartitionProducers {
		return map[int32]snapshot.PartitionProducers{0: {HighWatermark: hw, Producers: producers}}
	}
	idem := func(seq int32) snapshot.ProducerState {
		return snapshot.ProducerState{ID: 1000, LastSequence: seq, LastTimestamp: prevAt.Add(-time.Hour).UnixMilli(), CoordinatorEpoch: -1, TxnStartOffset: -1}
	}
	txn := snapshot.ProducerState{ID: 2000, LastSequence: 6, LastTimestamp: at.UnixMilli(), CoordinatorEpoch: -1, TxnStartOffset: 10}
	txnParts := part(17, txn)
	txnPart := txnParts[0]
	txnPart.LastStable = snapshot.LastStableOffset{Read: true, Offset: 10}
	txnParts[0] = txnPart
	prev := &snapshot.ProducerRead{Time: prevAt, Partitions: map[string]map[int32]snapshot.PartitionProducers{
		"plain": part(5), "idem": part(5, idem(3)), "txn": part(10), "broken": part(1),
	}}
	cur := &snapshot.ProducerRead{Time: at, Partitions: map[string]map[int32]snapshot.PartitionProducers{
		"plain": part(9), "idem": part(9, idem(7)), "txn": txnParts,
		"broken": {0: {HighWatermark: 4, Err: sarama.ErrNotLeaderForPartition}},
	}, Transactions: []snapshot.Transaction{{ID: "tx-1", ProducerID: 2000, Coordinator: 1, Start: at.Add(-90 * time.Second),
		Timeout: time.Minute, Partitions: map[string][]int32{"txn": {0}}}}}
	topic := func(name string) snapshot.Topic {
		return snapshot.Topic{Name: name, Partitions: []snapshot.Partition{{ID: 0, Leader: 1, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}}}}
	}
	return &snapshot.Snapshot{
		Time:      at,
		Brokers:   []snapshot.Broker{{ID: 1}, {ID: 2}, {ID: 3}},
		Topics:    []snapshot.Topic{topic("broken"), topic("idem"), topic("plain"), topic("txn")},
		Groups:    []snapshot.Group{{Name: "g", Offsets: []snapshot.CommittedOffset{{Topic: "txn", Partition: 0, Offset: 4}, {Topic: "plain", Partition: 0, Offset: 2}}}},
		Producers: &snapshot.Producers{Current: cur, Previous: prev},
		Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Success: true},
			{Name: snapshot.CollectorProducers, Success: false, Err: "broken: NOT_LEADER_OR_FOLLOWER"},
		},
	}
}

func TestProducersGolden(t *testing.T) {
	c := NewProducers(judged(producersSnapshot, risk.DefaultPolicy{}))
	want := `
# HELP kafka_consumergroup_lag_stable ` + cgLagStableFamily.help + `
# TYPE kafka_consumergroup_lag_stable gauge
kafka_consumergroup_lag_stable{consumergroup="g",partition="0",topic="txn"} 6
# HELP kafka_topic_hanging_transactions ` + hangingTxnFamily.help + `
# TYPE kafka_topic_hanging_transactions gauge
kafka_topic_hanging_transactions{topic="txn"} 1
# HELP kafka_topic_idempotent_producers ` + topicIdempotentProducersFamily.help + `
# TYPE kafka_topic_idempotent_producers gauge
kafka_topic_idempotent_producers{topic="idem"} 1
kafka_topic_idempotent_producers{topic="plain"} 0
kafka_topic_idempotent_producers{topic="txn"} 1
# HELP kafka_topic_oldest_open_transaction_seconds ` + oldestOpenTxnFamily.help + `
# TYPE kafka_topic_oldest_open_transaction_seconds gauge
kafka_topic_oldest_open_transaction_seconds{topic="txn"} 90
# HELP kafka_topic_partition_last_stable_offset ` + lastStableOffsetFamily.help + `
# TYPE kafka_topic_partition_last_stable_offset gauge
kafka_topic_partition_last_stable_offset{partition="0",topic="txn"} 10
# HELP kafka_topic_partition_last_stable_offset_lag ` + lastStableLagFamily.help + `
# TYPE kafka_topic_partition_last_stable_offset_lag gauge
kafka_topic_partition_last_stable_offset_lag{partition="0",topic="txn"} 7
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// The finding is rendered with the other findings and enters the score;
// the policy exempts it.
func TestNonIdempotentWritesFinding(t *testing.T) {
	want := func(weight int) string {
		return `
# HELP kafka_topic_loss_risk_score ` + topicScoreFamily.help + `
# TYPE kafka_topic_loss_risk_score gauge
kafka_topic_loss_risk_score{topic="broken"} 0
kafka_topic_loss_risk_score{topic="idem"} 0
kafka_topic_loss_risk_score{topic="plain"} ` + strconv.Itoa(weight) + `
kafka_topic_loss_risk_score{topic="txn"} 0
`
	}
	c := NewConfig(judged(producersSnapshot, risk.DefaultPolicy{}), PartitionSeriesAll)
	risks := `
# HELP kafka_topic_loss_risk ` + topicRiskFamily.help + `
# TYPE kafka_topic_loss_risk gauge
kafka_topic_loss_risk{risk="non_idempotent_writes",topic="plain"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(risks), "kafka_topic_loss_risk"); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want(risk.FindingWeights[risk.RiskNonIdempotentWrites])), "kafka_topic_loss_risk_score"); err != nil {
		t.Error(err)
	}
	exempt := NewConfig(judged(producersSnapshot, exemptNonIdempotent{}), PartitionSeriesAll)
	if err := testutil.CollectAndCompare(exempt, strings.NewReader(""), "kafka_topic_loss_risk"); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(exempt, strings.NewReader(want(0)), "kafka_topic_loss_risk_score"); err != nil {
		t.Error(err)
	}
}

type exemptNonIdempotent struct{}

func (exemptNonIdempotent) Topic(string) risk.Thresholds {
	th := risk.DefaultThresholds()
	th.Ignored = map[string]bool{risk.RiskNonIdempotentWrites: true}
	return th
}

func (exemptNonIdempotent) Cluster() risk.Thresholds { return risk.DefaultThresholds() }
