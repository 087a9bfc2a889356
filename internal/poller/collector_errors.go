package poller

import (
	"sync"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// collectorErrorsHelp is the HELP text of collector_errors_total.
const collectorErrorsHelp = "Number of polls in which the collector failed, by reason: timeout, connection, authentication, authorization, canceled, other, or the Kafka error name (for example NOT_CONTROLLER)."

// CollectorErrors is an Observer that counts each collector's failures by
// reason in kafka_loss_exporter_collector_errors_total and logs a
// collector's failure once per change of reason (and its recovery once), so
// that a long outage does not flood the log. The metadata collector is
// counted but not logged here: the poller's own "poll failed" line covers
// it.
type CollectorErrors struct {
	logger       log.Logger
	skipLogging  string
	errors       *prometheus.CounterVec
	mu           sync.Mutex
	lastReason   map[string]string // collector -> reason of its last failure ("" when it last succeeded)
	failedStreak map[string]uint64
}

// NewCollectorErrors returns the observer, its counter registered with reg.
// Failures of the collector named silent are counted but not logged (the
// poller logs failed polls).
func NewCollectorErrors(reg prometheus.Registerer, logger log.Logger, silent string) (*CollectorErrors, error) {
	c := &CollectorErrors{
		logger:      logger,
		skipLogging: silent,
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kafka_loss_exporter_collector_errors_total",
			Help: collectorErrorsHelp,
		}, []string{"collector", "reason"}),
		lastReason:   map[string]string{},
		failedStreak: map[string]uint64{},
	}
	if err := reg.Register(c.errors); err != nil {
		return nil, err
	}
	return c, nil
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
			c.errors.WithLabelValues(r.Name, r.Reason).Inc()
			c.failedStreak[r.Name]++
			if c.lastReason[r.Name] != r.Reason && r.Name != c.skipLogging {
				level.Warn(c.logger).Log("msg", "collector failed", "collector", r.Name, "reason", r.Reason, "err", r.Err)
			}
			c.lastReason[r.Name] = r.Reason
		}
	}
}
