package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// franz-go (kgo/kmsg) carries the requests sarama lacks (DescribeTopicPartitions,
// OffsetForLeaderEpoch, DescribeQuorum, ...). It never appears outside this
// package: callers hand OnBrokerKmsg a kmsg request and get its response.
//
// Its connection settings (TLS, SASL, client id, timeouts) are derived from
// the one validated *sarama.Config that Options.SaramaConfig builds, so both
// libraries always connect the same way.

// kgoOptions derives franz-go client options from the sarama configuration.
func kgoOptions(conf *sarama.Config) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.ClientID(conf.ClientID),
		kgo.RequestRetries(0),
		// The exporter's per-request deadline comes from the context; the
		// overhead only pads requests that carry a broker-side timeout.
		kgo.RequestTimeoutOverhead(conf.Net.ReadTimeout),
		kgo.ConnIdleTimeout(2 * time.Minute),
		kgo.Dialer((&net.Dialer{Timeout: conf.Net.DialTimeout}).DialContext),
	}
	if conf.Version != sarama.MaxVersion {
		// The configured Kafka version caps franz-go's requests as it caps
		// sarama's; franz-go still negotiates below the cap.
		capped := kversion.FromString(conf.Version.String())
		if capped == nil {
			return nil, fmt.Errorf("Kafka version cap %s: franz-go knows no such version", conf.Version)
		}
		opts = append(opts, kgo.MaxVersions(capped))
	}
	if conf.Net.TLS.Enable {
		tc := conf.Net.TLS.Config
		if tc != nil {
			tc = tc.Clone()
		}
		// DialTLSConfig replaces the plain dialer above; it dials with its
		// own timeout-less dialer unless Dialer is given after it, so both
		// are set through one TLS dialer here.
		opts = append(opts, kgo.Dialer(tlsDialer(conf.Net.DialTimeout, tc)))
	}
	if conf.Net.SASL.Enable {
		m, err := kgoSASL(conf)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// kgoSASL maps the sarama SASL settings to a franz-go mechanism.
func kgoSASL(conf *sarama.Config) (sasl.Mechanism, error) {
	user, pass := conf.Net.SASL.User, conf.Net.SASL.Password
	switch conf.Net.SASL.Mechanism {
	case sarama.SASLTypePlaintext:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case sarama.SASLTypeSCRAMSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case sarama.SASLTypeSCRAMSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	case sarama.SASLTypeOAuth:
		// The same token provider as sarama's: one token for both.
		p := conf.Net.SASL.TokenProvider
		return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
			tok, err := p.Token()
			if err != nil {
				return oauth.Auth{}, err
			}
			return oauth.Auth{Token: tok.Token, Extensions: tok.Extensions}, nil
		}), nil
	case sarama.SASLTypeGSSAPI:
		return &gssapiMechanism{conf: conf.Net.SASL.GSSAPI}, nil
	}
	return nil, fmt.Errorf("SASL mechanism %s is not wired for franz-go requests", conf.Net.SASL.Mechanism)
}

// kmsgClient returns the franz-go client for one broker address, creating it
// on first use. One client per address keeps one connection per broker, like
// the sarama side, and needs no franz-go metadata (it talks to its seed).
func (c *Client) kmsgClient(addr string) (*kgo.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.kmsgClients[addr]; ok {
		return cl, nil
	}
	opts, err := kgoOptions(c.conf)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addr))...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	c.kmsgClients[addr] = cl
	return cl, nil
}

// OnBrokerKmsg sends one franz-go request to the broker id and returns its
// response, counted in Requests under the protocol's name for the API
// (kmsg.NameForKey) and timed like the sarama requests. The version sent is
// the highest both franz-go and the broker support (franz-go negotiates with
// ApiVersions per connection), capped by the configured Kafka version when
// one is set. Like OnBroker, the request is bounded by the request timeout
// on its own, a timeout marks the broker unresponsive, and requests to an
// unresponsive broker fail at once (*UnresponsiveError).
// Kafka error codes inside the response are left to the caller.
func (c *Client) OnBrokerKmsg(ctx context.Context, id int32, req kmsg.Request) (kmsg.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.checkResponding(id); err != nil {
		return nil, err
	}
	c.mu.Lock()
	addr, ok := c.addrs[id]
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("broker %d is not in the cluster metadata", id)
	}
	cl, err := c.kmsgClient(addr)
	if err != nil {
		return nil, fmt.Errorf("broker %d (%s): %w", id, addr, err)
	}
	api := kmsg.NameForKey(req.Key())
	seeds := cl.SeedBrokers()
	if len(seeds) == 0 {
		return nil, fmt.Errorf("broker %d (%s): no connection", id, addr)
	}
	c.Requests.add(api)
	rctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	start := time.Now()
	resp, err := seeds[0].Request(rctx, req)
	c.Requests.observe(id, api, time.Since(start))
	if err != nil && ctx.Err() != nil {
		// The poll ended (or the exporter stops): says nothing of the broker.
		return nil, fmt.Errorf("broker %d (%s): %s: %w", id, addr, api, err)
	}
	c.noteOutcome(id, err)
	if err != nil {
		if unsupported(err) {
			err = ErrUnsupportedAPI
		}
		return nil, fmt.Errorf("broker %d (%s): %s: %w", id, addr, api, err)
	}
	return resp, nil
}

// ErrUnsupportedAPI is the error of OnBrokerKmsg when the request's API is
// out of reach: the broker does not support it (its ApiVersions answer
// lacks it, as brokers older than the API do), or the --kafka.version cap
// is older than the API. The request was not sent.
var ErrUnsupportedAPI = errors.New("the broker (or the --kafka.version cap) does not support this API")

// franzNotSent are the texts of franz-go's unexported errors for a request
// it fails before sending: the broker's ApiVersions answer lacks the API,
// or the MaxVersions cap does. They are turned into ErrUnsupportedAPI here,
// at the boundary, so that no caller ever looks at error text (unit tests
// pin both texts).
var franzNotSent = []string{
	"broker is too old; the broker has already indicated it will not know how to handle the request",
	"request key is unknown",
}

func unsupported(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if slices.Contains(franzNotSent, e.Error()) {
			return true
		}
	}
	return false
}

// closeKmsgClients closes every franz-go client (Close and SetBrokers call it
// for addresses that are gone).
func closeKmsgClients(clients []*kgo.Client) {
	for _, cl := range clients {
		go cl.Close()
	}
}

// tlsDialer dials TLS connections with the dial timeout.
func tlsDialer(timeout time.Duration, tc *tls.Config) func(ctx context.Context, network, host string) (net.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: tc}
	return d.DialContext
}
