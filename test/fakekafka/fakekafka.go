// Package fakekafka starts a synthetic Kafka cluster (franz-go's kfake) of a
// chosen size for scale tests and benchmarks: brokers, topics x partitions
// with a few records each, and consumer groups that committed offsets on
// some topics. An optional latency delays every response, per connection, so
// requests to different brokers overlap as they do on a real network.
//
// kfake answers every API the exporter sends in a steady-state poll
// (Metadata, ListOffsets, DescribeConfigs, ListGroups, DescribeGroups,
// ConsumerGroupDescribe, OffsetFetch v8 with many groups, Fetch). Its
// replicas are always all in sync (ISR = replicas), so every partition is
// healthy; its groups here are Empty (commits without members), so
// DescribeGroups is only sent when a group has members.
package fakekafka

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Options size the synthetic cluster.
type Options struct {
	// Brokers is the number of brokers (replication factor min(3, Brokers)).
	Brokers int
	// Topics and Partitions: Topics topics of Partitions partitions each.
	Topics, Partitions int
	// Records is the number of records produced to every partition.
	Records int
	// Groups is the number of consumer groups; each commits offsets on
	// TopicsPerGroup topics (every partition), spread over the topics.
	Groups, TopicsPerGroup int
	// MinInsyncReplicas is set on every topic (0 leaves kfake's default, 1).
	MinInsyncReplicas int
	// LiveGroups is the number of groups with one running member each
	// (franz-go consumers of the first topic, "live-NNNNN"), so that
	// DescribeGroups / ConsumerGroupDescribe have groups to describe.
	LiveGroups int
	// MaxVersions caps the API versions the brokers advertise (nil: the
	// newest kfake speaks), to play an older Kafka.
	MaxVersions *kversion.Versions
	// OpenTransactions is the number of transactional producers
	// ("txn-NNNNN") that each write one record to every partition of a topic
	// (spread over the topics) in a transaction they keep open until Close,
	// so that the producer side has transactions and last stable offsets.
	OpenTransactions int
}

// Cluster is a running synthetic cluster.
type Cluster struct {
	*kfake.Cluster
	latency   atomic.Int64 // nanoseconds added before every response
	consumers []*kgo.Client
}

// Close stops the live groups' consumers and the cluster.
func (c *Cluster) Close() {
	for _, cl := range c.consumers {
		cl.Close()
	}
	c.Cluster.Close()
}

// TopicName is the name of the i-th topic.
func TopicName(i int) string { return fmt.Sprintf("topic-%05d", i) }

// GroupName is the name of the i-th group.
func GroupName(i int) string { return fmt.Sprintf("group-%05d", i) }

// Start starts the cluster and seeds it. Latency is off until SetLatency.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	c := &Cluster{}
	opts := []kfake.Opt{kfake.NumBrokers(o.Brokers)}
	if o.MaxVersions != nil {
		opts = append(opts, kfake.MaxVersions(o.MaxVersions))
	}
	kc, err := kfake.NewCluster(append(opts,
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			if err != nil {
				return nil, err
			}
			return &slowListener{Listener: ln, latency: &c.latency}, nil
		}),
	)...)
	if err != nil {
		return nil, err
	}
	c.Cluster = kc
	if err := c.seed(ctx, o); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.startLiveGroups(ctx, o.LiveGroups); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.openTransactions(ctx, o.OpenTransactions, o.Topics, o.Partitions); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// SetLatency delays every later response by d (0 turns it off).
func (c *Cluster) SetLatency(d time.Duration) { c.latency.Store(int64(d)) }

func (c *Cluster) seed(ctx context.Context, o Options) error {
	configs := map[string]string{}
	if o.MinInsyncReplicas > 0 {
		configs["min.insync.replicas"] = fmt.Sprint(o.MinInsyncReplicas)
	}
	for i := range o.Topics {
		if err := c.CreateTopic(TopicName(i), int32(o.Partitions), configs); err != nil {
			return fmt.Errorf("create %s: %w", TopicName(i), err)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0), kgo.MaxBufferedRecords(1<<20), kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	if o.Records > 0 {
		// All topics at once: producing one topic after the other waits
		// for a metadata refresh per topic.
		var mu sync.Mutex
		var firstErr error
		for i := range o.Topics {
			for p := range o.Partitions {
				for r := range o.Records {
					rec := &kgo.Record{Topic: TopicName(i), Partition: int32(p), Value: []byte(fmt.Sprint(r))}
					cl.Produce(ctx, rec, func(rec *kgo.Record, err error) {
						if err != nil {
							mu.Lock()
							if firstErr == nil {
								firstErr = fmt.Errorf("produce to %s/%d: %w", rec.Topic, rec.Partition, err)
							}
							mu.Unlock()
						}
					})
				}
			}
		}
		if err := cl.Flush(ctx); err != nil {
			return err
		}
		if firstErr != nil {
			return firstErr
		}
	}
	topicIDs := map[string][16]byte{}
	for i := range o.Topics {
		topicIDs[TopicName(i)] = c.TopicInfo(TopicName(i)).TopicID
	}
	for g := range o.Groups {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group = GroupName(g)
		req.Generation = -1
		for k := range o.TopicsPerGroup {
			rt := kmsg.NewOffsetCommitRequestTopic()
			rt.Topic = TopicName((g*o.TopicsPerGroup + k) % max(o.Topics, 1))
			rt.TopicID = topicIDs[rt.Topic] // OffsetCommit v10+ names topics by id
			for p := range o.Partitions {
				rp := kmsg.NewOffsetCommitRequestTopicPartition()
				rp.Partition = int32(p)
				rp.Offset = int64((p + g) % (o.Records + 1)) // some lag, some caught up
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return fmt.Errorf("commit for %s: %w", req.Group, err)
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					return fmt.Errorf("commit for %s on %s/%d: error code %d", req.Group, t.Topic, p.Partition, p.ErrorCode)
				}
			}
		}
	}
	return nil
}

// startLiveGroups starts one consumer per live group and waits until each
// group is stable.
func (c *Cluster) startLiveGroups(ctx context.Context, n int) error {
	for i := range n {
		group := fmt.Sprintf("live-%05d", i)
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(TopicName(0)))
		if err != nil {
			return err
		}
		c.consumers = append(c.consumers, cl)
		go func() {
			for {
				fs := cl.PollFetches(context.Background())
				if fs.IsClientClosed() {
					return
				}
			}
		}()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err = c.WaitGroupStable(wctx, group, 1)
		cancel()
		if err != nil {
			return fmt.Errorf("live group %s: %w", group, err)
		}
	}
	return nil
}

// slowListener hands out connections whose responses wait for the latency.
type slowListener struct {
	net.Listener
	latency *atomic.Int64
}

func (l *slowListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &slowConn{Conn: conn, latency: l.latency}, nil
}

// slowConn delays each Write: kfake writes one response per Write, from a
// goroutine per connection, so each response is late by the latency while
// other connections (other brokers) go on.
type slowConn struct {
	net.Conn
	latency *atomic.Int64
}

func (c *slowConn) Write(b []byte) (int, error) {
	if d := time.Duration(c.latency.Load()); d > 0 {
		time.Sleep(d)
	}
	return c.Conn.Write(b)
}

// openTransactions starts n transactional producers, each with one record
// per partition of topic i mod topics in an open transaction.
func (c *Cluster) openTransactions(ctx context.Context, n, topics, partitions int) error {
	for i := range n {
		id := fmt.Sprintf("txn-%05d", i)
		cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID(id),
			kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionTimeout(10*time.Minute))
		if err != nil {
			return err
		}
		c.consumers = append(c.consumers, cl)
		if err := cl.BeginTransaction(); err != nil {
			return fmt.Errorf("transaction %s: %w", id, err)
		}
		recs := make([]*kgo.Record, partitions)
		for p := range recs {
			recs[p] = &kgo.Record{Topic: TopicName(i % max(topics, 1)), Partition: int32(p), Value: []byte(id)}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return fmt.Errorf("transaction %s: %w", id, err)
		}
	}
	return nil
}
