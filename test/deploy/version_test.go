package deploy

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVersionAfterMakeBuild: the binary of `make build` prints a version with
// every field stamped: version and revision from git, build user and date.
func TestVersionAfterMakeBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kafka-loss-exporter")
	run(t, "make", "-s", "build", "BINARY="+bin)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	revision := strings.TrimSpace(string(run(t, "git", "rev-parse", "HEAD")))
	for _, re := range []string{
		`(?m)^kafka-loss-exporter, version \S+ \(branch: \S+, revision: ` + regexp.QuoteMeta(revision) + `\)$`,
		`(?m)^  build user:\s+\S+@\S+$`,
		`(?m)^  build date:\s+\d{8}-\d{2}:\d{2}:\d{2}$`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("--version does not match %s:\n%s", re, out)
		}
	}
}
