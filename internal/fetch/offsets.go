package fetch

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorOffsets is the name of the ListOffsets step.
const CollectorOffsets = snapshot.CollectorOffsets

// Offsets is the step that reads every partition's earliest and latest
// offset, and every replica's log end offset.
type Offsets struct {
	client *kafka.Client
	// last are the topics of the previous poll, whose replica log ends
	// stand in for those a live broker did not answer this time (only the
	// step's goroutine uses it).
	last []snapshot.Topic
}

// NewOffsets returns the ListOffsets step.
func NewOffsets(client *kafka.Client) *Offsets { return &Offsets{client: client} }

// Name implements Step.
func (o *Offsets) Name() string { return CollectorOffsets }

// Run implements Step. Partitions Kafka refuses to show
// (TOPIC_AUTHORIZATION_FAILED, carried in their offsets' error) fail the
// step with a *DeniedError; the others are read.
func (o *Offsets) Run(ctx context.Context, s *snapshot.Snapshot) error {
	// The replicas' log ends are read beside the leaders' offsets, on the
	// same connections; a poll waits one round trip for both.
	var err, logEndsErr error
	parallel(2, func(i int) {
		if i == 0 {
			err = fetchOffsets(ctx, o.client, s.Topics)
		} else {
			logEndsErr = fetchLogEnds(ctx, o.client, s.Brokers, s.Topics)
		}
	})
	setLeaderLogEnds(s.Topics)
	keepLastAnswers(s.Topics, o.last)
	o.last = s.Topics
	err = kafka.JoinErrors(nonNil(err, logEndsErr))
	denied := newDenials()
	for _, t := range s.Topics {
		for _, p := range t.Partitions {
			denied.note(p.Offsets.Err, t.Name)
		}
	}
	return withDenied(err, denied.finish(o.client.Denied))
}

// partitionRef points at one partition inside the snapshot being built.
type partitionRef struct {
	topic string
	p     *snapshot.Partition
}

// fetchOffsets reads the earliest and latest offset of every partition with
// two ListOffsets requests per leader broker (one for each timestamp), sent
// to all leaders in parallel. Failures are carried per partition; the error
// says which brokers failed.
func fetchOffsets(ctx context.Context, client *kafka.Client, topics []snapshot.Topic) error {
	byLeader := map[int32][]partitionRef{}
	for ti := range topics {
		t := &topics[ti]
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			if p.Leader == snapshot.NoLeader {
				p.Offsets = snapshot.Offsets{Err: snapshot.ErrNoLeader}
				continue
			}
			byLeader[p.Leader] = append(byLeader[p.Leader], partitionRef{topic: t.Name, p: p})
		}
	}

	leaders := make([]int32, 0, len(byLeader))
	for id := range byLeader {
		leaders = append(leaders, id)
	}
	sort.Slice(leaders, func(i, j int) bool { return leaders[i] < leaders[j] })

	errs := make([]error, len(leaders))
	var wg sync.WaitGroup
	for i, id := range leaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = offsetsFromLeader(ctx, client, id, byLeader[id])
		}()
	}
	wg.Wait()

	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("ListOffsets failed on %d of %d leader brokers: %w", len(failed), len(leaders), kafka.JoinErrors(failed))
	}
	return nil
}

// offsetsFromLeader fills the offsets of the partitions led by one broker.
// The two requests (one ListOffsets cannot name a partition twice) go one
// after the other, two round trips: sarama holds the connection until each
// response arrives, so sending them "at once" on one connection serialised
// them anyway (docs/scale.md). When the first finds the broker hung, the
// second fails at once (kafka.UnresponsiveError).
func offsetsFromLeader(ctx context.Context, client *kafka.Client, leader int32, parts []partitionRef) error {
	oldest, err := listOffsets(ctx, client, leader, parts, sarama.OffsetOldest)
	var latest *sarama.OffsetResponse
	if err == nil {
		latest, err = listOffsets(ctx, client, leader, parts, sarama.OffsetNewest)
	}
	if err == nil {
		for _, ref := range parts {
			ref.p.Offsets = offsetsOf(oldest, latest, ref.topic, ref.p.ID)
		}
		return nil
	}
	unreachable := fmt.Errorf("%w: %w", snapshot.ErrLeaderUnreachable, err)
	for _, ref := range parts {
		ref.p.Offsets = snapshot.Offsets{Err: unreachable}
	}
	return err
}

func listOffsets(ctx context.Context, client *kafka.Client, leader int32, parts []partitionRef, at int64) (*sarama.OffsetResponse, error) {
	req := sarama.NewOffsetRequest(client.Version())
	for _, ref := range parts {
		req.AddBlock(ref.topic, ref.p.ID, at, 1)
	}
	list := kafka.APIFeature(kafka.APIListOffsets, kafka.KeyListOffsets)
	return kafka.OnBrokerAPI(ctx, client, leader, list, req.Version, func(b *sarama.Broker, v int16) (*sarama.OffsetResponse, error) {
		req.Version = v
		return b.GetAvailableOffsets(req)
	})
}

// offsetsOf reads one partition's answer from both responses.
func offsetsOf(oldest, latest *sarama.OffsetResponse, topic string, partition int32) snapshot.Offsets {
	o, l := oldest.GetBlock(topic, partition), latest.GetBlock(topic, partition)
	switch {
	case o == nil || l == nil:
		return snapshot.Offsets{Err: snapshot.ErrMissingFromResponse}
	case o.Err != sarama.ErrNoError:
		return snapshot.Offsets{Err: o.Err}
	case l.Err != sarama.ErrNoError:
		return snapshot.Offsets{Err: l.Err}
	}
	return snapshot.Offsets{Known: true, Oldest: blockOffset(o), Latest: blockOffset(l)}
}

func blockOffset(b *sarama.OffsetResponseBlock) int64 {
	if len(b.Offsets) > 0 && b.Offset == 0 {
		return b.Offsets[0]
	}
	return b.Offset
}

// nonNil returns the errors that are not nil.
func nonNil(errs ...error) []error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
