package main

import (
	"strings"

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
	switch mech := strings.ToLower(o.SASLMechanism); {
	case mech == kafka.SASLNone || o.TLSEnabled:
	case mech == kafka.SASLGSSAPI:
		level.Warn(logger).Log("msg", "Kerberos without TLS (--kafka.tls.enabled=false): the sign-in is protected, the traffic after it is not")
	default:
		level.Warn(logger).Log("msg", "SASL without TLS (--kafka.tls.enabled=false): the credentials cross the network unencrypted"+
			map[string]string{kafka.SASLPlain: " (PLAIN sends the password itself)", kafka.SASLOAuthBearer: " (OAUTHBEARER sends the bearer token itself)",
				kafka.SASLAWSMSKIAM: " (and MSK's IAM listener requires TLS)"}[mech])
	}
	if webConfigFile == "" {
		level.Debug(logger).Log("msg", "the metrics endpoint has no TLS nor authentication (--web.config.file unset)")
	}
}
