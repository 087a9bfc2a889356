// Package alerts holds the Prometheus alerting and recording rules for
// kafka-loss-exporter (the *.yml files in this directory, the source of
// truth) and reads them for tests: the rule files are embedded, parsed, and
// the metric names each expression uses can be listed, so tests can check
// that every metric a rule needs is documented and really exported, and an
// end-to-end test can load a copy of the rules with shorter for: durations.
package alerts
