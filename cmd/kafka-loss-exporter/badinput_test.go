package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBadInputNamesFlagOrLine: every kind of bad input exits with status 2
// and one line that names the flag at fault, or the file and line.
func TestBadInputNamesFlagOrLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	syntax := write("syntax.yml", "min_replication_factor: 3\nexemptions: [\n")
	badValue := write("value.yml", "min_replication_factor: 3\n\nmin_insync_replicas: 0\n")
	badRegex := write("regex.yml", "exemptions:\n  - topics: \"audit-(\"\n    min_replication_factor: 1\n")
	unknownRisk := write("risk.yml", "exemptions:\n  - topics: a\n    ignore_risks: [no_such_risk]\n")
	twoDocs := write("docs.yml", "min_replication_factor: 3\n---\nmin_replication_factor: 2\n")
	garbage := write("garbage.pem", "not a certificate\n")

	cases := []struct {
		name string
		args []string
		want []string // every one must appear in the message
	}{
		// Invalid flags.
		{"unknown flag", []string{"--kafka.servers=x:1"}, []string{"--kafka.servers"}},
		{"positional argument", []string{"extra"}, []string{"extra"}},
		{"negative fast interval", []string{"--poll.fast-interval=-1s"}, []string{"--poll.fast-interval"}},
		{"poll timeout zero", []string{"--poll.timeout=0s"}, []string{"--poll.timeout"}},
		{"not a number", []string{"--lag.table-points=many"}, []string{"--lag.table-points"}},
		{"too few table points", []string{"--lag.table-points=1"}, []string{"--lag.table-points"}},
		{"status window", []string{"--group.status-window=0"}, []string{"--group.status-window"}},
		{"granularity", []string{"--lag.granularity=group"}, []string{"--lag.granularity"}},
		{"retention refresh", []string{"--group.retention-refresh=0s"}, []string{"--group.retention-refresh"}},
		{"empty server", []string{"--kafka.server="}, []string{"--kafka.server"}},
		{"server without port", []string{"--kafka.server=host:"}, []string{"--kafka.server"}},
		{"sasl mechanism", []string{"--kafka.sasl.mechanism=awsiam"}, []string{"--kafka.sasl.mechanism"}},
		{"username without mechanism", []string{"--kafka.sasl.username=u"}, []string{"--kafka.sasl.username"}},
		{"oauthbearer without token url", []string{"--kafka.sasl.mechanism=oauthbearer"}, []string{"--kafka.sasl.oauthbearer.token-url"}},
		{"oauthbearer token url not http", []string{"--kafka.sasl.mechanism=oauthbearer", "--kafka.sasl.oauthbearer.token-url=ftp://idp/token"}, []string{"--kafka.sasl.oauthbearer.token-url", "ftp://idp/token"}},
		{"oauthbearer without client id", []string{"--kafka.sasl.mechanism=oauthbearer", "--kafka.sasl.oauthbearer.token-url=https://idp/token"}, []string{"--kafka.sasl.oauthbearer.client-id"}},
		{"oauthbearer without secret", []string{"--kafka.sasl.mechanism=oauthbearer", "--kafka.sasl.oauthbearer.token-url=https://idp/token", "--kafka.sasl.oauthbearer.client-id=x"}, []string{"--kafka.sasl.oauthbearer.client-secret-file", "KAFKA_LOSS_EXPORTER_OAUTHBEARER_CLIENT_SECRET"}},
		{"oauthbearer secret file missing", []string{"--kafka.sasl.mechanism=oauthbearer", "--kafka.sasl.oauthbearer.client-secret-file=" + filepath.Join(dir, "nope")}, []string{"--kafka.sasl.oauthbearer.client-secret-file"}},
		{"oauthbearer extension", []string{"--kafka.sasl.oauthbearer.extensions=novalue"}, []string{"--kafka.sasl.oauthbearer.extensions"}},
		{"scopes without oauthbearer", []string{"--kafka.sasl.oauthbearer.scopes=kafka"}, []string{"--kafka.sasl.oauthbearer.scopes", "--kafka.sasl.mechanism"}},
		{"gssapi without realm", []string{"--kafka.sasl.mechanism=gssapi", "--kafka.sasl.username=u"}, []string{"--kafka.sasl.kerberos.realm"}},
		{"gssapi krb5.conf missing", []string{"--kafka.sasl.mechanism=gssapi", "--kafka.sasl.username=u", "--kafka.sasl.kerberos.realm=R", "--kafka.sasl.kerberos.config-file=" + filepath.Join(dir, "nope")}, []string{"--kafka.sasl.kerberos.config-file"}},
		{"gssapi keytab not a keytab", []string{"--kafka.sasl.mechanism=gssapi", "--kafka.sasl.username=u", "--kafka.sasl.kerberos.realm=R", "--kafka.sasl.kerberos.config-file=" + garbage, "--kafka.sasl.kerberos.keytab-file=" + garbage}, []string{"--kafka.sasl.kerberos.keytab-file"}},
		{"msk without region", []string{"--kafka.sasl.mechanism=aws-msk-iam"}, []string{"--kafka.sasl.aws-msk-iam.region"}},
		{"msk bad role", []string{"--kafka.sasl.mechanism=aws-msk-iam", "--kafka.sasl.aws-msk-iam.region=eu-west-1", "--kafka.sasl.aws-msk-iam.role-arn=admin"}, []string{"--kafka.sasl.aws-msk-iam.role-arn", "admin"}},
		{"ca file without tls", []string{"--kafka.tls.ca-file=" + garbage}, []string{"--kafka.tls.enabled"}},
		{"ca file not pem", []string{"--kafka.tls.enabled", "--kafka.tls.ca-file=" + garbage}, []string{"--kafka.tls.ca-file"}},
		{"ca file missing", []string{"--kafka.tls.enabled", "--kafka.tls.ca-file=" + filepath.Join(dir, "nope.pem")}, []string{"--kafka.tls.ca-file"}},
		{"cert without key", []string{"--kafka.tls.enabled", "--kafka.tls.cert-file=" + garbage}, []string{"--kafka.tls.cert-file"}},
		// Kafka versions.
		{"kafka version with junk", []string{"--kafka.version=3.x"}, []string{"--kafka.version", "3.x"}},
		{"not a kafka version", []string{"--kafka.version=latest"}, []string{"--kafka.version", "latest"}},
		{"too old kafka version", []string{"--kafka.version=0.10.2.0"}, []string{"--kafka.version", "too old"}},
		// Regexes that do not compile.
		{"group filter", []string{"--group.filter=(a"}, []string{"--group.filter"}},
		{"group exclude", []string{"--group.exclude=a**"}, []string{"--group.exclude"}},
		{"topic filter bad repeat", []string{"--topic.filter=*"}, []string{"--topic.filter"}},
		// Policy files: unreadable or malformed, with the line.
		{"policy file is a directory", []string{"--risk.config=" + dir}, []string{"--risk.config", dir}},
		{"policy syntax error", []string{"--risk.config=" + syntax}, []string{"--risk.config", syntax + ":2:"}},
		{"policy value out of range", []string{"--risk.config=" + badValue}, []string{"--risk.config", badValue + ":3:", "min_insync_replicas"}},
		{"policy regex", []string{"--risk.config=" + badRegex}, []string{"--risk.config", badRegex + ":2:", "does not compile"}},
		{"policy unknown risk", []string{"--risk.config=" + unknownRisk}, []string{"--risk.config", unknownRisk + ":3:", "no_such_risk"}},
		{"policy two documents", []string{"--risk.config=" + twoDocs}, []string{"--risk.config", twoDocs + ":2:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantUsageError(t, c.args, c.want...)
		})
	}
}
