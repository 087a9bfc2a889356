// Package fetch is the I/O half of a poll: it asks Kafka for what the
// exporter needs, batched per broker, and builds an immutable snapshot.
// It judges nothing; package risk does.
package fetch

import (
	"context"
	"regexp"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Collector names, as reported in kafka_loss_exporter_collector_success.
const (
	CollectorMetadata = "metadata"
	CollectorOffsets  = "offsets"
)

// Collectors lists the collectors every poll runs, in order.
var Collectors = []string{CollectorMetadata, CollectorOffsets}

// Options select what a poll reads.
type Options struct {
	// TopicFilter keeps the topics whose name matches (nil keeps all).
	TopicFilter *regexp.Regexp
	// TopicExclude drops the topics whose name matches (nil drops none).
	TopicExclude *regexp.Regexp
}

// Fetcher builds snapshots from a Kafka cluster.
type Fetcher struct {
	client *kafka.Client
	opts   Options
	now    func() time.Time
}

// New returns a Fetcher that reads through client.
func New(client *kafka.Client, opts Options) *Fetcher {
	return &Fetcher{client: client, opts: opts, now: time.Now}
}

// Fetch runs one poll. The snapshot is always returned, with the outcome of
// each collector; the error is non-nil when the cluster could not be read at
// all (Metadata failed), in which case the snapshot holds no cluster state.
func (f *Fetcher) Fetch(ctx context.Context) (*snapshot.Snapshot, error) {
	start := f.now()
	s := &snapshot.Snapshot{Time: start, ControllerID: -1}

	err := timed(s, CollectorMetadata, func() error {
		r, err := f.client.Metadata(ctx)
		if err != nil {
			return err
		}
		s.ClusterID, s.ControllerID, s.Brokers, s.Topics = fromMetadata(r, f.keepTopic)
		return nil
	})
	if err != nil {
		s.Collectors = append(s.Collectors, snapshot.CollectorResult{Name: CollectorOffsets, Err: "not run: metadata failed"})
		s.Duration = f.now().Sub(start)
		return s, err
	}

	_ = timed(s, CollectorOffsets, func() error {
		return fetchOffsets(ctx, f.client, s.Topics)
	})

	s.Duration = f.now().Sub(start)
	return s, nil
}

func (f *Fetcher) keepTopic(name string) bool {
	if f.opts.TopicFilter != nil && !f.opts.TopicFilter.MatchString(name) {
		return false
	}
	if f.opts.TopicExclude != nil && f.opts.TopicExclude.MatchString(name) {
		return false
	}
	return true
}

// timed runs one collector and records its outcome in s.
func timed(s *snapshot.Snapshot, name string, run func() error) error {
	start := time.Now()
	err := run()
	r := snapshot.CollectorResult{Name: name, Success: err == nil, Duration: time.Since(start)}
	if err != nil {
		r.Err = err.Error()
	}
	s.Collectors = append(s.Collectors, r)
	return err
}
