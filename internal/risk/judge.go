package risk

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"

// Judge judges one snapshot under a policy: the only place the rules of this
// package are applied to a poll. It is pure (no I/O, no state across
// calls); the poller calls it once per poll and publishes the result beside
// the snapshot. A snapshot whose metadata could not be read gets verdicts
// with nothing in them.
func Judge(s *snapshot.Snapshot, policy Policy) *Verdicts {
	v := &Verdicts{Snapshot: s}
	if !s.Succeeded(snapshot.CollectorMetadata) {
		return v
	}
	live := LiveBrokers(s)
	racks := ClusterRacks(s)
	v.Brokers = Brokers(s)
	v.BrokerLag = BrokerReplicaLag(s)
	v.Topics = make([]TopicVerdict, len(s.Topics))
	for ti := range s.Topics {
		v.Topics[ti] = judgeTopic(s, &s.Topics[ti], live, racks, policy.Topic(s.Topics[ti].Name))
		v.Degraded = v.Degraded || v.Topics[ti].UnderReplicated > 0 || v.Topics[ti].Offline > 0
	}
	judgeProducers(v)
	if s.Configs != nil {
		v.Cluster = &ClusterVerdict{
			Findings:       ClusterFindings(s, policy.Cluster()),
			BrokerDefaults: AllBrokerDefaults(s.Configs),
		}
	}
	if s.Quorum != nil && s.Succeeded(snapshot.CollectorControllerQuorum) {
		q := Quorum(s.Quorum)
		v.Quorum = &q
	}
	return v
}

// judgeTopic judges one topic of s and its partitions.
func judgeTopic(s *snapshot.Snapshot, t *snapshot.Topic, live Live, racks Racks, th Thresholds) TopicVerdict {
	tv := TopicVerdict{Config: EffectiveTopicConfig(t, s.Configs), Partitions: make([]PartitionVerdict, len(t.Partitions))}
	minISR := 0
	if tv.Config.Known {
		minISR = tv.Config.MinInsyncReplicas
	}
	worst := 0
	for pi := range t.Partitions {
		p := &t.Partitions[pi]
		pv := PartitionVerdict{Health: PartitionHealthOf(p, live), SingleInSync: SingleInSyncReplica(p),
			LeaderUnresponsive: p.Leader != snapshot.NoLeader && !s.BrokerResponding(p.Leader)}
		pv.Healthy = Healthy(p, pv.Health) && !pv.LeaderUnresponsive
		pv.LogEnds = PartitionLogEnds(p)
		if pv.LogEnds.Known {
			tv.Uncommitted += pv.LogEnds.Uncommitted
			tv.UncommittedKnown = true
		}
		tv.Reassigning += count(p.Reassignment != nil)
		if tv.Config.Known {
			pv.MinISR = PartitionMinISR(p, minISR)
		}
		tv.UnderReplicated += count(pv.Health.UnderReplicated)
		tv.Offline += count(pv.Health.Offline)
		tv.UnderMinISR += count(pv.MinISR.UnderMinISR)
		tv.AtMinISR += count(pv.MinISR.AtMinISR)
		tv.SingleInSync += count(pv.SingleInSync)
		tv.LeaderUnresponsive += count(pv.LeaderUnresponsive)
		worst = max(worst, stateWeight(pv, minISR))
		tv.Partitions[pi] = pv
	}
	tv.Findings = append(TopicFindings(t, tv.Config, racks, th), ProducerFindings(t.Name, s.Producers, th)...)
	tv.Score = scoreOf(worst, tv.Findings)
	tv.Thresholds = th
	return tv
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}
