package canary

import (
	"context"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// sendInfo travels with a message through the producer.
type sendInfo struct {
	partition int32
	seq       uint64
	sentAt    time.Time
}

// producer sends the canary's messages with an idempotent acks=all
// producer and hands the outcomes to the detector.
type producer struct {
	c    *Canary
	st   *state
	ap   sarama.AsyncProducer
	done sync.WaitGroup
}

func newProducer(c *Canary, st *state, servers []string, conf *sarama.Config) (*producer, error) {
	ap, err := sarama.NewAsyncProducer(servers, conf)
	if err != nil {
		return nil, err
	}
	p := &producer{c: c, st: st, ap: ap}
	p.done.Add(2)
	go p.successes()
	go p.errors()
	return p, nil
}

// send produces the next message of partition part, unless too many of its
// messages are still in flight.
func (p *producer) send(ctx context.Context, part int32, now time.Time) {
	c, st := p.c, p.st
	st.mu.Lock()
	if st.inFlight[part] >= maxInFlight {
		st.mu.Unlock()
		level.Debug(c.logger).Log("msg", "canary partition skipped: too many messages in flight", "partition", part)
		return
	}
	st.inFlight[part]++
	seq := st.det.Send(part)
	st.mu.Unlock()
	m := Message{Instance: c.instance, Partition: part, Seq: seq, SentAt: now.UTC()}
	msg := &sarama.ProducerMessage{
		Topic:     c.opts.Topic,
		Partition: part,
		Value:     sarama.ByteEncoder(m.Encode()),
		Metadata:  sendInfo{partition: part, seq: seq, sentAt: time.Now()},
	}
	c.metrics.Sent.WithLabelValues(partitionLabel(part)).Inc()
	select {
	case p.ap.Input() <- msg:
	case <-ctx.Done():
		st.mu.Lock()
		st.inFlight[part]--
		st.det.Failed(part, seq, time.Now())
		st.mu.Unlock()
	}
}

func (p *producer) successes() {
	defer p.done.Done()
	c, st := p.c, p.st
	for msg := range p.ap.Successes() {
		info := msg.Metadata.(sendInfo)
		now := time.Now()
		st.mu.Lock()
		st.inFlight[info.partition]--
		st.det.Acked(info.partition, info.seq, now)
		st.mu.Unlock()
		c.metrics.Acked.WithLabelValues(partitionLabel(info.partition)).Inc()
		c.metrics.ProduceLatency.Observe(now.Sub(info.sentAt).Seconds())
	}
}

func (p *producer) errors() {
	defer p.done.Done()
	c, st := p.c, p.st
	for perr := range p.ap.Errors() {
		info := perr.Msg.Metadata.(sendInfo)
		st.mu.Lock()
		st.inFlight[info.partition]--
		st.det.Failed(info.partition, info.seq, time.Now())
		st.mu.Unlock()
		name := kafka.ErrorName(perr.Err)
		c.metrics.produceError(name)
		level.Debug(c.logger).Log("msg", "canary produce failed", "partition", info.partition, "seq", info.seq, "error", name, "err", perr.Err)
	}
}

// close stops the producer, waiting at most timeout for the messages in
// flight to be acknowledged or to fail.
func (p *producer) close(timeout time.Duration) {
	p.ap.AsyncClose()
	done := make(chan struct{})
	go func() { p.done.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		level.Warn(p.c.logger).Log("msg", "canary producer did not finish within the shutdown timeout", "timeout", timeout)
	}
}
