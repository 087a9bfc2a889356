package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Client keeps one connection per broker and sends the exporter's requests on
// them. Every request is counted in Requests. Client is safe for concurrent
// use; requests to different brokers run in parallel.
type Client struct {
	conf      *sarama.Config
	bootstrap []string
	// Requests counts every request the client sent, by API.
	Requests *RequestCounts
	// Denied counts the resources Kafka refused to show (authorization
	// errors), by resource type; the fetch steps record them.
	Denied *AuthorizationCounts

	mu      sync.Mutex
	brokers map[int32]*sarama.Broker // live connections by broker id
	addrs   map[int32]string         // broker addresses from the last Metadata
	seeds   map[string]*sarama.Broker
	// kmsgClients are the franz-go clients by broker address (kmsg.go).
	kmsgClients map[string]*kgo.Client
	// versions are the negotiated API versions by broker (versions.go).
	versions *versionState
}

// NewClient returns a client for the bootstrap servers. It connects lazily.
func NewClient(conf *sarama.Config, bootstrap []string) *Client {
	return &Client{
		conf:      conf,
		bootstrap: append([]string(nil), bootstrap...),
		Requests:  NewRequestCounts(),
		Denied:    NewAuthorizationCounts(),
		brokers:   map[int32]*sarama.Broker{},
		addrs:     map[int32]string{},
		seeds:     map[string]*sarama.Broker{},

		kmsgClients: map[string]*kgo.Client{},
		versions:    newVersionState(),
	}
}

// Version is the configured Kafka version cap (the newest version sarama
// knows when none is configured); requests go out at the highest version
// both the cap and the broker allow (versions.go).
func (c *Client) Version() sarama.KafkaVersion { return c.conf.Version }

// Close closes every connection and waits until they are closed (a
// connection with a request in flight closes when that request ends, within
// --kafka.timeout).
func (c *Client) Close() error {
	c.mu.Lock()
	var conns []*sarama.Broker
	for id, b := range c.brokers {
		conns = append(conns, b)
		delete(c.brokers, id)
	}
	for addr, b := range c.seeds {
		conns = append(conns, b)
		delete(c.seeds, addr)
	}
	var kmsgClients []*kgo.Client
	for addr, cl := range c.kmsgClients {
		kmsgClients = append(kmsgClients, cl)
		delete(c.kmsgClients, addr)
	}
	c.mu.Unlock()
	for _, cl := range kmsgClients {
		cl.Close()
	}
	var wg sync.WaitGroup
	for _, b := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = b.Close()
		}()
	}
	wg.Wait()
	return nil
}

// closeLater closes a connection in the background. sarama's Broker.Close
// waits for the request in flight on the connection (it holds the broker's
// lock for the whole request, up to --kafka.timeout), so closing inline
// would hold up the poll past its deadline, and closing under c.mu would
// stall every other broker's request too.
func closeLater(b *sarama.Broker) {
	go func() { _ = b.Close() }()
}

// SetBrokers records the broker addresses from a Metadata response; a
// connection to a broker whose address changed is dropped.
func (c *Client) SetBrokers(brokers []*sarama.Broker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[int32]bool{}
	live := map[string]bool{}
	for _, b := range brokers {
		live[b.Addr()] = true
	}
	var gone []*kgo.Client
	for addr, cl := range c.kmsgClients {
		if !live[addr] {
			gone = append(gone, cl)
			delete(c.kmsgClients, addr)
		}
	}
	closeKmsgClients(gone)
	for _, b := range brokers {
		seen[b.ID()] = true
		if old, ok := c.addrs[b.ID()]; ok && old != b.Addr() {
			if conn, ok := c.brokers[b.ID()]; ok {
				closeLater(conn)
				delete(c.brokers, b.ID())
			}
		}
		c.addrs[b.ID()] = b.Addr()
	}
	for id := range c.addrs {
		if !seen[id] {
			delete(c.addrs, id)
			if conn, ok := c.brokers[id]; ok {
				closeLater(conn)
				delete(c.brokers, id)
			}
		}
	}
}

// BrokerIDs returns the ids of the brokers from the last Metadata.
func (c *Client) BrokerIDs() []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int32, 0, len(c.addrs))
	for id := range c.addrs {
		ids = append(ids, id)
	}
	return ids
}

// broker returns an open connection to the broker id.
func (c *Client) broker(id int32) (*sarama.Broker, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.brokers[id]; ok {
		return b, nil
	}
	addr, ok := c.addrs[id]
	if !ok {
		return nil, fmt.Errorf("broker %d is not in the cluster metadata", id)
	}
	b := sarama.NewBroker(addr)
	if err := b.Open(c.conf); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return nil, fmt.Errorf("broker %d (%s): %w", id, addr, err)
	}
	c.Requests.addOpen()
	c.brokers[id] = b
	return b, nil
}

// seed returns an open connection to a bootstrap address.
func (c *Client) seed(addr string) (*sarama.Broker, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.seeds[addr]; ok {
		return b, nil
	}
	b := sarama.NewBroker(addr)
	if err := b.Open(c.conf); err != nil && !errors.Is(err, sarama.ErrAlreadyConnected) {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	c.Requests.addOpen()
	c.seeds[addr] = b
	return b, nil
}

// drop forgets a connection that failed, so the next request reconnects,
// and closes it in the background (see closeLater).
func (c *Client) drop(b *sarama.Broker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, x := range c.brokers {
		if x == b {
			delete(c.brokers, id)
		}
	}
	for addr, x := range c.seeds {
		if x == b {
			delete(c.seeds, addr)
		}
	}
	closeLater(b)
}

// call sends one request on b, counting it, and gives up waiting when ctx
// ends. sarama's own timeouts (--kafka.timeout) bound the request itself, so
// an abandoned call finishes soon after.
func call[T any](ctx context.Context, c *Client, b *sarama.Broker, api string, send func(*sarama.Broker) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	c.Requests.add(api)
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := send(b)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && isConnectionError(r.err) {
			c.drop(b)
		}
		return r.v, r.err
	case <-ctx.Done():
		c.drop(b)
		return zero, fmt.Errorf("%s request to %s: %w", api, b.Addr(), ctx.Err())
	}
}

// isConnectionError reports whether err is a transport failure (as opposed
// to a Kafka error code in a response), after which the connection is reset.
func isConnectionError(err error) bool {
	var kerr sarama.KError
	return !errors.As(err, &kerr)
}

// OnBroker sends one request to the broker id.
func OnBroker[T any](ctx context.Context, c *Client, id int32, api string, send func(*sarama.Broker) (T, error)) (T, error) {
	b, err := c.broker(id)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := call(ctx, c, b, api, send)
	if err != nil {
		return v, fmt.Errorf("broker %d (%s): %w", id, b.Addr(), err)
	}
	return v, nil
}

// Metadata asks the cluster for metadata of all topics. It tries the brokers
// known from the last Metadata first, then the bootstrap servers, and returns
// the first answer; the error lists every failure when none answered.
func (c *Client) Metadata(ctx context.Context) (*sarama.MetadataResponse, error) {
	req := sarama.NewMetadataRequest(c.conf.Version, nil)
	req.AllowAutoTopicCreation = false
	send := func(b *sarama.Broker) (*sarama.MetadataResponse, error) { return b.GetMetadata(req) }

	// candidates are the connections to try, in order: known brokers, then
	// bootstrap addresses; each opens its connection when tried.
	type candidate struct {
		name string
		open func() (*sarama.Broker, error)
	}
	var candidates []candidate
	for _, id := range c.BrokerIDs() {
		candidates = append(candidates, candidate{fmt.Sprintf("broker %d", id), func() (*sarama.Broker, error) { return c.broker(id) }})
	}
	for _, addr := range c.seedOrder() {
		candidates = append(candidates, candidate{addr, func() (*sarama.Broker, error) { return c.seed(addr) }})
	}

	var errs []error
	for _, cand := range candidates {
		b, err := cand.open()
		if err != nil {
			errs = append(errs, err)
			c.demoteSeed(cand.name)
			continue
		}
		resp, err := call(ctx, c, b, APIMetadata, send)
		if err == nil {
			c.SetBrokers(resp.Brokers)
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s (%s): %w", cand.name, b.Addr(), err))
		c.demoteSeed(b.Addr())
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no broker answered Metadata: %w", joinErrors(errs))
}

// seedOrder returns the bootstrap addresses in the order to try them.
func (c *Client) seedOrder() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bootstrap...)
}

// demoteSeed moves a bootstrap address that failed to the end of the order,
// so that a seed that hangs (a black hole that accepts connections and never
// answers) cannot use up every poll's time before the good seeds are tried.
// Addresses that are not seeds are ignored.
func (c *Client) demoteSeed(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, a := range c.bootstrap {
		if a == addr {
			c.bootstrap = append(append(c.bootstrap[:i:i], c.bootstrap[i+1:]...), a)
			return
		}
	}
}

// joinedError is several errors on one line, for one clear log line per poll.
type joinedError []error

func (e joinedError) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e joinedError) Unwrap() []error { return e }

func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return joinedError(errs)
}
