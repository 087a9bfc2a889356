package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/IBM/sarama"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Protocol versions are negotiated, not configured: on each new connection
// the client asks the broker with ApiVersions which versions of each API it
// supports, and every request goes out at the highest version both sides
// support. The configured Kafka version (Options.Version) is only an upper
// cap: without it the cap is the newest version sarama knows, and a broker
// newer than that is spoken to at the newest versions both know.

// Kafka protocol API keys of the requests the exporter sends.
const (
	KeyFetch                 int16 = 1
	KeyListOffsets           int16 = 2
	KeyMetadata              int16 = 3
	KeyOffsetFetch           int16 = 9
	KeyDescribeGroups        int16 = 15
	KeyListGroups            int16 = 16
	KeyApiVersions           int16 = 18
	KeyDescribeConfigs       int16 = 32
	KeyDescribeQuorum        int16 = 55
	KeyConsumerGroupDescribe int16 = 69
)

// APIDescribeQuorum describes the KRaft controller quorum (kmsg). ApiVersions
// (APIApiVersions) negotiates the versions, once per connection.
const APIDescribeQuorum = "DescribeQuorum"

// Feature is what the exporter reads with one API from a minimum version on.
// A broker (or the configured cap) without that API version rules the
// feature out; the client logs that once per feature and broker.
type Feature struct {
	// Name says what is lost without the feature, e.g. "KIP-848 groups".
	Name string
	// API and Key name the request.
	API string
	Key int16
	// MinVersion is the lowest version of the API the feature needs.
	MinVersion int16
}

// The features that depend on a broker's API versions. Requests without a
// feature of their own use APIFeature (any version).
var (
	// FeatureKIP848Groups describes KIP-848 consumer groups (members,
	// assignments, group epoch); without it they keep the state ListGroups
	// gave and no member list.
	FeatureKIP848Groups = Feature{Name: "KIP-848 groups", API: APIConsumerGroupDescribe, Key: KeyConsumerGroupDescribe}
	// FeatureBatchedOffsetFetch reads the committed offsets of every group
	// of a coordinator in one request (OffsetFetch v8, Kafka 3.0); without
	// it the exporter sends one OffsetFetch per group.
	FeatureBatchedOffsetFetch = Feature{Name: "one OffsetFetch per coordinator", API: APIOffsetFetch, Key: KeyOffsetFetch, MinVersion: 8}
	// FeatureControllerQuorum reads the KRaft controller quorum; ZooKeeper
	// clusters do not have it.
	FeatureControllerQuorum = Feature{Name: "controller quorum", API: APIDescribeQuorum, Key: KeyDescribeQuorum}
)

// APIFeature is the plain use of an API at any version.
func APIFeature(api string, key int16) Feature { return Feature{API: api, Key: key} }

// VersionRange is the versions of one API a broker supports.
type VersionRange struct{ Min, Max int16 }

// BrokerVersions is a broker's ApiVersions answer by API key.
type BrokerVersions map[int16]VersionRange

// Negotiate returns the highest version of f's API both the broker (bv) and
// the exporter (up to want) support, at least f.MinVersion. ok is false when
// there is none.
func Negotiate(bv BrokerVersions, f Feature, want int16) (v int16, ok bool) {
	r, found := bv[f.Key]
	if !found {
		return -1, false
	}
	v = min(want, r.Max)
	if v < r.Min || v < f.MinVersion {
		return -1, false
	}
	return v, true
}

// UnsupportedError says that a broker's API versions, or the configured
// version cap, rule a feature out.
type UnsupportedError struct {
	Feature Feature
	Broker  int32
	// BrokerMax is the broker's highest version of the API, -1 when it
	// lacks the API; Capped says the configured cap ruled it out instead.
	BrokerMax int16
	Capped    bool
	Cap       sarama.KafkaVersion
}

func (e *UnsupportedError) Error() string {
	what := e.Feature.API
	if e.Feature.Name != "" {
		what = e.Feature.Name + ": " + e.Feature.API
	}
	need := ""
	if e.Feature.MinVersion > 0 {
		need = fmt.Sprintf(" v%d+", e.Feature.MinVersion)
	}
	switch {
	case e.Capped:
		return fmt.Sprintf("%s%s ruled out by the configured Kafka version cap %s", what, need, e.Cap)
	case e.BrokerMax < 0:
		return fmt.Sprintf("%s not supported by broker %d", what, e.Broker)
	}
	return fmt.Sprintf("%s%s not supported by broker %d (it speaks up to v%d)", what, need, e.Broker, e.BrokerMax)
}

// IsUnsupported reports whether err says a feature is ruled out.
func IsUnsupported(err error) bool {
	var u *UnsupportedError
	return errors.As(err, &u)
}

// versionState holds the negotiated versions by broker and what was logged.
type versionState struct {
	mu      sync.Mutex
	logger  log.Logger
	brokers map[int32]*brokerVersions
	logged  map[string]bool
}

// brokerVersions is the ApiVersions answer of one connection; a new
// connection (a restarted, perhaps upgraded broker) negotiates again.
type brokerVersions struct {
	mu       sync.Mutex // held while asking, so concurrent callers ask once
	conn     *sarama.Broker
	versions BrokerVersions
}

func newVersionState() *versionState {
	return &versionState{logger: log.NewNopLogger(), brokers: map[int32]*brokerVersions{}, logged: map[string]bool{}}
}

// SetLogger sets the logger of the one-time "feature ruled out" messages.
func (c *Client) SetLogger(l log.Logger) {
	c.versions.mu.Lock()
	c.versions.logger = l
	c.versions.mu.Unlock()
}

// Capped reports whether a Kafka version cap below the newest version the
// exporter knows is configured.
func (c *Client) Capped() bool { return c.conf.Version != sarama.MaxVersion }

// APIVersion returns the version of f's API to send to broker id: the
// highest both support, at most want (the exporter's own highest version
// under the configured cap). When a broker's versions or the cap rule the
// feature out the error is an *UnsupportedError, logged once per feature
// and broker. With version negotiation switched off in the sarama config
// (mock brokers in tests) want is returned as it is.
func (c *Client) APIVersion(ctx context.Context, id int32, f Feature, want int16) (int16, error) {
	if want < f.MinVersion {
		return -1, c.ruledOut(&UnsupportedError{Feature: f, Broker: id, Capped: true, Cap: c.conf.Version, BrokerMax: -1})
	}
	if !c.conf.ApiVersionsRequest {
		return want, nil
	}
	bv, err := c.BrokerVersions(ctx, id)
	if err != nil {
		return -1, err
	}
	v, ok := Negotiate(bv, f, want)
	if !ok {
		brokerMax := int16(-1)
		if r, found := bv[f.Key]; found {
			brokerMax = r.Max
		}
		return -1, c.ruledOut(&UnsupportedError{Feature: f, Broker: id, BrokerMax: brokerMax})
	}
	return v, nil
}

// ruledOut logs err once per feature and broker and returns it.
func (c *Client) ruledOut(err *UnsupportedError) error {
	key := fmt.Sprintf("%s/%s/%d/%t", err.Feature.Name, err.Feature.API, err.Broker, err.Capped)
	if err.Capped {
		key = fmt.Sprintf("%s/%s/cap", err.Feature.Name, err.Feature.API)
	}
	c.versions.mu.Lock()
	first := !c.versions.logged[key]
	c.versions.logged[key] = true
	logger := c.versions.logger
	c.versions.mu.Unlock()
	if first {
		level.Info(logger).Log("msg", "feature ruled out by API versions", "feature", err.Feature.Name, "api", err.Feature.API, "reason", err.Error())
	}
	return err
}

// BrokerVersions returns the API versions broker id supports, asking it
// with ApiVersions once per connection.
func (c *Client) BrokerVersions(ctx context.Context, id int32) (BrokerVersions, error) {
	if err := c.checkResponding(id); err != nil {
		return nil, err
	}
	b, err := c.broker(id)
	if err != nil {
		return nil, err
	}
	c.versions.mu.Lock()
	e, ok := c.versions.brokers[id]
	if !ok {
		e = &brokerVersions{}
		c.versions.brokers[id] = e
	}
	c.versions.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == b && e.versions != nil {
		return e.versions, nil
	}
	// v3 (KIP-511) names the client; sarama lowers it to what the broker
	// speaks (its own ApiVersions exchange at connect gave the range).
	req := &sarama.ApiVersionsRequest{Version: 3, ClientSoftwareName: "kafka-loss-exporter", ClientSoftwareVersion: "1"}
	resp, err := call(ctx, c, id, b, APIApiVersions, func(b *sarama.Broker) (*sarama.ApiVersionsResponse, error) {
		return b.ApiVersions(req)
	})
	if err != nil {
		return nil, fmt.Errorf("broker %d (%s): ApiVersions: %w", id, b.Addr(), err)
	}
	if resp.ErrorCode != int16(sarama.ErrNoError) {
		return nil, fmt.Errorf("broker %d (%s): ApiVersions: %w", id, b.Addr(), sarama.KError(resp.ErrorCode))
	}
	bv := make(BrokerVersions, len(resp.ApiKeys))
	for _, k := range resp.ApiKeys {
		bv[k.ApiKey] = VersionRange{Min: k.MinVersion, Max: k.MaxVersion}
	}
	e.conn, e.versions = b, bv
	return bv, nil
}

// OnBrokerAPI sends one request of feature f to the broker id at the
// negotiated version (see APIVersion); send builds the request at that
// version.
func OnBrokerAPI[T any](ctx context.Context, c *Client, id int32, f Feature, want int16, send func(b *sarama.Broker, version int16) (T, error)) (T, error) {
	v, err := c.APIVersion(ctx, id, f, want)
	if err != nil {
		var zero T
		return zero, err
	}
	return OnBroker(ctx, c, id, f.API, func(b *sarama.Broker) (T, error) { return send(b, v) })
}
