// Package exposition holds one poll's rendered exposition: the value that
// the collector package renders once per poll and internal/metricshttp
// serves on every scrape, so that neither imports the other.
package exposition

import (
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/gzipjoin"
)

// Rendered is one poll's exposition, immutable once published: the
// poll-derived families compressed in the Prometheus text format 0.0.4 and
// in OpenMetrics 1.0 (without the final "# EOF", which the HTTP handler adds
// after the exporter's own metrics), as gzipjoin pieces that the handler
// joins with the exporter's own metrics into one gzip member.
type Rendered struct {
	Text, OpenMetrics gzipjoin.Piece
	// Series is the number of samples.
	Series int
	// Duration is how long rendering and compressing took.
	Duration time.Duration
}
