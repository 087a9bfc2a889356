package integration

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// TestPartitionSeriesAtRisk: with --partition.series=at-risk a healthy
// topic has its per-topic series and no per-partition series.
func TestPartitionSeriesAtRisk(t *testing.T) {
	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("atrisk")
	c.CreateTopic(t, topic, 3, 3, map[string]string{"min.insync.replicas": "2"})
	c.Produce(t, topic, 0, 5, -1)

	e := startExporter(t, "--partition.series=at-risk")
	labels := map[string]string{"topic": topic}
	e.WaitForValue(t, 30*time.Second, "kafka_topic_messages_in_total", labels, equals(5), "per-topic produce count of the new topic")
	s := e.Scrape(t)
	for name, want := range map[string]float64{
		"kafka_topic_partitions":                        3,
		"kafka_topic_under_replicated_partitions":       0,
		"kafka_topic_offline_partitions":                0,
		"kafka_topic_under_min_isr_partitions":          0,
		"kafka_topic_at_min_isr_partitions":             0,
		"kafka_topic_single_in_sync_replica_partitions": 0,
		"kafka_topic_replication_factor":                3,
	} {
		if v, ok := s.Value(name, labels); !ok || v != want {
			t.Errorf("%s = %v (found %v), want %v", name, v, ok, want)
		}
	}
	for _, name := range []string{"kafka_topic_partition_leader", "kafka_topic_partition_current_offset", "kafka_topic_partition_under_min_isr"} {
		for _, x := range s.Series(name) {
			if x.Labels["topic"] == topic {
				t.Errorf("healthy partition has %s%v in at-risk mode", name, x.Labels)
			}
		}
	}
}

// TestScrapeFormats: the cached exposition is served as OpenMetrics (one
// final # EOF) and as one gzip member.
func TestScrapeFormats(t *testing.T) {
	kafkatest.Require(t)
	e := startExporter(t)
	e.WaitForValue(t, 30*time.Second, "kafka_loss_exporter_up", nil, equals(1), "exporter up")
	e.WaitForValue(t, 30*time.Second, "kafka_brokers", nil, func(v float64) bool { return v > 0 }, "cluster metrics rendered")

	req, _ := http.NewRequest(http.MethodGet, e.URL()+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/openmetrics-text") {
		t.Fatalf("headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // everything in one member
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	if strings.Count(text, "# EOF") != 1 || !strings.HasSuffix(text, "# EOF\n") {
		t.Errorf("OpenMetrics body does not end with one # EOF")
	}
	for _, want := range []string{"\nkafka_loss_exporter_up 1", "\nkafka_brokers ", "# TYPE kafka_topic_messages_in counter\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("OpenMetrics body lacks %q", want)
		}
	}
}
