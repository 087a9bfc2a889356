// Package scale checks that a poll's cost in Kafka requests does not grow
// with the cluster: the count is asserted, not a time, so it is stable on
// any machine.
package scale

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/fakekafka"
)

// pollRequests starts a synthetic cluster of size o, runs two polls with the
// exporter's steps (as main wires them) and returns the requests of the
// second, steady-state poll by API, configuration reads excluded (they have
// their own interval; the producer side, read every hour here, sends nothing
// in the second poll).
func pollRequests(t *testing.T, o fakekafka.Options) map[string]uint64 {
	t.Helper()
	ctx, client := startCluster(t, o)
	f := fetch.New(client, fetch.Options{},
		fetch.NewOffsets(client),
		fetch.NewConfigs(client, time.Hour),
		fetch.NewElections(client),
		fetch.NewReassignments(client),
		fetch.NewConsumerGroups(client, fetch.GroupOptions{}),
		fetch.NewControllerQuorum(client),
		fetch.NewProducers(client, time.Hour),
	)
	s, requests := secondPoll(t, ctx, client, f)
	partitions, committed := 0, 0
	for _, tp := range s.Topics {
		partitions += len(tp.Partitions)
	}
	for _, g := range s.Groups {
		committed += len(g.Offsets)
	}
	if partitions != o.Topics*o.Partitions || len(s.Groups) != o.Groups+o.LiveGroups || committed < o.Groups*o.TopicsPerGroup*o.Partitions {
		t.Fatalf("snapshot has %d partitions, %d groups, %d committed partitions; want %d, %d, >= %d", partitions, len(s.Groups), committed,
			o.Topics*o.Partitions, o.Groups+o.LiveGroups, o.Groups*o.TopicsPerGroup*o.Partitions)
	}
	delete(requests, kafka.APIDescribeConfigs)
	return requests
}

// secondPoll runs two polls with f, failing the test when a collector
// fails, and returns the second poll's snapshot and its requests by API.
func secondPoll(t *testing.T, ctx context.Context, client *kafka.Client, f *fetch.Fetcher) (*snapshot.Snapshot, map[string]uint64) {
	t.Helper()
	var s *snapshot.Snapshot
	var before map[string]uint64
	for i := range 2 {
		before = requestCounts(client)
		var err error
		if s, err = f.Fetch(ctx); err != nil {
			t.Fatalf("poll %d: %v", i, err)
		}
		for _, cr := range s.Collectors {
			if !cr.Success {
				t.Fatalf("poll %d: collector %s failed: %s", i, cr.Name, cr.Err)
			}
		}
	}
	out := map[string]uint64{}
	for api, n := range requestCounts(client) {
		if d := n - before[api]; d > 0 {
			out[api] = d
		}
	}
	return s, out
}

// startCluster starts a synthetic cluster of size o and a client of it,
// both closed when the test ends, and returns a context bounding the test.
func startCluster(t *testing.T, o fakekafka.Options) (context.Context, *kafka.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	c, err := fakekafka.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	// No version cap: every request at the highest version both sides
	// support (negotiated per broker).
	conf, err := kafka.Options{Servers: c.ListenAddrs()[:1], ClientID: "scale-test", Timeout: 10 * time.Second}.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := kafka.NewClient(conf, c.ListenAddrs()[:1], nil)
	t.Cleanup(func() { _ = client.Close() })
	return ctx, client
}

// requestCounts is the client's request count by API so far.
func requestCounts(client *kafka.Client) map[string]uint64 {
	out := map[string]uint64{}
	for _, r := range client.Requests.Counts() {
		out[r.API] = r.Count
	}
	return out
}

// The franz-go requests, counted under the protocol's names.
var (
	apiDescribeTopicPartitions    = kmsg.NameForKey(kmsg.DescribeTopicPartitions.Int16())
	apiOffsetForLeaderEpoch       = kmsg.NameForKey(kmsg.OffsetForLeaderEpoch.Int16())
	apiListPartitionReassignments = kmsg.NameForKey(kmsg.ListPartitionReassignments.Int16())
)

func format(m map[string]uint64) string {
	var parts []string
	for _, api := range []string{kafka.APIMetadata, kafka.APIListOffsets, kafka.APIListGroups, kafka.APIDescribeGroups,
		kafka.APIConsumerGroupDescribe, kafka.APIOffsetFetch, kafka.APIFindCoordinator, kafka.APIFetch,
		kafka.APIDescribeProducers, kafka.APIListTransactions, kafka.APIDescribeTransactions, kafka.APIApiVersions,
		kafka.APIDescribeQuorum, apiDescribeTopicPartitions, apiOffsetForLeaderEpoch, apiListPartitionReassignments} {
		if m[api] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", api, m[api]))
		}
	}
	return strings.Join(parts, " ")
}

// TestPollRequestsDoNotGrowWithTheCluster polls a small and an 80x larger
// synthetic cluster (partitions, groups, committed partitions; enough groups
// in both that every broker coordinates some) and asserts
// the same number of requests per API, within 8 x brokers + 4. Every
// partition of the synthetic cluster is healthy and no leader changes, so a
// steady poll asks no eligible leader replicas (DescribeTopicPartitions)
// and no epoch starts (OffsetForLeaderEpoch).
func TestPollRequestsDoNotGrowWithTheCluster(t *testing.T) {
	const brokers = 3
	small := fakekafka.Options{Brokers: brokers, Topics: 2, Partitions: 6, Records: 2, Groups: 9, TopicsPerGroup: 1, MinInsyncReplicas: 2, LiveGroups: 1}
	large := fakekafka.Options{Brokers: brokers, Topics: 40, Partitions: 25, Records: 2, Groups: 100, TopicsPerGroup: 2, MinInsyncReplicas: 2, LiveGroups: 1}
	s, l := pollRequests(t, small), pollRequests(t, large)
	t.Logf("steady-state poll, %d partitions / %d groups: %s", small.Topics*small.Partitions, small.Groups, format(s))
	t.Logf("steady-state poll, %d partitions / %d groups: %s", large.Topics*large.Partitions, large.Groups, format(l))
	if format(s) != format(l) {
		t.Errorf("requests per poll grow with the cluster:\n small %s\n large %s", format(s), format(l))
	}
	total := uint64(0)
	for _, n := range l {
		total += n
	}
	if limit := uint64(8*brokers + 4); total > limit {
		t.Errorf("%d requests per poll, more than 8 x brokers + 4 = %d: %s", total, limit, format(l))
	}
	if l[kafka.APIListOffsets] == 0 || l[kafka.APIOffsetFetch] == 0 || l[kafka.APIListGroups] == 0 {
		t.Errorf("a poll step sent nothing: %s", format(l))
	}
	if n := l[kafka.APIDescribeProducers] + l[kafka.APIListTransactions] + l[kafka.APIDescribeTransactions]; n > 0 {
		t.Errorf("a steady poll read the producer side before --producers.poll.interval: %s", format(l))
	}
	// Leader offsets (2 per leader) and replica log ends (1 per broker).
	if l[kafka.APIListOffsets] != 3*brokers {
		t.Errorf("ListOffsets per poll %d, want 3 x brokers = %d", l[kafka.APIListOffsets], 3*brokers)
	}
	if l[apiListPartitionReassignments] != 1 || l[apiDescribeTopicPartitions] != 0 || l[apiOffsetForLeaderEpoch] != 0 {
		t.Errorf("want 1 ListPartitionReassignments and no DescribeTopicPartitions or OffsetForLeaderEpoch in a steady healthy poll: %s", format(l))
	}
}

// TestPollRequestsOnAnOlderBroker: brokers without OffsetFetch v8 (Kafka
// 3.0's versions with OffsetFetch capped at v7, as before 3.0) get one
// OffsetFetch per group, found out from their ApiVersions without any
// --kafka.version, and the poll reads every group; brokers with v8 get one
// per coordinator. ApiVersions is per connection, never in a steady-state
// poll.
func TestPollRequestsOnAnOlderBroker(t *testing.T) {
	const brokers, groups = 3, 9
	o := fakekafka.Options{Brokers: brokers, Topics: 2, Partitions: 3, Records: 2, Groups: groups, TopicsPerGroup: 1}
	newest := pollRequests(t, o)
	o.MaxVersions = kversion.V3_0_0()
	o.MaxVersions.SetMaxKeyVersion(kafka.KeyOffsetFetch, 7)
	old := pollRequests(t, o)
	t.Logf("steady-state poll, newest versions: %s", format(newest))
	t.Logf("steady-state poll, OffsetFetch up to v7: %s", format(old))
	if newest[kafka.APIOffsetFetch] > brokers {
		t.Errorf("%d OffsetFetch with v8, want at most one per coordinator (%d)", newest[kafka.APIOffsetFetch], brokers)
	}
	if old[kafka.APIOffsetFetch] != groups {
		t.Errorf("%d OffsetFetch without v8, want one per group (%d)", old[kafka.APIOffsetFetch], groups)
	}
	for name, m := range map[string]map[string]uint64{"newest": newest, "OffsetFetch v7": old} {
		if m[kafka.APIApiVersions] != 0 {
			t.Errorf("%s: %d ApiVersions in a steady-state poll, want 0", name, m[kafka.APIApiVersions])
		}
	}
}
