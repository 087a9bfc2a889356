package integration

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// Settings of the frozen-broker test: a poll interval longer than
// --kafka.timeout, so that a probe of the frozen broker started by one poll
// has timed out before the next one starts.
const (
	frozenKafkaTimeout = 3 * time.Second
	frozenPollInterval = 4 * time.Second
	frozenPollTimeout  = 6 * time.Second
	frozenFor          = 60 * time.Second
)

// TestFaultBrokerFrozen freezes one of three brokers (SIGSTOP) for a minute
// while partitions of a topic and consumer groups are led and coordinated by
// all three, twice: a broker chosen among the leaders, then the broker the
// exporter asked for Metadata last. During each freeze every poll exports
// what the healthy brokers lead and coordinate, the exporter stays up, polls
// end within --kafka.timeout + 2 s, kafka_broker_responding of the frozen
// broker is 0 within two polls and KafkaBrokerUnresponsive goes pending in a
// real Prometheus. After SIGCONT everything is back within two polls, with
// no leaked goroutines or connections. Leaders and coordinators come from
// the brokers' own answers (a separate sarama client).
func TestFaultBrokerFrozen(t *testing.T) {
	promBin := requirePrometheus(t)
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("frozen")
	// Preferred leaders 1, 2, 3, 1, 2, 3 (rack-aware placement on the
	// test racks need not use all three).
	c.CreateTopicWithAssignment(t, topic, [][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, {1, 3, 2}, {2, 1, 3}, {3, 2, 1}}, nil)
	for p := range int32(6) {
		c.Produce(t, topic, p, 2, sarama.WaitForAll)
	}
	spreadCoordinators(t, c)
	c.RestoreAll(t) // leaders and group coordinators on their preferred brokers
	groups := groupsOnEveryBroker(t, c, topic)
	e, _ := startFaultExporter(t, "--poll.interval="+frozenPollInterval.String(), "--kafka.timeout="+frozenKafkaTimeout.String(),
		"--poll.timeout="+frozenPollTimeout.String())
	prom := startPrometheus(t, promBin, e.URL())

	t.Run("a leader", func(t *testing.T) {
		freezeBroker(t, c, e, prom, topic, groups, func(leaders map[int32]int32) int32 { return leaders[0] })
	})
	c.RestoreAll(t)
	t.Run("the broker the last Metadata came from", func(t *testing.T) {
		freezeBroker(t, c, e, prom, topic, groups, func(map[int32]int32) int32 { return lastMetadataBroker(t, e) })
	})
}

// spreadCoordinators makes every broker the preferred leader of a
// __consumer_offsets partition (the test cluster has three, whose preferred
// leaders need not be three different brokers), by reordering the replicas
// of a partition whose preferred leader has two, so that every broker
// coordinates groups.
func spreadCoordinators(t *testing.T, c *kafkatest.Cluster) {
	t.Helper()
	admin := c.Admin(t)
	client, err := sarama.NewClient(c.Bootstrap(), c.SaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var md []*sarama.TopicMetadata
	c.WaitFor(t, 60*time.Second, "__consumer_offsets described", func() (bool, string) {
		// The first group lookup creates __consumer_offsets.
		if _, err := client.Coordinator("frozen-first-lookup"); err != nil {
			return false, err.Error()
		}
		var err error
		md, err = admin.DescribeTopics([]string{"__consumer_offsets"})
		if err != nil {
			return false, err.Error()
		}
		if len(md) != 1 || !errors.Is(md[0].Err, sarama.ErrNoError) || len(md[0].Partitions) == 0 {
			return false, fmt.Sprintf("%d topics, %v", len(md), md[0].Err)
		}
		return true, ""
	})
	preferred := map[int32][]*sarama.PartitionMetadata{}
	assignment := make([][]int32, len(md[0].Partitions))
	for _, p := range md[0].Partitions {
		preferred[p.Replicas[0]] = append(preferred[p.Replicas[0]], p)
		assignment[p.ID] = p.Replicas
	}
	var moved []int32
	for _, id := range c.NodeIDs() {
		if len(preferred[id]) > 0 {
			continue
		}
		for from, parts := range preferred {
			if len(parts) < 2 {
				continue
			}
			p := parts[0]
			preferred[from] = parts[1:]
			preferred[id] = []*sarama.PartitionMetadata{p}
			order := []int32{id}
			for _, r := range p.Replicas {
				if r != id {
					order = append(order, r)
				}
			}
			assignment[p.ID] = order
			moved = append(moved, p.ID)
			break
		}
	}
	if len(moved) == 0 {
		return
	}
	if err := admin.AlterPartitionReassignments("__consumer_offsets", assignment); err != nil {
		t.Fatalf("reordering __consumer_offsets replicas: %v", err)
	}
	c.WaitFor(t, 60*time.Second, "the reordering of __consumer_offsets", func() (bool, string) {
		st, err := admin.ListPartitionReassignments("__consumer_offsets", moved)
		if err != nil {
			return false, err.Error()
		}
		return len(st["__consumer_offsets"]) == 0, fmt.Sprint(st)
	})
	if _, err := admin.ElectLeaders(sarama.PreferredElection, map[string][]int32{"__consumer_offsets": moved}); err != nil {
		t.Fatalf("electing the preferred leaders of __consumer_offsets %v: %v", moved, err)
	}
	t.Logf("__consumer_offsets partitions %v now preferably led by the brokers that led none", moved)
}

// groupsOnEveryBroker commits offsets of topic for groups until each broker
// coordinates at least two of them, and returns the groups.
func groupsOnEveryBroker(t *testing.T, c *kafkatest.Cluster, topic string) []string {
	t.Helper()
	client, err := sarama.NewClient(c.Bootstrap(), c.SaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var groups []string
	per := map[int32]int{}
	for i := 0; len(per) < 3 || per[1] < 2 || per[2] < 2 || per[3] < 2; i++ {
		if i == 100 {
			t.Fatalf("100 groups, coordinators %v: not all three brokers coordinate two", per)
		}
		g := fmt.Sprintf("%s-group-%d", topic, i)
		b, err := client.Coordinator(g)
		if err != nil {
			t.Fatal(err)
		}
		if per[b.ID()] >= 2 {
			continue
		}
		per[b.ID()]++
		c.CommitOffsets(t, g, topic, map[int32]int64{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
		groups = append(groups, g)
	}
	return groups
}

// placement asks the brokers which broker leads each partition of topic
// and coordinates each group, and checks that all three do both.
func placement(t *testing.T, c *kafkatest.Cluster, topic string, groups []string) (leaders map[int32]int32, coordinators map[string]int32) {
	t.Helper()
	client, err := sarama.NewClient(c.Bootstrap(), c.SaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	leaders, coordinators = map[int32]int32{}, map[string]int32{}
	leading, coordinating := map[int32]bool{}, map[int32]bool{}
	for p := range int32(6) {
		b, err := client.Leader(topic, p)
		if err != nil {
			t.Fatal(err)
		}
		leaders[p] = b.ID()
		leading[b.ID()] = true
	}
	for _, g := range groups {
		b, err := client.Coordinator(g)
		if err != nil {
			t.Fatal(err)
		}
		coordinators[g] = b.ID()
		coordinating[b.ID()] = true
	}
	if len(leading) != 3 || len(coordinating) != 3 {
		t.Fatalf("leaders %v and coordinators %v do not cover all three brokers", leaders, coordinators)
	}
	return leaders, coordinators
}

// lastMetadataBroker returns the broker whose Metadata request count grows
// from one poll to the next.
func lastMetadataBroker(t *testing.T, e *exporter) int32 {
	t.Helper()
	counts := func(s *scrape) map[string]float64 {
		out := map[string]float64{}
		for _, x := range s.Matching("kafka_loss_exporter_kafka_request_duration_seconds", map[string]string{"api": "Metadata"}) {
			out[x.Labels["broker"]] = x.Value
		}
		return out
	}
	var from int32 = -1
	before := counts(e.Scrape(t))
	e.WaitFor(t, 30*time.Second, "a poll's Metadata", func(s *scrape) (bool, string) {
		now := counts(s)
		grew := []string{}
		for b, n := range now {
			if n > before[b] {
				grew = append(grew, b)
			}
		}
		if len(grew) != 1 || grew[0] == "bootstrap" {
			return false, fmt.Sprintf("Metadata counts %v -> %v", before, now)
		}
		id, _ := strconv.Atoi(grew[0])
		from = int32(id)
		return true, ""
	})
	t.Logf("the last Metadata came from broker %d", from)
	return from
}

// lastPollStart is when the last published poll started (Unix seconds).
func lastPollStart(s *scrape) float64 {
	v, _ := s.Value("kafka_loss_exporter_last_poll_timestamp_seconds", nil)
	return v
}

func freezeBroker(t *testing.T, c *kafkatest.Cluster, e *exporter, prom *promServer, topic string, groups []string, pick func(map[int32]int32) int32) {
	waitAllCollectors(t, e, 60*time.Second, "every collector succeeds before the freeze")
	leaders, coordinators := placement(t, c, topic, groups)
	victim := pick(leaders)
	before := sampleResources(t, e)
	responding := map[string]string{"id": strconv.Itoa(int(victim))}
	e.WaitForValue(t, 30*time.Second, "kafka_broker_responding", responding, equals(1), "the broker answers before the freeze")

	// healthy: what every poll during the freeze must export.
	check := func(s *scrape) []string {
		var bad []string
		if up, _ := s.Value("kafka_loss_exporter_up", nil); up != 1 {
			bad = append(bad, "kafka_loss_exporter_up is not 1")
		}
		if d, _ := s.Value("kafka_loss_exporter_poll_duration_seconds", nil); d > (frozenKafkaTimeout + 2*time.Second).Seconds() {
			bad = append(bad, fmt.Sprintf("a poll took %.2fs", d))
		}
		for p, l := range leaders {
			if l != victim && !s.Has("kafka_topic_partition_current_offset", map[string]string{"topic": topic, "partition": strconv.Itoa(int(p))}) {
				bad = append(bad, fmt.Sprintf("no offsets of partition %d (leader %d)", p, l))
			}
		}
		for g, co := range coordinators {
			if co != victim && !s.Has("kafka_consumergroup_current_offset", map[string]string{"consumergroup": g}) {
				bad = append(bad, fmt.Sprintf("group %s (coordinator %d) missing", g, co))
			}
		}
		return bad
	}

	t.Logf("freezing broker %d (leaders %v)", victim, leaders)
	c.PauseNode(t, victim)
	frozenAt := time.Now()
	var (
		pollStarts      = map[float64]bool{}
		pollsToZero     = -1
		pending         bool
		maxDuration     float64
		violations      []string
		lastSeenPollDur float64
	)
	for time.Since(frozenAt) < frozenFor {
		s := e.Scrape(t)
		if start := lastPollStart(s); start > float64(frozenAt.UnixNano())/1e9 && !pollStarts[start] {
			pollStarts[start] = true
			// A poll that started after the freeze has ended: judge it.
			for _, v := range check(s) {
				violations = append(violations, fmt.Sprintf("poll %d: %s", len(pollStarts), v))
			}
		}
		if v, ok := s.Value("kafka_broker_responding", responding); ok && v == 0 && pollsToZero < 0 {
			pollsToZero = len(pollStarts)
			t.Logf("kafka_broker_responding{id=%d} 0 after %s, %d poll(s) started after the freeze", victim, time.Since(frozenAt).Round(100*time.Millisecond), pollsToZero)
		}
		lastSeenPollDur, _ = s.Value("kafka_loss_exporter_poll_duration_seconds", nil)
		maxDuration = max(maxDuration, lastSeenPollDur)
		if !pending {
			if a := prom.alertWith(t, "KafkaBrokerUnresponsive", "id", responding["id"]); a != nil {
				pending = true
				t.Logf("KafkaBrokerUnresponsive %s %s after the freeze", a.State, time.Since(frozenAt).Round(100*time.Millisecond))
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("MEASURED during the %s freeze: %d polls, longest %.2fs (--kafka.timeout %s)", frozenFor, len(pollStarts), maxDuration, frozenKafkaTimeout)
	for _, v := range violations {
		t.Error(v)
	}
	if pollsToZero < 0 || pollsToZero > 2 {
		t.Errorf("kafka_broker_responding{id=%d} 0 after %d polls, want within 2", victim, pollsToZero)
	}
	if !pending {
		t.Errorf("KafkaBrokerUnresponsive for broker %d never pending", victim)
	}

	c.ResumeNode(t, victim)
	resumedAt := time.Now()
	after := map[float64]bool{}
	e.WaitFor(t, 4*frozenPollInterval+frozenPollTimeout, "recovery after SIGCONT", func(s *scrape) (bool, string) {
		if start := lastPollStart(s); start > float64(resumedAt.UnixNano())/1e9 {
			after[start] = true
		}
		if v, _ := s.Value("kafka_broker_responding", responding); v != 1 {
			return false, "still unresponsive"
		}
		for _, name := range collectorNames {
			if v, _ := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": name}); v != 1 {
				return false, "collector " + name + " failing"
			}
		}
		if bad := check(s); len(bad) > 0 {
			return false, fmt.Sprint(bad)
		}
		return true, ""
	})
	t.Logf("MEASURED recovered %s after SIGCONT, %d poll(s) started after it", time.Since(resumedAt).Round(100*time.Millisecond), len(after))
	if len(after) > 2 {
		t.Errorf("recovery took %d polls, want within 2", len(after))
	}
	waitNoLeak(t, e, before)
	pairs := e.Scrape(t).Series("kafka_loss_exporter_kafka_request_duration_seconds")
	t.Logf("MEASURED request duration histogram: %d broker x API pairs, %d series", len(pairs), len(pairs)*9)
}
