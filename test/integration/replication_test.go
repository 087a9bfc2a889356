package integration

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// pollInterval is the exporter's poll interval in the replication tests;
// "within two poll intervals" is measured against it.
const pollInterval = 2 * time.Second

func partitionLabels(topic string, p int) map[string]string {
	return map[string]string{"topic": topic, "partition": strconv.Itoa(p)}
}

// requestsByAPI reads kafka_loss_exporter_kafka_requests_total by API.
func requestsByAPI(s *scrape) map[string]float64 {
	out := map[string]float64{}
	for _, x := range s.Series("kafka_loss_exporter_kafka_requests_total") {
		out[x.Labels["api"]] = x.Value
	}
	return out
}

// TestReplicationHealth is the foundation's story: a healthy RF 3 topic,
// one node stopped (its partitions under-replicated, the broker down), the
// node back (recovered).
func TestReplicationHealth(t *testing.T) {
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })
	topic := kafkatest.UniqueTopic("replication")
	const partitions = 6
	c.CreateTopic(t, topic, partitions, 3, nil)
	c.Produce(t, topic, 0, 25, -1)

	e := startExporter(t, "--poll.interval="+pollInterval.String())
	e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_up", nil, equals(1), "exporter up")

	t.Run("healthy topic", func(t *testing.T) {
		e.WaitForValue(t, 20*time.Second, "kafka_topic_partition_current_offset", partitionLabels(topic, 0), equals(25), "offsets of the new topic")
		s := e.Scrape(t)
		for p := 0; p < partitions; p++ {
			for name, want := range map[string]float64{
				"kafka_topic_partition_replicas":                   3,
				"kafka_topic_partition_in_sync_replica":            3,
				"kafka_topic_partition_under_replicated_partition": 0,
				"kafka_topic_partition_offline":                    0,
				"kafka_topic_partition_offline_replicas":           0,
				"kafka_topic_partition_oldest_offset":              0,
			} {
				if v, ok := s.Value(name, partitionLabels(topic, p)); !ok || v != want {
					t.Errorf("%s{partition=%d} = %v (found %v), want %v", name, p, v, ok, want)
				}
			}
		}
		if v, _ := s.Value("kafka_topic_partitions", map[string]string{"topic": topic}); v != partitions {
			t.Errorf("kafka_topic_partitions = %v", v)
		}
		if v, _ := s.Value("kafka_brokers", nil); v != 3 {
			t.Errorf("kafka_brokers = %v, want 3", v)
		}
		for _, id := range c.NodeIDs() {
			if v, ok := s.Value("kafka_broker_up", map[string]string{"id": strconv.Itoa(int(id))}); !ok || v != 1 {
				t.Errorf("kafka_broker_up{id=%d} = %v", id, v)
			}
		}
		for _, col := range []string{"metadata", "offsets"} {
			if v, _ := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": col}); v != 1 {
				t.Errorf("collector %s success = %v", col, v)
			}
		}
	})

	t.Run("requests per poll", func(t *testing.T) {
		// Scrapes are not aligned with polls: a poll may be in flight at
		// either scrape, so over n completed polls the counters may hold the
		// requests of n-1 to n+1 polls. The bounds allow that one poll, no more.
		before := e.Scrape(t)
		polls0, _ := before.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
		e.WaitForValue(t, 60*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "success"},
			func(v float64) bool { return v >= polls0+5 }, "five more polls")
		after := e.Scrape(t)
		polls1, _ := after.Value("kafka_loss_exporter_polls_total", map[string]string{"result": "success"})
		r0, r1 := requestsByAPI(before), requestsByAPI(after)
		n := polls1 - polls0
		var parts []string
		for api, v := range r1 {
			count := v - r0[api]
			parts = append(parts, fmt.Sprintf("%s=%.2f", api, count/n))
			if api == "Metadata" && count > n+1 {
				t.Errorf("%.0f Metadata requests in %.0f polls, want one per poll", count, n)
			}
			// Per broker: earliest and latest for the partitions it leads,
			// and its replicas' log ends (replica id -2).
			if api == "ListOffsets" && count > 3*3*(n+1) {
				t.Errorf("%.0f ListOffsets requests in %.0f polls, want at most 3 per broker (9) per poll", count, n)
			}
		}
		d, _ := after.Value("kafka_loss_exporter_poll_duration_seconds", nil)
		t.Logf("MEASURED requests per poll over %.0f polls: %s; last poll duration %.3fs", n, strings.Join(parts, " "), d)
	})

	t.Run("promtool check metrics", func(t *testing.T) {
		checkPromtool(t, e.Scrape(t).Raw())
	})

	t.Run("node stopped", func(t *testing.T) {
		const stopped = 3
		c.StopNode(t, stopped)
		stoppedAt := time.Now()
		id := map[string]string{"id": strconv.Itoa(stopped)}
		e.WaitForValue(t, 2*pollInterval+5*time.Second, "kafka_broker_up", id, equals(0), "broker 3 reported down")
		for p := 0; p < partitions; p++ {
			e.WaitForValue(t, 2*pollInterval+5*time.Second, "kafka_topic_partition_under_replicated_partition", partitionLabels(topic, p), equals(1), "partition under-replicated")
		}
		t.Logf("MEASURED node stop -> exporter reports under-replication: %s (poll interval %s)", time.Since(stoppedAt).Round(10*time.Millisecond), pollInterval)
		s := e.Scrape(t)
		for p := 0; p < partitions; p++ {
			if v, _ := s.Value("kafka_topic_partition_in_sync_replica", partitionLabels(topic, p)); v != 2 {
				t.Errorf("in_sync_replica{partition=%d} = %v, want 2", p, v)
			}
			if v, _ := s.Value("kafka_topic_partition_offline", partitionLabels(topic, p)); v != 0 {
				t.Errorf("offline{partition=%d} = %v, want 0 (RF 3 keeps a leader)", p, v)
			}
		}
		if v, _ := s.Value("kafka_broker_out_of_sync_replicas", id); v < partitions {
			t.Errorf("out_of_sync_replicas{id=3} = %v, want >= %d", v, partitions)
		}
		if v, _ := s.Value("kafka_brokers", nil); v != 2 {
			t.Errorf("kafka_brokers = %v, want 2", v)
		}
		if v, _ := s.Value("kafka_loss_exporter_up", nil); v != 1 {
			t.Errorf("up = %v with two live brokers", v)
		}
	})

	t.Run("node restarted", func(t *testing.T) {
		c.StartNode(t, 3)
		startedAt := time.Now()
		e.WaitForValue(t, 90*time.Second, "kafka_broker_up", map[string]string{"id": "3"}, equals(1), "broker 3 back up")
		for p := 0; p < partitions; p++ {
			e.WaitForValue(t, 90*time.Second, "kafka_topic_partition_in_sync_replica", partitionLabels(topic, p), equals(3), "ISR back to 3")
			e.WaitForValue(t, 10*time.Second, "kafka_topic_partition_under_replicated_partition", partitionLabels(topic, p), equals(0), "not under-replicated")
		}
		t.Logf("MEASURED node start -> exporter reports full ISR: %s", time.Since(startedAt).Round(10*time.Millisecond))
	})
}

// TestWholeClusterDown stops every node: the exporter keeps serving, says
// up 0 with reason connection, serves no stale cluster metrics, logs the
// outage once rather than once per poll, and recovers when the cluster does,
// with no goroutine or fd leak (the watcher and leak checks of the fault
// tests, faults_test.go).
func TestWholeClusterDown(t *testing.T) {
	c := kafkatest.Require(t)
	t.Cleanup(func() { c.RestoreAll(t) })
	e, before := startFaultExporter(t)
	w := watch(t, e, watchEvery, faultPollInterval, faultPollTimeout)

	for _, id := range c.NodeIDs() {
		c.StopNode(t, id)
	}
	e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_up", nil, equals(0), "up 0 with the cluster down")
	failuresAtDown, _ := e.Scrape(t).Value("kafka_loss_exporter_polls_total", map[string]string{"result": "failure"})
	e.WaitForValue(t, 60*time.Second, "kafka_loss_exporter_polls_total", map[string]string{"result": "failure"},
		func(v float64) bool { return v >= failuresAtDown+10 }, "ten more failed polls")
	s := e.Scrape(t)
	if got := s.Series("kafka_topic_partition_in_sync_replica"); len(got) != 0 {
		t.Errorf("%d partition series served while the cluster is down", len(got))
	}
	for _, collector := range []string{"metadata", "offsets"} {
		if v, _ := s.Value("kafka_loss_exporter_collector_success", map[string]string{"collector": collector}); v != 0 {
			t.Errorf("%s collector success = %v", collector, v)
		}
	}
	if v, ok := s.Value("kafka_loss_exporter_last_poll_success_timestamp_seconds", nil); !ok || v == 0 {
		t.Errorf("last success timestamp lost: %v", v)
	}
	if n := collectorErrors(s, "metadata", "connection"); n < 10 {
		t.Errorf("collector_errors_total{metadata,connection} = %v, want >= 10", n)
	}
	errorLines := 0
	for _, l := range strings.Split(e.Logs(), "\n") {
		if strings.Contains(l, `msg="poll failed"`) && strings.Contains(l, "level=error") {
			errorLines++
		}
	}
	if errorLines < 1 || errorLines > 3 {
		t.Errorf("%d 'poll failed' error lines for 10+ failed polls, want 1 to 3 (one per change of reason)", errorLines)
	}

	c.StartAll(t)
	e.WaitForValue(t, 120*time.Second, "kafka_loss_exporter_up", nil, equals(1), "up again after the cluster returned")
	e.WaitForValue(t, 30*time.Second, "kafka_brokers", nil, equals(3), "all brokers back")
	if n := strings.Count(e.Logs(), "poll succeeded again"); n < 1 {
		t.Errorf("no recovery log line")
	}
	waitAllCollectors(t, e, 60*time.Second, "recovered")
	waitNoLeak(t, e, before)
	w.Check(t)
}
