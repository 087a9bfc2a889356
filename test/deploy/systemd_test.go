package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unit = "deploy/systemd/kafka-loss-exporter.service"

// systemd-analyze verify accepts the unit without a single warning (an
// unknown or misspelt hardening key is only a warning to systemd), and
// systemd-analyze security rates it "OK" (exposure at most 2.0 of 10). The
// binary path and the environment file are pointed at stand-ins, since
// verify checks that the binary exists.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		unavailable(t, "systemd-analyze is not installed (Debian: apt-get install systemd)")
	}
	data, err := os.ReadFile(filepath.Join(root, unit))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
		"PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
		"ProtectKernelLogs=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
		"MemoryMax=", "Restart=on-failure", "LoadCredential=sasl-password:"} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %s", want)
		}
	}
	dir := t.TempDir()
	env := filepath.Join(dir, "kafka-loss-exporter.env")
	if err := os.WriteFile(env, []byte("KAFKA_LOSS_EXPORTER_ARGS=--version\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text = strings.ReplaceAll(text, "/usr/local/bin/kafka-loss-exporter", "/bin/true")
	text = strings.ReplaceAll(text, "/etc/kafka-loss-exporter/kafka-loss-exporter.env", env)
	path := filepath.Join(dir, "kafka-loss-exporter.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"verify", path}, {"security", "--offline=yes", "--threshold=20", path}} {
		cmd := exec.Command(analyze, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if args[0] == "verify" && (err != nil || strings.TrimSpace(out.String()) != "") {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out.String())
		}
		if args[0] == "security" {
			if err != nil {
				t.Errorf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out.String())
			} else if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) > 0 {
				t.Logf("%s", lines[len(lines)-1])
			}
		}
	}
}

// The example environment file sets the variable the unit expands.
func TestSystemdEnvironmentFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "deploy/systemd/kafka-loss-exporter.env"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nKAFKA_LOSS_EXPORTER_ARGS=\"--kafka.server=") {
		t.Errorf("the environment file does not set KAFKA_LOSS_EXPORTER_ARGS")
	}
}
