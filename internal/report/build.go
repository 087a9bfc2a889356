package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// headroomAlertSeconds and headroomLagShare are the thresholds of the
// KafkaConsumerGroupRetentionHeadroomLow alert: less than an hour left, and
// less than a third of the group's lag.
const (
	headroomAlertSeconds = 3600
	headroomLagShare     = 3
)

// The thresholds of the other alerts whose conditions the report judges
// from one poll: KafkaConsumerGroupOffsetsExpiring (offsets deleted within a
// day), KafkaConsumerGroupOffsetsExpiredUnread and
// KafkaConsumerGroupSkippedMessages (a counter grew within 30 minutes).
const (
	offsetsExpiryAlertSeconds = 86400
	lossCounterWindow         = 30 * time.Minute
)

// Input is what one poll produced: the judge's verdicts on its snapshot,
// and the consumer tracker's report of the same poll.
type Input struct {
	// Verdicts are risk.Judge's verdicts on the poll (nil: no poll yet).
	Verdicts *risk.Verdicts
	// Groups is the consumer report of the same poll (nil when consumer
	// groups were not read); a report of another poll is ignored.
	Groups *consumers.Report
}

// Build builds the report of one poll. It judges nothing itself: it reads
// the verdicts the collectors that render /metrics read too, so the report
// and the metrics agree.
func Build(in Input) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Findings: []Finding{}, Topics: []TopicScore{}, Parts: []Part{}}
	v := in.Verdicts
	if v == nil {
		return r
	}
	s := v.Snapshot
	r.Time, r.Duration, r.ClusterID = s.Time, s.Duration, s.ClusterID
	b := builder{r: r}
	for _, c := range s.Collectors {
		r.Parts = append(r.Parts, Part{Name: c.Name, Success: c.Success, Error: c.Err})
		if !c.Success && c.Err != "" {
			b.add(Finding{Kind: KindExporter, Subject: c.Name, Risk: RiskPartFailed, Detail: "this part of the poll failed: " + c.Err})
		}
	}
	if s.Succeeded(snapshot.CollectorMetadata) {
		b.brokers(s, v.Brokers)
		b.topics(v)
		if v.Cluster != nil {
			for _, f := range v.Cluster.Findings {
				b.add(Finding{Kind: KindCluster, Subject: "cluster", Risk: f, Detail: clusterDetails[f]})
			}
		}
		if in.Groups != nil && in.Groups.Snapshot == s {
			b.groups(in.Groups, s.Time)
		}
	}
	slices.SortStableFunc(r.Findings, compareFindings)
	slices.SortStableFunc(r.Topics, func(a, b TopicScore) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Topic, b.Topic))
	})
	for _, f := range r.Findings {
		switch f.Severity {
		case Critical:
			r.Summary.Critical++
		case Warning:
			r.Summary.Warning++
		default:
			r.Summary.Info++
		}
	}
	return r
}

type builder struct{ r *Report }

// add completes a finding from its risk's rule and appends it.
func (b builder) add(f Finding) {
	ru, ok := rules[f.Risk]
	if !ok {
		ru = rule{Warning, "see docs/risks.md", "KafkaTopicLossRisk"}
	}
	f.Severity = ru.severity
	f.Fix = ru.fix
	if strings.Contains(f.Fix, "%s") {
		f.Fix = fmt.Sprintf(f.Fix, f.Subject)
	}
	f.Runbook = runbook(ru.alert)
	b.r.Findings = append(b.r.Findings, f)
}

// brokers adds a finding for each broker that is down or does not answer.
// A broker both down and unresponsive (hung, then fenced by the controller)
// gets the heavier one, broker_unresponsive, as a partition gets its
// heaviest state.
func (b builder) brokers(s *snapshot.Snapshot, health []risk.BrokerHealth) {
	b.r.Summary.Brokers = len(s.Brokers)
	down := map[int32]int{} // out-of-sync replicas of the brokers down
	for _, h := range health {
		if !h.Up {
			down[h.ID] = h.OutOfSyncReplicas
			b.r.Summary.BrokersDown++
		}
	}
	for _, id := range s.Unresponsive {
		b.r.Summary.BrokersUnresponsive++
		detail := fmt.Sprintf("a request timed out and it has not answered since; partitions it leads: %d", leads(s, id))
		if n, ok := down[id]; ok {
			detail += fmt.Sprintf("; not in the live broker list, %d of its replicas are out of sync", n)
			delete(down, id)
		}
		b.add(Finding{Kind: KindBroker, Subject: brokerSubject(id), Broker: &id, Risk: RiskBrokerUnresponsive, Detail: detail})
	}
	for id, n := range down {
		b.add(Finding{Kind: KindBroker, Subject: brokerSubject(id), Broker: &id, Risk: RiskBrokerDown,
			Detail: fmt.Sprintf("not in the live broker list; %d of its replicas are out of sync", n)})
	}
}

func brokerSubject(id int32) string { return "broker " + strconv.Itoa(int(id)) }

// leads counts the partitions broker id leads.
func leads(s *snapshot.Snapshot, id int32) int {
	n := 0
	for ti := range s.Topics {
		for pi := range s.Topics[ti].Partitions {
			if s.Topics[ti].Partitions[pi].Leader == id {
				n++
			}
		}
	}
	return n
}

// topics adds the findings and scores of the judged topics.
func (b builder) topics(v *risk.Verdicts) {
	s := v.Snapshot
	racks := risk.ClusterRacks(s) // only to name a partition in one rack
	b.r.Summary.Topics = len(s.Topics)
	for ti := range s.Topics {
		t, tv := &s.Topics[ti], &v.Topics[ti]
		minISR := 0
		if tv.Config.Known {
			minISR = tv.Config.MinInsyncReplicas
		}
		unhealthy := 0
		for pi := range t.Partitions {
			if b.partition(t.Name, &t.Partitions[pi], &tv.Partitions[pi], minISR) {
				unhealthy++
			}
		}
		b.r.Summary.Partitions += len(t.Partitions)
		b.r.Summary.HealthyPartitions += len(t.Partitions) - unhealthy
		for _, f := range tv.Findings {
			b.add(Finding{Kind: KindTopic, Subject: t.Name, Topic: t.Name, Risk: f, Detail: topicDetail(f, t, tv.Config, racks, tv.Thresholds)})
		}
		if tp := tv.Producers; tp != nil && tp.TransactionsOpen {
			b.transactions(t, tp, s.Producers.Current)
		}
		if tv.Score > 0 {
			b.r.Topics = append(b.r.Topics, TopicScore{Topic: t.Name, Score: tv.Score, Partitions: len(t.Partitions),
				UnhealthyPartitions: unhealthy, Risks: append([]string{}, tv.Findings...)})
		}
	}
}

// partition adds the partition's finding, the heaviest state that applies
// (offline, then a leader that does not answer, then the order of
// risk.PartitionStateWeight; under and at min ISR only for a partition that
// lost replicas, as the alerts do), and reports whether it had one.
func (b builder) partition(topic string, p *snapshot.Partition, pv *risk.PartitionVerdict, minISR int) bool {
	h := pv.Health
	var st risk.MinISRState
	if minISR > 0 {
		st = pv.MinISR
	}
	var which string
	switch {
	case h.Offline:
		which = RiskOffline
	case pv.LeaderUnresponsive:
		which = RiskLeaderUnresponsive
	case h.UnderReplicated && st.UnderMinISR:
		which = RiskUnderMinISR
	case pv.SingleInSync:
		which = RiskSingleInSync
	case h.UnderReplicated && st.AtMinISR:
		which = RiskAtMinISR
	case h.UnderReplicated:
		which = RiskUnderReplicated
	default:
		return false
	}
	id := p.ID
	detail := fmt.Sprintf("leader %s, replicas %s, in sync %s", leader(p.Leader), ids(p.Replicas), ids(p.ISR))
	if minISR > 0 {
		detail += fmt.Sprintf(", min.insync.replicas %d", minISR)
	}
	b.add(Finding{Kind: KindPartition, Subject: topic + "/" + strconv.Itoa(int(id)), Topic: topic, Partition: &id, Risk: which, Detail: detail})
	return true
}

func (b builder) groups(gr *consumers.Report, now time.Time) {
	b.r.Summary.Groups = len(gr.Groups)
	for gi := range gr.Groups {
		g := &gr.Groups[gi]
		b.offsetsExpiring(g)
		for ti := range g.Topics {
			t := &g.Topics[ti]
			subject := g.Name + " on " + t.Name
			var behind int64
			var parts []int32
			for _, p := range t.Partitions {
				if p.Lag.Known && p.Lag.BehindLogStart > 0 {
					behind += p.Lag.BehindLogStart
					parts = append(parts, p.ID)
				}
			}
			if behind > 0 {
				b.add(Finding{Kind: KindGroup, Subject: subject, Topic: t.Name, Group: g.Name, Risk: RiskBehindLogStart,
					Detail: fmt.Sprintf("%d unread messages deleted by retention on partitions %s", behind, ids(parts))})
			}
			if t.HeadroomKnown && t.MaxLagSecondsKnown && t.Headroom < headroomAlertSeconds && t.Headroom < t.MaxLagSeconds/headroomLagShare {
				b.add(Finding{Kind: KindGroup, Subject: subject, Topic: t.Name, Group: g.Name, Risk: RiskHeadroomLow,
					Detail: fmt.Sprintf("retention deletes unread messages in %.0f s; the group is %.0f s behind", t.Headroom, t.MaxLagSeconds)})
			}
			b.lossCounters(g.Name, t.Name, t.ExpiredUnread, t.ExpiredUnreadAt, t.Skipped, t.SkippedAt, now)
		}
	}
	for _, g := range gr.Gone {
		for _, t := range g.Topics {
			b.lossCounters(g.Name, t.Name, t.ExpiredUnread, t.ExpiredUnreadAt, t.Skipped, t.SkippedAt, now)
		}
	}
}

// offsetsExpiring adds the finding of KafkaConsumerGroupOffsetsExpiring: a
// group without active members whose committed offsets Kafka deletes
// within a day, while it has unread messages.
func (b builder) offsetsExpiring(g *consumers.Group) {
	if !g.OffsetsExpiryKnown || g.OffsetsExpiry >= offsetsExpiryAlertSeconds {
		return
	}
	var lag int64
	for _, t := range g.Topics {
		lag += t.LagSum
	}
	if lag <= 0 {
		return
	}
	b.add(Finding{Kind: KindGroup, Subject: g.Name, Group: g.Name, Risk: RiskOffsetsExpiring,
		Detail: fmt.Sprintf("no active member: Kafka deletes its committed offsets in %.0f s (offsets.retention.minutes) while %d messages wait unread", g.OffsetsExpiry, lag)})
}

// lossCounters adds the findings of KafkaConsumerGroupOffsetsExpiredUnread
// and KafkaConsumerGroupSkippedMessages for a group on a topic: the
// counter grew within the alerts' 30 minutes before the poll.
func (b builder) lossCounters(group, topic string, expired uint64, expiredAt time.Time, skipped uint64, skippedAt time.Time, now time.Time) {
	subject := group + " on " + topic
	if grewWithin(expiredAt, now) {
		b.add(Finding{Kind: KindGroup, Subject: subject, Topic: topic, Group: group, Risk: RiskOffsetsExpiredUnread,
			Detail: fmt.Sprintf("Kafka deleted its committed offsets with unread messages (%d since the exporter started, the last at %s)",
				expired, expiredAt.UTC().Format(time.RFC3339))})
	}
	if grewWithin(skippedAt, now) {
		b.add(Finding{Kind: KindGroup, Subject: subject, Topic: topic, Group: group, Risk: RiskSkippedMessages,
			Detail: fmt.Sprintf("its committed offsets moved past unread messages (%d since the exporter started, the last at %s)",
				skipped, skippedAt.UTC().Format(time.RFC3339))})
	}
}

// grewWithin reports whether a counter that last grew at the poll of time
// at grew within lossCounterWindow before now (the alerts' increase over
// 30 minutes).
func grewWithin(at, now time.Time) bool {
	return !at.IsZero() && !at.After(now) && now.Sub(at) < lossCounterWindow
}

// topicDetail says what was seen for one topic risk.
func topicDetail(f string, t *snapshot.Topic, cfg risk.TopicConfig, racks risk.Racks, th risk.Thresholds) string {
	switch f {
	case risk.RiskReplicationFactorBelow3:
		return fmt.Sprintf("replication factor %d, below the policy's %d", cfg.ReplicationFactor, th.MinReplicationFactor)
	case risk.RiskMinInsyncReplicasBelow2:
		return fmt.Sprintf("min.insync.replicas %d, below the policy's %d: acks=all is acknowledged by fewer copies", cfg.MinInsyncReplicas, th.MinInsyncReplicas)
	case risk.RiskNoWriteFaultTolerance:
		return fmt.Sprintf("replication factor %d <= min.insync.replicas %d: losing one replica stops acks=all writes", cfg.ReplicationFactor, cfg.MinInsyncReplicas)
	case risk.RiskUncleanLeaderElection:
		return "unclean.leader.election.enable=true: an out-of-sync replica may become leader and truncate acked messages"
	case risk.RiskNonIdempotentWrites:
		return "the topic was written and no partition shows an idempotent producer: retries may duplicate or reorder"
	case risk.RiskReplicasInOneRack:
		for _, p := range t.Partitions {
			if risk.InOneRack(p.Replicas, racks) {
				return fmt.Sprintf("every replica of partition %d is in rack %s", p.ID, racks[p.Replicas[0]])
			}
		}
	}
	return f
}

func leader(id int32) string {
	if id == snapshot.NoLeader {
		return "none"
	}
	return strconv.Itoa(int(id))
}

// ids formats broker or partition ids as "[1,2,3]".
func ids(v []int32) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = strconv.Itoa(int(id))
	}
	return "[" + strings.Join(s, ",") + "]"
}

// compareFindings orders findings: most severe first, then by kind, group,
// topic, partition, broker and subject. Findings equal on all of these keep
// the order they were added in (a topic's risks in documentation order).
func compareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]),
		cmp.Compare(a.Group, b.Group),
		cmp.Compare(a.Topic, b.Topic),
		cmp.Compare(ptr(a.Partition), ptr(b.Partition)),
		cmp.Compare(ptr(a.Broker), ptr(b.Broker)),
		cmp.Compare(a.Subject, b.Subject),
	)
}

func ptr(p *int32) int32 {
	if p == nil {
		return -1
	}
	return *p
}
