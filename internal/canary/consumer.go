package canary

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/go-kit/log/level"
)

// reseekRewind is how many offsets before the log end the consumer starts
// again after its position fell off the end of a truncated log, so that it
// reads the offsets a new leader wrote over (and notices the rewrite).
const reseekRewind = 1000

// consumer reads the canary topic without a consumer group: one partition
// consumer per partition, starting at the log end when the canary starts,
// so a restarted exporter never judges an earlier run's messages and no
// offsets are committed (no group to authorize, join, or rebalance).
type consumer struct {
	c      *Canary
	st     *state
	client sarama.Client
	cons   sarama.Consumer
	wg     sync.WaitGroup
}

func newConsumer(c *Canary, st *state, client sarama.Client) (*consumer, error) {
	cons, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, err
	}
	return &consumer{c: c, st: st, client: client, cons: cons}, nil
}

// start consumes partition p from its current log end until ctx ends; it
// sends p on ready once the starting offset is fixed, so that every
// message produced after that is read.
func (k *consumer) start(ctx context.Context, p int32, ready chan<- int32) {
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		k.consume(ctx, p, ready)
	}()
}

func (k *consumer) consume(ctx context.Context, p int32, ready chan<- int32) {
	c := k.c
	next := sarama.OffsetNewest
	announced := false
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		pc, err := k.cons.ConsumePartition(c.opts.Topic, p, next)
		if errors.Is(err, sarama.ErrOffsetOutOfRange) && next >= 0 {
			if moved := k.reseek(p, next); moved != next {
				next = moved
				continue
			}
		}
		if err != nil {
			level.Debug(c.logger).Log("msg", "canary consumer cannot start", "partition", p, "offset", next, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 250 * time.Millisecond
		if !announced {
			announced = true
			select {
			case ready <- p:
			case <-ctx.Done():
				_ = pc.Close()
				return
			}
		}
		next = k.read(ctx, p, pc, next)
		_ = pc.Close()
	}
}

// read handles pc's messages until ctx ends or pc stops (its position fell
// out of the log); it returns the offset to continue from.
func (k *consumer) read(ctx context.Context, p int32, pc sarama.PartitionConsumer, next int64) int64 {
	c := k.c
	outOfRange := false
	msgs, errs := pc.Messages(), pc.Errors()
	for msgs != nil {
		select {
		case <-ctx.Done():
			return next
		case m, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			next = m.Offset + 1
			k.handle(p, m)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if errors.Is(err, sarama.ErrOffsetOutOfRange) {
				outOfRange = true
			}
			level.Debug(c.logger).Log("msg", "canary consumer error", "partition", p, "err", err)
		}
	}
	if outOfRange && next >= 0 {
		return k.reseek(p, next)
	}
	return next
}

// reseek picks where to read on after position next fell out of the log.
// Above the log end, the log was truncated (an unclean election): what was
// read at or above the new end is gone, and reading starts again a little
// before the end to see what the new leader wrote over. Below the log start,
// retention deleted it: reading goes on at the start.
func (k *consumer) reseek(p int32, next int64) int64 {
	c := k.c
	newest, err1 := k.client.GetOffset(c.opts.Topic, p, sarama.OffsetNewest)
	oldest, err2 := k.client.GetOffset(c.opts.Topic, p, sarama.OffsetOldest)
	if err := errors.Join(err1, err2); err != nil {
		level.Debug(c.logger).Log("msg", "canary consumer cannot read the log bounds", "partition", p, "err", err)
		return next
	}
	if next > newest {
		k.st.mu.Lock()
		gone := k.st.det.Truncated(p, newest, time.Now())
		k.st.mu.Unlock()
		from := max(oldest, newest-reseekRewind)
		level.Warn(c.logger).Log("msg", "canary partition truncated below the consumer's position (unclean leader election?)", "partition", p,
			"position", next, "log_end", newest, "messages_read_and_gone", gone, "reading_from", from)
		return from
	}
	if next < oldest {
		level.Warn(c.logger).Log("msg", "canary consumer fell behind the log start", "partition", p, "position", next, "log_start", oldest)
		return oldest
	}
	return next
}

// handle judges one message read.
func (k *consumer) handle(p int32, m *sarama.ConsumerMessage) {
	c := k.c
	now := time.Now()
	msg, err := DecodeMessage(m.Value)
	k.st.mu.Lock()
	if err != nil || msg.Instance != c.instance || msg.Partition != p {
		k.st.det.Foreign(p, m.Offset, now)
		k.st.mu.Unlock()
		return
	}
	v := k.st.det.Received(p, msg.Seq, m.Offset, now)
	k.st.mu.Unlock()
	c.metrics.applyVerdict(p, v, now.Sub(msg.SentAt), now)
	if v == VerdictDuplicate || v == VerdictOutOfOrder {
		level.Warn(c.logger).Log("msg", "canary message "+v.String(), "partition", p, "seq", msg.Seq, "offset", m.Offset)
	}
}

// close stops every partition consumer (their goroutines end with the
// session's context) and the consumer.
func (k *consumer) close() {
	k.wg.Wait()
	_ = k.cons.Close()
}
