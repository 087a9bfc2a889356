// Command kafka-loss-exporter is a Prometheus exporter that tells a Kafka
// team when its cluster is about to lose messages, and when it did.
//
// main wires flags, logger, registry and HTTP; everything else lives in the
// packages below, which never read flags or globals.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/collector"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/canary"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/events"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/logging"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/policy"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/poller"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

const exporterName = "kafka_loss_exporter"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// usageError is a bad command line or an unusable input file: exit status 2.
type usageError struct{ error }

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	app := kingpin.New("kafka-loss-exporter", "Prometheus exporter that tells a Kafka team before it happens that their cluster is about to lose messages, and when it did.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	app.Version(version.Print("kafka-loss-exporter"))
	app.HelpFlag.Short('h')
	f := defineFlags(app)
	app.Command("serve", "Run the exporter: poll the cluster, serve /metrics and the /status page (the default command).").Default()
	auditCmd, auditF := defineAudit(app)
	command, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "kafka-loss-exporter: error: %s\n", oneLine(err))
		return 2
	}
	logger, slogger, err := logging.New(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "kafka-loss-exporter: error: %s\n", oneLine(err))
		return 2
	}
	if command == auditCmd.FullCommand() {
		return audit(ctx, f, auditF, stdout, stderr, lookupEnv)
	}
	if err := serve(ctx, f, logger, slogger, lookupEnv); err != nil {
		var uerr usageError
		if errors.As(err, &uerr) {
			fmt.Fprintf(stderr, "kafka-loss-exporter: error: %s\n", oneLine(err))
			return 2
		}
		level.Error(logger).Log("msg", "exporter stopped", "err", err)
		return 1
	}
	return 0
}

// serve validates the settings, starts the poller and serves HTTP until ctx
// ends or a signal arrives.
func serve(ctx context.Context, f *flags, logger log.Logger, slogger *slog.Logger, lookupEnv func(string) (string, bool)) error {
	st, err := readSettings(f, lookupEnv)
	if err != nil {
		return usageError{err}
	}

	// The HTTP listeners open before anything talks to Kafka: an address
	// that cannot be bound stops the exporter at once.
	listeners, err := listen(f.web)
	if err != nil {
		return err
	}
	defer closeAll(listeners)

	useSaramaLogger(logging.NewSaramaLogger(logger))

	level.Info(logger).Log("msg", "starting kafka-loss-exporter", "version", version.Info(), "servers", fmt.Sprint(f.kafka.Servers),
		"kafka_version_cap", versionCap(f.kafka.Version), "sasl", f.kafka.SASLMechanism, "tls", f.kafka.TLSEnabled, "poll_interval", f.pollInterval, "poll_fast_interval", f.pollFastInterval)
	warnInsecure(logger, f.kafka, *f.web.WebConfigFile)
	f.consumer.warnDeprecated(logger)

	// The exporter's own metrics, gathered on every scrape; the Kafka
	// client registers its request, connection and authorization counters.
	registry := prometheus.NewRegistry()
	client := kafka.NewClient(st.sarama, f.kafka.Servers, registry)
	client.SetLogger(log.With(logger, "component", "kafka"))
	defer client.Close()
	p, err := newPipeline(f, st, client, registry, logger)
	if err != nil {
		return err
	}
	registry.MustRegister(
		versioncollector.NewCollector(exporterName),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collector.NewExporter(p.poll, p.poll, p.fetcher.Collectors()),
		collector.NewExpositionStats(p.exposition),
	)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// serve returns only once the poll loop has stopped, so nothing logs
	// after run returned.
	pollDone := make(chan struct{})
	go func() { defer close(pollDone); p.poll.Run(ctx) }()
	defer func() { stop(); <-pollDone }()
	if f.canary.enable {
		// On return ctx is cancelled (stop); wait for the canary to close
		// its producer and consumer.
		wait := startCanary(ctx, f, st, registry, logger)
		defer func() { stop(); wait() }()
	}

	handler, err := newHandler(f.metricsPath, registry, p.pollRegistry, freshCache{p.exposition, p.poll}, p.poll, p.status, logger)
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}, listeners, f, logger, slogger)
}

// settings are the flags' values checked and compiled, before anything
// starts: every problem with them is a usage error.
type settings struct {
	*kafkaSettings
	partitionSeries collector.PartitionSeries
}

// readSettings validates f and reads what the flags point at (password
// file, policy file, web configuration).
func readSettings(f *flags, lookupEnv func(string) (string, bool)) (*settings, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	ks, err := readKafkaSettings(f, lookupEnv)
	if err != nil {
		return nil, err
	}
	st := &settings{kafkaSettings: ks}
	if *f.web.WebConfigFile != "" {
		if err := web.Validate(*f.web.WebConfigFile); err != nil {
			return nil, fmt.Errorf("--web.config.file %s: %w", *f.web.WebConfigFile, err)
		}
	}
	if st.partitionSeries, err = collector.ParsePartitionSeries(f.partitionSeries); err != nil {
		return nil, fmt.Errorf("--partition.series: %w", err)
	}
	return st, nil
}

// pipeline is fetch -> snapshot -> judge -> render: the poller with its
// fetch steps, its judge and observers, and the collectors that render
// what it publishes.
type pipeline struct {
	fetcher    *fetch.Fetcher
	poll       *poller.Poller
	exposition *collector.Exposition
	// pollRegistry holds the poll-derived collectors for protobuf scrapes.
	pollRegistry *prometheus.Registry
	// status is the /status page, its report built once per poll.
	status *statusPage
}

// newPipeline wires the poll loop; the poller's own counters go to reg.
func newPipeline(f *flags, st *settings, client *kafka.Client, reg prometheus.Registerer, logger log.Logger) (*pipeline, error) {
	groupTracker := consumers.NewTracker(f.consumer.trackerOptions())
	steps := pollSteps(client, f, st.groups)
	if f.consumer.readTimestamps {
		steps = append(steps, fetch.NewRecordTimestamps(client, groupTracker.Needs))
	}
	p := &pipeline{fetcher: fetch.New(client, fetch.Options{TopicFilter: st.topicFilter, TopicExclude: st.topicExclude}, steps...)}
	p.poll = poller.New(p.fetcher.Fetch, poller.Options{Interval: f.pollInterval, Timeout: f.pollTimeout, NextInterval: f.nextPollInterval,
		Judge:       func(s *snapshot.Snapshot) *risk.Verdicts { return risk.Judge(s, st.riskPolicy) },
		ErrorReason: kafka.Reason},
		log.With(logger, "component", "poller"))
	replicationEvents := events.NewAccumulator(log.With(logger, "component", "events"))
	p.poll.Observe(replicationEvents.Observe)
	p.poll.Observe(groupTracker.Observe)
	// The status page's report, built once per poll from the same verdicts
	// and consumer report the collectors render (after the tracker).
	p.status = &statusPage{groups: groupTracker, current: p.poll, metricsPath: f.metricsPath}
	p.poll.Render(p.status.Render)
	collectorErrors, err := poller.NewCollectorErrors(reg, log.With(logger, "component", "poller"), snapshot.CollectorMetadata)
	if err != nil {
		return nil, err
	}
	p.poll.Observe(collectorErrors.Observe)

	// The poll-derived collectors, twice: rendered once per poll into the
	// exposition cache from the verdicts being published (a renderer, so
	// the poll's duration includes rendering), and registered the standard
	// way over the published verdicts for protobuf clients. Neither judges:
	// the poller judged the snapshot once.
	pollCollectors := func() []prometheus.Collector {
		return []prometheus.Collector{
			collector.NewReplication(p.poll, st.partitionSeries),
			collector.NewReplicas(p.poll, st.partitionSeries),
			collector.NewEvents(replicationEvents),
			collector.NewConfig(p.poll, st.partitionSeries),
			collector.NewConsumer(freshReports{groupTracker, p.poll}, f.consumer.granularity),
			collector.NewProducers(p.poll),
			collector.NewControllerQuorum(p.poll),
		}
	}
	if p.exposition, err = collector.NewExposition(pollCollectors()...); err != nil {
		return nil, err
	}
	p.poll.Render(func(v *risk.Verdicts) { p.exposition.Render(v) })
	p.pollRegistry = prometheus.NewRegistry()
	p.pollRegistry.MustRegister(pollCollectors()...)
	return p, nil
}

// startCanary starts the durability canary until ctx ends; the returned
// function waits (a bounded time) for it to stop.
func startCanary(ctx context.Context, f *flags, st *settings, reg prometheus.Registerer, logger log.Logger) (wait func()) {
	f.canary.warnUnsafe(logger)
	c := canary.New(canary.Options{
		TopicOptions: f.canary.topicOptions(),
		Interval:     f.canary.interval,
		LossTimeout:  f.canary.lossTimeout,
		Servers:      f.kafka.Servers,
		Sarama:       st.sarama,
	}, canary.NewMetrics(reg), log.With(logger, "component", "canary"))
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	return func() {
		select {
		case <-done:
		case <-time.After(8 * time.Second):
			level.Warn(logger).Log("msg", "the canary did not stop within 8s")
		}
	}
}

// serveUntilDone serves HTTP on the listeners (exporter-toolkit: TLS and
// basic auth from --web.config.file) until ctx ends, then shuts the server
// down.
func serveUntilDone(ctx context.Context, server *http.Server, listeners []net.Listener, f *flags, logger log.Logger, slogger *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- serveHTTP(server, listeners, f.web, slogger) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		level.Info(logger).Log("msg", "shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return server.Shutdown(sctx)
	}
}

// loadRiskPolicy reads the --risk.config policy file; without one the
// default thresholds hold.
func loadRiskPolicy(path string) (risk.Policy, error) {
	if path == "" {
		return risk.DefaultPolicy{}, nil
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--risk.config: %w", err)
	}
	return p, nil
}

// versionCap is the --kafka.version value as logged at start.
func versionCap(v string) string {
	if v == "" {
		return "none (negotiated with each broker)"
	}
	return v
}
