package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"github.com/IBM/sarama"
)

// A broker that is registered but hung (a stopped JVM, a full disk, a long
// GC pause) accepts connections and requests and never answers. Every
// request to it would wait the full --kafka.timeout. The client remembers
// which brokers let a request time out and fails further requests to them at
// once, so that a poll pays for a hung broker once; a probe in the background
// (one ApiVersions request, at most one in flight per broker) finds out when
// it answers again.

// brokerHealth is the state of a broker that let a request time out.
type brokerHealth struct {
	addr         string
	unresponsive bool
	since        time.Time // when it last let a request time out
	probing      bool
}

// UnresponsiveError is the error of a request that was not sent because its
// broker let an earlier request time out and has not answered since. It
// matches context.DeadlineExceeded (errors.Is), so it classifies as a timeout.
type UnresponsiveError struct {
	Broker int32
	Addr   string
	// Since is when the broker last let a request time out.
	Since time.Time
}

func (e *UnresponsiveError) Error() string {
	return fmt.Sprintf("broker %d (%s) is unresponsive: a request timed out at %s and it has not answered since; not sent",
		e.Broker, e.Addr, e.Since.Format(time.RFC3339))
}

// Unwrap makes the error a timeout for errors.Is and Reason.
func (e *UnresponsiveError) Unwrap() error { return context.DeadlineExceeded }

// isTimeout reports whether a request's error means that no answer came in
// time (as opposed to an answer, a refused connection or a broken one).
func isTimeout(err error) bool {
	var nerr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &nerr) && nerr.Timeout())
}

// noteOutcome updates the health of broker id (-1: a bootstrap address, not
// tracked) from the outcome of a request: a timeout makes it unresponsive,
// an answer of any kind (a response, a Kafka error code, a refused or reset
// connection) responsive.
func (c *Client) noteOutcome(id int32, err error) {
	if id < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[id]
	if !isTimeout(err) {
		if h != nil && !h.probing {
			delete(c.health, id)
		} else if h != nil {
			h.unresponsive = false
		}
		return
	}
	if h == nil {
		h = &brokerHealth{}
		c.health[id] = h
	}
	h.addr = c.addrs[id]
	h.unresponsive = true
	h.since = time.Now()
}

// checkResponding returns an *UnresponsiveError when broker id is
// unresponsive, and starts a probe of it unless one is in flight.
func (c *Client) checkResponding(id int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[id]
	if h == nil || !h.unresponsive {
		return nil
	}
	c.probeLocked(id, h)
	return &UnresponsiveError{Broker: id, Addr: h.addr, Since: h.since}
}

// Responding reports whether broker id answers: false after a request to it
// timed out, until it answers again. Asking about an unresponsive broker
// starts a probe of it unless one is in flight, so that a broker that no
// request goes to any more (one that lost its partitions) is still watched.
func (c *Client) Responding(id int32) bool {
	return c.checkResponding(id) == nil
}

// Unresponsive returns the ids of the unresponsive brokers, sorted, and
// starts a probe of each unless one is in flight (see Responding).
func (c *Client) Unresponsive() []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int32
	for id, h := range c.health {
		if h.unresponsive {
			out = append(out, id)
			c.probeLocked(id, h)
		}
	}
	slices.Sort(out)
	return out
}

// WatchAbsent probes the brokers ids that are missing from the latest
// Metadata (they host replicas but are not live: down, or fenced by the
// controller while hung) at their last known address, unless a probe is in
// flight. A probe that times out makes the broker unresponsive, which tells
// a hung broker from a down one (whose connection is refused at once).
func (c *Client) WatchAbsent(ids []int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		addr, known := c.everSeen[id]
		if _, live := c.addrs[id]; live || !known {
			continue
		}
		h := c.health[id]
		if h == nil {
			h = &brokerHealth{addr: addr}
			c.health[id] = h
		}
		c.probeLocked(id, h)
	}
}

// probeLocked starts a probe of broker id in the background unless one is
// in flight or the client is closed. c.mu must be held.
func (c *Client) probeLocked(id int32, h *brokerHealth) {
	if h.probing || c.closed || h.addr == "" {
		return
	}
	h.probing = true
	c.probes.Add(1)
	go c.probe(id, h.addr)
}

// probe sends one ApiVersions request to broker id on a new connection,
// bounded by the request timeout. An answer makes the broker responsive, and
// its connection is kept for the next requests.
func (c *Client) probe(id int32, addr string) {
	defer c.probes.Done()
	b := sarama.NewBroker(addr)
	err := b.Open(c.conf)
	if err == nil || errors.Is(err, sarama.ErrAlreadyConnected) {
		c.Requests.add(APIApiVersions)
		start := time.Now()
		// sarama's read timeout (--kafka.timeout) bounds the request.
		_, err = b.ApiVersions(&sarama.ApiVersionsRequest{Version: 0})
		c.Requests.observe(id, APIApiVersions, time.Since(start))
		if err == nil || isTimeout(err) {
			c.Requests.addOpen() // the connection was established
		}
	}
	keep := false
	c.mu.Lock()
	if h := c.health[id]; h != nil {
		h.probing = false
		if !isTimeout(err) {
			delete(c.health, id)
		}
	}
	if err == nil && !c.closed && c.brokers[id] == nil && c.addrs[id] == addr {
		c.brokers[id] = b
		keep = true
	}
	c.mu.Unlock()
	if !keep {
		_ = b.Close()
	}
}

// forgetHealth drops the health of brokers that are neither in seen (the
// brokers of the latest Metadata) nor unresponsive: an unresponsive broker
// that left the live list (fenced while hung) stays watched until it
// answers. c.mu must be held.
func (c *Client) forgetHealth(seen map[int32]bool) {
	for id, h := range c.health {
		if !seen[id] && !h.unresponsive && !h.probing {
			delete(c.health, id)
		}
	}
}
