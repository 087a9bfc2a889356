package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// fromQuorum ends the HELP of the controller-quorum metrics.
const fromQuorum = "; KRaft only, absent on ZooKeeper clusters (DescribeQuorum)" + fromLastPoll

var (
	quorumVotersDesc = gaugeFamily("kafka_controller_quorum_voters",
		"Number of voters of the KRaft controller quorum"+fromQuorum)
	quorumCaughtUpDesc = gaugeFamily("kafka_controller_quorum_caught_up_voters",
		"Number of controller quorum voters that had the leader's whole metadata log within the last 5 seconds of the leader's clock; at a bare majority one more failure stops elections and ISR changes"+fromQuorum)
	quorumLagDesc = gaugeFamily("kafka_controller_quorum_voter_lag_records",
		"Records the voter's metadata log ends behind the quorum leader's"+fromQuorum, "replica")
	quorumCaughtUpTimeDesc = gaugeFamily("kafka_controller_quorum_voter_last_caught_up_timestamp_seconds",
		"Unix time, on the leader's clock, at which the voter last had the leader's whole metadata log"+fromQuorum, "replica")
	quorumLeaderDesc = gaugeFamily("kafka_controller_quorum_leader_id",
		"Node id of the controller quorum's leader (the active controller), -1 when there is none"+fromQuorum)
	quorumEpochDesc = gaugeFamily("kafka_controller_quorum_leader_epoch",
		"Epoch of the controller quorum's leader; it grows with every election"+fromQuorum)
)

var quorumFamilies = []*family{quorumVotersDesc, quorumCaughtUpDesc, quorumLagDesc, quorumCaughtUpTimeDesc, quorumLeaderDesc, quorumEpochDesc}

// ControllerQuorum renders the KRaft controller quorum as the judge saw it
// (risk.Quorum). Nothing is rendered when the last poll did not read it (a
// ZooKeeper cluster, or the step failed).
type ControllerQuorum struct {
	source VerdictsSource
}

// NewControllerQuorum returns the controller-quorum collector.
func NewControllerQuorum(source VerdictsSource) *ControllerQuorum {
	return &ControllerQuorum{source: source}
}

func (c *ControllerQuorum) families() []*family { return quorumFamilies }

// Describe implements prometheus.Collector.
func (c *ControllerQuorum) Describe(ch chan<- *prometheus.Desc) { describe(ch, quorumFamilies) }

// Collect implements prometheus.Collector.
func (c *ControllerQuorum) Collect(ch chan<- prometheus.Metric) {
	c.render(channelWriter(ch), c.source.Verdicts())
}

func (c *ControllerQuorum) render(w sampleWriter, v *risk.Verdicts) {
	if v == nil || v.Quorum == nil {
		return
	}
	q, st := v.Snapshot.Quorum, v.Quorum
	w.sample(quorumVotersDesc, float64(st.Voters))
	w.sample(quorumCaughtUpDesc, float64(st.CaughtUp))
	w.sample(quorumLeaderDesc, float64(q.LeaderID))
	w.sample(quorumEpochDesc, float64(q.LeaderEpoch))
	for _, r := range st.Replicas {
		if r.LagRecords >= 0 {
			w.sample(quorumLagDesc, float64(r.LagRecords), id(r.ID))
		}
		if !r.LastCaughtUp.IsZero() {
			w.sample(quorumCaughtUpTimeDesc, unixSeconds(r.LastCaughtUp), id(r.ID))
		}
	}
}

var _ renderer = (*ControllerQuorum)(nil)
