package poller

import (
	"sort"
	"sync"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorErrors is an Observer that counts each collector's failures by
// reason and logs a collector's failure once per change of reason (and its
// recovery once), so that a long outage does not flood the log. The
// metadata collector is counted but not logged here: the poller's own "poll
// failed" line covers it.
type CollectorErrors struct {
	logger       log.Logger
	skipLogging  string
	mu           sync.Mutex
	counts       map[CollectorError]uint64
	lastReason   map[string]string // collector -> reason of its last failure ("" when it last succeeded)
	failedStreak map[string]uint64
}

// CollectorError is one (collector, reason) pair.
type CollectorError struct {
	Collector, Reason string
}

// CollectorErrorCount is how many polls failed a collector for a reason.
type CollectorErrorCount struct {
	CollectorError
	Count uint64
}

// NewCollectorErrors returns the observer. Failures of the collector named
// silent are counted but not logged (the poller logs failed polls).
func NewCollectorErrors(logger log.Logger, silent string) *CollectorErrors {
	return &CollectorErrors{
		logger:       logger,
		skipLogging:  silent,
		counts:       map[CollectorError]uint64{},
		lastReason:   map[string]string{},
		failedStreak: map[string]uint64{},
	}
}

// Observe implements Observer.
func (c *CollectorErrors) Observe(s *snapshot.Snapshot, _ error) {
	if s == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range s.Collectors {
		switch {
		case r.Success:
			if c.lastReason[r.Name] != "" && r.Name != c.skipLogging {
				level.Info(c.logger).Log("msg", "collector recovered", "collector", r.Name, "after_failed_polls", c.failedStreak[r.Name])
			}
			c.lastReason[r.Name] = ""
			c.failedStreak[r.Name] = 0
		case r.Reason == "":
			// Did not run (the poll failed before it): nothing new to say.
		default:
			c.counts[CollectorError{r.Name, r.Reason}]++
			c.failedStreak[r.Name]++
			if c.lastReason[r.Name] != r.Reason && r.Name != c.skipLogging {
				level.Warn(c.logger).Log("msg", "collector failed", "collector", r.Name, "reason", r.Reason, "err", r.Err)
			}
			c.lastReason[r.Name] = r.Reason
		}
	}
}

// Counts returns the failures counted so far, sorted.
func (c *CollectorErrors) Counts() []CollectorErrorCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CollectorErrorCount, 0, len(c.counts))
	for k, n := range c.counts {
		out = append(out, CollectorErrorCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Collector != out[j].Collector {
			return out[i].Collector < out[j].Collector
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}
