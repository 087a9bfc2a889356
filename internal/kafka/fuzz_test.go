package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// FuzzParseVersion: --kafka.version never panics the parser; a version it
// accepts is one sarama knows, at least 2.1.0, and every error is one line
// naming the flag.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"3.6.0", "4.0.0", "2.1.0", "0.10.2.0", "9.9.9", "", "3", "3.6", "3.6.0.0", "v3.6.0", "-1.0.0", "3.6.0-rc1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			if !strings.Contains(err.Error(), "--kafka.version") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not name the flag on one line", err)
			}
			return
		}
		if !v.IsAtLeast(sarama.V2_1_0_0) {
			t.Fatalf("accepted %q (%s), older than 2.1.0", s, v)
		}
		known := false
		for _, k := range sarama.SupportedVersions {
			known = known || k == v
		}
		if !known {
			t.Fatalf("accepted %q (%s), not a version sarama knows", s, v)
		}
	})
}

// FuzzSaramaConfig: the connection flags (servers, version, SASL) never
// panic validation, and every error is one line naming a flag.
func FuzzSaramaConfig(f *testing.F) {
	f.Add("localhost:9092", "3.6.0", "", "", "")
	f.Add("a:1,b:2", "4.0.0", "scram-sha-512", "user", "pw")
	f.Add("[::1]:9092", "3.6.0", "plain", "", "pw")
	f.Add(":9092", "2.1.0", "GSSAPI", "u", "")
	f.Add("host:", "3.6.0", "", "u", "")
	f.Fuzz(func(t *testing.T, servers, version, mechanism, user, password string) {
		o := Options{Servers: strings.Split(servers, ","), Version: version, Timeout: time.Second,
			SASLMechanism: mechanism, SASLUsername: user, SASLPassword: password}
		c, err := o.SaramaConfig()
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") || !(strings.Contains(msg, "--kafka.") || strings.Contains(msg, "SASL password") || strings.Contains(msg, "kafka client configuration")) {
				t.Fatalf("error %q is not one line naming a flag", msg)
			}
			if password != "" && len(password) > 3 && strings.Contains(msg, password) && !strings.Contains(servers+version+mechanism+user, password) {
				t.Fatalf("error %q reveals the password", msg)
			}
			return
		}
		if c.Net.ReadTimeout != time.Second {
			t.Fatalf("timeout not applied")
		}
	})
}
