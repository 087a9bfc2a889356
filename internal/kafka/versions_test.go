package kafka

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/IBM/sarama"
	"github.com/go-kit/log"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

func TestNegotiate(t *testing.T) {
	bv := BrokerVersions{KeyOffsetFetch: {Min: 1, Max: 7}, KeyConsumerGroupDescribe: {Min: 0, Max: 1}, KeyFetch: {Min: 4, Max: 17}}
	for _, c := range []struct {
		name string
		f    Feature
		want int16
		v    int16
		ok   bool
	}{
		{"broker lower than the exporter", APIFeature(APIOffsetFetch, KeyOffsetFetch), 8, 7, true},
		{"exporter lower than the broker", APIFeature(APIFetch, KeyFetch), 11, 11, true},
		{"broker newer than the exporter knows", FeatureKIP848Groups, 0, 0, true},
		{"feature needs more than the broker has", FeatureBatchedOffsetFetch, 8, -1, false},
		{"broker lacks the API", FeatureControllerQuorum, 2, -1, false},
		{"exporter below the broker's minimum", APIFeature(APIFetch, KeyFetch), 3, -1, false},
	} {
		v, ok := Negotiate(bv, c.f, c.want)
		if v != c.v || ok != c.ok {
			t.Errorf("%s: Negotiate = %d, %t; want %d, %t", c.name, v, ok, c.v, c.ok)
		}
	}
}

// syncLog is a go-kit logger into a buffer, safe for concurrent use.
type syncLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncLog) Log(kv ...any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return log.NewLogfmtLogger(&l.buf).Log(kv...)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newTestClient(t *testing.T, version string, opts ...kfake.Opt) (*Client, *syncLog) {
	t.Helper()
	c := startKfake(t, version, append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	logs := &syncLog{}
	c.SetLogger(logs)
	if _, err := c.Metadata(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// TestOlderBrokerRulesOutKIP848GroupsOnce: a 3.6 broker has no
// ConsumerGroupDescribe; without a cap the client finds that out from the
// broker's ApiVersions (asked once per connection) and logs it once,
// naming the feature, the API and the broker.
func TestOlderBrokerRulesOutKIP848GroupsOnce(t *testing.T) {
	c, logs := newTestClient(t, "", kfake.MaxVersions(kversion.V3_6_0()))
	ctx := context.Background()
	id := c.BrokerIDs()[0]
	for range 3 {
		_, err := c.APIVersion(ctx, id, FeatureKIP848Groups, 1)
		if !IsUnsupported(err) {
			t.Fatalf("got %v, want the feature ruled out", err)
		}
	}
	want := "KIP-848 groups: ConsumerGroupDescribe not supported by broker"
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Fatalf("logged %d times, want once %q:\n%s", n, want, logs.String())
	}
	v, err := c.APIVersion(ctx, id, FeatureBatchedOffsetFetch, 8)
	if err != nil || v != 8 {
		t.Fatalf("OffsetFetch on 3.6: v%d, %v; want v8", v, err)
	}
	if n := c.Requests.Total(APIApiVersions); n != 1 {
		t.Fatalf("%d ApiVersions requests, want 1 per connection", n)
	}
}

// TestNoCapSpeaksTheBrokersNewestVersions: without --kafka.version the
// newest versions both sides know are used; a 3.6.0 cap rules out what 3.6
// does not have, for sarama and franz-go requests alike.
func TestNoCapSpeaksTheBrokersNewestVersions(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestClient(t, "")
	id := c.BrokerIDs()[0]
	if c.Capped() {
		t.Fatal("no --kafka.version, yet capped")
	}
	want := sarama.NewConsumerGroupDescribeRequest(c.Version()).Version
	if v, err := c.APIVersion(ctx, id, FeatureKIP848Groups, want); err != nil || v != want {
		t.Fatalf("ConsumerGroupDescribe: v%d, %v; want v%d", v, err, want)
	}
	if _, err := c.OnBrokerKmsg(ctx, id, kmsg.NewPtrConsumerGroupDescribeRequest()); err != nil {
		t.Fatalf("franz-go ConsumerGroupDescribe without a cap: %v", err)
	}

	capped, logs := newTestClient(t, "3.6.0")
	id = capped.BrokerIDs()[0]
	_, err := capped.APIVersion(ctx, id, FeatureKIP848Groups, -1)
	if !IsUnsupported(err) || !strings.Contains(err.Error(), "cap 3.6.0") {
		t.Fatalf("got %v, want ruled out by the cap", err)
	}
	if !strings.Contains(logs.String(), "KIP-848 groups") {
		t.Fatalf("the cap's ruling not logged:\n%s", logs.String())
	}
	if _, err := capped.OnBrokerKmsg(ctx, id, kmsg.NewPtrConsumerGroupDescribeRequest()); err == nil {
		t.Fatal("franz-go sent ConsumerGroupDescribe above the 3.6.0 cap")
	}
}
