package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// authority is a test certificate authority.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// newAuthority creates a self-signed CA valid for a day.
func newAuthority(cn string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// leaf is an issued certificate and its key, in PEM.
type leaf struct {
	certPEM, keyPEM []byte
}

// issue signs a certificate with CN=cn (the Kafka principal, through the
// brokers' ssl.principal.mapping.rules) valid from notBefore to notAfter,
// for 127.0.0.1 and localhost, usable by servers and clients.
func (a *authority) issue(cn string, notBefore, notAfter time.Time) (*leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &leaf{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// pki is every certificate file the tests use, by path.
type pki struct {
	CA, RogueCA                     string // the brokers' CA; a CA nobody trusts
	ClientCert, ClientKey           string // CN=exporter, valid
	ExpiredCert, ExpiredKey         string // CN=exporter, expired yesterday
	RogueClientCert, RogueClientKey string // CN=exporter, signed by the rogue CA
	WebCert, WebKey                 string // the exporter's own HTTPS certificate
}

// writePKI generates the test CA, the brokers' PEM keystore (broker.pem:
// key then certificate, which ssl.keystore.type=PEM reads) and the client
// certificates into dir.
func writePKI(dir string) (*pki, error) {
	ca, err := newAuthority("kle-test-ca")
	if err != nil {
		return nil, err
	}
	rogue, err := newAuthority("kle-rogue-ca")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	valid := func(a *authority, cn string) (*leaf, error) {
		return a.issue(cn, now.Add(-time.Hour), now.Add(24*time.Hour))
	}
	broker, err := valid(ca, "broker")
	if err != nil {
		return nil, err
	}
	client, err := valid(ca, "exporter")
	if err != nil {
		return nil, err
	}
	expired, err := ca.issue("exporter", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	rogueClient, err := valid(rogue, "exporter")
	if err != nil {
		return nil, err
	}
	web, err := valid(ca, "kafka-loss-exporter")
	if err != nil {
		return nil, err
	}
	p := &pki{}
	files := []struct {
		path *string
		name string
		data []byte
	}{
		{&p.CA, "ca.pem", ca.pem},
		{&p.RogueCA, "rogue-ca.pem", rogue.pem},
		{new(string), "broker.pem", append(append([]byte{}, broker.keyPEM...), broker.certPEM...)},
		{&p.ClientCert, "client.pem", client.certPEM},
		{&p.ClientKey, "client-key.pem", client.keyPEM},
		{&p.ExpiredCert, "expired.pem", expired.certPEM},
		{&p.ExpiredKey, "expired-key.pem", expired.keyPEM},
		{&p.RogueClientCert, "rogue-client.pem", rogueClient.certPEM},
		{&p.RogueClientKey, "rogue-client-key.pem", rogueClient.keyPEM},
		{&p.WebCert, "web.pem", web.certPEM},
		{&p.WebKey, "web-key.pem", web.keyPEM},
	}
	for _, f := range files {
		*f.path = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.path, f.data, 0o600); err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return p, nil
}
