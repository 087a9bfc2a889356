// Package kafkatest gives integration tests a real 3-node Apache Kafka
// cluster (KRaft, combined broker+controller nodes 1, 2 and 3 on 127.0.0.1)
// run by test/kafka/cluster.sh, plus helpers to drive it.
//
// A test binary gets the cluster with Require. If the environment variable
// KLE_KAFKA_DIR names a state dir whose cluster is running (started by hand
// with `KLE_KAFKA_DIR=DIR test/kafka/cluster.sh start`), that cluster is
// reused and left running. Otherwise the first Require starts a cluster of its
// own in $TMPDIR/kle-kafkatest-<port base>; the test binary must then call Main (or Run)
// from TestMain so that cluster is stopped at the end:
//
//	func TestMain(m *testing.M) { kafkatest.Main(m) }
//
// If Java, Maven or the Kafka jars are missing, or the cluster cannot start,
// Require skips the test with the reason, except under CI=true, where it fails
// the test instead.
//
// Only one test process on the machine uses a cluster at a time: Require takes
// an exclusive lock ($TMPDIR/kle-kafkatest-<port base>.lock) that is held until the
// process exits, so `go test ./...` running several packages that need Kafka
// runs them one after the other instead of letting them stop each other's
// nodes.
//
// Node 1 is in rack "rack-a", nodes 2 and 3 in "rack-b" (see cluster.sh).
// Brokers are tuned for fast tests: replica.lag.time.max.ms=3000,
// broker.session.timeout.ms=3000, retention checks every second.
package kafkatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// Timeouts of cluster.sh invocations.
const (
	startTimeout   = 6 * time.Minute // includes a cold jar fetch and readiness
	commandTimeout = 6 * time.Minute // above cluster.sh's readiness wait (150 s, twice with a restart)
)

// Cluster is a running 3-node Kafka cluster managed by test/kafka/cluster.sh.
// Its methods are safe for concurrent use, but tests that stop nodes should not
// run in parallel with other tests.
type Cluster struct {
	script    string // absolute path of cluster.sh
	dir       string // state dir (KLE_KAFKA_DIR of cluster.sh)
	owned     bool   // started by this process; stopped by Main
	bootstrap []string
	// env is added to every cluster.sh run (clusters from Start).
	env []string
	// configure adjusts every sarama config of the helpers (clusters
	// from Start, for example with SASL credentials).
	configure func(*sarama.Config)

	mu       sync.Mutex
	restorer map[testing.TB]bool // tests that already registered RestoreAll
	paused   map[int32]bool      // nodes paused by PauseNode and not resumed
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
)

// Require returns the shared cluster, starting it on first use (see the
// package doc). If no cluster can be had it calls t.Skipf with the reason, or
// t.Fatalf when the environment has CI=true.
func Require(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = setup() })
	if sharedErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kafkatest: no Kafka cluster (CI=true, not skipping): %v", sharedErr)
		}
		t.Skipf("kafkatest: no Kafka cluster, skipping: %v", sharedErr)
	}
	return shared
}

// Main runs the tests, stops the cluster if this process started it, and
// exits with the tests' exit code. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main without the exit: it runs the tests, stops a cluster this
// process started, and returns the exit code for os.Exit. Use it when TestMain
// has cleanup of its own to do after the tests.
func Run(m *testing.M) int {
	code := m.Run()
	teardown(code == 0)
	return code
}

// teardown stops a cluster this process started: it deletes its state dir if
// the tests passed, and only stops it (keeping the logs) if they did not.
func teardown(passed bool) {
	defer unlock()
	if shared == nil || !shared.owned {
		return
	}
	cmd := "destroy"
	if !passed {
		cmd = "stop"
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := shared.run(ctx, nil, cmd)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kafkatest: cluster.sh %s: %v\n%s", cmd, err, out)
		return
	}
	if !passed {
		fmt.Fprintf(os.Stderr, "kafkatest: tests failed; Kafka cluster stopped, node logs kept in %s/node-*/server.log\n", shared.dir)
	}
}

// setup finds or starts the cluster.
func setup() (*Cluster, error) {
	script, err := findScript()
	if err != nil {
		return nil, err
	}
	if err := lock(); err != nil {
		return nil, err
	}
	c := &Cluster{script: script, restorer: map[testing.TB]bool{}}

	if dir := os.Getenv("KLE_KAFKA_DIR"); dir != "" {
		c.dir = dir
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		_, err := c.run(ctx, nil, "status")
		cancel()
		if err == nil {
			if err := c.loadBootstrap(); err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "kafkatest: reusing the Kafka cluster running in %s (%s)\n", dir, strings.Join(c.bootstrap, ","))
			return c, nil
		}
		fmt.Fprintf(os.Stderr, "kafkatest: KLE_KAFKA_DIR=%s has no running cluster; starting one of our own\n", dir)
	}

	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("java is not installed or not on PATH (the Kafka broker needs Java 17+)")
	}
	c.dir = filepath.Join(os.TempDir(), "kle-kafkatest-"+portBaseName())
	c.owned = true
	env := []string{
		"KLE_KAFKA_WATCH_PID=" + strconv.Itoa(os.Getpid()),
		"KLE_KAFKA_WATCH_ACTION=destroy",
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// A previous test process that died without Main leaves its cluster
	// behind (its watchdog normally removes it within seconds): clear it.
	if out, err := c.run(ctx, nil, "destroy"); err != nil {
		return nil, fmt.Errorf("clearing %s: %v\n%s", c.dir, err, out)
	}
	start := time.Now()
	out, err := c.run(ctx, env, "start")
	if err != nil {
		return nil, fmt.Errorf("test/kafka/cluster.sh start failed: %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "kafkatest: started a Kafka cluster in %s in %s\n", c.dir, time.Since(start).Round(100*time.Millisecond))
	if err := c.loadBootstrap(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) loadBootstrap() error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := c.run(ctx, nil, "bootstrap")
	if err != nil {
		return fmt.Errorf("cluster.sh bootstrap: %v\n%s", err, out)
	}
	c.bootstrap = strings.Split(strings.TrimSpace(out), ",")
	return nil
}

// findScript locates test/kafka/cluster.sh: next to this package's source,
// else above the working directory.
func findScript() (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		p := filepath.Join(filepath.Dir(file), "..", "kafka", "cluster.sh")
		if _, err := os.Stat(p); err == nil {
			return filepath.Clean(p), nil
		}
		tried = append(tried, p)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			p := filepath.Join(dir, "test", "kafka", "cluster.sh")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
		tried = append(tried, "test/kafka/cluster.sh above "+wd)
	}
	return "", fmt.Errorf("cannot find test/kafka/cluster.sh (tried %s)", strings.Join(tried, ", "))
}

// run runs cluster.sh with the given arguments for this cluster's state dir
// and returns its combined output.
func (c *Cluster) run(ctx context.Context, extraEnv []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{c.script}, args...)...)
	cmd.Env = append(append(append(os.Environ(), "KLE_KAFKA_DIR="+c.dir), c.env...), extraEnv...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	// The nodes run detached with their own output files; never wait long
	// for a stray inherited pipe.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return buf.String(), err
}

// runScript runs a cluster.sh command for a test and fails the test on error.
func (c *Cluster) runScript(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	if out, err := c.run(ctx, nil, args...); err != nil {
		t.Fatalf("kafkatest: cluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Dir returns the cluster's state dir (node logs are in Dir()/node-N/server.log).
func (c *Cluster) Dir() string { return c.dir }

// Bootstrap returns the brokers' addresses, 127.0.0.1:PORT for nodes 1, 2, 3.
func (c *Cluster) Bootstrap() []string {
	return append([]string(nil), c.bootstrap...)
}

// NodeIDs returns the node ids, which are both broker and controller ids: 1, 2, 3.
func (c *Cluster) NodeIDs() []int32 { return []int32{1, 2, 3} }

// address returns node id's broker address.
func (c *Cluster) address(id int32) string {
	if id < 1 || int(id) > len(c.bootstrap) {
		return ""
	}
	return c.bootstrap[id-1]
}

func checkID(t testing.TB, id int32) {
	t.Helper()
	if id < 1 || id > 3 {
		t.Fatalf("kafkatest: no node %d (nodes are 1, 2, 3)", id)
	}
}

// restoreOnCleanup registers RestoreAll once per test.
func (c *Cluster) restoreOnCleanup(t testing.TB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.restorer[t] {
		return
	}
	c.restorer[t] = true
	t.Cleanup(func() {
		c.mu.Lock()
		delete(c.restorer, t)
		c.mu.Unlock()
		c.RestoreAll(t)
	})
}

// StopNode shuts node id down cleanly (SIGTERM, controlled shutdown) and
// returns once its process is gone. It registers RestoreAll as a cleanup of t.
func (c *Cluster) StopNode(t testing.TB, id int32) {
	t.Helper()
	checkID(t, id)
	c.restoreOnCleanup(t)
	c.runScript(t, "stop-node", strconv.Itoa(int(id)))
}

// KillNode kills node id with SIGKILL and returns once its process is gone.
// The controller fences it after broker.session.timeout.ms (3 s). It
// registers RestoreAll as a cleanup of t.
func (c *Cluster) KillNode(t testing.TB, id int32) {
	t.Helper()
	checkID(t, id)
	c.restoreOnCleanup(t)
	c.runScript(t, "kill-node", strconv.Itoa(int(id)))
}

// PauseNode stops node id's process with SIGSTOP: it stays registered and
// keeps its sockets, so connections are accepted and requests buffered, but
// it answers nothing (a hung JVM). Its controller stops too; the active
// controller fences it after broker.session.timeout.ms (3 s). It registers
// RestoreAll, which resumes it, as a cleanup of t.
func (c *Cluster) PauseNode(t testing.TB, id int32) {
	t.Helper()
	checkID(t, id)
	c.restoreOnCleanup(t)
	c.mu.Lock()
	if c.paused == nil {
		c.paused = map[int32]bool{}
	}
	c.paused[id] = true
	c.mu.Unlock()
	c.runScript(t, "pause-node", strconv.Itoa(int(id)))
}

// ResumeNode resumes node id after PauseNode (SIGCONT).
func (c *Cluster) ResumeNode(t testing.TB, id int32) {
	t.Helper()
	checkID(t, id)
	c.runScript(t, "resume-node", strconv.Itoa(int(id)))
	c.mu.Lock()
	delete(c.paused, id)
	c.mu.Unlock()
}

// resumePaused resumes the nodes PauseNode left paused.
func (c *Cluster) resumePaused(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	var ids []int32
	for id := range c.paused {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.ResumeNode(t, id)
	}
}

// StartNode starts node id again on its existing data and returns once it
// accepts connections and has been unfenced. Its replicas may still be out of
// sync; RestoreAll waits for that too.
func (c *Cluster) StartNode(t testing.TB, id int32) {
	t.Helper()
	checkID(t, id)
	c.runScript(t, "start-node", strconv.Itoa(int(id)))
}

// StartAll starts every stopped node at once (cluster.sh start) and returns
// when all three run. Use it after stopping a controller quorum majority: a
// single node cannot start alone, since it waits for the quorum.
func (c *Cluster) StartAll(t testing.TB) {
	t.Helper()
	c.runScript(t, "start")
}

// portBaseName names the cluster's port base for per-cluster lock and state
// paths: test processes on different port bases use different clusters.
func portBaseName() string {
	base := filepath.Base(os.Getenv("KLE_KAFKA_PORT_BASE"))
	if base == "" || base == "." {
		return "default"
	}
	return base
}

// ZooKeeper reports whether the cluster runs in ZooKeeper mode
// (KLE_KAFKA_MODE=zookeeper, Kafka 3.x) rather than KRaft, from its state dir.
func (c *Cluster) ZooKeeper() bool {
	b, err := os.ReadFile(filepath.Join(c.dir, "cluster.env"))
	return err == nil && strings.Contains("\n"+string(b), "\nMODE=zookeeper\n")
}
