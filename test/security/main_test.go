// Package security runs the exporter against a secured 3-node Kafka
// cluster of its own (test/kafka/cluster.sh with KLE_KAFKA_SECURITY_DIR):
// SASL_SSL with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN users, mutual TLS,
// StandardAuthorizer with allow.everyone.if.no.acl.found=false. It checks
// authentication, least-privilege ACLs, and the metrics endpoint's TLS and
// basic auth, and that no secret ever leaks.
//
// The cluster lives in $KLE_KAFKA_DIR-secure (else
// $TMPDIR/kle-kafkatest-secure-<base>) on ports from $KLE_KAFKA_PORT_BASE+500
// (default 29090+500), so it runs next to the shared plaintext cluster of the
// other test packages. Without Java the tests skip, except under CI=true,
// where they fail.
package security

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// Principals of the secured cluster. admin is a super user (it sets the
// cluster up); exporter has exactly the ACLs docs/security.md lists; limited
// lacks group Describe and cluster DescribeConfigs.
const (
	userAdmin    = "admin"
	userExporter = "exporter"
	userLimited  = "limited"
)

// secrets are the run's random passwords: every one is unique, so finding
// one in a log or a page is a leak, never a coincidence.
type secrets struct {
	Admin, ExporterSCRAM, ExporterPlain, Limited string
	// OAuth client secrets of the identity provider's clients.
	OAuthExporter, OAuthLimited string
}

var (
	work           string // the test binary's temporary dir
	exporterBinary string
	cluster        *kafkatest.Cluster
	certs          *pki
	passwords      secrets
	mtlsBootstrap  []string
	// oidc is the identity provider of the OAUTHBEARER tests, realm the
	// Kerberos KDC of the GSSAPI tests, kerberosBootstrap the brokers'
	// SASL_PLAINTEXT GSSAPI listener.
	oidc              *idp
	realm             *kdc
	kerberosBootstrap []string

	setupOnce sync.Once
	setupErr  error // no secured cluster: tests skip (fail under CI=true)
	buildErr  error // no exporter binary: tests fail
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if work, err = os.MkdirTemp("", "kle-security-"); err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	defer os.RemoveAll(work)
	code := m.Run()
	if cluster != nil {
		if err := cluster.Close(code == 0); err != nil {
			fmt.Fprintln(os.Stderr, "security:", err)
		}
	}
	realm.Stop()
	if oidc != nil {
		_ = oidc.server.Close()
	}
	return code
}

// setUp builds the race-enabled exporter while the secured cluster starts.
// The first test that needs them does it, so that a run selecting no test
// of this package (-run TestSoak) costs nothing.
func setUp() {
	start := time.Now()
	exporterBinary = filepath.Join(work, "kafka-loss-exporter")
	built := make(chan error, 1)
	go func() {
		build := exec.Command("go", "build", "-race", "-o", exporterBinary, "github.com/kafka-loss-exporter/kafka-loss-exporter/cmd/kafka-loss-exporter")
		out, err := build.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("building the exporter: %v\n%s", err, out)
		}
		built <- err
	}()
	setupErr = startSecured(filepath.Join(work, "security"))
	buildErr = <-built
	fmt.Fprintf(os.Stderr, "security: set-up (secured cluster start, exporter build) took %s\n", time.Since(start).Round(100*time.Millisecond))
}

// startSecured writes the certificates, users and JAAS settings into dir and
// starts the secured cluster.
func startSecured(dir string) error {
	if _, err := exec.LookPath("java"); err != nil {
		return errors.New("java is not installed or not on PATH (the Kafka broker needs Java 17+)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var err error
	if certs, err = writePKI(dir); err != nil {
		return err
	}
	passwords = secrets{Admin: password("admin"), ExporterSCRAM: password("scram"), ExporterPlain: password("plain"), Limited: password("limited"),
		OAuthExporter: password("oauth"), OAuthLimited: password("oauth-limited")}
	base := 29090
	if v := os.Getenv("KLE_KAFKA_PORT_BASE"); v != "" {
		if base, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("KLE_KAFKA_PORT_BASE=%q: %v", v, err)
		}
	}
	// The identity provider and the KDC listen next to the secured
	// cluster's ports (base+500+1 to base+500+303).
	if oidc, err = startIDP(base + 500 + 391); err != nil {
		return err
	}
	registerOAuthClients(oidc)
	if realm, err = startKDC(dir, base+500+390); err != nil {
		return err
	}
	// PLAIN users live in the listener's JAAS config; SCRAM users in the
	// cluster metadata, created by kafka-storage format --add-scram;
	// OAUTHBEARER principals are the subjects of the identity provider's
	// tokens, Kerberos principals map to their first component.
	jaas := fmt.Sprintf(`listener.name.client.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_%s="%s" user_%s="%s";
listener.name.client.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
`, userAdmin, passwords.Admin, userExporter, passwords.ExporterPlain) + oidc.brokerConfig() + realm.brokerConfig()
	var args []string
	for _, u := range []struct{ mech, name, pw string }{
		{"SCRAM-SHA-512", userAdmin, passwords.Admin},
		{"SCRAM-SHA-256", userExporter, passwords.ExporterSCRAM},
		{"SCRAM-SHA-512", userExporter, passwords.ExporterSCRAM},
		{"SCRAM-SHA-512", userLimited, passwords.Limited},
	} {
		args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", u.mech, u.name, u.pw))
	}
	for name, data := range map[string]string{"jaas.properties": jaas, "format.args": strings.Join(args, "\n") + "\n",
		"client.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER\n", "jvm.options": oidc.jvmOptions() + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			return err
		}
	}

	state := filepath.Join(os.TempDir(), "kle-kafkatest-secure-"+strconv.Itoa(base))
	if v := os.Getenv("KLE_KAFKA_DIR"); v != "" {
		state = v + "-secure"
	}
	admin := kafka.Options{Version: "3.6.0", Timeout: 10 * time.Second, SASLMechanism: kafka.SASLScramSHA512,
		SASLUsername: userAdmin, SASLPassword: passwords.Admin, TLSEnabled: true, TLSCAFile: certs.CA, Servers: []string{"127.0.0.1:1"}}
	adminConf, err := admin.SaramaConfig()
	if err != nil {
		return err
	}
	cluster, err = kafkatest.Start(kafkatest.Options{
		Dir:      state,
		PortBase: base + 500,
		Env:      []string{"KLE_KAFKA_SECURITY_DIR=" + dir},
		Configure: func(c *sarama.Config) {
			c.Net.SASL = adminConf.Net.SASL
			c.Net.TLS = adminConf.Net.TLS
		},
	})
	if err != nil {
		cluster = nil
		return err
	}
	out, err := cluster.Script("bootstrap-mtls")
	if err != nil {
		return err
	}
	mtlsBootstrap = strings.Split(out, ",")
	if out, err = cluster.Script("bootstrap-kerberos"); err != nil {
		return err
	}
	kerberosBootstrap = strings.Split(out, ",")
	return nil
}

func password(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

var (
	fixtureOnce sync.Once
	fixtureErr  string
)

// Names of the fixture the tests read.
const (
	fixtureTopic = "secured-orders"
	fixtureGroup = "secured-app"
)

// requireSecured returns the secured cluster with its fixture (ACLs, a
// topic with messages, a group with commits), or skips the test (fails it
// under CI=true) when there is none.
func requireSecured(t *testing.T) *kafkatest.Cluster {
	t.Helper()
	setupOnce.Do(setUp)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if setupErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no secured Kafka cluster (CI=true, not skipping): %v", setupErr)
		}
		t.Skipf("no secured Kafka cluster, skipping: %v", setupErr)
	}
	fixtureOnce.Do(func() {
		ft := &fixtureT{T: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != errFixture {
					panic(r)
				}
			}()
			setUpFixture(ft)
		}()
		fixtureErr = ft.failure
	})
	if fixtureErr != "" {
		t.Fatalf("setting up the secured cluster's fixture: %s", fixtureErr)
	}
	return cluster
}

// setUpFixture grants the ACLs and creates the topic and group.
func setUpFixture(t testing.TB) {
	admin := cluster.Admin(t)
	for _, p := range []struct {
		principal string
		grants    []grant
	}{
		{userExporter, append(append([]grant{}, exporterACLs...), canaryACLs...)},
		{userLimited, limitedACLs},
	} {
		if err := createACLs(admin, "User:"+p.principal, p.grants); err != nil {
			t.Fatalf("creating the ACLs of %s: %v", p.principal, err)
		}
	}
	cluster.CreateTopic(t, fixtureTopic, 3, 3, map[string]string{"min.insync.replicas": "2"})
	last := cluster.Produce(t, fixtureTopic, 0, 20, sarama.WaitForAll)
	cluster.CommitOffsets(t, fixtureGroup, fixtureTopic, map[int32]int64{0: last - 5})
}

// fixtureT runs the fixture set-up once for every test: its failure is
// kept and reported to each test that needs the fixture.
type fixtureT struct {
	*testing.T
	failure string
}

var errFixture = errors.New("fixture failed")

func (f *fixtureT) Fatalf(format string, args ...any) {
	f.failure = fmt.Sprintf(format, args...)
	panic(errFixture)
}

func (f *fixtureT) Fatal(args ...any) {
	f.failure = fmt.Sprint(args...)
	panic(errFixture)
}
