package security

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/exportertest"
)

// exporter is one running exporter process; scrape is one parsed /metrics
// answer.
type (
	exporter = exportertest.Exporter
	scrape   = exportertest.Scrape
)

// exporterOpts say how to start the exporter.
type exporterOpts struct {
	args []string
	env  []string
	// webTLS serves HTTPS (with the web config's basic-auth user and
	// password for every request) instead of HTTP.
	webTLS             bool
	webUser, webPasswd string
}

// startExporter runs the exporter binary with --poll.interval=1s
// --kafka.timeout=3s --poll.timeout=5s and the given arguments, waits until
// it answers /healthz and stops it when the test ends (printing the last 60
// lines of its log if the test failed).
func startExporter(t *testing.T, o exporterOpts) *exporter {
	t.Helper()
	opts := exportertest.Options{Binary: exporterBinary, Args: o.args, Env: o.env, LogLines: 60}
	if o.webTLS {
		opts.HTTPS, opts.Client = true, httpsClient(t)
		opts.User, opts.Password = o.webUser, o.webPasswd
	}
	return exportertest.Start(t, opts)
}

// httpsClient trusts the test CA, which signed the exporter's certificate.
func httpsClient(t testing.TB) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// writeFile writes a test file and returns its path.
func writeFile(t testing.TB, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// saslArgs are the exporter's flags for a SASL_SSL connection as user with
// mechanism, the password in a file, trusting ca.
func saslArgs(t testing.TB, ca, mechanism, user, password string) []string {
	t.Helper()
	args := []string{"--kafka.sasl.mechanism=" + mechanism, "--kafka.sasl.username=" + user,
		"--kafka.sasl.password-file=" + writeFile(t, "password", password+"\n"),
		"--kafka.tls.enabled", "--kafka.tls.ca-file=" + ca}
	for _, b := range cluster.Bootstrap() {
		args = append(args, "--kafka.server="+b)
	}
	return args
}

// mtlsArgs are the exporter's flags for the mutual-TLS listener with a
// client certificate, trusting ca.
func mtlsArgs(ca, cert, key string) []string {
	args := []string{"--kafka.tls.enabled", "--kafka.tls.ca-file=" + ca, "--kafka.tls.cert-file=" + cert, "--kafka.tls.key-file=" + key}
	for _, b := range mtlsBootstrap {
		args = append(args, "--kafka.server="+b)
	}
	return args
}
