package kafka

import (
	"context"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// refreshFactor is the share of a token's lifetime after which a new one is
// fetched, like Kafka's own clients (sasl.login.refresh.window.factor).
const refreshFactor = 0.8

// unknownLifetime is how long a token without an expiry is used.
const unknownLifetime = time.Minute

// tokenProvider hands out one bearer token to every connection made from
// the configuration (sarama's and franz-go's), and fetches a new one when
// 80% of its lifetime has passed, so that no connection signs in, or
// re-authenticates, with a token about to expire. A failed fetch keeps the
// old token while it is still valid, and is retried at the next sign-in.
type tokenProvider struct {
	fetch      func(ctx context.Context) (token string, expiry time.Time, err error)
	timeout    time.Duration // of one fetch
	extensions map[string]string
	now        func() time.Time

	mu        sync.Mutex // held during a fetch: concurrent sign-ins share it
	token     string
	refreshAt time.Time
	expiry    time.Time
}

// Token implements sarama.AccessTokenProvider.
func (p *tokenProvider) Token() (*sarama.AccessToken, error) {
	tok, err := p.get(context.Background())
	if err != nil {
		return nil, err
	}
	return &sarama.AccessToken{Token: tok, Extensions: p.extensions}, nil
}

// get returns the current token, fetching one when needed.
func (p *tokenProvider) get(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.token != "" && now.Before(p.refreshAt) {
		return p.token, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	tok, expiry, err := p.fetch(ctx)
	if err != nil {
		if p.token != "" && now.Before(p.expiry) {
			return p.token, nil
		}
		return "", err
	}
	lifetime := unknownLifetime
	if !expiry.IsZero() {
		lifetime = expiry.Sub(now)
	}
	p.token = tok
	p.expiry = now.Add(lifetime)
	p.refreshAt = now.Add(time.Duration(float64(lifetime) * refreshFactor))
	return tok, nil
}
