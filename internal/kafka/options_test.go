package kafka

import (
	"os"

	"github.com/IBM/sarama"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validOptions() Options {
	return Options{Servers: []string{"127.0.0.1:9092"}, Version: "3.6.0", ClientID: "x", Timeout: time.Second}
}

func TestSaramaConfigErrorsNameTheFlag(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*Options)
		want   string
	}{
		{"no server", func(o *Options) { o.Servers = nil }, "--kafka.server"},
		{"server without port", func(o *Options) { o.Servers = []string{"kafka"} }, "--kafka.server"},
		{"bad version", func(o *Options) { o.Version = "three" }, "--kafka.version"},
		{"old version", func(o *Options) { o.Version = "0.10.2.0" }, "--kafka.version"},
		{"zero timeout", func(o *Options) { o.Timeout = 0 }, "--kafka.timeout"},
		{"bad mechanism", func(o *Options) { o.SASLMechanism = "gssapi" }, "--kafka.sasl.mechanism"},
		{"sasl without user", func(o *Options) { o.SASLMechanism = "plain"; o.SASLPassword = "p" }, "--kafka.sasl.username"},
		{"sasl without password", func(o *Options) { o.SASLMechanism = "scram-sha-512"; o.SASLUsername = "u" }, "password"},
		{"user without sasl", func(o *Options) { o.SASLUsername = "u" }, "--kafka.sasl.mechanism"},
		{"ca without tls", func(o *Options) { o.TLSCAFile = "/ca.pem" }, "--kafka.tls.enabled"},
		{"missing ca file", func(o *Options) { o.TLSEnabled = true; o.TLSCAFile = "/nonexistent/ca.pem" }, "--kafka.tls.ca-file"},
		{"cert without key", func(o *Options) { o.TLSEnabled = true; o.TLSCertFile = "/c.pem" }, "--kafka.tls.key-file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := validOptions()
			c.modify(&o)
			_, err := o.SaramaConfig()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s", err, c.want)
			}
		})
	}
}

func TestSaramaConfigValid(t *testing.T) {
	o := validOptions()
	o.SASLMechanism, o.SASLUsername, o.SASLPassword = "scram-sha-256", "exporter", "s3cret"
	c, err := o.SaramaConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Net.SASL.Enable || c.Net.SASL.User != "exporter" || c.Net.ReadTimeout != time.Second || c.ClientID != "x" {
		t.Fatalf("unexpected config %+v", c.Net)
	}
}

// TestParseVersionIsACap: no version negotiates (the newest known), a
// version newer than sarama knows caps nothing and is never refused, an
// older one is kept as the cap.
func TestParseVersionIsACap(t *testing.T) {
	for _, c := range []struct {
		in   string
		want sarama.KafkaVersion
	}{
		{"", sarama.MaxVersion},
		{"4.4.0", sarama.MaxVersion},
		{"9.9.9", sarama.MaxVersion},
		{"3.6.0", sarama.V3_6_0_0},
		{"2.1.0", sarama.V2_1_0_0},
	} {
		got, err := ParseVersion(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseVersion(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(name string) (string, bool) {
		if name == "PW" {
			return "from-env", true
		}
		return "", false
	}
	if s, err := ReadSecret(file, "PW", env); err != nil || s != "s3cret" {
		t.Errorf("file: %q %v", s, err)
	}
	if s, err := ReadSecret("", "PW", env); err != nil || s != "from-env" {
		t.Errorf("env: %q %v", s, err)
	}
	if s, err := ReadSecret("", "NONE", env); err != nil || s != "" {
		t.Errorf("none: %q %v", s, err)
	}
	if _, err := ReadSecret(filepath.Join(dir, "missing"), "PW", env); err == nil {
		t.Error("a missing file must fail")
	}
	if _, err := ReadSecret(empty, "PW", env); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("empty file: %v", err)
	}
}
