package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorConfigs is the name of the DescribeConfigs step.
const CollectorConfigs = snapshot.CollectorConfigs

// TopicConfigNames are the topic configuration entries the exporter reads.
var TopicConfigNames = []string{
	"min.insync.replicas",
	"unclean.leader.election.enable",
	"retention.ms",
	"retention.bytes",
	"cleanup.policy",
	"compression.type",
	"message.timestamp.type",
	"remote.storage.enable",
}

// BrokerConfigNames are the broker configuration entries the exporter reads:
// the defaults that new and unconfigured topics inherit.
var BrokerConfigNames = []string{
	"min.insync.replicas",
	"unclean.leader.election.enable",
	"default.replication.factor",
	"auto.create.topics.enable",
	"offsets.topic.replication.factor",
	"transaction.state.log.replication.factor",
	"transaction.state.log.min.isr",
	"broker.rack",
	ConfigOffsetsRetentionMinutes,
}

// ConfigOffsetsRetentionMinutes is snapshot.ConfigOffsetsRetentionMinutes.
const ConfigOffsetsRetentionMinutes = snapshot.ConfigOffsetsRetentionMinutes

// readConfigsFunc reads the configuration of the given brokers and topics.
type readConfigsFunc func(ctx context.Context, brokers []int32, topics []string) (*snapshot.Configs, error)

// Configs is the step that reads topic and broker configuration with
// DescribeConfigs. Configuration changes rarely, so the step reads it at most
// once per interval and reuses the last result in between; it reads it again
// at once when a topic or broker appears that the last result does not know.
//
// One read costs B DescribeConfigs requests for B live brokers, whatever the
// number of topics: the lowest-id live broker is asked for every topic and
// its own configuration in one request, every other broker for its own
// configuration (a broker only describes its own broker resource).
type Configs struct {
	interval time.Duration
	now      func() time.Time
	read     readConfigsFunc

	mu     sync.Mutex
	cached *snapshot.Configs
	// cachedDenied is the *DeniedError of the read that cached holds:
	// refused resources keep the step failed until the next read.
	cachedDenied error
}

// NewConfigs returns the DescribeConfigs step, reading at most once per
// interval.
func NewConfigs(client *kafka.Client, interval time.Duration) *Configs {
	return newConfigs(interval, time.Now, func(ctx context.Context, brokers []int32, topics []string) (*snapshot.Configs, error) {
		return readConfigs(ctx, client, brokers, topics)
	})
}

func newConfigs(interval time.Duration, now func() time.Time, read readConfigsFunc) *Configs {
	return &Configs{interval: interval, now: now, read: read}
}

// Name implements Step.
func (c *Configs) Name() string { return CollectorConfigs }

// Run implements Step. It sets s.Configs to the cached configuration, or to
// a fresh one when the cache is due. A failed read is published as far as it
// got (failed resources carry their error) and is retried on the next poll.
func (c *Configs) Run(ctx context.Context, s *snapshot.Snapshot) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	brokers := make([]int32, 0, len(s.Brokers))
	for _, b := range s.Brokers {
		brokers = append(brokers, b.ID)
	}
	topics := make([]string, 0, len(s.Topics))
	for _, t := range s.Topics {
		topics = append(topics, t.Name)
	}
	if !c.due(brokers, topics) {
		s.Configs = c.cached
		return c.cachedDenied
	}
	fresh, err := c.read(ctx, brokers, topics)
	if fresh != nil {
		fresh.Time = c.now()
	}
	s.Configs = fresh
	var denied *DeniedError
	if err != nil && !errors.As(err, &denied) {
		c.cached, c.cachedDenied = nil, nil
		return err
	}
	// A read that only missed refused resources is kept: asking again
	// before the interval would be refused again.
	c.cached, c.cachedDenied = fresh, err
	return err
}

// due reports whether the configuration must be read again: never read,
// older than the interval, or missing a live broker or a topic.
func (c *Configs) due(brokers []int32, topics []string) bool {
	if c.cached == nil || c.now().Sub(c.cached.Time) >= c.interval {
		return true
	}
	for _, id := range brokers {
		if _, ok := c.cached.Brokers[id]; !ok {
			return true
		}
	}
	for _, t := range topics {
		if _, ok := c.cached.Topics[t]; !ok {
			return true
		}
	}
	return false
}

// readConfigs sends one DescribeConfigs request to each live broker, in
// parallel: the first (lowest id among the responding brokers) also
// describes every topic. When that request fails, the topics are asked of
// the next broker that answers.
func readConfigs(ctx context.Context, client *kafka.Client, brokers []int32, topics []string) (*snapshot.Configs, error) {
	brokers = append([]int32(nil), brokers...)
	hung := client.Unresponsive()
	sort.Slice(brokers, func(i, j int) bool {
		hi, hj := slices.Contains(hung, brokers[i]), slices.Contains(hung, brokers[j])
		if hi != hj {
			return hj
		}
		return brokers[i] < brokers[j]
	})
	out := &snapshot.Configs{
		Topics:  make(map[string]snapshot.ResourceConfig, len(topics)),
		Brokers: make(map[int32]snapshot.ResourceConfig, len(brokers)),
	}
	if len(brokers) == 0 {
		return out, errors.New("no live broker to describe configs")
	}

	type result struct {
		resp *sarama.DescribeConfigsResponse
		err  error
	}
	results := make([]result, len(brokers))
	var wg sync.WaitGroup
	for i, id := range brokers {
		withTopics := i == 0 && len(topics) > 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := describeConfigs(ctx, client, id, true, withTopics, topics)
			results[i] = result{resp, err}
		}()
	}
	wg.Wait()

	var errs []error
	denied := newDenials()
	topicsRead := len(topics) == 0
	for i, id := range brokers {
		r := results[i]
		if r.err != nil {
			errs = append(errs, r.err)
			out.Brokers[id] = snapshot.ResourceConfig{Err: kafka.ErrorName(r.err)}
			continue
		}
		addResources(out, r.resp, denied)
		if _, ok := out.Brokers[id]; !ok {
			out.Brokers[id] = snapshot.ResourceConfig{Err: "MISSING_FROM_RESPONSE"}
		}
		if i == 0 {
			topicsRead = true
		}
	}
	// The first broker failed: ask the others for the topics, one at a
	// time, until one answers.
	for i := 1; !topicsRead && i < len(brokers); i++ {
		if results[i].err != nil {
			continue
		}
		resp, err := describeConfigs(ctx, client, brokers[i], false, true, topics)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		addResources(out, resp, denied)
		topicsRead = true
	}
	var lastErr string
	if len(errs) > 0 {
		lastErr = kafka.ErrorName(errs[len(errs)-1])
	}
	for _, t := range topics {
		if _, ok := out.Topics[t]; !ok {
			if !topicsRead {
				out.Topics[t] = snapshot.ResourceConfig{Err: lastErr}
			} else {
				out.Topics[t] = snapshot.ResourceConfig{Err: "MISSING_FROM_RESPONSE"}
			}
		}
	}
	deniedErr := denied.finish(client.Denied)
	if len(errs) > 0 {
		return out, withDenied(fmt.Errorf("DescribeConfigs failed on %d request(s): %w", len(errs), kafka.JoinErrors(errs)), deniedErr)
	}
	return out, deniedErr
}

// describeConfigs sends one DescribeConfigs request to the broker id, for its
// own broker resource and/or every topic.
func describeConfigs(ctx context.Context, client *kafka.Client, id int32, self, withTopics bool, topics []string) (*sarama.DescribeConfigsResponse, error) {
	req := &sarama.DescribeConfigsRequest{Version: describeConfigsVersion(client.Version())}
	if self {
		req.Resources = append(req.Resources, &sarama.ConfigResource{
			Type: sarama.BrokerResource, Name: fmt.Sprint(id), ConfigNames: BrokerConfigNames,
		})
	}
	if withTopics {
		for _, t := range topics {
			req.Resources = append(req.Resources, &sarama.ConfigResource{
				Type: sarama.TopicResource, Name: t, ConfigNames: TopicConfigNames,
			})
		}
	}
	describe := kafka.APIFeature(kafka.APIDescribeConfigs, kafka.KeyDescribeConfigs)
	return kafka.OnBrokerAPI(ctx, client, id, describe, req.Version, func(b *sarama.Broker, v int16) (*sarama.DescribeConfigsResponse, error) {
		req.Version = v
		return b.DescribeConfigs(req)
	})
}

// addResources copies a response's resources into out, errors included;
// refused resources also go to denied.
func addResources(out *snapshot.Configs, resp *sarama.DescribeConfigsResponse, denied *denials) {
	for _, r := range resp.Resources {
		rc := resourceConfig(r)
		if r.Type == sarama.BrokerResource {
			denied.note(sarama.KError(r.ErrorCode), "broker "+r.Name+" config")
		} else {
			denied.note(sarama.KError(r.ErrorCode), r.Name)
		}
		switch r.Type {
		case sarama.TopicResource:
			out.Topics[r.Name] = rc
		case sarama.BrokerResource:
			var id int32
			if _, err := fmt.Sscan(r.Name, &id); err == nil {
				out.Brokers[id] = rc
			}
		}
	}
}

// resourceConfig converts one resource of a response.
func resourceConfig(r *sarama.ResourceResponse) snapshot.ResourceConfig {
	if r.ErrorCode != 0 {
		return snapshot.ResourceConfig{Err: kafka.ErrorName(sarama.KError(r.ErrorCode))}
	}
	rc := snapshot.ResourceConfig{Entries: make(map[string]snapshot.ConfigValue, len(r.Configs))}
	for _, e := range r.Configs {
		rc.Entries[e.Name] = snapshot.ConfigValue{Value: e.Value, Source: configSource(e)}
	}
	return rc
}

func configSource(e *sarama.ConfigEntry) snapshot.ConfigSource {
	switch e.Source {
	case sarama.SourceTopic:
		return snapshot.SourceTopicOverride
	case sarama.SourceDynamicBroker:
		return snapshot.SourceDynamicBroker
	case sarama.SourceDynamicDefaultBroker:
		return snapshot.SourceDynamicClusterDefault
	case sarama.SourceStaticBroker:
		return snapshot.SourceStaticBroker
	case sarama.SourceDefault:
		return snapshot.SourceKafkaDefault
	}
	if e.Default {
		return snapshot.SourceKafkaDefault
	}
	return snapshot.SourceUnknown
}
