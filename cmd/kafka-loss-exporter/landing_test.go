package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"golang.org/x/crypto/bcrypt"
)

// hrefs finds the link targets (href and src attributes) of an HTML page.
var hrefs = regexp.MustCompile(`(?i)(?:href|src)\s*=\s*"([^"]*)"`)

// TestLandingPageLinksAnswer follows every link of the landing page, served
// behind the web config's basic auth on a (fake) cluster that answers, and
// expects 200 from each; without credentials every page answers 401.
func TestLandingPageLinksAnswer(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()

	const user, password = "prometheus", "scrape-secret"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(webConfig, fmt.Appendf(nil, "basic_auth_users:\n  %s: %s\n", user, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, stderr, done := startServing(t, ctx, "--kafka.server="+fake.ListenAddrs()[0],
		"--web.config.file="+webConfig, "--poll.interval=1s")
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit status %d: %s", code, stderr.String())
		}
	}()

	base := &url.URL{Scheme: "http", Host: addr, Path: "/"}
	get := func(u string, auth bool) (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return 0, "", err
		}
		if auth {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	// Wait for the first successful poll (/ready is one of the links).
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, err := get(base.String()+"ready", true)
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 30s (last: %d, %v); log:\n%s", code, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	code, page, err := get(base.String(), true)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /: %d, %v", code, err)
	}
	links := hrefs.FindAllStringSubmatch(page, -1)
	if len(links) < 3 {
		t.Fatalf("the landing page has %d links, want at least metrics, health and readiness:\n%s", len(links), page)
	}
	for _, m := range links {
		ref, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("link %q: %v", m[1], err)
			continue
		}
		target := base.ResolveReference(ref)
		if target.Host != addr {
			t.Errorf("link %q leaves the exporter", m[1])
			continue
		}
		if code, _, err := get(target.String(), true); err != nil || code != http.StatusOK {
			t.Errorf("link %q: %d, %v; want 200", m[1], code, err)
		}
		if code, _, err := get(target.String(), false); err != nil || code != http.StatusUnauthorized {
			t.Errorf("link %q without credentials: %d, %v; want 401", m[1], code, err)
		}
	}
	if strings.Contains(page, `href="debug/pprof`) {
		t.Errorf("the landing page links to pprof, which the exporter does not serve")
	}
}
