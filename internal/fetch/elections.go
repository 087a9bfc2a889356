package fetch

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorElections is the name of the step that reads what judging leader
// elections needs: the eligible leader replicas and where the current
// leader epoch began.
const CollectorElections = "elections"

// describePartitionsLimit is the ResponsePartitionLimit of one
// DescribeTopicPartitions request (Kafka's default); more pages follow the
// cursor.
const describePartitionsLimit = 2000

// leadership is a partition's leader and leader epoch at the previous poll.
type leadership struct{ leader, epoch int32 }

// Elections is the step that reads, only for the partitions that need it,
// the eligible leader replicas (DescribeTopicPartitions, KIP-966: those
// under min.insync.replicas, with an empty ISR, or whose leader changed
// since the previous poll) and where the current leader epoch began
// (OffsetForLeaderEpoch on the leader, for those whose leader changed). It
// runs after the configuration step, whose min.insync.replicas it uses.
// Brokers without DescribeTopicPartitions (before Kafka 3.7) leave the ELR
// unknown without failing the step.
type Elections struct {
	client *kafka.Client
	// prev is each partition's leadership at the previous poll, by topic
	// and partition index (only the step's goroutine uses it).
	prev map[string][]leadership
}

// NewElections returns the elections step.
func NewElections(client *kafka.Client) *Elections {
	return &Elections{client: client, prev: map[string][]leadership{}}
}

// Name implements Step.
func (e *Elections) Name() string { return CollectorElections }

// Run implements Step.
func (e *Elections) Run(ctx context.Context, s *snapshot.Snapshot) error {
	var needELR []partitionRef
	newLeader := map[int32][]partitionRef{}
	for ti := range s.Topics {
		t := &s.Topics[ti]
		prev := e.prev[t.Name]
		minISR := 0
		if cfg := risk.EffectiveTopicConfig(t, s.Configs); cfg.Known {
			minISR = cfg.MinInsyncReplicas
		}
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			changed := false
			if len(prev) == len(t.Partitions) {
				changed = risk.LeaderChanged(&snapshot.Partition{Leader: prev[pi].leader, LeaderEpoch: prev[pi].epoch}, p)
			}
			if risk.NeedsELR(p, minISR, changed) {
				needELR = append(needELR, partitionRef{topic: t.Name, p: p})
			}
			if changed && p.LeaderEpoch > 0 {
				newLeader[p.Leader] = append(newLeader[p.Leader], partitionRef{topic: t.Name, p: p})
			}
		}
	}
	e.remember(s.Topics)

	var elrErr error
	errs := make([]error, len(newLeader))
	leaders := make([]int32, 0, len(newLeader))
	for id := range newLeader {
		leaders = append(leaders, id)
	}
	sort.Slice(leaders, func(i, j int) bool { return leaders[i] < leaders[j] })
	parallel(len(leaders)+1, func(i int) {
		if i == len(leaders) {
			elrErr = describePartitions(ctx, e.client, askBroker(s), needELR)
			return
		}
		errs[i] = epochStarts(ctx, e.client, leaders[i], newLeader[leaders[i]])
	})
	return kafka.JoinErrors(nonNil(append(errs, elrErr)...))
}

// remember keeps every partition's leadership for the next poll.
func (e *Elections) remember(topics []snapshot.Topic) {
	next := make(map[string][]leadership, len(topics))
	for ti := range topics {
		t := &topics[ti]
		ls := make([]leadership, len(t.Partitions))
		for pi, p := range t.Partitions {
			ls[pi] = leadership{p.Leader, p.LeaderEpoch}
		}
		next[t.Name] = ls
	}
	e.prev = next
}

// askBroker picks the broker for cluster-wide questions: the controller
// Metadata named when it is live, else the live broker with the lowest id
// (-1 when none is live).
func askBroker(s *snapshot.Snapshot) int32 {
	if s.BrokerUp(s.ControllerID) {
		return s.ControllerID
	}
	if len(s.Brokers) > 0 {
		return s.Brokers[0].ID
	}
	return -1
}

// describePartitions reads the eligible leader replicas of the partitions in
// refs with DescribeTopicPartitions for their topics, following the cursor
// over as many pages as it takes. A broker without the API leaves them
// unknown and is no error.
func describePartitions(ctx context.Context, client *kafka.Client, broker int32, refs []partitionRef) error {
	if len(refs) == 0 {
		return nil
	}
	want := map[string]map[int32]*snapshot.Partition{}
	var names []string
	for _, ref := range refs {
		if want[ref.topic] == nil {
			want[ref.topic] = map[int32]*snapshot.Partition{}
			names = append(names, ref.topic)
		}
		want[ref.topic][ref.p.ID] = ref.p
	}
	sort.Strings(names)
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	req.ResponsePartitionLimit = describePartitionsLimit
	for _, name := range names {
		rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
		rt.Topic = name
		req.Topics = append(req.Topics, rt)
	}
	// Each page answers at least one partition, so the pages end; the
	// bound guards against a broker whose cursor does not advance.
	for page := 0; page <= len(refs); page++ {
		r, err := client.OnBrokerKmsg(ctx, broker, req)
		if errors.Is(err, kafka.ErrUnsupportedAPI) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("eligible leader replicas (DescribeTopicPartitions): %w", err)
		}
		resp := r.(*kmsg.DescribeTopicPartitionsResponse)
		for _, rt := range resp.Topics {
			if rt.Topic == nil {
				continue
			}
			parts := want[*rt.Topic]
			if rt.ErrorCode != 0 {
				for _, p := range parts {
					p.ELR.Err = sarama.KError(rt.ErrorCode)
				}
				continue
			}
			for _, rp := range rt.Partitions {
				p := parts[rp.Partition]
				if p == nil {
					continue
				}
				if rp.ErrorCode != 0 {
					p.ELR.Err = sarama.KError(rp.ErrorCode)
					continue
				}
				p.ELR = snapshot.ELR{Known: true, Eligible: rp.EligibleLeaderReplicas, LastKnown: rp.LastKnownELR}
			}
		}
		if resp.NextCursor == nil {
			return nil
		}
		req.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: resp.NextCursor.Topic, Partition: resp.NextCursor.Partition}
	}
	return fmt.Errorf("eligible leader replicas (DescribeTopicPartitions): the cursor did not advance after %d pages", len(refs)+1)
}

// epochStarts asks one leader, with one OffsetForLeaderEpoch request, where
// the current leader epoch of each partition in refs began: the end offset
// of the epoch before it on the leader's log.
//
// The request carries the debugging replica id and no current epoch, so
// the broker answers from its own log even if it has not yet taken up the
// leadership the controller gave it (a broker that just came back from a
// pause): its log end then is what survives, the same offset its epoch
// will start at. A consumer's request would get NOT_LEADER_OR_FOLLOWER or
// UNKNOWN_LEADER_EPOCH in that window, and the election would go
// unmeasured.
func epochStarts(ctx context.Context, client *kafka.Client, leader int32, refs []partitionRef) error {
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.ReplicaID = debuggingReplicaID
	idx := map[string]int{}
	for _, ref := range refs {
		i, ok := idx[ref.topic]
		if !ok {
			i = len(req.Topics)
			idx[ref.topic] = i
			rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
			rt.Topic = ref.topic
			req.Topics = append(req.Topics, rt)
		}
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition = ref.p.ID
		rp.CurrentLeaderEpoch = -1
		rp.LeaderEpoch = ref.p.LeaderEpoch - 1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	r, err := client.OnBrokerKmsg(ctx, leader, req)
	if err != nil {
		return fmt.Errorf("leader epoch starts (OffsetForLeaderEpoch): %w", err)
	}
	byKey := map[string]map[int32]*snapshot.Partition{}
	for _, ref := range refs {
		if byKey[ref.topic] == nil {
			byKey[ref.topic] = map[int32]*snapshot.Partition{}
		}
		byKey[ref.topic][ref.p.ID] = ref.p
	}
	for _, rt := range r.(*kmsg.OffsetForLeaderEpochResponse).Topics {
		for _, rp := range rt.Partitions {
			p := byKey[rt.Topic][rp.Partition]
			switch {
			case p == nil:
			case rp.ErrorCode != 0:
				p.EpochStart.Err = sarama.KError(rp.ErrorCode)
			case rp.EndOffset >= 0:
				p.EpochStart = snapshot.EpochStart{Known: true, Offset: rp.EndOffset}
			}
		}
	}
	return nil
}
