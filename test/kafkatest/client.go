package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// Default bounds of the helpers' waits.
const (
	metadataTimeout = 60 * time.Second
	restoreTimeout  = 3 * time.Minute
	pollInterval    = 250 * time.Millisecond
)

// SaramaConfig returns a fresh sarama config for this cluster: protocol
// version 3.6, client id "kafkatest", producer successes returned, short
// retry backoffs. Everything else is sarama's default (so
// Metadata.AllowAutoTopicCreation is true, and the brokers have
// auto.create.topics.enable=true).
func (c *Cluster) SaramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.ClientID = "kafkatest"
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 10
	cfg.Metadata.Retry.Backoff = pollInterval
	cfg.Admin.Retry.Max = 10
	cfg.Admin.Retry.Backoff = pollInterval
	cfg.Admin.Timeout = 30 * time.Second
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Max = 10
	cfg.Producer.Retry.Backoff = pollInterval
	if c.configure != nil {
		c.configure(cfg)
	}
	return cfg
}

// Admin returns a new cluster admin, closed when the test ends.
func (c *Cluster) Admin(t testing.TB) sarama.ClusterAdmin {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(c.bootstrap, c.SaramaConfig())
	if err != nil {
		t.Fatalf("kafkatest: creating cluster admin for %v: %v", c.bootstrap, err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}

// withAdmin runs f with a short-lived admin.
func (c *Cluster) withAdmin(t testing.TB, f func(sarama.ClusterAdmin)) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(c.bootstrap, c.SaramaConfig())
	if err != nil {
		t.Fatalf("kafkatest: creating cluster admin for %v: %v", c.bootstrap, err)
	}
	defer admin.Close()
	f(admin)
}

// CreateTopic creates a topic with the given partition count, replication
// factor and topic configs (nil for none), and waits until every reachable
// broker's metadata shows every partition with a leader.
func (c *Cluster) CreateTopic(t testing.TB, name string, partitions int32, rf int16, configs map[string]string) {
	t.Helper()
	c.createTopic(t, name, &sarama.TopicDetail{
		NumPartitions:     partitions,
		ReplicationFactor: rf,
		ConfigEntries:     configEntries(configs),
	}, int(partitions))
}

// CreateTopicWithAssignment creates a topic whose partition p has the replicas
// assignment[p] (the first one is the preferred leader), with the given topic
// configs (nil for none), and waits until every reachable broker's metadata
// shows every partition with a leader.
func (c *Cluster) CreateTopicWithAssignment(t testing.TB, name string, assignment [][]int32, configs map[string]string) {
	t.Helper()
	m := make(map[int32][]int32, len(assignment))
	for p, replicas := range assignment {
		m[int32(p)] = append([]int32(nil), replicas...)
	}
	c.createTopic(t, name, &sarama.TopicDetail{
		NumPartitions:     -1,
		ReplicationFactor: -1,
		ReplicaAssignment: m,
		ConfigEntries:     configEntries(configs),
	}, len(assignment))
}

func configEntries(configs map[string]string) map[string]*string {
	if len(configs) == 0 {
		return nil
	}
	m := make(map[string]*string, len(configs))
	for k, v := range configs {
		m[k] = &v
	}
	return m
}

func (c *Cluster) createTopic(t testing.TB, name string, detail *sarama.TopicDetail, partitions int) {
	t.Helper()
	c.withAdmin(t, func(admin sarama.ClusterAdmin) {
		if err := admin.CreateTopic(name, detail, false); err != nil {
			t.Fatalf("kafkatest: creating topic %q: %v", name, err)
		}
	})
	c.WaitFor(t, metadataTimeout, fmt.Sprintf("topic %q to have %d partitions with a leader on every broker", name, partitions),
		func() (bool, string) {
			return c.eachBrokerMetadata(false, []string{name}, func(addr string, md *sarama.MetadataResponse) string {
				tm := findTopic(md, name)
				if tm == nil {
					return "topic not in metadata"
				}
				if !errors.Is(tm.Err, sarama.ErrNoError) {
					return fmt.Sprintf("topic error %v", tm.Err)
				}
				if len(tm.Partitions) != partitions {
					return fmt.Sprintf("%d of %d partitions", len(tm.Partitions), partitions)
				}
				for _, p := range tm.Partitions {
					if p.Leader < 0 {
						return fmt.Sprintf("partition %d has no leader", p.ID)
					}
				}
				return ""
			})
		})
}

// DeleteTopic deletes a topic and waits until no reachable broker's metadata
// lists it. A topic that does not exist is not an error.
func (c *Cluster) DeleteTopic(t testing.TB, name string) {
	t.Helper()
	c.withAdmin(t, func(admin sarama.ClusterAdmin) {
		if err := admin.DeleteTopic(name); err != nil && !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			t.Fatalf("kafkatest: deleting topic %q: %v", name, err)
		}
	})
	c.WaitFor(t, metadataTimeout, fmt.Sprintf("topic %q to be gone from every broker's metadata", name),
		func() (bool, string) {
			// All-topics metadata: asking for the topic by name could
			// auto-create it again.
			return c.eachBrokerMetadata(false, nil, func(addr string, md *sarama.MetadataResponse) string {
				if findTopic(md, name) != nil {
					return "topic still listed"
				}
				return ""
			})
		})
}

// AlterTopicConfig sets the given topic configs (IncrementalAlterConfigs SET;
// other configs of the topic are kept) and waits until every reachable broker
// reports the new values.
func (c *Cluster) AlterTopicConfig(t testing.TB, topic string, configs map[string]string) {
	t.Helper()
	if len(configs) == 0 {
		return
	}
	entries := make(map[string]sarama.IncrementalAlterConfigsEntry, len(configs))
	names := make([]string, 0, len(configs))
	for k, v := range configs {
		entries[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}
		names = append(names, k)
	}
	sort.Strings(names)
	c.withAdmin(t, func(admin sarama.ClusterAdmin) {
		if err := admin.IncrementalAlterConfig(sarama.TopicResource, topic, entries, false); err != nil {
			t.Fatalf("kafkatest: altering configs of topic %q to %v: %v", topic, configs, err)
		}
	})
	c.WaitFor(t, metadataTimeout, fmt.Sprintf("every broker to report topic %q configs %v", topic, configs),
		func() (bool, string) {
			return c.eachBroker(false, func(b *sarama.Broker) string {
				res, err := b.DescribeConfigs(&sarama.DescribeConfigsRequest{
					Version:   2,
					Resources: []*sarama.ConfigResource{{Type: sarama.TopicResource, Name: topic, ConfigNames: names}},
				})
				if err != nil {
					return err.Error()
				}
				if len(res.Resources) != 1 {
					return fmt.Sprintf("%d resources in DescribeConfigs response", len(res.Resources))
				}
				r := res.Resources[0]
				if r.ErrorCode != 0 {
					return fmt.Sprintf("DescribeConfigs: %v %s", sarama.KError(r.ErrorCode), r.ErrorMsg)
				}
				got := map[string]string{}
				for _, e := range r.Configs {
					got[e.Name] = e.Value
				}
				for _, k := range names {
					if got[k] != configs[k] {
						return fmt.Sprintf("%s=%q, want %q", k, got[k], configs[k])
					}
				}
				return ""
			})
		})
}

// SyncProducer returns a sync producer with the given acks and a manual
// partitioner (set ProducerMessage.Partition), closed when the test ends.
func (c *Cluster) SyncProducer(t testing.TB, acks sarama.RequiredAcks) sarama.SyncProducer {
	t.Helper()
	p := c.newProducer(t, acks)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func (c *Cluster) newProducer(t testing.TB, acks sarama.RequiredAcks) sarama.SyncProducer {
	t.Helper()
	cfg := c.SaramaConfig()
	cfg.Producer.RequiredAcks = acks
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer(c.bootstrap, cfg)
	if err != nil {
		t.Fatalf("kafkatest: creating producer: %v", err)
	}
	return p
}

// Produce writes n small records to one partition of a topic with the given
// acks and returns the offset of the last one (-1 if n <= 0). It fails the
// test on any error.
func (c *Cluster) Produce(t testing.TB, topic string, partition int32, n int, acks sarama.RequiredAcks) (lastOffset int64) {
	t.Helper()
	if n <= 0 {
		return -1
	}
	p := c.newProducer(t, acks)
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{
			Topic:     topic,
			Partition: partition,
			Value:     sarama.StringEncoder(fmt.Sprintf("kafkatest record %d", i)),
		}
	}
	if err := p.SendMessages(msgs); err != nil {
		var perrs sarama.ProducerErrors
		if errors.As(err, &perrs) && len(perrs) > 0 {
			t.Fatalf("kafkatest: producing %d records to %s/%d: %d failed, first: %v", n, topic, partition, len(perrs), perrs[0].Err)
		}
		t.Fatalf("kafkatest: producing %d records to %s/%d: %v", n, topic, partition, err)
	}
	lastOffset = -1
	for _, m := range msgs {
		lastOffset = max(lastOffset, m.Offset)
	}
	return lastOffset
}

// CommitOffsets commits offsets (partition -> next offset to consume) of a
// topic for a consumer group without joining it (generation -1), so the group
// shows up Empty with committed offsets. It retries while the group
// coordinator is loading and waits until the offsets can be read back.
func (c *Cluster) CommitOffsets(t testing.TB, group, topic string, offsets map[int32]int64) {
	t.Helper()
	if len(offsets) == 0 {
		return
	}
	req := map[string]map[int32]sarama.OffsetAndMetadata{topic: {}}
	parts := make([]int32, 0, len(offsets))
	for p, o := range offsets {
		req[topic][p] = sarama.OffsetAndMetadata{Offset: o, LeaderEpoch: -1}
		parts = append(parts, p)
	}
	admin, err := sarama.NewClusterAdmin(c.bootstrap, c.SaramaConfig())
	if err != nil {
		t.Fatalf("kafkatest: creating cluster admin: %v", err)
	}
	defer admin.Close()
	committed := false
	c.WaitFor(t, metadataTimeout, fmt.Sprintf("group %q to commit offsets %v of topic %q", group, offsets, topic), func() (bool, string) {
		if !committed {
			resp, err := admin.AlterConsumerGroupOffsets(group, req, nil)
			if err != nil {
				return false, "commit: " + err.Error()
			}
			for p, kerr := range resp.Errors[topic] {
				if !errors.Is(kerr, sarama.ErrNoError) {
					return false, fmt.Sprintf("commit of partition %d: %v", p, kerr)
				}
			}
			committed = true
		}
		got, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: parts})
		if err != nil {
			return false, "offset fetch: " + err.Error()
		}
		for p, want := range offsets {
			b := got.GetBlock(topic, p)
			if b == nil {
				return false, fmt.Sprintf("no committed offset for partition %d", p)
			}
			if !errors.Is(b.Err, sarama.ErrNoError) {
				return false, fmt.Sprintf("offset fetch of partition %d: %v", p, b.Err)
			}
			if b.Offset != want {
				return false, fmt.Sprintf("partition %d committed offset %d, want %d", p, b.Offset, want)
			}
		}
		return true, ""
	})
}

// WaitFor calls cond at once and then every 250ms until it returns true, and
// fails the test if that does not happen within timeout, naming what it waited
// for and the last detail string cond returned.
func (c *Cluster) WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	waitFor(t, timeout, what, cond)
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kafkatest: timed out after %s waiting for %s; last: %s", timeout, what, detail)
		}
		time.Sleep(pollInterval)
	}
}

var (
	topicSeq      atomic.Int64
	topicIllegal  = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)
	topicRunToken = func() string {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}()
)

// UniqueTopic returns a topic name that starts with prefix (characters not
// legal in topic names replaced by '-') and is unique across test runs.
func UniqueTopic(prefix string) string {
	prefix = topicIllegal.ReplaceAllString(prefix, "-")
	if len(prefix) > 200 {
		prefix = prefix[:200]
	}
	return fmt.Sprintf("%s-%s-%d", prefix, topicRunToken, topicSeq.Add(1))
}

// RestoreAll resumes every paused node, starts every stopped node and waits until every broker is up and
// every partition of every topic (internal ones included) has its full ISR
// and a leader on every broker's metadata; then it moves leadership back to
// the preferred replicas. Use it in t.Cleanup so a test leaves a healthy
// cluster (StopNode and KillNode register it themselves).
func (c *Cluster) RestoreAll(t testing.TB) {
	t.Helper()
	c.resumePaused(t)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	out, err := c.run(ctx, nil, "start")
	cancel()
	if err != nil {
		t.Fatalf("kafkatest: restoring the cluster: cluster.sh start: %v\n%s", err, out)
	}
	waitFor(t, restoreTimeout, "every partition to have its full ISR on every broker", func() (bool, string) {
		return c.eachBrokerMetadata(true, nil, func(addr string, md *sarama.MetadataResponse) string {
			if len(md.Brokers) != len(c.bootstrap) {
				return fmt.Sprintf("%d of %d brokers registered", len(md.Brokers), len(c.bootstrap))
			}
			for _, tm := range md.Topics {
				if !errors.Is(tm.Err, sarama.ErrNoError) {
					return fmt.Sprintf("topic %s: %v", tm.Name, tm.Err)
				}
				for _, p := range tm.Partitions {
					switch {
					case p.Leader < 0:
						return fmt.Sprintf("%s/%d has no leader", tm.Name, p.ID)
					case len(p.Isr) != len(p.Replicas):
						return fmt.Sprintf("%s/%d ISR %v of replicas %v", tm.Name, p.ID, p.Isr, p.Replicas)
					case len(p.OfflineReplicas) > 0:
						return fmt.Sprintf("%s/%d offline replicas %v", tm.Name, p.ID, p.OfflineReplicas)
					}
				}
			}
			return ""
		})
	})
	c.electPreferred(t)
}

// electPreferred moves leadership back to the preferred replicas, best effort:
// it only logs if that does not happen in time.
func (c *Cluster) electPreferred(t testing.TB) {
	t.Helper()
	notPreferred := func() (map[string][]int32, string) {
		m := map[string][]int32{}
		detail := ""
		_, _ = c.eachBrokerMetadata(true, nil, func(addr string, md *sarama.MetadataResponse) string {
			for _, tm := range md.Topics {
				for _, p := range tm.Partitions {
					if len(p.Replicas) > 0 && p.Leader != p.Replicas[0] {
						if !containsInt32(m[tm.Name], p.ID) {
							m[tm.Name] = append(m[tm.Name], p.ID)
						}
						detail = fmt.Sprintf("%s says %s/%d is led by %d, not %d", addr, tm.Name, p.ID, p.Leader, p.Replicas[0])
					}
				}
			}
			return ""
		})
		return m, detail
	}
	m, _ := notPreferred()
	if len(m) == 0 {
		return
	}
	admin, err := sarama.NewClusterAdmin(c.bootstrap, c.SaramaConfig())
	if err != nil {
		t.Logf("kafkatest: preferred leader election: %v", err)
		return
	}
	defer admin.Close()
	if _, err := admin.ElectLeaders(sarama.PreferredElection, m); err != nil {
		t.Logf("kafkatest: preferred leader election: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, detail := notPreferred()
		if len(m) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("kafkatest: leaders still not the preferred replicas after 30s: %s", detail)
			return
		}
		time.Sleep(pollInterval)
	}
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func findTopic(md *sarama.MetadataResponse, name string) *sarama.TopicMetadata {
	for _, tm := range md.Topics {
		if tm.Name == name {
			// An unknown topic asked for by name comes back with an error.
			if errors.Is(tm.Err, sarama.ErrUnknownTopicOrPartition) {
				return nil
			}
			return tm
		}
	}
	return nil
}

// eachBroker calls check on a fresh connection to each node. It reports ok if
// every check returns "". With all false, nodes that cannot be reached are
// skipped (but at least one must answer); with all true they make it fail.
func (c *Cluster) eachBroker(all bool, check func(b *sarama.Broker) string) (bool, string) {
	cfg := c.SaramaConfig()
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 5 * time.Second
	cfg.Net.WriteTimeout = 5 * time.Second
	answered := 0
	var down []string
	for _, addr := range c.bootstrap {
		b := sarama.NewBroker(addr)
		if err := b.Open(cfg); err != nil {
			return false, fmt.Sprintf("%s: %v", addr, err)
		}
		// Open connects in the background; Connected waits for the result.
		if ok, err := b.Connected(); !ok {
			_ = b.Close()
			if all {
				return false, fmt.Sprintf("%s: not reachable: %v", addr, err)
			}
			down = append(down, addr)
			continue
		}
		detail := check(b)
		_ = b.Close()
		if detail != "" {
			return false, addr + ": " + detail
		}
		answered++
	}
	if answered == 0 {
		return false, "no broker reachable: " + strings.Join(down, ", ")
	}
	return true, ""
}

// eachBrokerMetadata fetches metadata of topics (nil: all topics) from each
// node, without auto-creating topics, and passes it to check.
func (c *Cluster) eachBrokerMetadata(all bool, topics []string, check func(addr string, md *sarama.MetadataResponse) string) (bool, string) {
	return c.eachBroker(all, func(b *sarama.Broker) string {
		req := sarama.NewMetadataRequest(c.SaramaConfig().Version, topics)
		req.AllowAutoTopicCreation = false
		md, err := b.GetMetadata(req)
		if err != nil {
			return "metadata: " + err.Error()
		}
		return check(b.Addr(), md)
	})
}
