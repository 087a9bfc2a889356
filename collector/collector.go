// Package collector renders snapshots and their verdicts as Prometheus
// metrics. Collectors read what the poller published (the snapshot and the
// verdicts internal/risk judged from it once per poll) and turn it into const
// metrics; they never talk to Kafka and never judge, so a scrape costs the
// same however slow the cluster is.
package collector

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// VerdictsSource gives the latest published verdicts, which carry the
// snapshot they judged (nil before the first poll).
type VerdictsSource interface {
	Verdicts() *risk.Verdicts
}

// VerdictsFunc adapts a function to VerdictsSource.
type VerdictsFunc func() *risk.Verdicts

// Verdicts returns f().
func (f VerdictsFunc) Verdicts() *risk.Verdicts { return f() }

// SnapshotSource gives the latest published snapshot (nil before the first
// poll).
type SnapshotSource interface {
	Snapshot() *snapshot.Snapshot
}

// SnapshotFunc adapts a function to SnapshotSource.
type SnapshotFunc func() *snapshot.Snapshot

// Snapshot returns f().
func (f SnapshotFunc) Snapshot() *snapshot.Snapshot { return f() }

// fromLastPoll is appended to the HELP text of every metric rendered from a
// snapshot.
const fromLastPoll = ", from the last poll."
