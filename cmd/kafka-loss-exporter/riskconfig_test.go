package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBadRiskConfigExitsWithStatus2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "risk.yml")
	if err := os.WriteFile(bad, []byte("min_replication_factor: 3\nexemptions:\n  - topics: test-.*\n    min_insync_replica: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantUsageErrors(t, []usageCase{
		{[]string{"--risk.config=" + bad}, "--risk.config: " + bad + `:4: exemption 1: unknown key "min_insync_replica" (did you mean "min_insync_replicas"?)`},
		{[]string{"--risk.config=" + filepath.Join(dir, "missing.yml")}, "--risk.config: open " + filepath.Join(dir, "missing.yml")},
		{[]string{"--config.poll.interval=0s"}, "--config.poll.interval must be positive"},
		{[]string{"--config.poll.interval=often"}, "config.poll.interval"},
		{[]string{"--producers.poll.interval=-1s"}, "--producers.poll.interval must not be negative"},
	})
}
