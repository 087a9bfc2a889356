// Package fetch is the I/O half of a poll: it asks Kafka for what the
// exporter needs, batched per broker, and builds an immutable snapshot.
// It judges nothing; package risk does.
package fetch

import (
	"context"
	"regexp"
	"slices"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorMetadata is the name of the Metadata step, which every poll runs
// first; when it fails the poll fails and no other step runs.
const CollectorMetadata = snapshot.CollectorMetadata

// Step is one collector of a poll. Steps run in order after Metadata; each
// reads what Metadata and the earlier steps put in the snapshot and adds its
// own part. A step's error marks it failed (kafka_loss_exporter_collector_success
// 0) without failing the poll: what it could read stays in the snapshot.
type Step interface {
	// Name is the collector label of the step.
	Name() string
	// Run fills the step's part of s.
	Run(ctx context.Context, s *snapshot.Snapshot) error
}

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
	steps  []Step
	now    func() time.Time
}

// New returns a Fetcher that reads Metadata through client and then runs
// steps in order.
func New(client *kafka.Client, opts Options, steps ...Step) *Fetcher {
	return &Fetcher{client: client, opts: opts, steps: steps, now: time.Now}
}

// Collectors lists the collector names of a poll, in order.
func (f *Fetcher) Collectors() []string {
	names := []string{CollectorMetadata}
	for _, st := range f.steps {
		names = append(names, st.Name())
	}
	return names
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
		for _, st := range f.steps {
			s.Collectors = append(s.Collectors, snapshot.CollectorResult{Name: st.Name(), Err: "not run: metadata failed"})
		}
		s.Duration = f.now().Sub(start)
		return s, err
	}
	for _, st := range f.steps {
		_ = timed(s, st.Name(), func() error { return st.Run(ctx, s) })
	}
	f.client.WatchAbsent(absentReplicaHosts(s))
	s.Unresponsive = f.client.Unresponsive()
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
		r.Reason = kafka.Reason(err)
	}
	s.Collectors = append(s.Collectors, r)
	return err
}

// absentReplicaHosts returns the brokers that host replicas but are missing
// from the live broker list.
func absentReplicaHosts(s *snapshot.Snapshot) []int32 {
	var out []int32
	for ti := range s.Topics {
		for pi := range s.Topics[ti].Partitions {
			for _, r := range s.Topics[ti].Partitions[pi].Replicas {
				if !s.BrokerUp(r) && !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}
