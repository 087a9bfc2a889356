package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// wantUsageError runs the command with args and asserts that it exits with
// status 2 and writes one line to stderr that contains every want.
func wantUsageError(t *testing.T, args []string, want ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr, noEnv); code != 2 {
		t.Fatalf("exit status %d, want 2; stderr: %s", code, stderr.String())
	}
	out := strings.TrimSpace(stderr.String())
	if strings.Contains(out, "\n") {
		t.Errorf("want one line, got:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("stderr %q does not name %q", out, w)
		}
	}
}

// usageCase is command-line arguments the command must refuse, and a text
// its one-line error contains.
type usageCase struct {
	args []string
	want string
}

// wantUsageErrors runs wantUsageError on each case, as a subtest named by
// its arguments.
func wantUsageErrors(t *testing.T, cases []usageCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) { wantUsageError(t, c.args, c.want) })
	}
}
