package deploy

import (
	"os/exec"
	"testing"
)

// The deploy scripts pass shellcheck. Without shellcheck it skips, except
// with CI=true (.ci/run installs it).
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		skipOrFailInCI(t, "shellcheck is not installed")
	}
	run(t, sc, "deploy/demo/demo.sh", "deploy/compose/kafka-setup.sh", "test/tools/install.sh")
}
