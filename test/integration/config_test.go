package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// configPollInterval is the --config.poll.interval of these tests: short,
// so that a configuration change shows within seconds.
const configPollInterval = 3 * time.Second

// configWait bounds a wait for something the next config read shows: one
// config interval plus a few polls of slack for a loaded machine.
const configWait = configPollInterval + 10*time.Second

// topicRisks returns the risk labels of the topic's kafka_topic_loss_risk
// series, sorted.
func topicRisks(s *scrape, topic string) []string {
	var out []string
	for _, sr := range s.Series("kafka_topic_loss_risk") {
		if sr.Labels["topic"] == topic && sr.Value == 1 {
			out = append(out, sr.Labels["risk"])
		}
	}
	sort.Strings(out)
	return out
}

// waitForRisks waits until the topic's findings are exactly want.
func waitForRisks(t *testing.T, e *exporter, topic string, want []string, timeout time.Duration) {
	t.Helper()
	sort.Strings(want)
	deadline := time.Now().Add(timeout)
	var got []string
	for {
		s := e.Scrape(t)
		if _, ok := s.Value("kafka_topic_min_insync_replicas", map[string]string{"topic": topic}); ok {
			got = topicRisks(s, topic)
			if reflect.DeepEqual(got, want) || (len(got) == 0 && len(want) == 0) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s: findings %v after %s, want exactly %v", topic, got, timeout, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Topics with each unsafe setting carry exactly the expected findings, the
// safe one none, and their effective configuration is exported.
func TestConfigFindingsPerTopic(t *testing.T) {
	c := kafkatest.Require(t)
	type topicCase struct {
		name      string
		rf        int16
		configs   map[string]string
		wantRisks []string
		minISR    float64
		unclean   float64
	}
	cases := []topicCase{
		{kafkatest.UniqueTopic("cfg-rf1"), 1, map[string]string{"min.insync.replicas": "1"},
			[]string{"replication_factor_below_3", "min_insync_replicas_below_2", "no_write_fault_tolerance"}, 1, 0},
		{kafkatest.UniqueTopic("cfg-rf2"), 2, map[string]string{"min.insync.replicas": "1"},
			[]string{"replication_factor_below_3", "min_insync_replicas_below_2"}, 1, 0},
		{kafkatest.UniqueTopic("cfg-rf3-minisr1"), 3, map[string]string{"min.insync.replicas": "1"},
			[]string{"min_insync_replicas_below_2"}, 1, 0},
		{kafkatest.UniqueTopic("cfg-rf3-minisr3"), 3, map[string]string{"min.insync.replicas": "3"},
			[]string{"no_write_fault_tolerance"}, 3, 0},
		{kafkatest.UniqueTopic("cfg-rf3-unclean"), 3, map[string]string{"min.insync.replicas": "2", "unclean.leader.election.enable": "true"},
			[]string{"unclean_leader_election_enabled"}, 2, 1},
		{kafkatest.UniqueTopic("cfg-safe"), 3, map[string]string{"min.insync.replicas": "2", "retention.ms": "-1", "cleanup.policy": "compact"},
			nil, 2, 0},
	}
	for _, tc := range cases {
		c.CreateTopic(t, tc.name, 2, tc.rf, tc.configs)
	}
	// Both replicas of every partition on brokers 2 and 3, which share
	// rack-b while broker 1 is in rack-a.
	oneRack := kafkatest.UniqueTopic("cfg-one-rack")
	err := c.Admin(t).CreateTopic(oneRack, &sarama.TopicDetail{
		NumPartitions: -1, ReplicationFactor: -1,
		ReplicaAssignment: map[int32][]int32{0: {2, 3}, 1: {3, 2}},
		ConfigEntries:     map[string]*string{"min.insync.replicas": ptr("2")},
	}, false)
	if err != nil {
		t.Fatalf("create %s: %v", oneRack, err)
	}

	e := startExporter(t, fmt.Sprintf("--config.poll.interval=%s", configPollInterval))
	for _, tc := range cases {
		waitForRisks(t, e, tc.name, tc.wantRisks, configWait)
	}
	waitForRisks(t, e, oneRack, []string{"replication_factor_below_3", "no_write_fault_tolerance", "replicas_in_one_rack"}, configWait)

	s := e.Scrape(t)
	for _, tc := range cases {
		topic := map[string]string{"topic": tc.name}
		want := map[string]float64{
			"kafka_topic_replication_factor":              float64(tc.rf),
			"kafka_topic_min_insync_replicas":             tc.minISR,
			"kafka_topic_unclean_leader_election_enabled": tc.unclean,
		}
		for name, v := range want {
			if got, ok := s.Value(name, topic); !ok || got != v {
				t.Errorf("%s{topic=%q} = %v (present %v), want %v", name, tc.name, got, ok, v)
			}
		}
		score, ok := s.Value("kafka_topic_loss_risk_score", topic)
		if !ok || (len(tc.wantRisks) == 0) != (score == 0) {
			t.Errorf("kafka_topic_loss_risk_score{topic=%q} = %v (present %v) with findings %v", tc.name, score, ok, tc.wantRisks)
		}
	}
	safe := cases[len(cases)-1].name
	if v, ok := s.Value("kafka_topic_retention_seconds", map[string]string{"topic": safe}); !ok || v != -1 {
		t.Errorf("retention of %s = %v (present %v), want -1 (infinite)", safe, v, ok)
	}
	if v, ok := s.Value("kafka_topic_info", map[string]string{"topic": safe, "cleanup_policy": "compact"}); !ok || v != 1 {
		t.Errorf("kafka_topic_info of %s with cleanup_policy compact missing", safe)
	}
	if errs := s.Series("kafka_topic_config_read_error"); len(errs) != 0 {
		t.Errorf("config read errors: %v", errs)
	}
	for _, sr := range s.Series("kafka_cluster_loss_risk") {
		t.Logf("cluster finding %s = %v", sr.Labels["risk"], sr.Value)
	}

	// A policy file exempting the RF 1 topic clears its findings and leaves
	// the others alone.
	policy := filepath.Join(t.TempDir(), "risk.yml")
	text := fmt.Sprintf("exemptions:\n  - topics: %q\n    min_replication_factor: 1\n    min_insync_replicas: 1\n    ignore_risks: [no_write_fault_tolerance]\n",
		regexp.QuoteMeta(cases[0].name))
	if err := os.WriteFile(policy, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ep := startExporter(t, fmt.Sprintf("--config.poll.interval=%s", configPollInterval), "--risk.config="+policy)
	waitForRisks(t, ep, cases[0].name, nil, configWait)
	waitForRisks(t, ep, cases[1].name, cases[1].wantRisks, configWait)
}

// One config read is one DescribeConfigs request per live broker, whatever
// the number of topics, and polls in between reuse it.
func TestConfigDescribeConfigsRequestsPerRead(t *testing.T) {
	c := kafkatest.Require(t)
	e := startExporter(t, "--config.poll.interval=1h")
	collector := map[string]string{"collector": "configs"}
	e.WaitForValue(t, 20*time.Second, "kafka_loss_exporter_collector_success", collector, func(v float64) bool { return v == 1 }, "the configs collector to succeed")
	api := map[string]string{"api": "DescribeConfigs"}
	brokers := float64(len(c.NodeIDs()))
	polls := map[string]string{"result": "success"}
	before, _ := e.Scrape(t).Value("kafka_loss_exporter_polls_total", polls)
	first, _ := e.Scrape(t).Value("kafka_loss_exporter_kafka_requests_total", api)
	e.WaitForValue(t, 20*time.Second, "kafka_loss_exporter_polls_total", polls, func(v float64) bool { return v >= before+3 }, "three more polls")
	if after, _ := e.Scrape(t).Value("kafka_loss_exporter_kafka_requests_total", api); after != first {
		t.Fatalf("DescribeConfigs requests went from %v to %v over polls that should reuse the config", first, after)
	}
	topics := len(e.Scrape(t).Series("kafka_topic_replication_factor"))
	t.Logf("DescribeConfigs requests after start-up: %v (%v brokers, %d topics)", first, brokers, topics)
	// A new topic is read at the next poll, with one more read.
	topic := kafkatest.UniqueTopic("cfg-new")
	c.CreateTopic(t, topic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	e.WaitForValue(t, 20*time.Second, "kafka_topic_min_insync_replicas", map[string]string{"topic": topic}, func(v float64) bool { return v == 2 },
		"the new topic's configuration, read at once despite the 1h interval")
	// One read is one request per broker, plus one when the first broker's
	// request fails and the topics are asked again of another broker
	// (seen once on the test cluster right after a topic was created).
	after, _ := e.Scrape(t).Value("kafka_loss_exporter_kafka_requests_total", api)
	if d := after - first; d < brokers || d > brokers+1 {
		t.Fatalf("DescribeConfigs requests for the read after a new topic: %v, want %v (one per broker), at most one more on a retry", d, brokers)
	}
	t.Logf("one config read: %v DescribeConfigs requests for %v brokers and %d topics", after-first, brokers, topics+1)
}

// A configuration change made at runtime (IncrementalAlterConfigs) shows
// within one config poll, and so does its undoing.
func TestConfigChangeShowsWithinOneConfigPoll(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("cfg-alter")
	c.CreateTopic(t, topic, 1, 3, map[string]string{"min.insync.replicas": "2"})
	e := startExporter(t, fmt.Sprintf("--config.poll.interval=%s", configPollInterval))
	waitForRisks(t, e, topic, nil, configWait)

	alterTopicConfig(t, c, topic, map[string]*string{"unclean.leader.election.enable": ptr("true"), "min.insync.replicas": ptr("1")})
	waitForRisks(t, e, topic, []string{"unclean_leader_election_enabled", "min_insync_replicas_below_2"}, configWait)

	alterTopicConfig(t, c, topic, map[string]*string{"unclean.leader.election.enable": nil, "min.insync.replicas": ptr("2")})
	waitForRisks(t, e, topic, nil, configWait)
}

// alterTopicConfig changes a topic's configuration with
// IncrementalAlterConfigs: a nil value deletes the override.
func alterTopicConfig(t *testing.T, c *kafkatest.Cluster, topic string, changes map[string]*string) {
	t.Helper()
	entries := map[string]sarama.IncrementalAlterConfigsEntry{}
	for name, v := range changes {
		op := sarama.IncrementalAlterConfigsOperationSet
		if v == nil {
			op = sarama.IncrementalAlterConfigsOperationDelete
		}
		entries[name] = sarama.IncrementalAlterConfigsEntry{Operation: op, Value: v}
	}
	if err := c.Admin(t).IncrementalAlterConfig(sarama.TopicResource, topic, entries, false); err != nil {
		t.Fatalf("alter topic %s config: %v", topic, err)
	}
}

func ptr(s string) *string { return &s }

// Stopping nodes moves an RF 3 / min.insync.replicas 2 topic to at min ISR
// (one node down) and under min ISR (two down), where an acks=all producer
// really gets NOT_ENOUGH_REPLICAS.
func TestMinISRStateWhenNodesStop(t *testing.T) {
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })
	topic := kafkatest.UniqueTopic("cfg-minisr")
	const partitions = 3
	c.CreateTopic(t, topic, partitions, 3, map[string]string{"min.insync.replicas": "2"})
	e := startExporter(t, fmt.Sprintf("--config.poll.interval=%s", configPollInterval))
	part := func(p int) map[string]string { return map[string]string{"topic": topic, "partition": strconv.Itoa(p)} }
	is := func(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
	for p := range partitions {
		e.WaitForValue(t, configWait, "kafka_topic_partition_at_min_isr", part(p), is(0), "healthy partition not at min ISR")
		e.WaitForValue(t, configWait, "kafka_topic_partition_under_min_isr", part(p), is(0), "healthy partition not under min ISR")
	}

	nodes := c.NodeIDs()
	c.StopNode(t, nodes[0])
	for p := range partitions {
		e.WaitForValue(t, 60*time.Second, "kafka_topic_partition_at_min_isr", part(p), is(1),
			fmt.Sprintf("partition %d at min ISR with node %d stopped", p, nodes[0]))
		e.WaitForValue(t, 10*time.Second, "kafka_topic_partition_under_min_isr", part(p), is(0), "not under min ISR with one node stopped")
	}

	c.StopNode(t, nodes[1])
	for p := range partitions {
		e.WaitForValue(t, 60*time.Second, "kafka_topic_partition_under_min_isr", part(p), is(1),
			fmt.Sprintf("partition %d under min ISR with nodes %d and %d stopped", p, nodes[0], nodes[1]))
		e.WaitForValue(t, 10*time.Second, "kafka_topic_partition_single_in_sync_replica", part(p), is(1), "one in-sync replica left")
	}

	cfg := c.SaramaConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Max = 0
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer(c.Bootstrap(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	_, _, err = producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("acks=all under min ISR")})
	if !errors.Is(err, sarama.ErrNotEnoughReplicas) {
		t.Fatalf("acks=all produce under min ISR: err = %v, want NOT_ENOUGH_REPLICAS", err)
	}
	t.Logf("acks=all produce under min ISR failed as expected: %v", err)
}

// alterBrokerConfig sets (value non-nil) or deletes (nil) one broker
// configuration: for every broker when id is "", else for broker id.
func alterBrokerConfig(t *testing.T, c *kafkatest.Cluster, id, name string, value *string) {
	t.Helper()
	op := sarama.IncrementalAlterConfigsOperationSet
	if value == nil {
		op = sarama.IncrementalAlterConfigsOperationDelete
	}
	err := c.Admin(t).IncrementalAlterConfig(sarama.BrokerResource, id,
		map[string]sarama.IncrementalAlterConfigsEntry{name: {Operation: op, Value: value}}, false)
	if err != nil {
		t.Fatalf("alter broker %q config %s: %v", id, name, err)
	}
}

// Cluster findings follow the broker defaults: a cluster-wide dynamic
// default and a per-broker override, changed at runtime, show within one
// config poll and clear when undone.
func TestClusterFindingsFollowBrokerDefaults(t *testing.T) {
	c := kafkatest.Require(t)
	e := startExporter(t, fmt.Sprintf("--config.poll.interval=%s", configPollInterval))
	risk := func(name string) map[string]string { return map[string]string{"risk": name} }
	is := func(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("unclean_leader_election_enabled_by_default"), is(0), "no unclean election by default")
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("brokers_disagree_on_defaults"), is(0), "brokers agree")

	nodes := c.NodeIDs()
	other := strconv.Itoa(int(nodes[1]))
	t.Cleanup(func() {
		alterBrokerConfig(t, c, "", "unclean.leader.election.enable", nil)
		alterBrokerConfig(t, c, other, "unclean.leader.election.enable", nil)
	})

	alterBrokerConfig(t, c, "", "unclean.leader.election.enable", ptr("true"))
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("unclean_leader_election_enabled_by_default"), is(1),
		"unclean election enabled as the cluster-wide default")
	for _, id := range nodes {
		e.WaitForValue(t, configWait, "kafka_broker_default_unclean_leader_election_enabled", map[string]string{"id": strconv.Itoa(int(id))}, is(1),
			fmt.Sprintf("broker %d inheriting the cluster-wide default", id))
	}
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("brokers_disagree_on_defaults"), is(0), "brokers still agree")

	// Broker-level min.insync.replicas cannot be altered while ELR is on
	// (Kafka 4.x), so the disagreement is on unclean election, set on one
	// broker only.
	alterBrokerConfig(t, c, "", "unclean.leader.election.enable", nil)
	alterBrokerConfig(t, c, other, "unclean.leader.election.enable", ptr("true"))
	e.WaitForValue(t, configWait, "kafka_broker_default_unclean_leader_election_enabled", map[string]string{"id": strconv.Itoa(int(nodes[0]))}, is(0),
		"the cluster-wide default undone")
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("brokers_disagree_on_defaults"), is(1), "brokers disagree on unclean election")
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("unclean_leader_election_enabled_by_default"), is(1), "one broker with unclean election")

	alterBrokerConfig(t, c, other, "unclean.leader.election.enable", nil)
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("unclean_leader_election_enabled_by_default"), is(0), "the override undone")
	e.WaitForValue(t, configWait, "kafka_cluster_loss_risk", risk("brokers_disagree_on_defaults"), is(0), "the override undone")
}
