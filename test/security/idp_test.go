package security

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// idp is the tests' OIDC identity provider: a JWKS endpoint the brokers
// validate tokens against (KIP-768), and a token endpoint issuing RS256
// JWTs with the OAuth 2 client-credentials grant (client id and secret in
// a Basic authorization header, or in the form).
type idp struct {
	base   string // http://127.0.0.1:port
	key    *rsa.PrivateKey
	kid    string
	server *http.Server

	mu      sync.Mutex
	clients map[string]idpClient
	issued  map[string][]string // client id -> tokens issued, in order
	refused map[string]int      // client id -> refused token requests
}

// idpClient is one registered OAuth client: its secret, the subject of its
// tokens (the Kafka principal) and their lifetime.
type idpClient struct {
	secret   string
	subject  string
	lifetime time.Duration
}

// idpAudience is the audience of every token, which the brokers expect.
const idpAudience = "kafka"

// startIDP serves the identity provider on 127.0.0.1:port.
func startIDP(port int) (*idp, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("identity provider: %w", err)
	}
	p := &idp{base: "http://" + ln.Addr().String(), key: key, kid: "kle-test-1",
		clients: map[string]idpClient{}, issued: map[string][]string{}, refused: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("POST /token", p.token)
	p.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// JWKSURL and TokenURL are the endpoints.
func (p *idp) JWKSURL() string  { return p.base + "/jwks" }
func (p *idp) TokenURL() string { return p.base + "/token" }

// register adds an OAuth client.
func (p *idp) register(id string, c idpClient) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients[id] = c
}

// Issued returns the tokens issued to a client so far.
func (p *idp) Issued(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued[id]...)
}

// Refused returns the number of refused token requests of a client.
func (p *idp) Refused(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused[id]
}

func (p *idp) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := p.key.PublicKey
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// RFC 6749 2.3.1: both are form-urlencoded inside the header.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	c, known := p.clients[id]
	if !known || c.secret != secret {
		p.refused[id]++
		p.mu.Unlock()
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	p.mu.Unlock()
	now := time.Now()
	claims := map[string]any{
		"iss": p.base, "sub": c.subject, "aud": idpAudience, "azp": id,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(c.lifetime).Unix(),
		"jti": b64(randomBytes(12)),
	}
	if scope := r.PostForm.Get("scope"); scope != "" {
		claims["scope"] = scope
	}
	tok, err := p.sign(claims)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	p.mu.Lock()
	p.issued[id] = append(p.issued[id], tok)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(c.lifetime / time.Second)})
}

// sign makes an RS256 JWS of the claims.
func (p *idp) sign(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": p.kid})
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(header) + "." + b64(body)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// oauthBrokerConfig is the brokers' OAUTHBEARER configuration (KIP-768) on
// the CLIENT listener: tokens validated against the JWKS endpoint, with the
// issuer and audience checked, no clock skew allowed (an expired token is
// refused at once), and sessions ending when their token expires, so that
// clients must re-authenticate with a fresh token (KIP-368).
func (p *idp) brokerConfig() string {
	return strings.Join([]string{
		"listener.name.client.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
		"listener.name.client.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
		"listener.name.client.oauthbearer.connections.max.reauth.ms=3600000",
		"sasl.oauthbearer.jwks.endpoint.url=" + p.JWKSURL(),
		"sasl.oauthbearer.expected.audience=" + idpAudience,
		"sasl.oauthbearer.expected.issuer=" + p.base,
		"sasl.oauthbearer.clock.skew.seconds=0",
	}, "\n") + "\n"
}

// jvmOptions are the brokers' JVM options for OAUTHBEARER: Kafka 4 only
// fetches JWKS from allowed URLs.
func (p *idp) jvmOptions() string {
	return "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + p.JWKSURL() + "," + p.TokenURL()
}
