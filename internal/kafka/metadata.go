package kafka

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/IBM/sarama"
)

// Metadata hedging: the broker asked for Metadata may be the one that hangs.
// When it has not answered within hedgeDelay, the next candidate is asked
// as well, and so on; the first answer wins and the others are abandoned.
// A poll fails only when no candidate answers.

const (
	// hedgeFloor is the shortest hedging delay, so that a healthy but
	// momentarily slow broker does not double the requests.
	hedgeFloor = 100 * time.Millisecond
	// hedgeLatencies is how many recent Metadata round trips the delay is
	// measured from.
	hedgeLatencies = 8
	// hedgeFactor times the slowest recent round trip is the delay.
	hedgeFactor = 4
	// hedgeFraction caps the delay at this fraction of --kafka.timeout.
	hedgeFraction = 10
)

// metadataCandidate is one connection to ask for Metadata.
type metadataCandidate struct {
	id   int32 // broker id; -1 for a bootstrap address
	name string
	open func() (*sarama.Broker, error)
}

// metadataCandidates lists the connections to try, in order: the broker
// that answered last, the other known brokers by id, the bootstrap
// addresses, and last the known brokers that are unresponsive (they fail at
// once and start a probe).
func (c *Client) metadataCandidates() []metadataCandidate {
	ids := c.BrokerIDs()
	c.mu.Lock()
	first := c.metadataFrom
	var ok, hung []int32
	for _, id := range ids {
		switch h := c.health[id]; {
		case h != nil && h.unresponsive:
			hung = append(hung, id)
		case id == first:
			ok = append([]int32{id}, ok...)
		default:
			ok = append(ok, id)
		}
	}
	c.mu.Unlock()
	var out []metadataCandidate
	known := func(id int32) metadataCandidate {
		return metadataCandidate{id, fmt.Sprintf("broker %d", id), func() (*sarama.Broker, error) {
			if err := c.checkResponding(id); err != nil {
				return nil, err
			}
			return c.broker(id)
		}}
	}
	for _, id := range ok {
		out = append(out, known(id))
	}
	for _, addr := range c.seedOrder() {
		out = append(out, metadataCandidate{-1, addr, func() (*sarama.Broker, error) { return c.seed(addr) }})
	}
	for _, id := range hung {
		out = append(out, known(id))
	}
	return out
}

// hedgeDelay is how long to wait for one Metadata answer before asking the
// next candidate as well: hedgeFactor times the slowest of the recent round
// trips, at least hedgeFloor, at most a tenth of the request timeout (the
// tenth before any round trip was measured).
func (c *Client) hedgeDelay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.requestTimeout() / hedgeFraction
	if len(c.metadataTook) == 0 {
		return limit
	}
	d := hedgeFactor * slices.Max(c.metadataTook)
	return min(max(d, hedgeFloor), limit)
}

// noteMetadata records which broker answered Metadata and how fast.
func (c *Client) noteMetadata(id int32, took time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id >= 0 {
		c.metadataFrom = id
	}
	c.metadataTook = append(c.metadataTook, took)
	if len(c.metadataTook) > hedgeLatencies {
		c.metadataTook = c.metadataTook[1:]
	}
}

// MetadataFrom returns the id of the broker that answered the last
// Metadata, -1 when none has or it came from a bootstrap address.
func (c *Client) MetadataFrom() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metadataFrom
}

// Metadata asks the cluster for metadata of all topics, hedged: it asks the
// candidates (metadataCandidates) one after the other, each hedgeDelay after
// the previous one or as soon as it failed, and returns the first answer.
// The error lists every failure when none answered.
func (c *Client) Metadata(ctx context.Context) (*sarama.MetadataResponse, error) {
	// A request per attempt: sarama sets the version it sends on the
	// request, and hedged attempts run at once.
	send := func(b *sarama.Broker) (*sarama.MetadataResponse, error) {
		req := sarama.NewMetadataRequest(c.conf.Version, nil)
		req.AllowAutoTopicCreation = false
		return b.GetMetadata(req)
	}

	candidates := c.metadataCandidates()
	type attempt struct {
		cand metadataCandidate
		addr string
		resp *sarama.MetadataResponse
		took time.Duration
		err  error
	}
	// Buffered for every candidate: abandoned attempts never block.
	results := make(chan attempt, len(candidates))
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next, inFlight := 0, 0
	launch := func() {
		cand := candidates[next]
		next++
		inFlight++
		go func() {
			b, err := cand.open()
			if err != nil {
				results <- attempt{cand: cand, err: err}
				return
			}
			start := time.Now()
			resp, err := call(hctx, c, cand.id, b, APIMetadata, send)
			results <- attempt{cand: cand, addr: b.Addr(), resp: resp, took: time.Since(start), err: err}
		}()
	}

	var errs []error
	delay := c.hedgeDelay()
	hedge := time.NewTimer(delay)
	defer hedge.Stop()
	if len(candidates) > 0 {
		launch()
	}
	for inFlight > 0 {
		select {
		case a := <-results:
			inFlight--
			if a.err == nil {
				c.SetBrokers(a.resp.Brokers)
				c.noteMetadata(a.cand.id, a.took)
				return a.resp, nil
			}
			if a.addr != "" {
				errs = append(errs, fmt.Errorf("%s (%s): %w", a.cand.name, a.addr, a.err))
				c.demoteSeed(a.addr)
			} else {
				errs = append(errs, a.err)
				c.demoteSeed(a.cand.name)
			}
			if next < len(candidates) && ctx.Err() == nil {
				launch()
				hedge.Reset(delay)
			}
		case <-hedge.C:
			if next < len(candidates) && ctx.Err() == nil {
				launch()
				hedge.Reset(delay)
			}
		}
	}
	return nil, fmt.Errorf("no broker answered Metadata: %w", JoinErrors(errs))
}
