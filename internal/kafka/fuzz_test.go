package kafka

import (
	"errors"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fielderr"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// FuzzParseVersion: the version never panics the parser; a version it
// accepts is the version it names (a cap), from 2.1.0 up to the newest
// sarama knows (a newer one caps nothing), and every error is one line
// naming the field.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"3.6.0", "4.0.0", "2.1.0", "0.10.2.0", "9.9.9", "", "3", "3.6", "3.6.0.0", "v3.6.0", "-1.0.0", "3.6.0-rc1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			var ferr *fielderr.Error
			if !errors.As(err, &ferr) || ferr.Field != FieldVersion || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not name the field on one line", err)
			}
			return
		}
		if !v.IsAtLeast(sarama.V2_1_0_0) {
			t.Fatalf("accepted %q (%s), older than 2.1.0", s, v)
		}
		// The version is a cap: any version from 2.1.0 on is accepted, and
		// one at or beyond the newest sarama knows caps nothing.
		if !sarama.MaxVersion.IsAtLeast(v) {
			t.Fatalf("accepted %q as %s, beyond the newest version sarama knows (%s)", s, v, sarama.MaxVersion)
		}
		if parsed, err := sarama.ParseKafkaVersion(s); s != "" && (err != nil || (parsed != v && v != sarama.MaxVersion)) {
			t.Fatalf("accepted %q as %s, not the version it names", s, v)
		}
	})
}

// FuzzSaramaConfig: the connection settings (servers, version, and every
// SASL mechanism's settings and secrets) never panic validation, every
// error is one line naming a field, and no error shows a secret.
func FuzzSaramaConfig(f *testing.F) {
	krb5 := filepath.Join(f.TempDir(), "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = EXAMPLE.COM\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Add("localhost:9092", "3.6.0", "", "", "", "", "", "", "", "")
	f.Add("a:1,b:2", "4.0.0", "scram-sha-512", "user", "pw", "", "", "", "", "")
	f.Add("[::1]:9092", "3.6.0", "plain", "", "pw", "", "", "", "", "")
	f.Add(":9092", "2.1.0", "GSSAPI", "u", "", "", "", "", "", "")
	f.Add("host:", "3.6.0", "", "u", "", "", "", "", "", "")
	f.Add("h:1", "3.6.0", "oauthbearer", "", "", "https://idp/token", "exporter", "s3cret-value", "kafka,openid", "logicalCluster=lkc-1")
	f.Add("h:1", "3.6.0", "oauthbearer", "", "", "http://idp:8080/realms/x/protocol/openid-connect/token", "c", "", "a b", "auth=x")
	f.Add("h:1", "3.6.0", "gssapi", "exporter", "pw", "", "", "", "", "EXAMPLE.COM")
	f.Add("h:1", "3.6.0", "aws-msk-iam", "", "", "", "", "", "", "eu-west-1")
	f.Add("h:1", "3.6.0", "aws-msk-iam", "", "", "", "", "", "arn:aws:iam::123456789012:role/exporter", "us-east-1")
	f.Fuzz(func(t *testing.T, servers, version, mechanism, user, password, tokenURL, clientID, secret, list, realm string) {
		o := Options{Servers: strings.Split(servers, ","), Version: version, Timeout: time.Second,
			SASLMechanism: mechanism, SASLUsername: user, SASLPassword: password,
			OAuthTokenURL: tokenURL, OAuthClientID: clientID, OAuthClientSecret: secret}
		switch strings.ToLower(mechanism) {
		case SASLOAuthBearer:
			if list != "" {
				o.OAuthScopes = strings.Split(list, ",")
			}
			if k, v, ok := strings.Cut(realm, "="); ok {
				o.OAuthExtensions = map[string]string{k: v}
			}
		case SASLGSSAPI:
			o.KerberosConfigFile, o.KerberosServiceName, o.KerberosRealm = krb5, "kafka", realm
		case SASLAWSMSKIAM:
			o.AWSRegion, o.AWSRoleARN = realm, list
		}
		c, err := o.SaramaConfig()
		if err != nil {
			msg := err.Error()
			var ferr *fielderr.Error
			if strings.Contains(msg, "\n") || !(errors.As(err, &ferr) || strings.HasPrefix(msg, "kafka client configuration")) {
				t.Fatalf("error %q is not one line naming a field", msg)
			}
			inputs := servers + version + mechanism + user + tokenURL + clientID + list + realm
			for _, s := range []string{password, secret} {
				if len(s) > 3 && strings.Contains(msg, s) && !strings.Contains(inputs, s) {
					t.Fatalf("error %q reveals a secret", msg)
				}
			}
			return
		}
		if c.Net.ReadTimeout != time.Second {
			t.Fatalf("timeout not applied")
		}
	})
}
