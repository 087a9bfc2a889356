package fetch

import (
	"context"
	"fmt"
	"slices"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorRecordTimestamps is the name of the record-timestamps step.
const CollectorRecordTimestamps = snapshot.CollectorRecordTimestamps

// maxTimestampReads bounds the records read per poll, and
// timestampFetchBytes the bytes asked per partition.
const (
	maxTimestampReads   = 200
	timestampFetchBytes = 64 << 10
)

// RecordTimestamps is the step behind --lag.read-timestamps: it reads the
// timestamp of the next message a group will read, for the partitions whose
// lag in seconds the exporter's own history cannot give (right after start,
// or for a group further behind than the history reaches). It sends one
// Fetch per partition leader holding such partitions, and none in a poll
// that needs no timestamp, which is the steady state: once anchored, the
// history covers the group as it moves on.
type RecordTimestamps struct {
	client *kafka.Client
	needs  func() []snapshot.RecordRef
}

// NewRecordTimestamps returns the step; needs lists the records to read
// (the previous poll's unknown lag-seconds partitions).
func NewRecordTimestamps(client *kafka.Client, needs func() []snapshot.RecordRef) *RecordTimestamps {
	return &RecordTimestamps{client: client, needs: needs}
}

// Name implements Step.
func (r *RecordTimestamps) Name() string { return CollectorRecordTimestamps }

// Run implements Step. Records of topics Kafka refuses to let it read fail
// the step with a *DeniedError.
func (r *RecordTimestamps) Run(ctx context.Context, s *snapshot.Snapshot) error {
	denied := newDenials()
	err := r.readAll(ctx, s, denied)
	return withDenied(err, denied.finish(r.client.Denied))
}

// readAll reads the needed records' timestamps into s.
func (r *RecordTimestamps) readAll(ctx context.Context, s *snapshot.Snapshot, denied *denials) error {
	refs := r.needs()
	if len(refs) > maxTimestampReads {
		refs = refs[:maxTimestampReads]
	}
	byLeader := map[int32][]snapshot.RecordRef{}
	for _, ref := range refs {
		t := s.Topic(ref.Topic)
		if t == nil {
			continue
		}
		if p := t.Partition(ref.Partition); p != nil && p.Leader != snapshot.NoLeader {
			byLeader[p.Leader] = append(byLeader[p.Leader], ref)
		}
	}
	leaders := make([]int32, 0, len(byLeader))
	for id := range byLeader {
		leaders = append(leaders, id)
	}
	slices.Sort(leaders)
	results := make([][]snapshot.RecordTime, len(leaders))
	errs := make([]error, len(leaders))
	parallel(len(leaders), func(i int) {
		results[i], errs[i] = r.read(ctx, leaders[i], byLeader[leaders[i]], denied)
	})
	var failed []error
	for i := range leaders {
		s.RecordTimes = append(s.RecordTimes, results[i]...)
		if errs[i] != nil {
			failed = append(failed, errs[i])
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("reading record timestamps: %w", kafka.JoinErrors(failed))
	}
	return nil
}

func (r *RecordTimestamps) read(ctx context.Context, leader int32, refs []snapshot.RecordRef, denied *denials) ([]snapshot.RecordTime, error) {
	req := &sarama.FetchRequest{Version: 4, MaxWaitTime: 0, MinBytes: 0, MaxBytes: 4 << 20, Isolation: sarama.ReadUncommitted}
	if r.client.Version().IsAtLeast(sarama.V2_3_0_0) {
		req.Version = 11
	}
	for _, ref := range refs {
		req.AddBlock(ref.Topic, ref.Partition, ref.Offset, timestampFetchBytes, -1)
	}
	fetch := kafka.APIFeature(kafka.APIFetch, kafka.KeyFetch)
	resp, err := kafka.OnBrokerAPI(ctx, r.client, leader, fetch, req.Version, func(b *sarama.Broker, v int16) (*sarama.FetchResponse, error) {
		req.Version = v
		return b.Fetch(req)
	})
	if err != nil {
		// Nothing is reported for these records, so the next poll asks again.
		return nil, fmt.Errorf("Fetch: %w", err)
	}
	out := make([]snapshot.RecordTime, 0, len(refs))
	for _, ref := range refs {
		b := resp.GetBlock(ref.Topic, ref.Partition)
		if b != nil {
			denied.note(b.Err, ref.Topic)
		}
		out = append(out, recordTime(b, ref))
	}
	return out, nil
}

// recordTime finds the first data record at or after ref's offset in a
// fetch answer.
func recordTime(b *sarama.FetchResponseBlock, ref snapshot.RecordRef) snapshot.RecordTime {
	rt := snapshot.RecordTime{RecordRef: ref}
	if b == nil || b.Err != sarama.ErrNoError {
		return rt
	}
	for _, recs := range b.RecordsSet {
		batch := recs.RecordBatch
		if batch == nil || batch.Control {
			continue
		}
		for _, rec := range batch.Records {
			if batch.FirstOffset+rec.OffsetDelta < ref.Offset {
				continue
			}
			ts := batch.FirstTimestamp.Add(rec.TimestampDelta)
			if batch.LogAppendTime {
				ts = batch.MaxTimestamp
			}
			if ts.UnixMilli() <= 0 {
				return rt
			}
			rt.Found, rt.Time, rt.LogAppendTime = true, ts, batch.LogAppendTime
			return rt
		}
	}
	return rt
}
