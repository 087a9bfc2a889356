package deploy

import (
	"os/exec"
	"strings"
	"testing"
)

// deploy/docker-compose.yml is valid for Docker Compose (v2 plugin or the v1
// docker-compose). Docker is not part of every machine, so this skips when
// neither is installed, even with CI=true.
func TestComposeConfig(t *testing.T) {
	var cmd []string
	if docker, err := exec.LookPath("docker"); err == nil && exec.Command(docker, "compose", "version").Run() == nil {
		cmd = []string{docker, "compose"}
	} else if dc, err := exec.LookPath("docker-compose"); err == nil {
		cmd = []string{dc}
	} else {
		t.Skip("neither `docker compose` nor docker-compose is installed (not required, even in CI)")
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
