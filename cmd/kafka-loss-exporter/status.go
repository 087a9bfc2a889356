package main

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/collector"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/report"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// statusPath is where the status page is served.
const statusPath = "/status"

// statusPage keeps the report of the last poll, built once per poll by a
// poller renderer from the verdicts the collectors render (and the consumer
// tracker's report of that poll), and serves it as /status.
type statusPage struct {
	groups      *consumers.Tracker
	current     collector.SnapshotSource
	metricsPath string
	last        atomic.Pointer[report.Report]
}

// Render builds the report of one poll from its verdicts. The poller calls
// it on its goroutine after the observers (the consumer tracker's among
// them).
func (p *statusPage) Render(v *risk.Verdicts) {
	p.last.Store(report.Build(report.Input{Verdicts: v, Groups: p.groups.Report()}))
}

// ServeHTTP renders the last poll's report; while the poller serves no
// snapshot (before the first poll, or once the last is too old) it answers
// 503 with the reason.
func (p *statusPage) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	r := p.last.Load()
	s := p.current.Snapshot()
	if r == nil || s == nil || !r.Time.Equal(s.Time) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = report.WriteHTMLUnavailable(w, "no current poll of the cluster (the first poll has not finished, or the last one is too old).")
		return
	}
	var b bytes.Buffer
	if err := report.WriteHTML(&b, r, report.HTMLOptions{MetricsPath: p.metricsPath, Now: time.Now()}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(b.Bytes())
}
