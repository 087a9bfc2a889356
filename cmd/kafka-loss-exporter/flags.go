package main

import (
	"fmt"
	"regexp"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/logging"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// defaultListenAddress is the exporter's default port.
const defaultListenAddress = ":9785"

// flags holds every command-line setting.
type flags struct {
	kafka kafka.Options
	sasl  *saslFlags

	web         *web.FlagConfig
	metricsPath string

	logLevel, logFormat string

	pollInterval, pollTimeout time.Duration
	// pollFastInterval is the poll interval while a partition is
	// under-replicated or offline (0: always pollInterval).
	pollFastInterval time.Duration

	topicFilter, topicExclude string

	configPollInterval time.Duration
	// producersPollInterval is the time between two reads of the producer
	// side (--producers.poll.interval).
	producersPollInterval time.Duration
	riskConfigFile        string
	consumer              *consumerFlags
	canary                *canaryFlags
	// partitionSeries is "all" or "at-risk" (--partition.series).
	partitionSeries string
}

// defineFlags declares the command line on app.
func defineFlags(app *kingpin.Application) *flags {
	f := &flags{}
	app.Flag("kafka.server", "Kafka bootstrap broker address host:port (repeatable).").
		Default("localhost:9092").StringsVar(&f.kafka.Servers)
	app.Flag("kafka.version", "Upper cap of the Kafka protocol versions (for example 3.6.0). Unset: every request goes out at the highest version the broker supports (ApiVersions).").
		Default("").StringVar(&f.kafka.Version)
	app.Flag("kafka.client-id", "Client id the exporter sends to Kafka.").
		Default("kafka-loss-exporter").StringVar(&f.kafka.ClientID)
	durationFlag(app, "kafka.timeout", "Dial, read and write timeout of one Kafka request.", "10s", &f.kafka.Timeout)

	f.sasl = defineSASLFlags(app, &f.kafka)

	app.Flag("kafka.tls.enabled", "Connect to Kafka with TLS.").
		Default("false").BoolVar(&f.kafka.TLSEnabled)
	app.Flag("kafka.tls.ca-file", "PEM file of the CA(s) that sign the brokers' certificates (default: system roots).").
		Default("").StringVar(&f.kafka.TLSCAFile)
	app.Flag("kafka.tls.cert-file", "PEM client certificate for mutual TLS.").
		Default("").StringVar(&f.kafka.TLSCertFile)
	app.Flag("kafka.tls.key-file", "PEM private key of the client certificate.").
		Default("").StringVar(&f.kafka.TLSKeyFile)
	app.Flag("kafka.tls.server-name", "Server name to verify the brokers' certificates against (default: the host of each address).").
		Default("").StringVar(&f.kafka.TLSServerName)
	app.Flag("kafka.tls.insecure-skip-verify", "Do not verify the brokers' certificates (unsafe).").
		Default("false").BoolVar(&f.kafka.TLSInsecureSkipVerify)

	f.web = kingpinflag.AddFlags(app, defaultListenAddress)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").
		Default("/metrics").StringVar(&f.metricsPath)

	enumFlag(app, "log.level", "Only log messages with the given severity or above: debug, info, warn, error.", "info", &f.logLevel, logging.Levels...)
	enumFlag(app, "log.format", "Output format of log messages: logfmt or json.", "logfmt", &f.logFormat, logging.Formats...)

	durationFlag(app, "poll.interval", "Time between two polls of the cluster.", "30s", &f.pollInterval)
	durationFlag(app, "poll.fast-interval", "Time between two polls while any partition is under-replicated or offline, so that short ISR and leader flaps are seen (never longer than --poll.interval; 0: always --poll.interval).", "5s", &f.pollFastInterval)
	durationFlag(app, "poll.timeout", "Longest time one poll may take; a slower poll fails.", "20s", &f.pollTimeout)

	app.Flag("topic.filter", "Regex of the topics to watch (anchored). Internal topics are included unless excluded.").
		Default(".*").StringVar(&f.topicFilter)
	app.Flag("topic.exclude", "Regex of the topics not to watch (anchored; empty: none).").
		Default("").StringVar(&f.topicExclude)

	durationFlag(app, "config.poll.interval", "Time between two reads of topic and broker configuration (DescribeConfigs); a new topic or broker is read at the next poll.", "5m", &f.configPollInterval)
	durationFlag(app, "producers.poll.interval", "Time between two reads of the producer side: active idempotent producers (DescribeProducers), open transactions (ListTransactions, DescribeTransactions) and last stable offsets (ListOffsets read_committed). 0 turns the producer side off (DescribeProducers needs Read on each topic).", "1m", &f.producersPollInterval)
	app.Flag("risk.config", "YAML policy file setting the loss-risk thresholds and exemptions (see docs/risks.md; empty: the defaults).").
		Default("").StringVar(&f.riskConfigFile)
	enumFlag(app, "partition.series", "Per-partition series (kafka_topic_partition_*): all, or at-risk (only for partitions that are not healthy: offline, under-replicated, with an offline replica, a Metadata error or unknown offsets; per-topic counts stay for every topic; see docs/scale.md).",
		"all", &f.partitionSeries, "all", "at-risk")
	f.consumer = defineConsumerFlags(app)
	f.canary = defineCanaryFlags(app)
	return f
}

// validate checks the settings that kingpin cannot, naming the flag at fault.
func (f *flags) validate() error {
	if err := validateListenAddresses(f.web); err != nil {
		return err
	}
	if f.pollInterval <= 0 {
		return fmt.Errorf("--poll.interval must be positive, got %s", f.pollInterval)
	}
	if f.pollFastInterval < 0 {
		return fmt.Errorf("--poll.fast-interval must not be negative, got %s", f.pollFastInterval)
	}
	if f.pollTimeout <= 0 {
		return fmt.Errorf("--poll.timeout must be positive, got %s", f.pollTimeout)
	}
	if f.configPollInterval <= 0 {
		return fmt.Errorf("--config.poll.interval must be positive, got %s", f.configPollInterval)
	}
	if f.producersPollInterval < 0 {
		return fmt.Errorf("--producers.poll.interval must not be negative, got %s", f.producersPollInterval)
	}
	if f.kafka.Timeout > f.pollTimeout {
		return fmt.Errorf("--kafka.timeout (%s) must not exceed --poll.timeout (%s)", f.kafka.Timeout, f.pollTimeout)
	}
	if f.metricsPath == "" || f.metricsPath[0] != '/' {
		return fmt.Errorf("--web.telemetry-path %q must start with /", f.metricsPath)
	}
	for _, p := range []string{"/healthz", "/ready", statusPath} {
		if f.metricsPath == p {
			return fmt.Errorf("--web.telemetry-path %q clashes with the %s endpoint", f.metricsPath, p)
		}
	}
	if err := f.consumer.validate(); err != nil {
		return err
	}
	return f.canary.validate()
}

// nextPollInterval is the time until the next poll after a successful poll
// judged v: the fast interval while any partition is under-replicated or
// offline, the normal one otherwise.
func (f *flags) nextPollInterval(v *risk.Verdicts) time.Duration {
	if f.pollFastInterval > 0 && v != nil && v.Degraded {
		return min(f.pollFastInterval, f.pollInterval)
	}
	return f.pollInterval
}

// compileFilter compiles an anchored regex flag; "" gives nil (no filter).
func compileFilter(flag, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, fmt.Errorf("--%s %q does not compile: %w", flag, expr, err)
	}
	return re, nil
}
