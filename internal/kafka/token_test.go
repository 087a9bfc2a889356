package kafka

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTokenProviderRefreshesBeforeExpiry: one token serves every sign-in
// until 80% of its lifetime; a failed fetch keeps a still valid token and
// fails once the token expired.
func TestTokenProviderRefreshesBeforeExpiry(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	fetches := 0
	var fail error
	p := &tokenProvider{timeout: time.Second, now: func() time.Time { return now }, extensions: map[string]string{"logicalCluster": "lkc-1"},
		fetch: func(context.Context) (string, time.Time, error) {
			if fail != nil {
				return "", time.Time{}, fail
			}
			fetches++
			return fmt.Sprintf("token-%d", fetches), now.Add(100 * time.Second), nil
		}}
	get := func() string {
		t.Helper()
		tok, err := p.Token()
		if err != nil {
			t.Fatalf("at +%s: %v", now.Sub(time.Unix(1_000_000, 0)), err)
		}
		if tok.Extensions["logicalCluster"] != "lkc-1" {
			t.Fatalf("extensions %v", tok.Extensions)
		}
		return tok.Token
	}
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "token-1"}, {79 * time.Second, "token-1"}, {2 * time.Second, "token-2"}, {50 * time.Second, "token-2"}, {31 * time.Second, "token-3"},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if got := get(); got != s.want {
			t.Fatalf("at +%s: %s, want %s", now.Sub(time.Unix(1_000_000, 0)), got, s.want)
		}
	}
	// token-3 was fetched at +162s and expires at +262s.
	fail = errors.New("identity provider down")
	now = now.Add(90 * time.Second)
	if got := get(); got != "token-3" {
		t.Fatalf("a failed refresh must keep the valid token, got %s", got)
	}
	now = now.Add(11 * time.Second)
	if _, err := p.Token(); err == nil {
		t.Fatal("an expired token was handed out")
	}
}

// TestOAuthTokenEndpointErrors: a refused token request is one line naming
// the token URL, the HTTP status and the OAuth error, never the secret
// nor the response body.
func TestOAuthTokenEndpointErrors(t *testing.T) {
	const secret = "the-client-secret-42"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, _ := r.BasicAuth()
		if r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		if pass == secret {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"jwt-1","token_type":"Bearer","expires_in":300}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret %s\\nsecond line\",\"debug\":\"body-only\"}", pass)
	}))
	defer srv.Close()
	o := validOptions()
	o.SASLMechanism, o.OAuthTokenURL, o.OAuthClientID, o.OAuthClientSecret = SASLOAuthBearer, srv.URL+"/token", "exporter", secret
	conf, err := o.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Net.SASL.TokenProvider.Token()
	if err != nil || tok.Token != "jwt-1" {
		t.Fatalf("token %v, error %v", tok, err)
	}

	o.OAuthClientSecret = "wrong-" + secret
	conf, err = o.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	_, err = conf.Net.SASL.TokenProvider.Token()
	want := "OAUTHBEARER sign-in: token endpoint " + srv.URL + "/token: HTTP 401 Unauthorized: invalid_client: bad secret <secret> second line"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	if Reason(err) != ReasonAuthentication || strings.Contains(err.Error(), "body-only") {
		t.Errorf("reason %s, error %s", Reason(err), err)
	}

	// Unreachable: still one line naming the URL.
	srv.Close()
	conf, _ = o.SaramaConfig()
	if _, err = conf.Net.SASL.TokenProvider.Token(); err == nil || !strings.Contains(err.Error(), "token endpoint "+srv.URL+"/token") || strings.Contains(err.Error(), "\n") {
		t.Errorf("unreachable endpoint: %v", err)
	}
}
