package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBadConsumerFlagsExitWithStatus2(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--group.filter=("}, "--group.filter"},
		{[]string{"--group.exclude=[a-"}, "--group.exclude"},
		{[]string{"--lag.granularity=group"}, "--lag.granularity"},
		{[]string{"--lag.table-points=2"}, "--lag.table-points"},
		{[]string{"--lag.table-points=many"}, "lag.table-points"},
		{[]string{"--group.status-window=1"}, "--group.status-window"},
		{[]string{"--group.retention-refresh=0s"}, "--group.retention-refresh"},
		{[]string{"--group.retention-refresh=later"}, "group.retention-refresh"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), c.args, &stdout, &stderr, noEnv); code != 2 {
				t.Fatalf("exit status %d, want 2; stderr: %s", code, stderr.String())
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 || !strings.Contains(out, c.want) {
				t.Fatalf("stderr %q: want one line naming %q", out, c.want)
			}
		})
	}
}
