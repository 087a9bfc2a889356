package fetch

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorControllerQuorum is the name of the controller-quorum step.
const CollectorControllerQuorum = snapshot.CollectorControllerQuorum

// metadataLog is the KRaft metadata log, the one partition the controller
// quorum replicates.
const metadataLog = "__cluster_metadata"

// ControllerQuorum is the step that reads the KRaft controller quorum with
// one DescribeQuorum per poll, sent to a live broker (brokers forward it to
// the active controller). On a ZooKeeper cluster no broker has the API: the
// step leaves Snapshot.Quorum nil and succeeds (the client logs once that
// the feature is ruled out).
type ControllerQuorum struct {
	client *kafka.Client
}

// NewControllerQuorum returns the controller-quorum step.
func NewControllerQuorum(client *kafka.Client) *ControllerQuorum {
	return &ControllerQuorum{client: client}
}

// Name implements Step.
func (q *ControllerQuorum) Name() string { return CollectorControllerQuorum }

// Run implements Step: one DescribeQuorum per poll, to a broker that
// answers the exporter (forwarder), bounded by forwardedDeadline.
func (q *ControllerQuorum) Run(ctx context.Context, s *snapshot.Snapshot) error {
	broker, err := forwarder(q.client, s)
	if err != nil {
		return fmt.Errorf("DescribeQuorum: %w", err)
	}
	qctx, cancel := forwardedDeadline(ctx, q.client)
	defer cancel()
	quorum, err := q.describe(qctx, broker)
	if kafka.IsUnsupported(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("DescribeQuorum: %w", err)
	}
	s.Quorum = quorum
	return nil
}

func (q *ControllerQuorum) describe(ctx context.Context, broker int32) (*snapshot.Quorum, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	if _, err := q.client.APIVersion(ctx, broker, kafka.FeatureControllerQuorum, req.MaxVersion()); err != nil {
		return nil, err
	}
	topic := kmsg.NewDescribeQuorumRequestTopic()
	topic.Topic = metadataLog
	part := kmsg.NewDescribeQuorumRequestTopicPartition()
	topic.Partitions = append(topic.Partitions, part)
	req.Topics = append(req.Topics, topic)
	r, err := q.client.OnBrokerKmsg(ctx, broker, req)
	if err != nil {
		return nil, err
	}
	resp, ok := r.(*kmsg.DescribeQuorumResponse)
	if !ok {
		return nil, fmt.Errorf("broker %d: DescribeQuorum answered with %T", broker, r)
	}
	return quorumFrom(broker, resp)
}

// quorumFrom reads the metadata log's partition from a DescribeQuorum
// answer; a Kafka error code, top level or for the partition, is the error.
func quorumFrom(broker int32, resp *kmsg.DescribeQuorumResponse) (*snapshot.Quorum, error) {
	if resp.ErrorCode != 0 {
		return nil, &causedError{msg: fmt.Sprintf("broker %d: DescribeQuorum: %s", broker, kafka.ErrorName(sarama.KError(resp.ErrorCode))), cause: sarama.KError(resp.ErrorCode)}
	}
	for _, t := range resp.Topics {
		if t.Topic != metadataLog {
			continue
		}
		for _, p := range t.Partitions {
			if p.Partition != 0 {
				continue
			}
			if p.ErrorCode != 0 {
				return nil, &causedError{msg: fmt.Sprintf("broker %d: DescribeQuorum %s-0: %s", broker, metadataLog, kafka.ErrorName(sarama.KError(p.ErrorCode))), cause: sarama.KError(p.ErrorCode)}
			}
			q := &snapshot.Quorum{LeaderID: p.LeaderID, LeaderEpoch: p.LeaderEpoch, HighWatermark: p.HighWatermark}
			for _, v := range p.CurrentVoters {
				q.Voters = append(q.Voters, snapshot.QuorumReplica{ID: v.ReplicaID, LogEndOffset: v.LogEndOffset,
					LastFetch: millis(v.LastFetchTimestamp), LastCaughtUp: millis(v.LastCaughtUpTimestamp)})
			}
			sort.Slice(q.Voters, func(i, j int) bool { return q.Voters[i].ID < q.Voters[j].ID })
			return q, nil
		}
	}
	return nil, fmt.Errorf("broker %d: DescribeQuorum answered without %s-0", broker, metadataLog)
}

// millis converts a Kafka timestamp in milliseconds; -1 (unknown) is zero.
func millis(ms int64) time.Time {
	if ms < 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
