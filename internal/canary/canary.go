package canary

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Options configure the canary.
type Options struct {
	TopicOptions
	// Interval between two messages of one partition.
	Interval time.Duration
	// LossTimeout is how long an acknowledged message may be missing while
	// later ones arrived before it counts as lost.
	LossTimeout time.Duration
	// TopicCheckInterval is how often the topic is checked and repaired
	// (new brokers, changed settings); 1 minute when 0.
	TopicCheckInterval time.Duration
	// Servers are the bootstrap brokers.
	Servers []string
	// Sarama is the exporter's client configuration (network, TLS, SASL,
	// version); the canary derives its own from it.
	Sarama *sarama.Config
}

// Canary writes and reads back its topic; see the package doc.
type Canary struct {
	opts     Options
	metrics  *Metrics
	logger   log.Logger
	instance InstanceID
}

// state is one session's detector and in-flight counts, shared by its
// producer and consumer goroutines.
type state struct {
	mu       sync.Mutex
	det      *Detector
	inFlight map[int32]int
}

// New returns a canary with a new random instance id.
func New(opts Options, metrics *Metrics, logger log.Logger) *Canary {
	if opts.TopicCheckInterval <= 0 {
		opts.TopicCheckInterval = time.Minute
	}
	c := &Canary{opts: opts, metrics: metrics, logger: logger}
	_, _ = rand.Read(c.instance[:])
	return c
}

// Instance is this process's instance id.
func (c *Canary) Instance() InstanceID { return c.instance }

// Run runs the canary until ctx ends. It never gives up: when the topic is
// unusable or Kafka unreachable it reports kafka_canary_up 0 and tries
// again.
func (c *Canary) Run(ctx context.Context) {
	level.Info(c.logger).Log("msg", "canary starting", "topic", c.opts.Topic, "instance", c.instance, "interval", c.opts.Interval,
		"loss_timeout", c.opts.LossTimeout)
	backoff := max(c.opts.Interval, time.Second)
	for ctx.Err() == nil {
		began := time.Now()
		err := c.session(ctx)
		c.metrics.Up.Set(0)
		if ctx.Err() != nil {
			break
		}
		if time.Since(began) > 5*time.Minute {
			backoff = max(c.opts.Interval, time.Second) // it ran well: start the backoff over
		}
		level.Warn(c.logger).Log("msg", "canary stopped; retrying", "in", backoff, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	level.Info(c.logger).Log("msg", "canary stopped")
}

// errTopicRecreated ends a session whose topic was deleted and created
// again: its offsets start over, so the session's state is void.
var errTopicRecreated = errors.New("the canary topic was re-created")

// session is one run with its own clients and a fresh detector; it returns
// when ctx ends or the canary cannot go on.
func (c *Canary) session(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	admin, err := sarama.NewClusterAdmin(c.opts.Servers, adminConfig(c.opts.Sarama))
	if err != nil {
		c.setTopicState(TopicState{Findings: []string{FindingCannotDescribe}})
		return fmt.Errorf("admin client: %w", err)
	}
	defer admin.Close()
	// The topic checker stops before the admin closes.
	var checker sync.WaitGroup
	defer checker.Wait()
	topics := NewTopicManager(AdminFrom(admin), c.opts.TopicOptions)
	ts := topics.Ensure()
	c.setTopicState(ts)
	if !ts.Usable() {
		return fmt.Errorf("topic %s unusable: %s", c.opts.Topic, strings.Join(ts.Problems, "; "))
	}

	st := &state{
		det:      NewDetector(DetectorOptions{LossTimeout: c.opts.LossTimeout, Keep: max(2*c.opts.LossTimeout, 5*time.Minute)}),
		inFlight: map[int32]int{},
	}
	client, err := sarama.NewClient(c.opts.Servers, consumerConfig(c.opts.Sarama, c.opts.Interval))
	if err != nil {
		return fmt.Errorf("consumer client: %w", err)
	}
	defer client.Close()
	prod, err := newProducer(c, st, c.opts.Servers, producerConfig(c.opts.Sarama))
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer prod.close(5 * time.Second)
	cons, err := newConsumer(c, st, client)
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	// Deferred calls run last first: stop the partition consumers, then the
	// producer, then the client.
	defer cons.close()
	defer cancel()

	ready := make(chan int32, 64)
	started := map[int32]bool{}
	start := func(ps []int32) {
		for _, p := range ps {
			if !started[p] {
				started[p] = true
				c.metrics.InitPartition(p)
				cons.start(ctx, p, ready)
			}
		}
	}
	start(ts.Partitions)

	// Topic checks run apart, so that a slow admin request never delays
	// the messages.
	checks := make(chan TopicState)
	checker.Add(1)
	go func() {
		defer checker.Done()
		t := time.NewTicker(c.opts.TopicCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ts := topics.Ensure()
			select {
			case checks <- ts:
			case <-ctx.Done():
				return
			}
		}
	}()

	var producing []int32
	tick := time.NewTicker(c.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-ready:
			producing = append(producing, p)
			c.metrics.Up.Set(1)
		case now := <-tick.C:
			for _, p := range producing {
				prod.send(ctx, p, now)
			}
			c.expire(st, now)
		case ts := <-checks:
			c.setTopicState(ts)
			if ts.Created {
				return errTopicRecreated
			}
			start(ts.Partitions)
		}
	}
}

// setTopicState publishes the findings of a topic check and logs its
// problems.
func (c *Canary) setTopicState(s TopicState) {
	c.metrics.SetFindings(s.Findings)
	if s.Created {
		level.Info(c.logger).Log("msg", "created the canary topic", "topic", c.opts.Topic, "partitions", len(s.Partitions))
	}
	for _, p := range s.Problems {
		level.Warn(c.logger).Log("msg", "canary topic problem", "topic", c.opts.Topic, "problem", p)
	}
}

// expire counts the messages whose gap outlived the loss timeout.
func (c *Canary) expire(st *state, now time.Time) {
	st.mu.Lock()
	lost := st.det.Expire(now)
	st.mu.Unlock()
	for p, n := range lost {
		c.metrics.Lost.WithLabelValues(partitionLabel(p)).Add(float64(n))
		level.Error(c.logger).Log("msg", "canary messages lost: acknowledged by the cluster and never read back", "topic", c.opts.Topic,
			"partition", p, "lost", n, "loss_timeout", c.opts.LossTimeout)
	}
}
