// Package poller runs the fetch loop: every interval it builds a new snapshot
// and swaps it in atomically, so scrapes read the latest one without ever
// waiting for Kafka.
package poller

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// FetchFunc reads the cluster once. It returns a snapshot even on failure
// (with the collectors' outcomes) and a non-nil error when the cluster could
// not be read at all.
type FetchFunc func(ctx context.Context) (*snapshot.Snapshot, error)

// Options configure the loop.
type Options struct {
	// Interval is the time between the starts of two polls.
	Interval time.Duration
	// Timeout bounds one poll.
	Timeout time.Duration
	// MinBackoff is the first retry delay after a failed poll; it doubles on
	// each further failure up to Interval. Zero means one second.
	MinBackoff time.Duration
	// Judge judges each poll's snapshot once, right after the fetch; the
	// verdicts are published beside the snapshot. Nil judges under
	// risk.DefaultPolicy.
	Judge func(s *snapshot.Snapshot) *risk.Verdicts
	// NextInterval, when set, chooses the time between the start of a
	// successful poll and the next one from that poll's verdicts, for
	// example a shorter one while partitions are under-replicated. A result
	// <= 0 means Interval.
	NextInterval func(v *risk.Verdicts) time.Duration
	// MaxAge is the age beyond which the last snapshot is no longer served
	// (Snapshot returns nil), so that a poll loop that is stuck never lets
	// old cluster state pass for current. Zero means Interval + 2*Timeout:
	// polls start at most max(Interval, Timeout) apart and each publishes
	// within Timeout, so a live loop always replaces a snapshot sooner.
	MaxAge time.Duration
	// ErrorReason classifies a failed poll's error (kafka.Reason). A failed
	// poll is logged at error level when its reason differs from the
	// previous poll's, and at debug level otherwise, so a long outage logs
	// one line per change instead of one per poll. Nil logs every failure.
	ErrorReason func(error) string
	// ReminderInterval is the longest time a failure that keeps repeating
	// goes without an error-level line: after it, a "poll still failing"
	// reminder says since when, how many attempts and the last error.
	// Zero means DefaultReminderInterval.
	ReminderInterval time.Duration
}

// DefaultReminderInterval is the reminder interval when
// Options.ReminderInterval is zero.
const DefaultReminderInterval = 5 * time.Minute

// Status describes the outcome of the polls so far; it lives in the
// snapshot package so that its readers (the exporter's self-metrics) need
// not import the poller.
type Status = snapshot.PollStatus

// Observer is told of every poll's snapshot, on the poll goroutine, before
// the snapshot is published. Observers keep state across polls (event
// counters, lag tables); they must not modify the snapshot.
type Observer func(s *snapshot.Snapshot, err error)

// Renderer is told of every poll's verdicts (which carry the snapshot), on
// the poll goroutine, after the observers and before publication: the
// exposition cache renders there, once per poll.
type Renderer func(v *risk.Verdicts)

// Poller runs FetchFunc in a loop and publishes the result.
type Poller struct {
	fetch  FetchFunc
	opts   Options
	logger log.Logger

	current   atomic.Pointer[published]
	status    atomic.Pointer[Status]
	mu        sync.Mutex // serialises polls and guards observers and renderers
	observers []Observer
	renderers []Renderer
	// lastErrorLog is when the last error-level failure line was written
	// (guarded by mu).
	lastErrorLog time.Time
}

// published is a poll's verdicts (with its snapshot) and the poll's start.
type published struct {
	v     *risk.Verdicts
	start time.Time
}

// New returns a poller; call Run to start it.
func New(fetch FetchFunc, opts Options, logger log.Logger) *Poller {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = opts.Interval + 2*opts.Timeout
	}
	if opts.Judge == nil {
		opts.Judge = func(s *snapshot.Snapshot) *risk.Verdicts { return risk.Judge(s, risk.DefaultPolicy{}) }
	}
	if opts.ReminderInterval <= 0 {
		opts.ReminderInterval = DefaultReminderInterval
	}
	p := &Poller{fetch: fetch, opts: opts, logger: logger}
	p.status.Store(&Status{})
	return p
}

// Observe registers an observer. Call it before Run.
func (p *Poller) Observe(o Observer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.observers = append(p.observers, o)
}

// Render registers a renderer. Call it before Run.
func (p *Poller) Render(r Renderer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.renderers = append(p.renderers, r)
}

// Verdicts returns the latest published verdicts (with their snapshot): nil
// before the first poll, and nil when the latest is older than
// Options.MaxAge (the loop is stuck), so stale cluster state is never
// served as current.
func (p *Poller) Verdicts() *risk.Verdicts {
	cur := p.current.Load()
	if cur == nil || time.Since(cur.start) > p.opts.MaxAge {
		return nil
	}
	return cur.v
}

// Snapshot returns the snapshot of Verdicts (nil when Verdicts is nil).
func (p *Poller) Snapshot() *snapshot.Snapshot {
	if v := p.Verdicts(); v != nil {
		return v.Snapshot
	}
	return nil
}

// MaxAge is the age beyond which Snapshot stops serving a snapshot.
func (p *Poller) MaxAge() time.Duration { return p.opts.MaxAge }

// Status returns the outcome of the polls so far.
func (p *Poller) Status() Status { return *p.status.Load() }

// Ready reports whether a poll has succeeded at least once.
func (p *Poller) Ready() bool { return !p.status.Load().LastSuccess.IsZero() }

// Run polls until ctx ends. After a failed poll it retries with an
// exponential backoff capped at the interval; see PollOnce for what it logs.
func (p *Poller) Run(ctx context.Context) {
	backoff := time.Duration(0)
	interval := p.opts.Interval
	for {
		start := time.Now()
		err := p.PollOnce(ctx)
		if err == nil {
			if next := p.nextInterval(); next != interval {
				level.Info(p.logger).Log("msg", "poll interval changed", "from", interval, "to", next)
				interval = next
			}
		}
		wait := interval - time.Since(start)
		if err != nil {
			if backoff == 0 {
				backoff = p.opts.MinBackoff
			} else {
				backoff *= 2
			}
			if backoff > p.opts.Interval {
				backoff = p.opts.Interval
			}
			wait = backoff
		} else {
			backoff = 0
		}
		if wait < 0 {
			wait = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// nextInterval is the interval after the last published snapshot.
func (p *Poller) nextInterval() time.Duration {
	if p.opts.NextInterval != nil {
		var v *risk.Verdicts
		if cur := p.current.Load(); cur != nil {
			v = cur.v
		}
		if d := p.opts.NextInterval(v); d > 0 {
			return d
		}
	}
	return p.opts.Interval
}

// PollOnce runs one poll now, publishes its snapshot and returns its error.
//
// A failed poll is logged at error level when it is the first failure or
// its reason differs from the previous poll's; a repeat of the same reason
// is logged at debug level, except that once Options.ReminderInterval has
// passed since the last error-level line a "poll still failing" reminder
// (failing since, attempts, last error) is logged at error level.
func (p *Poller) PollOnce(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()

	pctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	start := time.Now()
	s, err := p.fetch(pctx)
	if s == nil {
		s = &snapshot.Snapshot{Time: start, ControllerID: -1}
	}
	v := p.opts.Judge(s)
	for _, o := range p.observers {
		o(s, err)
	}
	for _, r := range p.renderers {
		r(v)
	}

	prev := p.status.Load()
	st := &Status{
		Up:           err == nil,
		LastAttempt:  start,
		LastSuccess:  prev.LastSuccess,
		LastDuration: time.Since(start),
		Polls:        prev.Polls + 1,
		Failures:     prev.Failures,
	}
	if err != nil {
		st.Failures++
		st.ConsecutiveFailures = prev.ConsecutiveFailures + 1
		st.LastError = err.Error()
		if p.opts.ErrorReason != nil {
			st.LastErrorReason = p.opts.ErrorReason(err)
		}
		st.FailingSince = prev.FailingSince
		if prev.ConsecutiveFailures == 0 {
			st.FailingSince = start
		}
		p.logFailure(prev, st, err)
	} else {
		st.LastSuccess = start
		if prev.ConsecutiveFailures > 0 {
			level.Info(p.logger).Log("msg", "poll succeeded again", "after_failures", prev.ConsecutiveFailures)
		}
		level.Debug(p.logger).Log("msg", "poll done", "duration", st.LastDuration, "topics", len(s.Topics), "brokers", len(s.Brokers))
	}
	p.current.Store(&published{v: v, start: start})
	p.status.Store(st)
	return err
}

// logFailure logs a failed poll: a changed reason at error level, a repeat
// at debug level, and a reminder at error level when the last error-level
// line is older than Options.ReminderInterval.
func (p *Poller) logFailure(prev, st *Status, err error) {
	repeat := p.opts.ErrorReason != nil && prev.ConsecutiveFailures > 0 && prev.LastErrorReason == st.LastErrorReason
	switch {
	case !repeat:
		level.Error(p.logger).Log("msg", "poll failed", "reason", st.LastErrorReason, "err", err, "consecutive_failures", st.ConsecutiveFailures)
	case st.LastAttempt.Sub(p.lastErrorLog) >= p.opts.ReminderInterval:
		level.Error(p.logger).Log("msg", "poll still failing", "since", st.FailingSince.UTC().Format(time.RFC3339),
			"attempts", st.ConsecutiveFailures, "reason", st.LastErrorReason, "last_error", err)
	default:
		level.Debug(p.logger).Log("msg", "poll failed", "reason", st.LastErrorReason, "err", err, "consecutive_failures", st.ConsecutiveFailures)
		return
	}
	p.lastErrorLog = st.LastAttempt
}
