package security

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The metrics endpoint's basic-auth user; webHash is the bcrypt hash of
// webPassword, as a web config holds it, at bcrypt's lowest cost (4): every
// refused request computes it, and the race detector makes bcrypt slow.
const (
	webUser     = "prometheus"
	webPassword = "web-basic-auth-S3cret-7f3a"
	webHash     = "$2a$04$Hl.MFzdD6CeMg3kkQRUXW.KmENaw2Q3rh0j/cYKMbv2QIflEhJY3W"
)

// webConfig writes an exporter-toolkit web config with TLS (the test CA's
// certificate for 127.0.0.1) and basic auth.
func webConfig(t testing.TB) string {
	t.Helper()
	return writeFile(t, "web.yml", fmt.Sprintf(`tls_server_config:
  cert_file: %s
  key_file: %s
  min_version: TLS12
basic_auth_users:
  %s: %s
`, certs.WebCert, certs.WebKey, webUser, webHash))
}

// TestWebTLSAndBasicAuth serves the metrics over HTTPS with basic auth
// from --web.config.file and checks it with a real HTTPS client: no or a
// wrong password 401, the right one 200 on every path; plain HTTP to the
// TLS port gets no metrics. An unreadable or malformed web config stops
// the exporter at start with status 2 and one line naming the file.
func TestWebTLSAndBasicAuth(t *testing.T) {
	requireSecured(t)
	t.Parallel()
	e := startExporter(t, exporterOpts{
		args:   append(saslArgs(t, certs.CA, "scram-sha-512", userExporter, passwords.ExporterSCRAM), "--web.config.file="+webConfig(t)),
		webTLS: true, webUser: webUser, webPasswd: webPassword,
	})
	waitAllCollectorsOK(t, e)

	for _, c := range []struct {
		name, user, pass string
		want             int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", webUser, "not-" + webPassword, http.StatusUnauthorized},
		{"unknown user", "admin", webPassword, http.StatusUnauthorized},
		{"right password", webUser, webPassword, http.StatusOK},
	} {
		for _, path := range []string{"/metrics", "/", "/ready", "/healthz"} {
			resp, err := e.GetAs(path, c.user, c.pass)
			if err != nil {
				t.Errorf("%s: GET %s: %v", c.name, path, err)
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("%s: GET %s answered %s, want %d", c.name, path, resp.Status, c.want)
			}
			if c.want != http.StatusOK && bytes.Contains(body, []byte("kafka_loss_exporter_up")) {
				t.Errorf("%s: GET %s leaked metrics", c.name, path)
			}
		}
	}

	// Plain HTTP to the TLS port: Go's TLS server answers 400 without
	// serving anything, or the connection fails.
	plain := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, "http://"+strings.TrimPrefix(e.URL(), "https://")+"/metrics", nil)
	req.SetBasicAuth(webUser, webPassword)
	if resp, err := plain.Do(req); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || bytes.Contains(body, []byte("kafka_loss_exporter_up")) {
			t.Errorf("plain HTTP to the TLS port answered %s with metrics", resp.Status)
		}
	}

	t.Run("bad web config exits 2", func(t *testing.T) {
		dir := t.TempDir()
		malformed := filepath.Join(dir, "malformed.yml")
		if err := os.WriteFile(malformed, []byte("tls_server_config: [\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		unreadable := filepath.Join(dir, "unreadable.yml")
		if err := os.WriteFile(unreadable, []byte("basic_auth_users: {}\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		missingKey := writeFile(t, "missing-key.yml", "tls_server_config:\n  cert_file: "+certs.WebCert+"\n  key_file: "+filepath.Join(dir, "nope.pem")+"\n")
		// A directory cannot be read as a file, even by root.
		for _, path := range []string{filepath.Join(dir, "missing.yml"), dir, malformed, unreadable, missingKey} {
			if path == unreadable && os.Geteuid() == 0 {
				continue // root reads a mode-000 file
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, exporterBinary, "--web.config.file="+path, "--web.listen-address=127.0.0.1:0")
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			err := cmd.Run()
			cancel()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("--web.config.file=%s: %v, want exit status 2; output:\n%s", filepath.Base(path), err, stderr.String())
				continue
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 || !strings.Contains(out, "--web.config.file") || !strings.Contains(out, path) {
				t.Errorf("--web.config.file=%s: want one line naming the flag and the file, got:\n%s", filepath.Base(path), out)
			}
		}
	})
}

// TestNoSecretLeaks runs the exporter at debug level (sarama's own log
// included) with SCRAM and with PLAIN credentials and the web config's basic
// auth, lets it poll, and then looks for every password of the run in its
// log, /metrics and the landing page.
func TestNoSecretLeaks(t *testing.T) {
	requireSecured(t)
	t.Parallel()
	secretsToFind := map[string]string{
		"SCRAM password":      passwords.ExporterSCRAM,
		"PLAIN password":      passwords.ExporterPlain,
		"admin password":      passwords.Admin,
		"basic-auth password": webPassword,
		"OAuth client secret": passwords.OAuthExporter,
	}
	for _, mech := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"scram-sha-512", func(t *testing.T) []string {
			return saslArgs(t, certs.CA, "scram-sha-512", userExporter, passwords.ExporterSCRAM)
		}},
		{"plain", func(t *testing.T) []string {
			return saslArgs(t, certs.CA, "plain", userExporter, passwords.ExporterPlain)
		}},
		{"oauthbearer", func(t *testing.T) []string { return oauthArgs(t, oauthExporter, passwords.OAuthExporter) }},
	} {
		t.Run(mech.name, func(t *testing.T) {
			t.Parallel()
			e := startExporter(t, exporterOpts{
				args:   append(mech.args(t), "--web.config.file="+webConfig(t), "--log.level=debug"),
				webTLS: true, webUser: webUser, webPasswd: webPassword,
			})
			s := waitAllCollectorsOK(t, e)
			pages := map[string][]byte{"/metrics": s.Raw()}
			for _, path := range []string{"/", "/ready"} {
				resp, err := e.Get(path)
				if err != nil {
					t.Fatal(err)
				}
				pages[path], _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			// A refused scrape is logged too: its password must not be.
			if resp, err := e.GetAs("/metrics", webUser, webPassword+"-wrong"); err == nil {
				resp.Body.Close()
			}
			pages["log"] = []byte(e.Logs())
			if !strings.Contains(string(pages["log"]), "level=debug") {
				t.Errorf("no debug line in the log: the test must look at the debug level")
			}
			// Access tokens are secrets too.
			secrets := maps.Clone(secretsToFind)
			for i, tok := range oidc.Issued(oauthExporter) {
				secrets[fmt.Sprintf("OAuth access token %d", i)] = tok
			}
			for where, text := range pages {
				for what, secret := range secrets {
					if strings.Contains(string(text), secret) {
						t.Errorf("the %s appears in %s", what, where)
					}
				}
			}
		})
	}
}
