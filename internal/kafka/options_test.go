package kafka

import (
	"errors"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fielderr"
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

func TestSaramaConfigErrorsNameTheField(t *testing.T) {
	keytab := filepath.Join(t.TempDir(), "missing.keytab")
	krb5 := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = EXAMPLE.COM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oauth := func(o *Options) {
		o.SASLMechanism, o.OAuthTokenURL, o.OAuthClientID, o.OAuthClientSecret = "oauthbearer", "https://idp.example.com/token", "exporter", "s"
	}
	gssapi := func(o *Options) {
		o.SASLMechanism, o.SASLUsername, o.KerberosRealm, o.KerberosServiceName, o.KerberosConfigFile, o.SASLPassword = "gssapi", "exporter", "EXAMPLE.COM", "kafka", krb5, "pw"
	}
	cases := []struct {
		name   string
		modify func(*Options)
		want   string
	}{
		{"no server", func(o *Options) { o.Servers = nil }, FieldServers},
		{"server without port", func(o *Options) { o.Servers = []string{"kafka"} }, FieldServers},
		{"bad version", func(o *Options) { o.Version = "three" }, FieldVersion},
		{"old version", func(o *Options) { o.Version = "0.10.2.0" }, FieldVersion},
		{"zero timeout", func(o *Options) { o.Timeout = 0 }, FieldTimeout},
		{"bad mechanism", func(o *Options) { o.SASLMechanism = "awsiam" }, FieldSASLMechanism},
		{"sasl without user", func(o *Options) { o.SASLMechanism = "plain"; o.SASLPassword = "p" }, FieldSASLUsername},
		{"sasl without password", func(o *Options) { o.SASLMechanism = "scram-sha-512"; o.SASLUsername = "u" }, FieldSASLPassword},
		{"user without sasl", func(o *Options) { o.SASLUsername = "u" }, FieldSASLUsername},
		{"ca without tls", func(o *Options) { o.TLSCAFile = "/ca.pem" }, FieldTLSEnabled},
		{"missing ca file", func(o *Options) { o.TLSEnabled = true; o.TLSCAFile = "/nonexistent/ca.pem" }, FieldTLSCAFile},
		{"cert without key", func(o *Options) { o.TLSEnabled = true; o.TLSCertFile = "/c.pem" }, FieldTLSKeyFile},
		{"oauth without url", func(o *Options) { oauth(o); o.OAuthTokenURL = "" }, FieldOAuthTokenURL},
		{"oauth url not http", func(o *Options) { oauth(o); o.OAuthTokenURL = "file:///etc/passwd" }, FieldOAuthTokenURL},
		{"oauth url with credentials", func(o *Options) { oauth(o); o.OAuthTokenURL = "https://u:p@idp/token" }, FieldOAuthTokenURL},
		{"oauth without client id", func(o *Options) { oauth(o); o.OAuthClientID = "" }, FieldOAuthClientID},
		{"oauth without secret", func(o *Options) { oauth(o); o.OAuthClientSecret = "" }, FieldOAuthSecret},
		{"oauth scope with space", func(o *Options) { oauth(o); o.OAuthScopes = []string{"a b"} }, FieldOAuthScopes},
		{"oauth extension key", func(o *Options) { oauth(o); o.OAuthExtensions = map[string]string{"auth": "x"} }, FieldOAuthExtensions},
		{"oauth extension value", func(o *Options) { oauth(o); o.OAuthExtensions = map[string]string{"a": "\x01"} }, FieldOAuthExtensions},
		{"oauth with a user", func(o *Options) { oauth(o); o.SASLUsername = "u" }, FieldSASLUsername},
		{"scopes without oauth", func(o *Options) { o.OAuthScopes = []string{"kafka"} }, FieldOAuthScopes},
		{"gssapi without user", func(o *Options) { gssapi(o); o.SASLUsername = "" }, FieldSASLUsername},
		{"gssapi without realm", func(o *Options) { gssapi(o); o.KerberosRealm = "" }, FieldKerberosRealm},
		{"gssapi without service", func(o *Options) { gssapi(o); o.KerberosServiceName = "" }, FieldKerberosService},
		{"gssapi missing krb5.conf", func(o *Options) { gssapi(o); o.KerberosConfigFile = keytab }, FieldKerberosConfig},
		{"gssapi missing keytab", func(o *Options) { gssapi(o); o.SASLPassword = ""; o.KerberosKeytabFile = keytab }, FieldKerberosKeytab},
		{"gssapi keytab and password", func(o *Options) { gssapi(o); o.KerberosKeytabFile = krb5 }, FieldKerberosKeytab},
		{"gssapi neither", func(o *Options) { gssapi(o); o.SASLPassword = "" }, FieldKerberosKeytab},
		{"msk without region", func(o *Options) { o.SASLMechanism = "aws-msk-iam" }, FieldAWSRegion},
		{"msk bad region", func(o *Options) { o.SASLMechanism, o.AWSRegion = "aws-msk-iam", "Europe" }, FieldAWSRegion},
		{"msk bad role", func(o *Options) { o.SASLMechanism, o.AWSRegion, o.AWSRoleARN = "aws-msk-iam", "eu-west-1", "admin" }, FieldAWSRoleARN},
		{"region without msk", func(o *Options) { o.AWSRegion = "eu-west-1" }, FieldAWSRegion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := validOptions()
			c.modify(&o)
			_, err := o.SaramaConfig()
			var ferr *fielderr.Error
			if !errors.As(err, &ferr) || ferr.Field != c.want {
				t.Fatalf("got %v, want an error about %s", err, c.want)
			}
			if strings.Contains(err.Error(), "--") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q names a flag or spans lines", err)
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
