package integration

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// javaClient is a small Java program from testdata run with the cluster's
// Kafka client jars (the java source launcher, which needs a JDK): an
// independent Kafka client for what kcat and sarama cannot do.
type javaClient struct {
	name   string
	stdin  io.WriteCloser
	out    *syncBuffer
	exited chan struct{}
}

// startJavaClient runs testdata/<source> with args and the jars of c's
// Kafka version. When the test ends its
// standard input is closed and it gets 20 s to exit; its output is logged
// if the test failed.
func startJavaClient(t *testing.T, c *kafkatest.Cluster, name, source string, args ...string) *javaClient {
	t.Helper()
	libs := c.Libs(t)
	version, err := c.Version()
	if err != nil {
		t.Fatalf("Kafka version of the cluster: %v", err)
	}
	if _, err := os.Stat(filepath.Join(libs, "kafka-clients-"+version+".jar")); err != nil {
		t.Fatalf("Kafka client jar for the %s: %v", name, err)
	}
	cmd := exec.Command("java", append([]string{"-cp", filepath.Join(libs, "*"), filepath.Join("testdata", source)}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	j := &javaClient{name: name, stdin: stdin, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = j.out, j.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(j.exited) }()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-j.exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, j.out.String())
		}
	})
	return j
}

// waitOutput waits until the client has printed text, failing the test if
// it exits first or takes longer than timeout.
func (j *javaClient) waitOutput(t *testing.T, text string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(j.out.String(), text) {
		select {
		case <-j.exited:
			t.Fatalf("the %s (java source launcher, needs a JDK) exited before printing %q:\n%s", j.name, text, j.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s did not print %q within %v:\n%s", j.name, text, timeout, j.out.String())
		}
	}
}
