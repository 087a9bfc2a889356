package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Client keeps one connection per broker and sends the exporter's requests on
// them. Every request is counted in Requests and bounded by the request
// timeout (--kafka.timeout) on its own. A broker that let a request time out
// is unresponsive (health.go): requests to it fail at once until a probe in
// the background gets an answer, so one hung broker costs a poll one
// timeout, not one per request. Client is safe for concurrent use; requests
// to different brokers run in parallel, requests to one broker one after the
// other (sarama holds a connection's lock until its response arrives).
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
	// everSeen is every broker address any Metadata listed, by id, so
	// that a broker that left the live list can still be probed.
	everSeen map[int32]string
	seeds    map[string]*sarama.Broker
	// kmsgClients are the franz-go clients by broker address (kmsg.go).
	kmsgClients map[string]*kgo.Client

	// health is the responsiveness of the brokers that let a request time
	// out; probes are the probes in flight, closed stops new ones.
	health map[int32]*brokerHealth
	probes sync.WaitGroup
	closed bool
	// metadataFrom is the broker that answered the last Metadata (-1: none
	// yet), asked first next time; metadataTook are the latest Metadata
	// round trips, from which the hedging delay is measured.
	metadataFrom int32
	metadataTook []time.Duration
	// versions are the negotiated API versions by broker (versions.go).
	versions *versionState
}

// NewClient returns a client for the bootstrap servers. It connects lazily.
// Its own metrics (requests, connections, request durations, authorization
// errors) are registered with reg unless reg is nil.
func NewClient(conf *sarama.Config, bootstrap []string, reg prometheus.Registerer) *Client {
	return &Client{
		conf:      conf,
		bootstrap: append([]string(nil), bootstrap...),
		Requests:  NewRequestCounts(reg),
		Denied:    NewAuthorizationCounts(reg),
		brokers:   map[int32]*sarama.Broker{},
		addrs:     map[int32]string{},
		everSeen:  map[int32]string{},
		seeds:     map[string]*sarama.Broker{},

		kmsgClients:  map[string]*kgo.Client{},
		health:       map[int32]*brokerHealth{},
		metadataFrom: -1,
		versions:     newVersionState(),
	}
}

// requestTimeout bounds one request, whatever is left of the poll.
func (c *Client) requestTimeout() time.Duration { return c.conf.Net.ReadTimeout }

// RequestTimeout is the time one request may take before the broker is
// judged unresponsive (Options.Timeout).
func (c *Client) RequestTimeout() time.Duration { return c.requestTimeout() }

// Version is the configured Kafka version cap (the newest version sarama
// knows when none is configured); requests go out at the highest version
// both the cap and the broker allow (versions.go).
func (c *Client) Version() sarama.KafkaVersion { return c.conf.Version }

// Close closes every connection and waits until they are closed and the
// probes have ended (a connection with a request in flight closes when that
// request ends, within Options.Timeout).
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
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
	c.probes.Wait()
	return nil
}

// closeLater closes a connection in the background. sarama's Broker.Close
// waits for the request in flight on the connection (it holds the broker's
// lock for the whole request, up to Options.Timeout), so closing inline
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
		c.everSeen[b.ID()] = b.Addr()
		if h, ok := c.health[b.ID()]; ok {
			h.addr = b.Addr()
		}
	}
	c.forgetHealth(seen)
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

// BrokerIDs returns the ids of the brokers from the last Metadata, sorted.
func (c *Client) BrokerIDs() []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int32, 0, len(c.addrs))
	for id := range c.addrs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
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

// call sends one request on b, the connection to broker id (-1: a bootstrap
// address), counting and timing it. It gives up waiting when ctx ends or
// after the request timeout, whichever comes first; a request that ran out
// of its own time marks the broker unresponsive. The request itself is
// bounded by sarama's timeouts (the same Options.Timeout), so an abandoned
// call finishes soon after; its outcome still updates the broker's health.
func call[T any](ctx context.Context, c *Client, id int32, b *sarama.Broker, api string, send func(*sarama.Broker) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	c.Requests.add(api)
	rctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		v, err := send(b)
		c.Requests.observe(id, api, time.Since(start))
		c.noteOutcome(id, err)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && isConnectionError(r.err) {
			c.drop(b)
		}
		return r.v, r.err
	case <-rctx.Done():
		c.drop(b)
		if ctx.Err() == nil {
			c.noteOutcome(id, context.DeadlineExceeded)
			return zero, fmt.Errorf("%s request to %s: no answer within %s: %w", api, b.Addr(), c.requestTimeout(), context.DeadlineExceeded)
		}
		return zero, fmt.Errorf("%s request to %s: %w", api, b.Addr(), ctx.Err())
	}
}

// isConnectionError reports whether err is a transport failure (as opposed
// to a Kafka error code in a response), after which the connection is reset.
func isConnectionError(err error) bool {
	var kerr sarama.KError
	return !errors.As(err, &kerr)
}

// OnBroker sends one request to the broker id. It fails at once, without
// sending, while the broker is unresponsive (an *UnresponsiveError).
func OnBroker[T any](ctx context.Context, c *Client, id int32, api string, send func(*sarama.Broker) (T, error)) (T, error) {
	var zero T
	if err := c.checkResponding(id); err != nil {
		return zero, err
	}
	b, err := c.broker(id)
	if err != nil {
		return zero, err
	}
	v, err := call(ctx, c, id, b, api, send)
	if err != nil {
		return v, fmt.Errorf("broker %d (%s): %w", id, b.Addr(), err)
	}
	return v, nil
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
