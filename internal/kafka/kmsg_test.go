package kafka

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// kfakeClient starts an in-process cluster with opts and returns a client
// that has read its metadata, and that metadata.
func kfakeClient(t *testing.T, version string, opts ...kfake.Opt) (*Client, *sarama.MetadataResponse) {
	t.Helper()
	c := startKfake(t, version, opts...)
	md, err := c.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c, md
}

// startKfake starts an in-process cluster with opts and returns a client of
// it under the given version cap, closed when the test ends.
func startKfake(t *testing.T, version string, opts ...kfake.Opt) *Client {
	t.Helper()
	fake, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	conf, err := Options{Servers: fake.ListenAddrs(), Version: version, Timeout: 5 * time.Second}.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(conf, fake.ListenAddrs(), nil)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestOnBrokerKmsgSendsToTheNamedBrokerAndCounts sends a franz-go request to
// each broker of an in-process cluster and checks that it is answered by that
// broker and counted under the protocol's API name.
func TestOnBrokerKmsgSendsToTheNamedBrokerAndCounts(t *testing.T) {
	c, md := kfakeClient(t, "3.6.0", kfake.NumBrokers(3), kfake.SeedTopics(1, "t"))
	ctx := context.Background()
	for _, b := range md.Brokers {
		req := kmsg.NewPtrMetadataRequest()
		resp, err := c.OnBrokerKmsg(ctx, b.ID(), req)
		if err != nil {
			t.Fatalf("broker %d: %v", b.ID(), err)
		}
		if got := len(resp.(*kmsg.MetadataResponse).Brokers); got != 3 {
			t.Fatalf("broker %d answered with %d brokers, want 3", b.ID(), got)
		}
	}
	if got := c.Requests.Total(APIMetadata); got != 1+3 {
		t.Fatalf("Metadata requests counted: %d, want 4 (1 sarama + 3 franz-go)", got)
	}
	if _, err := c.OnBrokerKmsg(ctx, 99, kmsg.NewPtrMetadataRequest()); err == nil {
		t.Fatal("a request to an unknown broker id succeeded")
	}
}

// TestOnBrokerKmsgUnsupportedAPI asks for an API that is out of reach -- a
// 3.6-like kfake has no DescribeTopicPartitions, and a --kafka.version cap
// of 3.6.0 excludes it -- and expects the typed ErrUnsupportedAPI, not a
// transport error.
func TestOnBrokerKmsgUnsupportedAPI(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		opts          []kfake.Opt
	}{
		{"broker without the API", "", []kfake.Opt{kfake.MaxVersions(kversion.V3_6_0())}},
		{"version cap below the API", "3.6.0", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, md := kfakeClient(t, tc.version, append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "t")}, tc.opts...)...)
			_, err := c.OnBrokerKmsg(context.Background(), md.Brokers[0].ID(), kmsg.NewPtrDescribeTopicPartitionsRequest())
			if !errors.Is(err, ErrUnsupportedAPI) {
				t.Fatalf("DescribeTopicPartitions: %v, want ErrUnsupportedAPI", err)
			}
		})
	}
}
