package integration

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Exporter-health helpers shared by the fault and soak tests.

// Leak tolerances. The exporter holds at most one connection per broker and
// one per bootstrap server (3 + 3 on the test cluster) plus the scrape
// connection. Which of those are open differs between two quiet moments
// (seed connections opened during an outage stay open; a broker connection
// is only reopened when a request needs it), so two samples can differ by
// up to 3 descriptors and, at about 3 goroutines per sarama connection plus
// HTTP server goroutines, by about 12 goroutines, without anything leaking.
// The requests sarama lacks (DescribeQuorum, ListPartitionReassignments,
// DescribeTopicPartitions, OffsetForLeaderEpoch) go through a franz-go
// client per broker, a second connection per broker that opens when a
// request first needs it: 3 more descriptors may differ.
// A leak of one connection per failed poll exceeds both within the ten or
// more failed polls each fault test provokes.
const (
	fdTolerance        = 7
	goroutineTolerance = 12
	// leakSettle is how long the counts may take to come back: a
	// connection abandoned by a timed-out poll closes when its request
	// ends, within --kafka.timeout (3 s in these tests).
	leakSettle = 30 * time.Second
)

// resources is one sample of the exporter's goroutines and open descriptors.
type resources struct {
	goroutines, fds, rss float64
	heap                 float64 // go_memstats_heap_inuse_bytes, for information
}

func (r resources) String() string {
	return fmt.Sprintf("%.0f goroutines, %.0f open fds, %.1f MiB RSS, %.1f MiB heap in use", r.goroutines, r.fds, r.rss/(1<<20), r.heap/(1<<20))
}

// sampleResources reads go_goroutines, process_open_fds and
// process_resident_memory_bytes from one scrape.
func sampleResources(t testing.TB, e *exporter) resources {
	t.Helper()
	s := e.Scrape(t)
	return resourcesOf(t, s)
}

func resourcesOf(t testing.TB, s *scrape) resources {
	t.Helper()
	var r resources
	var ok1, ok2, ok3 bool
	r.goroutines, ok1 = s.Value("go_goroutines", nil)
	r.fds, ok2 = s.Value("process_open_fds", nil)
	r.rss, ok3 = s.Value("process_resident_memory_bytes", nil)
	r.heap, _ = s.Value("go_memstats_heap_inuse_bytes", nil)
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("go_goroutines, process_open_fds or process_resident_memory_bytes missing")
	}
	return r
}

// waitNoLeak waits until goroutines and open fds are back within the
// tolerances of before, and fails the test with both samples if not.
func waitNoLeak(t testing.TB, e *exporter, before resources) resources {
	t.Helper()
	deadline := time.Now().Add(leakSettle)
	for {
		now := sampleResources(t, e)
		if now.goroutines <= before.goroutines+goroutineTolerance && now.fds <= before.fds+fdTolerance {
			t.Logf("MEASURED resources before the fault: %s; after recovery: %s", before, now)
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("leak: before the fault %s, %s after recovery (tolerance +%d goroutines, +%d fds)",
				before, now, goroutineTolerance, fdTolerance)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// watcher scrapes the exporter in the background and checks on every
// scrape what must hold whatever the cluster does:
//   - the scrape answers 200 and parses;
//   - the last poll ended within --poll.timeout (plus slack for the race
//     binary on a loaded machine: the poll's context ends at the timeout,
//     the slack covers observers and scheduling);
//   - cluster series are only served from a current snapshot: when
//     kafka_brokers is present, the exporter is up and its last successful
//     poll started at most --poll.interval + 2 x --poll.timeout ago.
type watcher struct {
	e           *exporter
	pollTimeout time.Duration
	maxAge      time.Duration
	stop        chan struct{}
	done        chan struct{}

	mu          sync.Mutex
	scrapes     int
	failures    []string
	violations  []string
	maxDuration float64
	samples     []resources
	sampleTimes []time.Time
}

// pollTimeoutSlack is added to --poll.timeout when checking poll durations.
const pollTimeoutSlack = 1.5

func watch(t testing.TB, e *exporter, every, pollInterval, pollTimeout time.Duration) *watcher {
	w := &watcher{e: e, pollTimeout: pollTimeout, maxAge: pollInterval + 2*pollTimeout,
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			w.check()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { w.Stop() })
	return w
}

func (w *watcher) check() {
	s, err := w.e.TryScrape()
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scrapes++
	if err != nil {
		w.failures = append(w.failures, now.Format("15:04:05.000")+": "+err.Error())
		return
	}
	if d, ok := s.Value("kafka_loss_exporter_poll_duration_seconds", nil); ok {
		if d > w.maxDuration {
			w.maxDuration = d
		}
		if d > w.pollTimeout.Seconds()+pollTimeoutSlack {
			w.violations = append(w.violations, fmt.Sprintf("%s: a poll took %.2fs (--poll.timeout %s)", now.Format("15:04:05.000"), d, w.pollTimeout))
		}
	}
	if v := w.staleness(s, now); v != "" {
		// Collectors read the poller's status and snapshot separately,
		// so a scrape that straddles the publication of a poll can mix
		// the two; a real stale series is still there on the next scrape.
		if s2, err := w.e.TryScrape(); err == nil {
			if v2 := w.staleness(s2, time.Now()); v2 != "" {
				w.violations = append(w.violations, v2)
			}
		}
	}
	var r resources
	r.goroutines, _ = s.Value("go_goroutines", nil)
	r.fds, _ = s.Value("process_open_fds", nil)
	r.rss, _ = s.Value("process_resident_memory_bytes", nil)
	r.heap, _ = s.Value("go_memstats_heap_inuse_bytes", nil)
	w.samples = append(w.samples, r)
	w.sampleTimes = append(w.sampleTimes, now)
}

// staleness says what is wrong when s serves cluster series although the
// exporter is not up or its last successful poll is too old ("" if fine).
func (w *watcher) staleness(s *scrape, now time.Time) string {
	if _, served := s.Value("kafka_brokers", nil); !served {
		return ""
	}
	up, _ := s.Value("kafka_loss_exporter_up", nil)
	last, _ := s.Value("kafka_loss_exporter_last_poll_success_timestamp_seconds", nil)
	age := float64(now.UnixNano())/1e9 - last
	if up != 1 || age > w.maxAge.Seconds()+pollTimeoutSlack {
		return fmt.Sprintf("%s: cluster series served with up=%v and a last success %.1fs old", now.Format("15:04:05.000"), up, age)
	}
	return ""
}

// Stop ends the watcher and waits for its last scrape.
func (w *watcher) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// Check stops the watcher and fails the test on any failed scrape or
// violated invariant.
func (w *watcher) Check(t testing.TB) {
	t.Helper()
	w.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Logf("MEASURED %d scrapes, longest poll %.2fs (--poll.timeout %s)", w.scrapes, w.maxDuration, w.pollTimeout)
	if len(w.failures) > 0 {
		t.Errorf("%d of %d scrapes failed; first: %s", len(w.failures), w.scrapes, w.failures[0])
	}
	if len(w.violations) > 0 {
		t.Errorf("%d violations:\n%s", len(w.violations), strings.Join(first(w.violations, 10), "\n"))
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
