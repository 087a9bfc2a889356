package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/go-kit/log"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

func TestWarnInsecure(t *testing.T) {
	for _, c := range []struct {
		name string
		o    kafka.Options
		want []string
	}{
		{"verified TLS with SCRAM", kafka.Options{TLSEnabled: true, SASLMechanism: kafka.SASLScramSHA512}, nil},
		{"skip verify", kafka.Options{TLSEnabled: true, TLSInsecureSkipVerify: true}, []string{"--kafka.tls.insecure-skip-verify"}},
		{"PLAIN without TLS", kafka.Options{SASLMechanism: kafka.SASLPlain}, []string{"SASL without TLS", "PLAIN sends the password"}},
		{"SCRAM without TLS", kafka.Options{SASLMechanism: kafka.SASLScramSHA256}, []string{"SASL without TLS"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			warnInsecure(log.NewLogfmtLogger(&buf), c.o, "web.yml")
			out := buf.String()
			if len(c.want) == 0 && out != "" {
				t.Fatalf("want no warning, got %q", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) || !strings.Contains(out, "level=warn") {
					t.Errorf("want a warning with %q, got %q", w, out)
				}
			}
		})
	}
}
