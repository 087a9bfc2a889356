// Package collector renders snapshots as Prometheus metrics. Collectors read
// the latest snapshot the poller published and turn it into const metrics;
// they never talk to Kafka, so a scrape costs the same however slow the
// cluster is.
package collector

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

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
