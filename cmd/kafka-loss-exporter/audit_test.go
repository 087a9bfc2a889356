package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/report"
)

// runAudit runs `kafka-loss-exporter audit args...` and returns its exit
// status, stdout and stderr.
func runAudit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"audit"}, args...), &stdout, &stderr, noEnv)
	return code, stdout.String(), stderr.String()
}

// The audit's exit statuses on a (fake) cluster whose only topic has one
// replica: warnings but nothing critical.
func TestAuditExitStatus(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "single"))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	server := "--kafka.server=" + fake.ListenAddrs()[0]

	code, out, errs := runAudit(t, server, "-o", "json", "--log.level=error")
	if code != auditClean {
		t.Fatalf("exit %d with --fail-on=critical (default), want 0; stderr: %s", code, errs)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	found := false
	for _, f := range r.Findings {
		found = found || (f.Subject == "single" && f.Risk == "replication_factor_below_3")
	}
	if !found || r.Summary.Topics != 1 {
		t.Errorf("want the single-replica finding; got %+v", r.Findings)
	}

	if code, _, errs := runAudit(t, server, "--fail-on=warning", "--log.level=error"); code != auditFindings {
		t.Errorf("exit %d with --fail-on=warning, want 1; stderr: %s", code, errs)
	}
	// The policy file is honoured: exempting the topic removes the finding.
	policy := filepath.Join(t.TempDir(), "policy.yml")
	if err := os.WriteFile(policy, []byte("min_replication_factor: 1\nmin_insync_replicas: 1\nignore_cluster_risks: [default_replication_factor_below_3, default_min_insync_replicas_below_2, consumer_offsets_replication_factor_below_3, consumer_offsets_min_insync_replicas_below_2, transaction_state_replication_factor_below_3, transaction_state_min_insync_replicas_below_2]\nexemptions:\n  - topics: single\n    reason: test\n    ignore_risks: [no_write_fault_tolerance]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runAudit(t, server, "--fail-on=info", "--risk.config="+policy, "--log.level=error"); code != auditClean {
		t.Errorf("exit %d with a policy that accepts the topic, want 0; stderr: %s\n%s", code, errs, out)
	}
}

func TestAuditUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "yaml"}, "--output"},
		{[]string{"--fail-on=major"}, "--fail-on"},
		{[]string{"--poll.timeout=1s", "--kafka.timeout=5s"}, "--kafka.timeout"},
		{[]string{"--topic.filter=("}, "--topic.filter"},
		{[]string{"--risk.config=/nonexistent/policy.yml"}, "--risk.config"},
		// Unreachable cluster: nothing listens on port 1.
		{[]string{"--kafka.server=127.0.0.1:1", "--poll.timeout=2s", "--kafka.timeout=1s", "--log.level=error"}, "could not be read"},
	} {
		code, out, errs := runAudit(t, tc.args...)
		if code != auditUnusable || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 2 and one line naming %s", tc.args, code, errs, out, tc.want)
		}
	}
}
