package kafkatest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestMain(m *testing.M) { Main(m) }

// isrOf returns the replicas and ISR of topic/partition as a fresh metadata
// request to the cluster sees them.
func isrOf(t *testing.T, c *Cluster, topic string, partition int32) (replicas, isr []int32, detail string) {
	t.Helper()
	client, err := sarama.NewClient(c.Bootstrap(), c.SaramaConfig())
	if err != nil {
		return nil, nil, err.Error()
	}
	defer client.Close()
	if err := client.RefreshMetadata(topic); err != nil {
		return nil, nil, err.Error()
	}
	replicas, err = client.Replicas(topic, partition)
	if err != nil {
		return nil, nil, err.Error()
	}
	isr, err = client.InSyncReplicas(topic, partition)
	if err != nil {
		return nil, nil, err.Error()
	}
	return replicas, isr, fmt.Sprintf("replicas %v, ISR %v", replicas, isr)
}

func TestStopAndRestartNodeShrinksAndExpandsISR(t *testing.T) {
	start := time.Now()
	c := Require(t)
	t.Logf("Require took %s (cluster start, if this test was the first to need it)", time.Since(start).Round(10*time.Millisecond))

	topic := UniqueTopic("kafkatest-isr")
	c.CreateTopic(t, topic, 3, 3, map[string]string{"min.insync.replicas": "2"})
	t.Cleanup(func() { c.DeleteTopic(t, topic) })
	if last := c.Produce(t, topic, 0, 100, sarama.WaitForAll); last != 99 {
		t.Fatalf("last offset %d, want 99", last)
	}

	// With RF 3 every partition is hosted on node 2; pick one it does not lead.
	partition := int32(-1)
	for p := int32(0); p < 3; p++ {
		replicas, isr, detail := isrOf(t, c, topic, p)
		if len(replicas) != 3 || len(isr) != 3 {
			t.Fatalf("partition %d before stop: %s", p, detail)
		}
		if replicas[0] != 2 {
			partition = p
			break
		}
	}
	if partition < 0 {
		t.Fatal("every partition prefers node 2")
	}

	stop := time.Now()
	c.StopNode(t, 2)
	stopped := time.Now()
	c.WaitFor(t, 30*time.Second, "ISR to shrink to 2 after stopping node 2", func() (bool, string) {
		_, isr, detail := isrOf(t, c, topic, partition)
		return len(isr) == 2 && !containsInt32(isr, 2), detail
	})
	t.Logf("stop-node 2 took %s; ISR of %s/%d shrank to 2 %s after the stop began",
		stopped.Sub(stop).Round(10*time.Millisecond), topic, partition, time.Since(stop).Round(10*time.Millisecond))

	// The partition stays writable with acks=all and min.insync.replicas=2.
	c.Produce(t, topic, partition, 10, sarama.WaitForAll)

	restart := time.Now()
	c.StartNode(t, 2)
	started := time.Now()
	c.WaitFor(t, 60*time.Second, "ISR to expand to 3 after restarting node 2", func() (bool, string) {
		_, isr, detail := isrOf(t, c, topic, partition)
		return len(isr) == 3, detail
	})
	t.Logf("start-node 2 took %s; ISR of %s/%d back to 3 %s after the restart began",
		started.Sub(restart).Round(10*time.Millisecond), topic, partition, time.Since(restart).Round(10*time.Millisecond))
}

func TestKillNodeIsFenced(t *testing.T) {
	c := Require(t)
	topic := UniqueTopic("kafkatest-kill")
	// Partition 0 led by node 1 with followers 3 and 2.
	c.CreateTopicWithAssignment(t, topic, [][]int32{{1, 3, 2}}, nil)
	t.Cleanup(func() { c.DeleteTopic(t, topic) })
	c.Produce(t, topic, 0, 10, sarama.WaitForAll)

	kill := time.Now()
	c.KillNode(t, 3)
	c.WaitFor(t, 30*time.Second, "ISR to drop killed node 3", func() (bool, string) {
		_, isr, detail := isrOf(t, c, topic, 0)
		return len(isr) == 2 && !containsInt32(isr, 3), detail
	})
	t.Logf("ISR dropped SIGKILLed node 3 %s after the kill", time.Since(kill).Round(10*time.Millisecond))

	restore := time.Now()
	c.RestoreAll(t)
	t.Logf("RestoreAll took %s", time.Since(restore).Round(10*time.Millisecond))
	_, isr, detail := isrOf(t, c, topic, 0)
	if len(isr) != 3 {
		t.Fatalf("after RestoreAll: %s", detail)
	}
}

func TestTopicConfigGroupAndRackHelpers(t *testing.T) {
	c := Require(t)
	if got := len(c.Bootstrap()); got != 3 {
		t.Fatalf("Bootstrap() has %d addresses, want 3", got)
	}

	admin := c.Admin(t)
	brokers, _, err := admin.DescribeCluster()
	if err != nil {
		t.Fatal(err)
	}
	racks := map[int32]string{}
	for _, b := range brokers {
		racks[b.ID()] = b.Rack()
	}
	want := map[int32]string{1: "rack-a", 2: "rack-b", 3: "rack-b"}
	for id, rack := range want {
		if racks[id] != rack {
			t.Errorf("broker %d rack %q, want %q (all: %v)", id, racks[id], rack, racks)
		}
	}

	// A partition whose replicas all sit in rack-b.
	topic := UniqueTopic("kafkatest helpers/1")
	c.CreateTopicWithAssignment(t, topic, [][]int32{{2, 3}, {3, 2}}, map[string]string{"retention.ms": "3600000"})
	last := c.Produce(t, topic, 1, 5, sarama.WaitForLocal)
	if last != 4 {
		t.Fatalf("last offset %d, want 4", last)
	}

	c.AlterTopicConfig(t, topic, map[string]string{"retention.ms": "7200000", "segment.bytes": "1048576"})
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms", "segment.bytes"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if (e.Name == "retention.ms" && e.Value != "7200000") || (e.Name == "segment.bytes" && e.Value != "1048576") {
			t.Errorf("config %s=%s after AlterTopicConfig", e.Name, e.Value)
		}
	}

	group := UniqueTopic("kafkatest-group")
	c.CommitOffsets(t, group, topic, map[int32]int64{0: 0, 1: 3})
	groups, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 {
		t.Fatalf("DescribeConsumerGroups returned %d groups", len(groups))
	}
	if g := groups[0]; !errors.Is(g.Err, sarama.ErrNoError) || g.State != "Empty" || len(g.Members) != 0 {
		t.Errorf("group after CommitOffsets: err %v, state %q, %d members; want Empty with none", g.Err, g.State, len(g.Members))
	}

	c.DeleteTopic(t, topic)
	topics, err := admin.ListTopics()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := topics[topic]; ok {
		t.Errorf("topic %s still listed after DeleteTopic", topic)
	}
}

// TestToolsAndKcat runs Kafka's own tools and kcat against the cluster: the
// independent clients the other tests take their expected values from.
func TestToolsAndKcat(t *testing.T) {
	c := Require(t)
	topic := UniqueTopic("tools")
	c.Tool(t, Topics, "--bootstrap-server", c.Bootstrap()[0], "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "3")
	c.Kcat(t, "a\nb\nc\n", "-P", "-t", topic, "-X", "acks=all")
	if got := c.Kcat(t, "", "-C", "-t", topic, "-o", "beginning", "-e", "-q"); got != "a\nb\nc\n" {
		t.Fatalf("kcat read %q back, want a, b, c", got)
	}
	out := c.Tool(t, Topics, "--bootstrap-server", c.Bootstrap()[0], "--describe", "--topic", topic)
	if !strings.Contains(out, "ReplicationFactor: 3") {
		t.Fatalf("kafka-topics --describe: %s", out)
	}
	for _, tool := range []Tool{ConsumerGroups, Configs, Transactions, Reassign, LeaderElection, ProducerPerf, MetadataQuorum, ConsoleConsume, ConsoleProduce} {
		if out, err := c.TryTool(t, tool, "--help"); !strings.Contains(strings.ToLower(out), "option") && !strings.Contains(strings.ToLower(out), "usage") {
			t.Errorf("%s --help: %v\n%s", tool.Name, err, out)
		}
	}
}
