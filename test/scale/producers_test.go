package scale

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/fakekafka"
)

// producerReadRequests starts a synthetic cluster of size o with open
// transactions, runs two polls that both read the producer side and returns
// the requests of the second by API. It checks that the read saw every
// open transaction and the last-stable-offset lag of the partitions they
// write.
func producerReadRequests(t *testing.T, o fakekafka.Options) map[string]uint64 {
	t.Helper()
	ctx, client := startCluster(t, o)
	// Interval 0: every poll reads the producer side.
	f := fetch.New(client, fetch.Options{}, fetch.NewOffsets(client), fetch.NewProducers(client, 0))
	s, requests := secondPoll(t, ctx, client, f)
	read := s.Producers.Current
	if len(read.Transactions) != o.OpenTransactions {
		t.Fatalf("read %d open transactions, want %d", len(read.Transactions), o.OpenTransactions)
	}
	lagged := 0
	for _, parts := range read.Partitions {
		for _, pp := range parts {
			if lag, ok := risk.LastStableLag(pp); ok && lag > 0 {
				lagged++
			}
		}
	}
	if want := min(o.OpenTransactions, o.Topics) * o.Partitions; lagged != want {
		t.Fatalf("%d partitions with a last-stable-offset lag, want %d", lagged, want)
	}
	return requests
}

// TestProducerReadRequestsDoNotGrowWithTheCluster reads the producer side of
// a small and a larger synthetic cluster (partitions and open transactions)
// and asserts the same number of requests per API: one DescribeProducers
// per leader, one ListTransactions per broker, one DescribeTransactions per
// coordinator with an open transaction, and one read_committed ListOffsets
// per leader of a partition in a transaction besides the offsets step's two
// per leader.
func TestProducerReadRequestsDoNotGrowWithTheCluster(t *testing.T) {
	const brokers = 3
	small := fakekafka.Options{Brokers: brokers, Topics: 6, Partitions: 6, Records: 2, OpenTransactions: 6}
	large := fakekafka.Options{Brokers: brokers, Topics: 40, Partitions: 25, Records: 2, OpenTransactions: 60}
	s, l := producerReadRequests(t, small), producerReadRequests(t, large)
	t.Logf("poll with a producer read, %d partitions / %d open transactions: %s", small.Topics*small.Partitions, small.OpenTransactions, format(s))
	t.Logf("poll with a producer read, %d partitions / %d open transactions: %s", large.Topics*large.Partitions, large.OpenTransactions, format(l))
	if format(s) != format(l) {
		t.Errorf("producer-side requests grow with the cluster:\n small %s\n large %s", format(s), format(l))
	}
	for api, limit := range map[string]uint64{
		kafka.APIMetadata: 1, kafka.APIDescribeProducers: brokers, kafka.APIListTransactions: brokers,
		kafka.APIDescribeTransactions: brokers, kafka.APIListOffsets: 3 * brokers,
	} {
		if l[api] == 0 || l[api] > limit {
			t.Errorf("%s: %d requests, want 1 to %d: %s", api, l[api], limit, format(l))
		}
	}
}
