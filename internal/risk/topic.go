package risk

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"

// Racks maps broker ids to their rack ("" when the broker has none).
type Racks map[int32]string

// ClusterRacks returns the racks of the brokers the snapshot knows of: the
// live brokers from Metadata, plus broker.rack of the brokers whose
// configuration was read (so that a broker that is down keeps its rack).
func ClusterRacks(s *snapshot.Snapshot) Racks {
	racks := Racks{}
	if s.Configs != nil {
		for id, rc := range s.Configs.Brokers {
			if v, ok := rc.Get("broker.rack"); ok {
				racks[id] = v.Value
			}
		}
	}
	for _, b := range s.Brokers {
		racks[b.ID] = b.Rack
	}
	return racks
}

// distinct counts the distinct non-empty racks.
func (r Racks) distinct() int {
	seen := map[string]bool{}
	for _, rack := range r {
		if rack != "" {
			seen[rack] = true
		}
	}
	return len(seen)
}

// InOneRack reports whether every replica of a partition with two or more
// replicas sits in the same rack while the cluster spans several racks. A
// replica on a broker whose rack is unknown makes the answer false.
func InOneRack(replicas []int32, racks Racks) bool {
	if len(replicas) < 2 || racks.distinct() < 2 {
		return false
	}
	first := ""
	for i, id := range replicas {
		rack := racks[id]
		if rack == "" {
			return false
		}
		if i == 0 {
			first = rack
		} else if rack != first {
			return false
		}
	}
	return true
}

// TopicFindings returns the topic's loss risks, in TopicRisks order, under
// the thresholds th. Risks that need the configuration are only judged when
// cfg.Known; the replication factor and rack placement are judged from the
// metadata alone. Ignored risks are left out.
func TopicFindings(t *snapshot.Topic, cfg TopicConfig, racks Racks, th Thresholds) []string {
	var out []string
	add := func(risk string, cond bool) {
		if cond && !th.Ignored[risk] {
			out = append(out, risk)
		}
	}
	rf := cfg.ReplicationFactor
	hasPartitions := len(t.Partitions) > 0
	add(RiskReplicationFactorBelow3, hasPartitions && rf < th.MinReplicationFactor)
	add(RiskMinInsyncReplicasBelow2, cfg.Known && cfg.MinInsyncReplicas < th.MinInsyncReplicas)
	add(RiskNoWriteFaultTolerance, cfg.Known && hasPartitions && rf <= cfg.MinInsyncReplicas)
	add(RiskUncleanLeaderElection, cfg.Known && cfg.UncleanLeaderElection)
	oneRack := false
	for _, p := range t.Partitions {
		if InOneRack(p.Replicas, racks) {
			oneRack = true
			break
		}
	}
	add(RiskReplicasInOneRack, oneRack)
	return out
}
