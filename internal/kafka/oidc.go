package kafka

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// SignInError is a failure to get what the exporter signs in with: an
// OAuth token, an AWS MSK IAM signature or a Kerberos ticket. It never holds
// a secret.
type SignInError struct {
	Mechanism string // OAUTHBEARER, AWS_MSK_IAM, GSSAPI
	Source    string // where it came from: the token URL, the region, the KDC realm
	// Status is the HTTP status of the token endpoint's answer (0: none).
	Status int
	Err    error
}

// Error is one line naming the mechanism, the source and the cause.
func (e *SignInError) Error() string {
	s := e.Mechanism + " sign-in: " + e.Source
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *SignInError) Unwrap() error { return e.Err }

// oauthTokenProvider fetches tokens with the OAuth 2 client-credentials
// grant, the client id and secret in a Basic authorization header like
// Kafka's own clients (KIP-768).
func (o Options) oauthTokenProvider() (*tokenProvider, error) {
	if err := o.checkOAuth(); err != nil {
		return nil, err
	}
	cc := &clientcredentials.Config{
		ClientID:     o.OAuthClientID,
		ClientSecret: o.OAuthClientSecret,
		TokenURL:     o.OAuthTokenURL,
		Scopes:       o.OAuthScopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	httpClient := &http.Client{Timeout: o.Timeout}
	secret, tokenURL := o.OAuthClientSecret, o.OAuthTokenURL
	fetch := func(ctx context.Context) (string, time.Time, error) {
		tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, httpClient))
		if err != nil {
			return "", time.Time{}, tokenError(tokenURL, secret, err)
		}
		return tok.AccessToken, tok.Expiry, nil
	}
	return &tokenProvider{fetch: fetch, timeout: o.Timeout, extensions: o.OAuthExtensions, now: time.Now}, nil
}

// tokenError turns a failed token request into a one-line SignInError with
// the token URL, the HTTP status and the OAuth error code, never the
// response body nor the secret.
func tokenError(tokenURL, secret string, err error) error {
	e := &SignInError{Mechanism: "OAUTHBEARER", Source: "token endpoint " + tokenURL}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		if rerr.Response != nil {
			e.Status = rerr.Response.StatusCode
		}
		msg := rerr.ErrorCode
		if rerr.ErrorDescription != "" {
			msg += ": " + rerr.ErrorDescription
		}
		if msg == "" {
			msg = "token request refused"
		}
		e.Err = errors.New(redact(msg, secret))
		return e
	}
	e.Err = &redactedError{msg: redact(err.Error(), secret), err: err}
	return e
}

// redactedError is an error whose text had a secret removed; it still
// unwraps to its cause (a timeout stays a timeout).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact folds s onto one line and removes secret from it.
func redact(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "<secret>")
	}
	return strings.Join(strings.Fields(s), " ")
}
