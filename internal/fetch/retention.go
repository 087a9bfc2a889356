package fetch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorRetention is the name of the retention step.
const CollectorRetention = "topic_retention"

// Retention is the step that reads the retention settings (retention.ms,
// retention.bytes, cleanup.policy) of every topic, for the consumers'
// retention headroom. Configuration changes rarely, so it sends one
// DescribeConfigs request for all topics only every refresh interval, or
// when a topic appears that it has not read yet; in between it copies its
// cached answer into each snapshot.
type Retention struct {
	client  *kafka.Client
	refresh time.Duration
	now     func() time.Time

	mu      sync.Mutex
	cache   map[string]snapshot.TopicRetention
	asked   map[string]bool // topics the last successful read asked about
	readAt  time.Time
	lastErr error
	// partial names the topics the last successful read got an error for;
	// they are not asked again before the next refresh.
	partial error
}

// NewRetention returns the retention step.
func NewRetention(client *kafka.Client, refresh time.Duration) *Retention {
	return &Retention{client: client, refresh: refresh, now: time.Now}
}

// Name implements Step.
func (r *Retention) Name() string { return CollectorRetention }

// Run implements Step.
func (r *Retention) Run(ctx context.Context, s *snapshot.Snapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	stale := r.cache == nil || r.lastErr != nil || r.now().Sub(r.readAt) >= r.refresh
	for i := range s.Topics {
		if !r.asked[s.Topics[i].Name] {
			stale = true
			break
		}
	}
	if stale && len(s.Topics) > 0 && len(s.Brokers) > 0 {
		cache, partial, err := r.read(ctx, s)
		r.lastErr = err
		if err == nil {
			r.partial = partial
			r.cache, r.readAt = cache, r.now()
			r.asked = make(map[string]bool, len(s.Topics))
			for i := range s.Topics {
				r.asked[s.Topics[i].Name] = true
			}
		}
	}
	s.Retention = make(map[string]snapshot.TopicRetention, len(s.Topics))
	for i := range s.Topics {
		if tr, ok := r.cache[s.Topics[i].Name]; ok {
			s.Retention[s.Topics[i].Name] = tr
		}
	}
	if r.lastErr != nil {
		return r.lastErr
	}
	return r.partial
}

// read sends one DescribeConfigs for every topic to one live broker (any
// broker answers for topic configs).
func (r *Retention) read(ctx context.Context, s *snapshot.Snapshot) (map[string]snapshot.TopicRetention, error, error) {
	req := &sarama.DescribeConfigsRequest{Version: 1}
	if r.client.Version().IsAtLeast(sarama.V2_6_0_0) {
		req.Version = 3
	}
	for i := range s.Topics {
		req.Resources = append(req.Resources, &sarama.ConfigResource{
			Type: sarama.TopicResource, Name: s.Topics[i].Name,
			ConfigNames: []string{"retention.ms", "retention.bytes", "cleanup.policy"},
		})
	}
	broker := s.Brokers[0].ID
	if s.BrokerUp(s.ControllerID) {
		broker = s.ControllerID
	}
	describe := kafka.APIFeature(kafka.APIDescribeConfigs, kafka.KeyDescribeConfigs)
	resp, err := kafka.OnBrokerAPI(ctx, r.client, broker, describe, req.Version, func(b *sarama.Broker, v int16) (*sarama.DescribeConfigsResponse, error) {
		req.Version = v
		return b.DescribeConfigs(req)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("DescribeConfigs: %w", err)
	}
	out := make(map[string]snapshot.TopicRetention, len(resp.Resources))
	failed := map[string]int{}
	var firstErr error
	for _, res := range resp.Resources {
		if res.ErrorCode != 0 {
			if firstErr == nil {
				firstErr = sarama.KError(res.ErrorCode)
			}
			failed[kafka.ErrorName(sarama.KError(res.ErrorCode))]++
			continue
		}
		out[res.Name] = retentionOf(res.Configs)
	}
	var partial error
	if len(failed) > 0 {
		partial = &causedError{msg: fmt.Sprintf("DescribeConfigs failed for some topics (count by error): %v", failed), cause: firstErr}
	}
	partial = withDenied(partial, configDenials(resp, r.client.Denied))
	return out, partial, nil
}

// retentionOf reads the retention settings from config entries; missing
// entries take Kafka's defaults (7 days, no size limit, delete).
func retentionOf(entries []*sarama.ConfigEntry) snapshot.TopicRetention {
	tr := snapshot.TopicRetention{RetentionMs: 7 * 24 * 3600 * 1000, RetentionBytes: -1, Delete: true}
	for _, e := range entries {
		switch e.Name {
		case "retention.ms":
			if v, err := strconv.ParseInt(e.Value, 10, 64); err == nil {
				tr.RetentionMs = v
			}
		case "retention.bytes":
			if v, err := strconv.ParseInt(e.Value, 10, 64); err == nil {
				tr.RetentionBytes = v
			}
		case "cleanup.policy":
			tr.Delete = strings.Contains(e.Value, "delete")
		}
	}
	return tr
}
