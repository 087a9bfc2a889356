package main

import (
	"fmt"
	"net/http"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/metricshttp"
)

// readiness says whether the first poll has succeeded.
type readiness interface{ Ready() bool }

// promhttpLogger adapts go-kit to promhttp's error logger.
type promhttpLogger struct{ logger log.Logger }

func (l promhttpLogger) Println(v ...any) { level.Error(l.logger).Log("msg", fmt.Sprint(v...)) }

// newHandler returns the exporter's HTTP routes: metrics, the landing page,
// /healthz (the process is alive), /ready (a poll has succeeded) and
// /status (the loss audit of the last poll).
//
// own is the exporter's own registry, gathered on every scrape; cache holds
// the poll-derived families rendered once per poll; pollRegistry has the
// same poll-derived collectors for the standard path, used only for
// protobuf clients.
func newHandler(metricsPath string, own, pollRegistry prometheus.Gatherer, cache metricshttp.Cache, ready readiness, status http.Handler, logger log.Logger) (http.Handler, error) {
	mux := http.NewServeMux()
	protobuf := promhttp.HandlerFor(prometheus.Gatherers{own, pollRegistry}, promhttp.HandlerOpts{
		ErrorLog:            promhttpLogger{logger},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
	})
	metrics, err := metricshttp.New(own, cache, protobuf, promhttpLogger{logger})
	if err != nil {
		return nil, err
	}
	mux.Handle(metricsPath, metrics)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: no successful poll of the Kafka cluster yet")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle(statusPath, status)
	if metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "Kafka Loss Exporter",
			Description: "Tells a Kafka team before it happens that their cluster is about to lose messages, and when it did.",
			Version:     version.Info(),
			// No pprof: the exporter does not serve /debug/pprof, so the
			// page must not link there.
			Profiling: "false",
			Links: []web.LandingLinks{
				{Address: metricsPath, Text: "Metrics"},
				{Address: statusPath, Text: "Status", Description: "the loss audit of the last poll: findings, fixes, runbooks"},
				{Address: "/healthz", Text: "Health", Description: "the process is alive"},
				{Address: "/ready", Text: "Readiness", Description: "a poll of the cluster has succeeded"},
			},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}
