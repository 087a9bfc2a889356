package main

import (
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// warnInsecure logs one warning per setting that exposes the Kafka
// credentials or the exporter's own endpoint (docs/security.md): they are
// allowed, for a first test, but must not go unnoticed.
func warnInsecure(logger log.Logger, o kafka.Options, webConfigFile string) {
	if o.TLSEnabled && o.TLSInsecureSkipVerify {
		level.Warn(logger).Log("msg", "the brokers' TLS certificates are not verified (--kafka.tls.insecure-skip-verify): anyone on the network path can read the exporter's credentials and traffic")
	}
	if o.SASLMechanism != kafka.SASLNone && !o.TLSEnabled {
		level.Warn(logger).Log("msg", "SASL without TLS (--kafka.tls.enabled=false): the credentials cross the network unencrypted"+
			map[bool]string{true: " (PLAIN sends the password itself)", false: ""}[o.SASLMechanism == kafka.SASLPlain])
	}
	if webConfigFile == "" {
		level.Debug(logger).Log("msg", "the metrics endpoint has no TLS nor authentication (--web.config.file unset)")
	}
}
