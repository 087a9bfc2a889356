package alerts

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// requireTool returns the path of a command-line tool the test needs. When
// it is missing the test is skipped, except under CI=true, where it fails:
// CI must run every check.
func requireTool(t *testing.T, name, apt string, aliases ...string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	for _, alias := range aliases {
		if err == nil {
			break
		}
		p, err = exec.LookPath(alias)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (install Debian package %s): %v", name, apt, err)
		}
		t.Skipf("%s not found (install Debian package %s); skipped outside CI", name, apt)
	}
	return p
}

// run runs a tool and returns its standard output; it fails the test with
// both outputs when the tool fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\n%s%s", name, args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
