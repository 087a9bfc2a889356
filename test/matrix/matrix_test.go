// Package matrix runs the core real-Kafka scenarios of test/integration on
// every Kafka version the exporter is tested with: the newest 4.x, 3.9 in
// KRaft mode and 3.9 in ZooKeeper mode, each on a cluster of its own started
// here one after the other (test/kafka/cluster.sh, own port bases), so the
// matrix runs next to test/integration on the default cluster.
//
// The scenarios are test/integration's own tests, compiled once and run
// against each version's cluster (KLE_KAFKA_DIR), where they assert that
// version's behaviour. Environment:
//
//	KLE_MATRIX            comma-separated version names to run (default all)
//	KLE_MATRIX_PORT_BASE  port base of the first cluster (default
//	                      KLE_KAFKA_PORT_BASE+1500); the i-th version run
//	                      uses base + 400*i (ZooKeeper on its base + 300)
//
// With CI=true a version whose cluster cannot start (jars not fetched, no
// Java) fails the run; elsewhere it is skipped with the reason.
package matrix

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// core are the scenarios every version runs: a broker down with partitions
// under-replicated; under and at min ISR; an unclean election with
// truncation; messages lost to retention; consumer lag and status; the
// controller quorum (absent on ZooKeeper).
var core = []string{
	"TestReplicationHealth",
	"TestMinISRStateWhenNodesStop",
	"TestEventsUncleanElectionMeasuresLoss",
	"TestConsumerRetentionDeletesUnreadMessages",
	"TestConsumerCaughtUpGroupAndRebalance",
	"TestConsumerStalledGroup",
	"TestControllerQuorum",
}

// version is one cluster of the matrix.
type version struct {
	name, kafka, mode string
	// extra are scenarios only this version has.
	extra []string
}

var matrix = []version{
	{name: "4.4.0", kafka: "4.4.0", mode: "kraft", extra: []string{"TestConsumerKIP848Group"}},
	{name: "3.9.1-kraft", kafka: "3.9.1", mode: "kraft"},
	{name: "3.9.1-zookeeper", kafka: "3.9.1", mode: "zookeeper"},
}

// scenarios is the compiled test/integration test binary (built by the
// first version run, so a run selecting no test of this package costs
// nothing).
var (
	scenarios  string
	buildOnce  sync.Once
	buildError error
)

func TestMain(m *testing.M) {
	work, err := os.MkdirTemp("", "kle-matrix-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(1)
	}
	scenarios = filepath.Join(work, "integration.test")
	code := m.Run()
	os.RemoveAll(work)
	os.Exit(code)
}

func buildScenarios(t *testing.T) {
	buildOnce.Do(func() {
		build := exec.Command("go", "test", "-c", "-race", "-o", scenarios, ".")
		build.Dir = filepath.Join("..", "integration")
		if out, err := build.CombinedOutput(); err != nil {
			buildError = fmt.Errorf("building the test/integration scenarios: %v\n%s", err, out)
		}
	})
	if buildError != nil {
		t.Fatal(buildError)
	}
}

func selected(t *testing.T) []version {
	only := os.Getenv("KLE_MATRIX")
	if only == "" {
		return matrix
	}
	var out []version
	for _, name := range strings.Split(only, ",") {
		found := false
		for _, v := range matrix {
			if v.name == strings.TrimSpace(name) {
				out, found = append(out, v), true
			}
		}
		if !found {
			t.Fatalf("KLE_MATRIX names %q, not one of the matrix versions", name)
		}
	}
	return out
}

func portBase(t *testing.T) int {
	if v := os.Getenv("KLE_MATRIX_PORT_BASE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("KLE_MATRIX_PORT_BASE=%q: %v", v, err)
		}
		return n
	}
	base := 29090
	if v := os.Getenv("KLE_KAFKA_PORT_BASE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("KLE_KAFKA_PORT_BASE=%q: %v", v, err)
		}
		base = n
	}
	return base + 1500
}

// TestVersionMatrix runs the core scenarios on each version's cluster, one
// cluster at a time, and logs how long each version took.
func TestVersionMatrix(t *testing.T) {
	buildScenarios(t)
	base := portBase(t)
	var summary []string
	for i, v := range selected(t) {
		ok := t.Run(v.name, func(t *testing.T) {
			took := runVersion(t, v, base+400*i)
			summary = append(summary, fmt.Sprintf("%s %s", v.name, took.Round(time.Second)))
		})
		if !ok {
			summary = append(summary, v.name+" FAILED")
		}
	}
	t.Logf("MEASURED matrix: %s", strings.Join(summary, ", "))
}

var passLine = regexp.MustCompile(`(?m)^--- (PASS|FAIL|SKIP): (\w+) \(([0-9.]+s)\)`)

func runVersion(t *testing.T, v version, base int) time.Duration {
	start := time.Now()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("kle-matrix-%s-%d", v.name, base))
	cluster, err := kafkatest.Start(kafkatest.Options{Dir: dir, PortBase: base,
		Env: []string{"KAFKA_VERSION=" + v.kafka, "KLE_KAFKA_MODE=" + v.mode}})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Kafka %s (%s): no cluster (CI=true, not skipping): %v", v.kafka, v.mode, err)
		}
		t.Skipf("Kafka %s (%s): no cluster, skipping: %v", v.kafka, v.mode, err)
	}
	started := time.Since(start)
	passed := false
	defer func() {
		if err := cluster.Close(passed); err != nil {
			t.Errorf("closing the Kafka %s cluster: %v", v.name, err)
		}
	}()

	tests := append(append([]string{}, core...), v.extra...)
	cmd := exec.Command(scenarios, "-test.run", "^("+strings.Join(tests, "|")+")$", "-test.count=1", "-test.v", "-test.timeout=20m")
	cmd.Dir = filepath.Join("..", "integration")
	cmd.Env = append(os.Environ(), "KLE_KAFKA_DIR="+cluster.Dir(), "KLE_KAFKA_PORT_BASE="+strconv.Itoa(base), "KAFKA_VERSION="+v.kafka)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runStart := time.Now()
	err = cmd.Run()
	ran := time.Since(runStart)

	results := map[string]string{}
	for _, m := range passLine.FindAllStringSubmatch(out.String(), -1) {
		results[m[2]] = m[1] + " " + m[3]
	}
	for _, name := range tests {
		switch r := results[name]; {
		case r == "":
			t.Errorf("Kafka %s: %s did not run", v.name, name)
		case strings.HasPrefix(r, "PASS"):
			t.Logf("Kafka %s: %s %s", v.name, name, r)
		default:
			t.Errorf("Kafka %s: %s %s", v.name, name, r)
		}
	}
	if err != nil || t.Failed() {
		t.Errorf("Kafka %s: the scenarios failed (%v); their output:\n%s", v.name, err, out.String())
	} else {
		passed = true
	}
	t.Logf("MEASURED Kafka %s (%s): cluster start %s, scenarios %s", v.name, v.mode, started.Round(100*time.Millisecond), ran.Round(100*time.Millisecond))
	return time.Since(start)
}
