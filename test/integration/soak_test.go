package integration

import (
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// Soak: the exporter runs against the real cluster for SOAK_DURATION while
// a loop kills (SIGKILL) or stops (SIGTERM) one node after the other and
// starts it again, a producer writes, and a scraper scrapes every second.
// Every scrape must answer 200 (and the watcher's invariants hold: polls
// within --poll.timeout, no stale cluster series), and RSS, goroutines and
// open fds must stay flat.
//
// Flat means: the median over the last window is within a tolerance of the
// median over the first window after warm-up (window = warm-up =
// min(60s, SOAK_DURATION/5)); medians, because a single sample can land on
// a GC cycle or a reconnect. Tolerances: goroutines +12 and fds +4 (which
// connections are open differs between two moments without anything
// leaking, see watch_test.go); RSS x1.25 + 8 MiB: with GOGC=100 the heap
// swings between the live heap and twice it, the runtime returns freed
// pages to the OS lazily, and the race runtime's shadow memory follows the
// heap. Over a 10-minute soak (about 600 polls) that catches a leak of
// roughly 25 KiB per poll or more.
//
// `make soak` runs it for 10 minutes (SOAK_DURATION overrides); `make test`
// runs a short one. Without SOAK_DURATION it is skipped.
func TestSoak(t *testing.T) {
	env := os.Getenv("SOAK_DURATION")
	if env == "" {
		t.Skip("SOAK_DURATION is not set (make soak; make test sets a short one)")
	}
	duration, err := time.ParseDuration(env)
	if err != nil || duration < 30*time.Second {
		t.Fatalf("SOAK_DURATION=%q: want a duration of at least 30s", env)
	}
	window := min(60*time.Second, duration/5)

	c := kafkatest.Require(t)
	topic := kafkatest.UniqueTopic("soak")
	c.CreateTopic(t, topic, 6, 3, map[string]string{"min.insync.replicas": "2"})
	c.Produce(t, topic, 0, 10, sarama.WaitForAll)
	c.CommitOffsets(t, "soak-group", topic, map[int32]int64{0: 5})

	e := startExporter(t)
	waitAllCollectors(t, e, 60*time.Second, "every collector succeeds")
	before := sampleResources(t, e)
	w := watch(t, e, time.Second, faultPollInterval, faultPollTimeout)

	// A producer keeps offsets moving; its errors while nodes are down are
	// expected and ignored.
	stopProducing := make(chan struct{})
	produced := make(chan int)
	go func() {
		conf := c.SaramaConfig()
		conf.Producer.Return.Successes = true
		conf.Producer.RequiredAcks = sarama.WaitForLocal
		conf.Producer.Retry.Max = 1
		conf.Producer.Timeout = 2 * time.Second
		conf.Net.DialTimeout = 2 * time.Second
		conf.Net.ReadTimeout = 3 * time.Second
		n := 0
		defer func() { produced <- n }()
		p, err := sarama.NewSyncProducer(c.Bootstrap(), conf)
		if err != nil {
			return
		}
		defer p.Close()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopProducing:
				return
			case <-tick.C:
			}
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: int32(i % 6), Value: sarama.StringEncoder("soak")}); err == nil {
				n++
			}
		}
	}()

	start := time.Now()
	end := start.Add(duration)
	cycles := 0
	for i := 0; time.Now().Before(end); i++ {
		id := c.NodeIDs()[i%3]
		how := "SIGKILL"
		if i%2 == 0 {
			c.KillNode(t, id)
		} else {
			how = "SIGTERM"
			c.StopNode(t, id)
		}
		e.WaitForValue(t, 60*time.Second, "kafka_brokers", nil, equals(2), fmt.Sprintf("node %d (%s) seen down", id, how))
		c.StartNode(t, id)
		e.WaitForValue(t, 90*time.Second, "kafka_brokers", nil, equals(3), fmt.Sprintf("node %d seen back", id))
		cycles++
	}
	stopped := time.Now()
	elapsed := stopped.Sub(start)
	close(stopProducing)
	messages := <-produced

	w.Stop()
	first, last := windowStats(w, start.Add(window), start.Add(2*window)), windowStats(w, stopped.Add(-window), stopped)
	t.Logf("MEASURED soak %s: %d node stop/kill+start cycles, %d messages produced, %d scrapes",
		elapsed.Round(time.Second), cycles, messages, w.scrapes)
	t.Logf("MEASURED first window (after %s warm-up): median %s", window, first)
	t.Logf("MEASURED last window: median %s", last)
	if last.goroutines > first.goroutines+goroutineTolerance {
		t.Errorf("goroutines grew: median %.0f -> %.0f (tolerance +%d)", first.goroutines, last.goroutines, goroutineTolerance)
	}
	if last.fds > first.fds+fdTolerance {
		t.Errorf("open fds grew: median %.0f -> %.0f (tolerance +%d)", first.fds, last.fds, fdTolerance)
	}
	if last.rss > first.rss*1.25+8<<20 {
		t.Errorf("RSS grew: median %.1f MiB -> %.1f MiB (tolerance x1.25 + 8 MiB)", first.rss/(1<<20), last.rss/(1<<20))
	}
	w.Check(t)
	e.WaitForValue(t, 60*time.Second, "kafka_brokers", nil, equals(3), "all brokers up at the end")
	waitAllCollectors(t, e, 60*time.Second, "every collector succeeds at the end")
	waitNoLeak(t, e, before)
}

// windowStats returns the per-metric medians of the watcher's samples taken
// in [from, to).
func windowStats(w *watcher, from, to time.Time) resources {
	w.mu.Lock()
	defer w.mu.Unlock()
	var g, f, r, h []float64
	for i, at := range w.sampleTimes {
		if at.Before(from) || !at.Before(to) {
			continue
		}
		g = append(g, w.samples[i].goroutines)
		f = append(f, w.samples[i].fds)
		r = append(r, w.samples[i].rss)
		h = append(h, w.samples[i].heap)
	}
	return resources{goroutines: median(g), fds: median(f), rss: median(r), heap: median(h)}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}
