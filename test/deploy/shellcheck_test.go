package deploy

import (
	"os/exec"
	"testing"
)

// The deploy scripts pass shellcheck where it is installed (it is not
// required: skips without it, also in CI).
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed")
	}
	run(t, sc, "deploy/demo/demo.sh", "deploy/compose/kafka-setup.sh", "test/tools/install.sh")
}
