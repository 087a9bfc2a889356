package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No Docker engine runs on the CI machine, so the Dockerfile is checked as
// text: multi-stage, static, version-stamped, non-root, the default port, the
// binary as entry point, and a .dockerignore that keeps the context small.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, re := range []string{
		`(?m)^FROM .*golang:\S+ AS build$`,
		`(?m)^FROM gcr\.io/distroless/static\S*:nonroot$`,
		`CGO_ENABLED=0`,
		`-X github.com/prometheus/common/version.Version=\$\{VERSION\}`,
		`-X github.com/prometheus/common/version.Revision=\$\{REVISION\}`,
		`-X github.com/prometheus/common/version.BuildUser=\$\{BUILD_USER\}`,
		`-X github.com/prometheus/common/version.BuildDate=\$\{BUILD_DATE\}`,
		`BUILD_DATE="\$\{BUILD_DATE:-\$\(date -u \+%Y%m%d-%H:%M:%S\)\}"`,
		`(?m)^ARG BUILD_USER=\S`,
		`(?m)^ARG VERSION`,
		`(?m)^USER 65532:65532$`,
		`(?m)^EXPOSE 9785$`,
		`(?m)^ENTRYPOINT \["/bin/kafka-loss-exporter"\]$`,
	} {
		if !regexp.MustCompile(re).MatchString(df) {
			t.Errorf("Dockerfile does not match %s", re)
		}
	}
	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git", "test", "docs", "deploy"} {
		if !strings.Contains("\n"+string(ignore)+"\n", "\n"+p+"\n") {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
	// The binary must not need what .dockerignore leaves out (the alerts
	// package is kept: the audit report links the rules' runbooks).
	for _, p := range []string{"dashboards", "deploy", "test", "docs", "examples"} {
		if strings.Contains(string(mustGoList(t)), "/"+p+"\n") {
			t.Errorf("the binary imports a package under %s/, which .dockerignore excludes", p)
		}
	}
}

func mustGoList(t *testing.T) []byte {
	t.Helper()
	return run(t, "go", "list", "-deps", "-f", "{{.ImportPath}}", "./cmd/kafka-loss-exporter")
}
