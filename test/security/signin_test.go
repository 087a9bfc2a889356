package security

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// OAuth clients of the identity provider. Each test has its own, so that
// the tokens it was issued can be counted; all but oauthLimited sign in as
// the principal exporter (the token subject).
const (
	oauthExporter = "kafka-loss-exporter"
	oauthRefresh  = "kafka-loss-exporter-refresh"
	oauthWrong    = "kafka-loss-exporter-wrong"
	oauthKmsg     = "kafka-loss-exporter-kmsg"
	// refreshLifetime is the token lifetime of oauthRefresh.
	refreshLifetime = 6 * time.Second
)

func registerOAuthClients(p *idp) {
	for _, id := range []string{oauthExporter, oauthWrong, oauthKmsg} {
		p.register(id, idpClient{secret: passwords.OAuthExporter, subject: userExporter, lifetime: time.Hour})
	}
	p.register(oauthRefresh, idpClient{secret: passwords.OAuthExporter, subject: userExporter, lifetime: refreshLifetime})
}

// oauthArgs are the exporter's flags for OAUTHBEARER over TLS as the OAuth
// client id, the secret in a file.
func oauthArgs(t testing.TB, clientID, secret string) []string {
	t.Helper()
	args := []string{"--kafka.sasl.mechanism=oauthbearer",
		"--kafka.sasl.oauthbearer.token-url=" + oidc.TokenURL(),
		"--kafka.sasl.oauthbearer.client-id=" + clientID,
		"--kafka.sasl.oauthbearer.client-secret-file=" + writeFile(t, "client-secret", secret+"\n"),
		"--kafka.sasl.oauthbearer.scopes=kafka",
		"--kafka.tls.enabled", "--kafka.tls.ca-file=" + certs.CA}
	for _, b := range cluster.Bootstrap() {
		args = append(args, "--kafka.server="+b)
	}
	return args
}

// kerberosArgs are the exporter's flags for GSSAPI on the brokers'
// SASL_PLAINTEXT Kerberos listener as principal exporter with keytab.
func kerberosArgs(keytab string) []string {
	args := []string{"--kafka.sasl.mechanism=gssapi", "--kafka.sasl.username=" + userExporter,
		"--kafka.sasl.kerberos.keytab-file=" + keytab, "--kafka.sasl.kerberos.config-file=" + realm.Krb5Conf,
		"--kafka.sasl.kerberos.realm=" + kdcRealm, "--kafka.sasl.kerberos.service-name=kafka"}
	for _, b := range kerberosBootstrap {
		args = append(args, "--kafka.server="+b)
	}
	return args
}

// TestOAuthTokenRefresh runs the exporter, with the canary, on tokens that
// live refreshLifetime, on brokers that allow no clock skew and end a
// session when its token expires (connections.max.reauth.ms): the exporter
// must fetch new tokens before the old ones expire, re-authenticate its
// connections with them, and never fail a poll.
func TestOAuthTokenRefresh(t *testing.T) {
	requireSecured(t)
	t.Parallel()
	e := startExporter(t, exporterOpts{args: append(oauthArgs(t, oauthRefresh, passwords.OAuthExporter),
		"--canary.enable", "--canary.interval=500ms")})
	const lifetimes = 4
	start := time.Now()
	s := e.WaitFor(t, 90*time.Second, "tokens refreshed over several lifetimes", func(s *scrape) (bool, string) {
		issued := len(oidc.Issued(oauthRefresh))
		acked, received := sumOf(s, "kafka_canary_messages_acked_total"), sumOf(s, "kafka_canary_messages_received_total")
		return issued > lifetimes && time.Since(start) > lifetimes*refreshLifetime && acked > 0 && received > 0,
			fmt.Sprintf("%d tokens issued, canary: %v acked, %v received", issued, acked, received)
	})
	failed, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "failure"})
	succeeded, _ := s.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
	issued := len(oidc.Issued(oauthRefresh))
	t.Logf("%s: %d tokens issued (lifetime %s), %v successful polls, %v failed", time.Since(start).Round(time.Second), issued, refreshLifetime, succeeded, failed)
	if failed != 0 {
		t.Errorf("%v failed polls, want 0 (the token was not refreshed in time)", failed)
	}
	if succeeded < 10 {
		t.Errorf("%v successful polls, want at least 10", succeeded)
	}
	if v := sumOf(s, "kafka_canary_produce_errors_total"); v != 0 {
		t.Errorf("%v canary produce errors, want 0", v)
	}
	for _, line := range strings.Split(e.Logs(), "\n") {
		if strings.Contains(line, "level=error") {
			t.Errorf("error logged: %s", line)
		}
	}
}

// TestSignInFranzGo signs the franz-go requests (kmsg) in with OAUTHBEARER
// and Kerberos, from the same configuration as sarama's, on every broker.
func TestSignInFranzGo(t *testing.T) {
	requireSecured(t)
	t.Parallel()
	cases := []struct {
		name    string
		opts    kafka.Options
		servers []string
		wantErr *regexp.Regexp // nil: success
	}{
		{"oauthbearer", kafka.Options{SASLMechanism: kafka.SASLOAuthBearer, OAuthTokenURL: oidc.TokenURL(), OAuthClientID: oauthKmsg,
			OAuthClientSecret: passwords.OAuthExporter, TLSEnabled: true, TLSCAFile: certs.CA}, cluster.Bootstrap(), nil},
		{"gssapi keytab", kafka.Options{SASLMechanism: kafka.SASLGSSAPI, SASLUsername: userExporter, KerberosKeytabFile: realm.ExporterKeytab,
			KerberosConfigFile: realm.Krb5Conf, KerberosRealm: kdcRealm, KerberosServiceName: "kafka"}, kerberosBootstrap, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Servers, o.Version, o.Timeout = tc.servers, "3.6.0", 10*time.Second
			conf, err := o.SaramaConfig()
			if err != nil {
				t.Fatal(err)
			}
			c := kafka.NewClient(conf, o.Servers, nil)
			defer c.Close()
			ctx := context.Background()
			md, err := c.Metadata(ctx)
			if err != nil {
				t.Fatalf("sarama: %v", err)
			}
			for _, b := range md.Brokers {
				resp, err := c.OnBrokerKmsg(ctx, b.ID(), kmsg.NewPtrDescribeClusterRequest())
				if err != nil {
					t.Fatalf("franz-go, broker %d: %v", b.ID(), err)
				}
				if r := resp.(*kmsg.DescribeClusterResponse); r.ErrorCode != 0 || len(r.Brokers) != 3 {
					t.Fatalf("franz-go, broker %d: DescribeCluster error code %d, %d brokers", b.ID(), r.ErrorCode, len(r.Brokers))
				}
			}
		})
	}
}
