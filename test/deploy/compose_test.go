package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// deploy/docker-compose.yml is valid for Docker Compose (v2 plugin or the v1
// docker-compose; `config` needs no Docker daemon). Without either it skips,
// except with CI=true (.ci/run installs the docker-compose package).
func TestComposeConfig(t *testing.T) {
	var cmd []string
	if docker, err := exec.LookPath("docker"); err == nil && exec.Command(docker, "compose", "version").Run() == nil {
		cmd = []string{docker, "compose"}
	} else if dc, err := exec.LookPath("docker-compose"); err == nil {
		cmd = []string{dc}
	} else {
		skipOrFailInCI(t, "neither `docker compose` nor docker-compose is installed")
	}
	out := run(t, cmd[0], append(cmd[1:], "-f", "deploy/docker-compose.yml", "config", "--services")...)
	services := strings.Fields(string(out))
	for _, want := range []string{"kafka-1", "kafka-2", "kafka-3", "kafka-setup", "kafka-loss-exporter", "prometheus", "alertmanager", "grafana"} {
		found := false
		for _, s := range services {
			found = found || s == want
		}
		if !found {
			t.Errorf("service %s missing from %v", want, services)
		}
	}
}

// skipOrFailInCI skips a test whose tool is missing, or fails it with
// CI=true, where every tool must be installed.
func skipOrFailInCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
