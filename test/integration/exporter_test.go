package integration

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/exportertest"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/test/kafkatest"
)

// exporter is one running exporter process; scrape is one parsed /metrics
// answer; syncBuffer collects a process's output.
type (
	exporter   = exportertest.Exporter
	scrape     = exportertest.Scrape
	syncBuffer = exportertest.SyncBuffer
)

// tail returns the last lines of s.
var tail = exportertest.Tail

// startExporter runs the exporter binary against the shared test cluster.
// Defaults (--kafka.server, --web.listen-address, --poll.interval=1s,
// --kafka.timeout=3s, --poll.timeout=5s) apply unless args set the flag. The process is
// stopped when the test ends; its log is printed if the test failed.
func startExporter(t *testing.T, args ...string) *exporter {
	t.Helper()
	c := kafkatest.Require(t)
	return startExporterOn(t, c.Bootstrap(), args...)
}

// startExporterOn runs the exporter against the given bootstrap servers.
func startExporterOn(t *testing.T, bootstrap []string, args ...string) *exporter {
	t.Helper()
	return exportertest.Start(t, exportertest.Options{Binary: exporterBinary, Args: args, Bootstrap: bootstrap})
}

// equals is a WaitForValue condition.
func equals(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
