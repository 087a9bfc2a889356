package collector

import (
	"fmt"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// PartitionSeries chooses which partitions get per-partition series
// (kafka_topic_partition_*); the per-topic and per-broker series are always
// rendered.
type PartitionSeries int

const (
	// PartitionSeriesAll renders per-partition series for every partition.
	PartitionSeriesAll PartitionSeries = iota
	// PartitionSeriesAtRisk renders them only for partitions that are not
	// healthy (risk.Healthy).
	PartitionSeriesAtRisk
)

// ParsePartitionSeries reads the --partition.series value: "all" or "at-risk".
func ParsePartitionSeries(v string) (PartitionSeries, error) {
	switch v {
	case "all":
		return PartitionSeriesAll, nil
	case "at-risk":
		return PartitionSeriesAtRisk, nil
	}
	return 0, fmt.Errorf("unknown partition series %q (all, at-risk)", v)
}

// partition reports whether a partition judged pv gets per-partition series.
func (ps PartitionSeries) partition(pv *risk.PartitionVerdict) bool {
	return ps == PartitionSeriesAll || !pv.Healthy
}
