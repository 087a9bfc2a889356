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
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/rcrowley/go-metrics"

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
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "kafka-loss-exporter: error: %s\n", oneLine(err))
		return 2
	}
	logger, slogger, err := logging.New(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "kafka-loss-exporter: error: %s\n", oneLine(err))
		return 2
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
	if err := f.validate(); err != nil {
		return usageError{err}
	}
	password, err := kafka.ReadSecret(f.saslPasswordFile, passwordEnv, lookupEnv)
	if err != nil {
		return usageError{fmt.Errorf("--kafka.sasl.password-file: %w", err)}
	}
	f.kafka.SASLPassword = password
	saramaConf, err := f.kafka.SaramaConfig()
	if err != nil {
		return usageError{err}
	}
	topicFilter, err := compileFilter("topic.filter", f.topicFilter)
	if err != nil {
		return usageError{err}
	}
	topicExclude, err := compileFilter("topic.exclude", f.topicExclude)
	if err != nil {
		return usageError{err}
	}
	riskPolicy, err := loadRiskPolicy(f.riskConfigFile)
	if err != nil {
		return usageError{err}
	}
	groupOpts, err := f.consumer.groupOptions()
	if err != nil {
		return usageError{err}
	}
	if *f.web.WebConfigFile != "" {
		if err := web.Validate(*f.web.WebConfigFile); err != nil {
			return usageError{fmt.Errorf("--web.config.file %s: %w", *f.web.WebConfigFile, err)}
		}
	}

	// The HTTP listeners open before anything talks to Kafka: an address
	// that cannot be bound stops the exporter at once.
	listeners, err := listen(f.web)
	if err != nil {
		return err
	}
	defer closeAll(listeners)

	// sarama's logger and metrics registry are package globals: only main
	// sets them.
	sarama.Logger = logging.NewSaramaLogger(logger)
	metrics.UseNilMetrics = true

	level.Info(logger).Log("msg", "starting kafka-loss-exporter", "version", version.Info(), "servers", fmt.Sprint(f.kafka.Servers),
		"kafka_version_cap", versionCap(f.kafka.Version), "sasl", f.kafka.SASLMechanism, "tls", f.kafka.TLSEnabled, "poll_interval", f.pollInterval, "poll_fast_interval", f.pollFastInterval)
	warnInsecure(logger, f.kafka, *f.web.WebConfigFile)

	client := kafka.NewClient(saramaConf, f.kafka.Servers)
	client.SetLogger(log.With(logger, "component", "kafka"))
	defer client.Close()
	groupTracker := consumers.NewTracker(consumers.Options{TablePoints: f.consumer.tablePoints, StatusWindow: f.consumer.statusWindow,
		ReadTimestamps: f.consumer.readTimestamps})
	steps := []fetch.Step{
		fetch.NewOffsets(client),
		fetch.NewConfigs(client, f.configPollInterval),
		fetch.NewConsumerGroups(client, groupOpts),
		fetch.NewRetention(client, f.consumer.retentionRefresh),
		fetch.NewControllerQuorum(client),
		fetch.NewProducers(client, f.producersPollInterval),
	}
	if f.consumer.readTimestamps {
		steps = append(steps, fetch.NewRecordTimestamps(client, groupTracker.Needs))
	}
	fetcher := fetch.New(client, fetch.Options{TopicFilter: topicFilter, TopicExclude: topicExclude}, steps...)
	poll := poller.New(fetcher.Fetch, poller.Options{Interval: f.pollInterval, Timeout: f.pollTimeout, NextInterval: f.nextPollInterval,
		ErrorReason: kafka.Reason},
		log.With(logger, "component", "poller"))
	replicationEvents := events.NewAccumulator(log.With(logger, "component", "events"))
	poll.Observe(replicationEvents.Observe)
	poll.Observe(groupTracker.Observe)
	collectorErrors := poller.NewCollectorErrors(log.With(logger, "component", "poller"), fetch.CollectorMetadata)
	poll.Observe(collectorErrors.Observe)

	partitionSeries, err := collector.ParsePartitionSeries(f.partitionSeries)
	if err != nil {
		return usageError{fmt.Errorf("--partition.series: %w", err)}
	}
	// The poll-derived collectors, twice: rendered once per poll into the
	// exposition cache from the snapshot being published (an observer, so
	// the poll's duration includes rendering), and registered the standard
	// way over the published snapshot for protobuf clients.
	pollCollectors := func(source collector.SnapshotSource) []prometheus.Collector {
		return []prometheus.Collector{
			collector.NewReplication(source, partitionSeries),
			collector.NewEvents(replicationEvents),
			collector.NewConfig(source, riskPolicy, partitionSeries),
			collector.NewConsumer(freshReports{groupTracker, source}, f.consumer.granularity),
			collector.NewControllerQuorum(source),
			collector.NewProducers(source),
		}
	}
	var rendering *snapshot.Snapshot // only used on the poll goroutine
	exposition, err := collector.NewExposition(pollCollectors(collector.SnapshotFunc(func() *snapshot.Snapshot { return rendering }))...)
	if err != nil {
		return err
	}
	poll.Observe(func(s *snapshot.Snapshot, _ error) {
		rendering = s
		exposition.Render()
		rendering = nil
	})

	// The exporter's own metrics, gathered on every scrape.
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		versioncollector.NewCollector(exporterName),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collector.NewExporter(poll, poll, client.Requests, fetcher.Collectors()),
		collector.NewExpositionStats(exposition),
		collector.NewCollectorErrors(collectorErrors),
	)
	pollRegistry := prometheus.NewRegistry()
	pollRegistry.MustRegister(pollCollectors(poll)...)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// What the principal may not see (authorization errors by resource type).
	registry.MustRegister(collector.NewAuthorization(client.Denied))
	go poll.Run(ctx)
	if f.canary.enable {
		f.canary.warnUnsafe(logger)
		c := canary.New(canary.Options{
			TopicOptions: f.canary.topicOptions(),
			Interval:     f.canary.interval,
			LossTimeout:  f.canary.lossTimeout,
			Servers:      f.kafka.Servers,
			Sarama:       saramaConf,
		}, canary.NewMetrics(registry), log.With(logger, "component", "canary"))
		canaryDone := make(chan struct{})
		go func() { defer close(canaryDone); c.Run(ctx) }()
		// On return ctx is cancelled (stop above); wait for the canary to
		// close its producer and consumer.
		defer func() {
			stop()
			select {
			case <-canaryDone:
			case <-time.After(8 * time.Second):
				level.Warn(logger).Log("msg", "the canary did not stop within 8s")
			}
		}()
	}

	handler, err := newHandler(f.metricsPath, registry, pollRegistry, freshCache{exposition, poll}, poll, logger)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
