package kafka

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestOnBrokerKmsgSendsToTheNamedBrokerAndCounts sends a franz-go request to
// each broker of an in-process cluster and checks that it is answered by that
// broker and counted under the protocol's API name.
func TestOnBrokerKmsgSendsToTheNamedBrokerAndCounts(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	conf, err := Options{Servers: fake.ListenAddrs(), Version: "3.6.0", Timeout: 5 * time.Second}.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(conf, fake.ListenAddrs(), nil)
	defer c.Close()
	ctx := context.Background()
	md, err := c.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
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
