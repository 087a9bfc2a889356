package security

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// kdc is a real MIT Kerberos KDC (Debian's krb5-kdc) for realm kdcRealm,
// with its database, principals and keytabs made by the test.
type kdc struct {
	dir  string
	port int
	cmd  *exec.Cmd

	Krb5Conf     string // clients' and brokers' krb5.conf
	BrokerKeytab string // kafka/127.0.0.1
	// ExporterKeytab holds the current keys of principal exporter;
	// StaleKeytab older ones, replaced since (a wrong keytab).
	ExporterKeytab, StaleKeytab string
}

const (
	kdcRealm         = "KLE.TEST"
	brokerPrincipal  = "kafka/127.0.0.1"
	kdcMasterPassord = "kle-test-master"
)

// startKDC creates the realm's database in dir/kdc, the principals of the
// brokers and the exporter with their keytabs, writes dir/krb5.conf (which
// puts cluster.sh's brokers in Kerberos mode) and starts krb5kdc on
// 127.0.0.1:port (TCP and UDP). The KDC dies with the test process.
func startKDC(secDir string, port int) (*kdc, error) {
	dir := filepath.Join(secDir, "kdc")
	for _, tool := range []string{"krb5kdc", "kdb5_util", "kadmin.local"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + tool); err2 != nil {
				return nil, fmt.Errorf("%s is not installed (Debian packages krb5-kdc and krb5-admin-server): %v", tool, err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	k := &kdc{dir: dir, port: port, Krb5Conf: filepath.Join(secDir, "krb5.conf"),
		BrokerKeytab: filepath.Join(dir, "broker.keytab"), ExporterKeytab: filepath.Join(dir, "exporter.keytab"),
		StaleKeytab: filepath.Join(dir, "stale.keytab")}
	kdcConf := fmt.Sprintf(`[kdcdefaults]
 kdc_ports = %[2]d
 kdc_tcp_ports = %[2]d
[realms]
 %[3]s = {
  database_name = %[1]s/principal
  key_stash_file = %[1]s/stash
  acl_file = %[1]s/kadm5.acl
  max_life = 10h
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
 }
[logging]
 kdc = FILE:%[1]s/kdc.log
`, dir, port, kdcRealm)
	krb5Conf := fmt.Sprintf(`[libdefaults]
 default_realm = %[2]s
 dns_lookup_realm = false
 dns_lookup_kdc = false
 dns_canonicalize_hostname = false
 rdns = false
 udp_preference_limit = 1
 ticket_lifetime = 10h
 forwardable = false
[realms]
 %[2]s = {
  kdc = 127.0.0.1:%[1]d
 }
[domain_realm]
 127.0.0.1 = %[2]s
`, port, kdcRealm)
	for name, data := range map[string]string{"kdc.conf": kdcConf, "kadm5.acl": "", "../krb5.conf": krb5Conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			return nil, err
		}
	}
	env := append(os.Environ(), "KRB5_CONFIG="+k.Krb5Conf, "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"))
	run := func(args ...string) error {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("kdb5_util", "create", "-s", "-r", kdcRealm, "-P", kdcMasterPassord); err != nil {
		return nil, err
	}
	// ktadd gives a principal new random keys: the first keytab of
	// exporter is stale once the second is written.
	for _, q := range []string{
		"addprinc -randkey " + brokerPrincipal,
		"addprinc -randkey " + userExporter,
		"ktadd -k " + k.BrokerKeytab + " " + brokerPrincipal,
		"ktadd -k " + k.StaleKeytab + " " + userExporter,
		"ktadd -k " + k.ExporterKeytab + " " + userExporter,
	} {
		if err := run("kadmin.local", "-r", kdcRealm, "-q", q); err != nil {
			return nil, err
		}
	}
	k.cmd = exec.Command("krb5kdc", "-n", "-r", kdcRealm)
	k.cmd.Env = env
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := k.cmd.Start(); err != nil {
		return nil, fmt.Errorf("krb5kdc: %w", err)
	}
	// Ready when it listens.
	deadline := time.Now().Add(10 * time.Second)
	for !portOpen(port) {
		if time.Now().After(deadline) {
			k.Stop()
			log, _ := os.ReadFile(filepath.Join(dir, "kdc.log"))
			return nil, errors.New("krb5kdc did not listen within 10s:\n" + string(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return k, nil
}

// Stop kills the KDC.
func (k *kdc) Stop() {
	if k != nil && k.cmd != nil && k.cmd.Process != nil {
		_ = k.cmd.Process.Kill()
		_ = k.cmd.Wait()
	}
}

// brokerConfig is the KERBEROS listener's JAAS line: the brokers accept
// with the keys of kafka/127.0.0.1.
func (k *kdc) brokerConfig() string {
	return fmt.Sprintf("listener.name.kerberos.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"%s\" principal=\"%s@%s\";\n",
		k.BrokerKeytab, brokerPrincipal, kdcRealm)
}

// portOpen reports whether something listens on 127.0.0.1:port (TCP).
func portOpen(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
