package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

// TestClientCertificateValidity checks that an expired or not yet valid
// client certificate fails the handshake with an error naming the file and
// the date, and that a valid one is sent.
func TestClientCertificateValidity(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "exporter"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{notBefore.Add(time.Hour), ""},
		{notAfter.Add(time.Hour), "client certificate client.pem expired at 2026-06-01T00:00:00Z"},
		{notBefore.Add(-time.Hour), "client certificate client.pem is not valid before 2026-01-01T00:00:00Z"},
	} {
		get := clientCertificate("client.pem", cert, func() time.Time { return c.now })
		got, err := get(&tls.CertificateRequestInfo{})
		switch {
		case c.want == "" && (err != nil || got == nil):
			t.Errorf("at %s: %v, want the certificate", c.now, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("at %s: error %v, want %q", c.now, err, c.want)
		}
	}
}
