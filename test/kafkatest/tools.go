package kafkatest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tool is one of Kafka's own command-line tools, run from the cluster's jars
// (test/kafka/pom.xml resolves kafka-tools beside the broker): the tests'
// independent client, which shares no code with the exporter.
type Tool struct {
	// Name is the shell script's name, for messages.
	Name string
	// Class4 and Class3 are the main classes on Kafka 4.x and 3.x.
	Class4, Class3 string
}

// The tools the tests use. Their classes moved between versions; both 3.9
// and 4.x are checked against the jars.
var (
	ConsumerGroups = Tool{"kafka-consumer-groups", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"}
	Topics         = Tool{"kafka-topics", "org.apache.kafka.tools.TopicCommand", "org.apache.kafka.tools.TopicCommand"}
	Configs        = Tool{"kafka-configs", "kafka.admin.ConfigCommand", "kafka.admin.ConfigCommand"}
	Transactions   = Tool{"kafka-transactions", "org.apache.kafka.tools.TransactionsCommand", "org.apache.kafka.tools.TransactionsCommand"}
	Reassign       = Tool{"kafka-reassign-partitions", "org.apache.kafka.tools.reassign.ReassignPartitionsCommand", "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"}
	LeaderElection = Tool{"kafka-leader-election", "org.apache.kafka.tools.LeaderElectionCommand", "org.apache.kafka.tools.LeaderElectionCommand"}
	ProducerPerf   = Tool{"kafka-producer-perf-test", "org.apache.kafka.tools.ProducerPerformance", "org.apache.kafka.tools.ProducerPerformance"}
	MetadataQuorum = Tool{"kafka-metadata-quorum", "org.apache.kafka.tools.MetadataQuorumCommand", "org.apache.kafka.tools.MetadataQuorumCommand"}
	ConsoleConsume = Tool{"kafka-console-consumer", "org.apache.kafka.tools.consumer.ConsoleConsumer", "org.apache.kafka.tools.consumer.ConsoleConsumer"}
	ConsoleProduce = Tool{"kafka-console-producer", "org.apache.kafka.tools.ConsoleProducer", "kafka.tools.ConsoleProducer"}
)

// toolTimeout bounds one tool run (a JVM start on a loaded 2-core machine
// takes seconds).
const toolTimeout = 2 * time.Minute

// Version returns the cluster's Kafka version, from its state dir.
func (c *Cluster) Version() (string, error) {
	f, err := os.Open(filepath.Join(c.dir, "cluster.env"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VERSION="); ok {
			return strings.Trim(v, `'"`), nil
		}
	}
	return "", fmt.Errorf("no VERSION in %s/cluster.env", c.dir)
}

// Libs returns the directory of the cluster's Kafka jars (fetch.sh).
func (c *Cluster) Libs(t testing.TB) string {
	t.Helper()
	version, err := c.Version()
	if err != nil {
		t.Fatalf("Kafka version of the cluster: %v", err)
	}
	fetch := filepath.Join(filepath.Dir(c.script), "fetch.sh")
	out, err := exec.Command(fetch, version).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", fetch, version, err)
	}
	return strings.TrimSpace(string(out))
}

// Tool runs one of Kafka's command-line tools with args (no
// --bootstrap-server is added: tools spell it differently) and returns its
// standard output. It fails the test when the tool exits non-zero.
func (c *Cluster) Tool(t testing.TB, tool Tool, args ...string) string {
	t.Helper()
	out, err := c.TryTool(t, tool, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool.Name, strings.Join(args, " "), err, out)
	}
	return out
}

// TryTool is Tool that returns the error (and the combined output) instead
// of failing the test.
func (c *Cluster) TryTool(t testing.TB, tool Tool, args ...string) (string, error) {
	t.Helper()
	version, err := c.Version()
	if err != nil {
		return "", err
	}
	class := tool.Class4
	if strings.HasPrefix(version, "3.") {
		class = tool.Class3
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmdArgs := append([]string{"-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-Dlog4j2.rootLogger.level=WARN", "-Dlog4j.rootLogger=WARN",
		"-cp", filepath.Join(c.Libs(t), "*"), class}, args...)
	cmd := exec.CommandContext(ctx, "java", cmdArgs...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// Kcat runs kcat (Debian's package) with -b set to the cluster's bootstrap
// servers, feeding it stdin, and returns its standard output. It fails the
// test when kcat is missing or exits non-zero.
func (c *Cluster) Kcat(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := c.TryKcat(stdin, args...)
	if err != nil {
		t.Fatalf("kcat %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TryKcat is Kcat that returns the error instead of failing the test.
func (c *Cluster) TryKcat(stdin string, args ...string) (string, error) {
	bin, err := exec.LookPath("kcat")
	if err != nil {
		return "", fmt.Errorf("kcat is not installed (Debian package kcat): %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-b", strings.Join(c.Bootstrap(), ",")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// KcatCommand returns a kcat command with -b set, for long-running uses
// (a group consumer the test stops with a signal). The caller starts and
// stops it.
func (c *Cluster) KcatCommand(args ...string) (*exec.Cmd, error) {
	bin, err := exec.LookPath("kcat")
	if err != nil {
		return nil, fmt.Errorf("kcat is not installed (Debian package kcat): %w", err)
	}
	return exec.Command(bin, append([]string{"-b", strings.Join(c.Bootstrap(), ",")}, args...)...), nil
}
