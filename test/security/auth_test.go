package security

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAuthenticatedExporterExportsEverything connects the exporter as the
// least-privileged principal "exporter" (exactly the ACLs of
// docs/security.md) with each way of authenticating: SCRAM-SHA-256,
// SCRAM-SHA-512 and PLAIN over TLS, a client certificate (mutual TLS,
// principal from its CN), OAUTHBEARER over TLS (a JWT from the test's
// identity provider, principal from its subject) and Kerberos with a keytab
// (the brokers' SASL_PLAINTEXT GSSAPI listener, principal exporter@KLE.TEST). Each must read every collector without a single
// authorization error and export the fixture's topic and group.
func TestAuthenticatedExporterExportsEverything(t *testing.T) {
	requireSecured(t)
	cases := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"scram-sha-256", func(t *testing.T) []string {
			return saslArgs(t, certs.CA, "scram-sha-256", userExporter, passwords.ExporterSCRAM)
		}},
		{"scram-sha-512", func(t *testing.T) []string {
			return saslArgs(t, certs.CA, "scram-sha-512", userExporter, passwords.ExporterSCRAM)
		}},
		{"plain", func(t *testing.T) []string {
			return saslArgs(t, certs.CA, "plain", userExporter, passwords.ExporterPlain)
		}},
		{"mtls", func(t *testing.T) []string { return mtlsArgs(certs.CA, certs.ClientCert, certs.ClientKey) }},
		{"oauthbearer", func(t *testing.T) []string { return oauthArgs(t, oauthExporter, passwords.OAuthExporter) }},
		{"gssapi keytab", func(*testing.T) []string { return kerberosArgs(realm.ExporterKeytab) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startExporter(t, exporterOpts{args: tc.args(t)})
			waitAllCollectorsOK(t, e)
		})
	}
}

// collectorNames are the collectors every poll runs with default flags.
var collectorNames = []string{"metadata", "offsets", "configs", "elections", "reassignments", "consumer_groups", "producers", "controller_quorum"}

// waitAllCollectorsOK waits until a poll read everything the exporter
// reads by default, and checks the metrics that show it.
func waitAllCollectorsOK(t *testing.T, e *exporter) *scrape {
	t.Helper()
	s := e.WaitFor(t, 60*time.Second, "a poll with every collector successful and the fixture's group read", func(s *scrape) (bool, string) {
		if v, _ := s.Value("kafka_loss_exporter_up", nil); v != 1 {
			return false, "up is not 1"
		}
		for _, c := range collectorNames {
			if v, ok := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": c}); !ok || v != 1 {
				return false, "collector " + c + " not successful"
			}
		}
		if n := len(s.Series("kafka_loss_exporter_collector_success")); n != len(collectorNames) {
			return false, fmt.Sprintf("%d collectors, want %v", n, collectorNames)
		}
		if !s.Has("kafka_consumergroup_lag", map[string]string{"consumergroup": fixtureGroup, "topic": fixtureTopic, "partition": "0"}) {
			return false, "no lag of the fixture group"
		}
		return true, ""
	})
	for _, rt := range []string{"topic", "group", "cluster"} {
		if v, ok := s.Value("kafka_loss_exporter_authorization_errors_total", map[string]string{"resource_type": rt}); !ok || v != 0 {
			t.Errorf("authorization_errors_total{resource_type=%q} = %v (present %v), want 0", rt, v, ok)
		}
	}
	// One family per collector, for the fixture: brokers and replication
	// (metadata), offsets, configuration, retention headroom and lag.
	for _, want := range []struct {
		name   string
		labels map[string]string
	}{
		{"kafka_brokers", nil},
		{"kafka_broker_info", map[string]string{"id": "1"}},
		{"kafka_topic_partition_in_sync_replica", map[string]string{"topic": fixtureTopic, "partition": "0"}},
		{"kafka_topic_partition_current_offset", map[string]string{"topic": fixtureTopic, "partition": "0"}},
		{"kafka_topic_min_insync_replicas", map[string]string{"topic": fixtureTopic}},
		{"kafka_broker_default_min_insync_replicas", nil},
		{"kafka_consumergroup_current_offset", map[string]string{"consumergroup": fixtureGroup, "topic": fixtureTopic, "partition": "0"}},
	} {
		if !s.Has(want.name, want.labels) {
			t.Errorf("no %s%v in /metrics", want.name, want.labels)
		}
	}
	return s
}

// TestAuthenticationFailures gives the exporter a wrong password, a broker
// certificate from a CA it does not trust, an expired client certificate,
// and a client certificate from a CA the brokers do not trust. Each time
// it must keep running and serving (up 0), log one error line per failed
// poll that names the cause, and not storm the brokers: its connections stay
// bounded by the bootstrap servers per poll.
func TestAuthenticationFailures(t *testing.T) {
	requireSecured(t)
	cases := []struct {
		name  string
		args  func(t *testing.T) []string
		cause *regexp.Regexp
	}{
		{"wrong password", func(t *testing.T) []string {
			return saslArgs(t, certs.CA, "scram-sha-512", userExporter, "not-the-password")
		}, regexp.MustCompile(`SASL Authentication failed.*invalid credentials`)},
		{"broker certificate from an unknown CA", func(t *testing.T) []string {
			return saslArgs(t, certs.RogueCA, "scram-sha-512", userExporter, passwords.ExporterSCRAM)
		}, regexp.MustCompile(`certificate signed by unknown authority`)},
		{"expired client certificate", func(t *testing.T) []string {
			return mtlsArgs(certs.CA, certs.ExpiredCert, certs.ExpiredKey)
		}, regexp.MustCompile(`client certificate .*expired\.pem expired at `)},
		{"client certificate from an unknown CA", func(t *testing.T) []string {
			return mtlsArgs(certs.CA, certs.RogueClientCert, certs.RogueClientKey)
		}, regexp.MustCompile(`remote error: tls: unknown certificate`)},
		{"wrong OAuth client secret", func(t *testing.T) []string {
			return oauthArgs(t, oauthWrong, "not-the-password")
		}, regexp.MustCompile(`OAUTHBEARER sign-in: token endpoint ` + regexp.QuoteMeta(oidc.TokenURL()) + `: HTTP 401 Unauthorized: invalid_client`)},
		{"stale Kerberos keytab", func(*testing.T) []string { return kerberosArgs(realm.StaleKeytab) }, regexp.MustCompile(`reason=authentication .*AS_REP is not valid or client password/keytab incorrect`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startExporter(t, exporterOpts{args: tc.args(t)})
			const polls = 4
			s := e.WaitFor(t, 60*time.Second, fmt.Sprintf("%d failed polls", polls), func(s *scrape) (bool, string) {
				v, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "failure"})
				return v >= polls, fmt.Sprintf("%v failed polls", v)
			})
			if v, _ := s.Value("kafka_loss_exporter_up", nil); v != 0 {
				t.Errorf("up = %v, want 0", v)
			}
			failures, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "failure"})
			successes, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
			if successes != 0 {
				t.Errorf("%v successful polls, want 0", successes)
			}
			// Each poll tries each of the 3 bootstrap servers once.
			opened, _ := s.Value("kafka_loss_exporter_kafka_connections_opened_total", nil)
			if limit := 3 * (failures + 1); opened > limit {
				t.Errorf("%v connections opened in %v polls, want at most %v (3 per poll)", opened, failures, limit)
			}
			var errorLines []string
			for _, line := range strings.Split(e.Logs(), "\n") {
				if strings.Contains(line, "level=error") {
					errorLines = append(errorLines, line)
				}
			}
			if len(errorLines) == 0 || float64(len(errorLines)) > failures+1 {
				t.Errorf("%d error lines for %v failed polls, want one per failed poll:\n%s", len(errorLines), failures, strings.Join(errorLines, "\n"))
			}
			if len(errorLines) > 0 {
				t.Logf("first error line: %s", errorLines[0])
			}
			if strings.Contains(e.Logs(), "not-the-password") {
				t.Errorf("the wrong password appears in the log")
			}
			for _, line := range errorLines {
				if !strings.Contains(line, "poll failed") || !tc.cause.MatchString(line) {
					t.Errorf("error line does not name the cause (%s):\n%s", tc.cause, line)
					break
				}
			}
			if e.Exited() {
				t.Fatal("the exporter exited")
			}
		})
	}
}
