package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

var (
	logEndOffsetFamily = gaugeFamily("kafka_topic_partition_log_end_offset",
		"Log end offset of the partition's leader: the offset its next message gets, written to the leader whether or not the followers have it yet (>= the high watermark kafka_topic_partition_current_offset)"+fromLastPoll, partitionLabels...)
	uncommittedFamily = gaugeFamily("kafka_topic_partition_uncommitted_messages",
		"Messages on the partition's leader that are not yet on every in-sync replica (leader log end offset minus high watermark); those acknowledged with acks=0 or acks=1 are lost if the leader fails now"+fromLastPoll, partitionLabels...)
	topicUncommittedFamily = gaugeFamily("kafka_topic_uncommitted_messages",
		"Sum of kafka_topic_partition_uncommitted_messages over the topic's partitions whose leader log end and high watermark were read; absent when none was"+fromLastPoll, []string{"topic"}...)
	replicaLagFamily = gaugeFamily("kafka_topic_partition_replica_lag_messages",
		"Messages the follower replica on broker id replica is behind its leader (leader log end offset minus the follower's); absent for a replica whose broker is down or did not answer"+fromLastPoll, []string{"topic", "partition", "replica"}...)
	brokerReplicaLagFamily = gaugeFamily("kafka_broker_replica_lag_messages",
		"Sum of kafka_topic_partition_replica_lag_messages over the follower replicas the broker hosts: how many messages the broker is behind in all; absent for a broker that is down or did not answer"+fromLastPoll, []string{"id"}...)
	eligibleLeadersFamily = gaugeFamily("kafka_topic_partition_eligible_leader_replicas",
		"Number of eligible leader replicas (KIP-966, Kafka 4.x): replicas outside the ISR that still hold every committed message, so electing one is clean; present only for the partitions the exporter asked about (under min.insync.replicas, empty ISR, or a leader change at the last poll) on brokers that have DescribeTopicPartitions"+fromLastPoll, partitionLabels...)
	reassigningFamily = gaugeFamily("kafka_topic_partition_reassigning",
		"1 while a reassignment of the partition's replicas is in progress (replicas being added or removed); the replicas being added do not count as missing from the ISR. Present only for partitions being reassigned: kafka_topic_reassigning_partitions counts them per topic, 0 included"+fromLastPoll, partitionLabels...)
	topicReassigningFamily = gaugeFamily("kafka_topic_reassigning_partitions",
		"Number of the topic's partitions with a reassignment in progress; absent when reassignments could not be read"+fromLastPoll, []string{"topic"}...)
)

// Replicas renders what the replicas' log ends, the eligible leader
// replicas and the ongoing reassignments say.
type Replicas struct {
	source VerdictsSource
	series PartitionSeries
}

// NewReplicas returns the replicas collector; series chooses which
// partitions get per-partition series (at-risk: those not healthy, with a
// lag above 0, or being reassigned).
func NewReplicas(source VerdictsSource, series PartitionSeries) *Replicas {
	return &Replicas{source: source, series: series}
}

var replicasFamilies = []*family{logEndOffsetFamily, uncommittedFamily, topicUncommittedFamily, replicaLagFamily,
	brokerReplicaLagFamily, eligibleLeadersFamily, reassigningFamily, topicReassigningFamily}

func (c *Replicas) families() []*family { return replicasFamilies }

// Describe implements prometheus.Collector.
func (c *Replicas) Describe(ch chan<- *prometheus.Desc) { describe(ch, replicasFamilies) }

// Collect implements prometheus.Collector.
func (c *Replicas) Collect(ch chan<- prometheus.Metric) {
	c.render(channelWriter(ch), c.source.Verdicts())
}

// render emits the samples; nothing when the last poll could not read the
// cluster metadata.
func (c *Replicas) render(w sampleWriter, v *risk.Verdicts) {
	if v == nil || !v.Snapshot.Succeeded(snapshot.CollectorMetadata) {
		return
	}
	s := v.Snapshot
	for _, b := range v.BrokerLag {
		w.sample(brokerReplicaLagFamily, float64(b.Lag), id(b.ID))
	}
	for ti := range s.Topics {
		t, tv := &s.Topics[ti], &v.Topics[ti]
		for pi := range t.Partitions {
			p, pv := &t.Partitions[pi], &tv.Partitions[pi]
			part := id(p.ID)
			if p.ELR.Known {
				w.sample(eligibleLeadersFamily, float64(len(p.ELR.Eligible)), t.Name, part)
			}
			if c.series == PartitionSeriesAtRisk && pv.Healthy && !pv.LogEnds.Lagging() && p.Reassignment == nil {
				continue
			}
			if l := pv.LogEnds; l.Known {
				w.sample(logEndOffsetFamily, float64(l.LeaderLogEnd), t.Name, part)
				w.sample(uncommittedFamily, float64(l.Uncommitted), t.Name, part)
			}
			for _, r := range p.LogEnds {
				if lag, ok := risk.FollowerLag(p, r); ok {
					w.sample(replicaLagFamily, float64(lag), t.Name, part, id(r.Broker))
				}
			}
			if p.Reassignment != nil {
				w.sample(reassigningFamily, 1, t.Name, part)
			}
		}
		if tv.UncommittedKnown {
			w.sample(topicUncommittedFamily, float64(tv.Uncommitted), t.Name)
		}
		if s.ReassignmentsKnown {
			w.sample(topicReassigningFamily, float64(tv.Reassigning), t.Name)
		}
	}
}

var _ renderer = (*Replicas)(nil)
