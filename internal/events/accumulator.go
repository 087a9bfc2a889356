package events

import (
	"sort"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// ForgetAfter is how many successful polls in a row a topic or broker id may
// be missing before its counters are dropped. A topic that vanishes for one
// poll (a Metadata answer with a topic-level error) keeps its counters and
// its last known state; a deleted topic's series go away after this many
// polls, so topic churn does not grow the exporter's output forever.
const ForgetAfter = 10

// TopicCounts are the event counters of one topic since the exporter started.
type TopicCounts struct {
	ISRShrinks, ISRExpands, LeaderChanges, SuspectedUncleanElections uint64
	// TruncatedMessages is the number of offsets that vanished.
	TruncatedMessages uint64
}

// PartitionKey names one partition.
type PartitionKey struct {
	Topic     string
	Partition int32
}

// Counts is a copy of the accumulated counters, safe to read at leisure.
type Counts struct {
	// Topics has an entry for every topic seen, from its first poll on.
	Topics map[string]TopicCounts
	// BrokerISRShrinks counts, per broker id seen, the replicas of that
	// broker dropped from an ISR.
	BrokerISRShrinks map[int32]uint64
	// LastISRChange is when the last poll that saw a partition's ISR change
	// started, only for partitions whose ISR changed.
	LastISRChange map[PartitionKey]time.Time
}

// Accumulator counts the events between successive polls. Register Observe
// with the poller; read Counts from any goroutine.
//
// A failed poll changes nothing: the next successful poll is compared with
// the last successful one, so every event is counted once, however many
// polls failed in between. The comparison base keeps, for each partition,
// the last offsets that were known: a partition whose offsets could not be
// read for a while (offline, leader unreachable) is compared, when they come
// back, with the offsets it had before, so the messages lost in an unclean
// election that happened while it was offline are counted, and no loss is
// invented from the gap.
type Accumulator struct {
	logger log.Logger

	mu             sync.Mutex
	base           *snapshot.Snapshot
	topics         map[string]*TopicCounts
	brokers        map[int32]uint64
	lastISR        map[PartitionKey]time.Time
	missingTopics  map[string]int
	missingBrokers map[int32]int
}

// NewAccumulator returns an empty accumulator that logs events to logger:
// suspected unclean elections and truncations at warn level, ISR and leader
// changes at debug level, and one info line per poll that saw events.
func NewAccumulator(logger log.Logger) *Accumulator {
	return &Accumulator{
		logger:         logger,
		topics:         map[string]*TopicCounts{},
		brokers:        map[int32]uint64{},
		lastISR:        map[PartitionKey]time.Time{},
		missingTopics:  map[string]int{},
		missingBrokers: map[int32]int{},
	}
}

// Observe takes one poll's outcome. It has the signature of poller.Observer.
func (a *Accumulator) Observe(s *snapshot.Snapshot, err error) {
	if err != nil || s == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()

	changes := Diff(a.base, s)
	for _, c := range changes {
		a.count(c, s.Time)
	}
	a.logChanges(changes)
	a.forgetRecreated(s)
	a.track(s)
	a.base = carryForward(a.base, s, func(topic string) bool { _, ok := a.topics[topic]; return ok })
}

// count adds one partition's events to the counters.
func (a *Accumulator) count(c PartitionChange, at time.Time) {
	tc := a.topics[c.Topic]
	if tc == nil {
		tc = &TopicCounts{}
		a.topics[c.Topic] = tc
	}
	if c.ISRShrunk() {
		tc.ISRShrinks++
		for _, id := range c.RemovedFromISR {
			a.brokers[id]++
		}
	}
	if c.ISRExpanded() {
		tc.ISRExpands++
	}
	if c.ISRChanged() {
		a.lastISR[PartitionKey{c.Topic, c.Partition}] = at
	}
	if c.LeaderChanged {
		tc.LeaderChanges++
	}
	if c.SuspectedUnclean {
		tc.SuspectedUncleanElections++
	}
	if c.Truncated > 0 {
		tc.TruncatedMessages += uint64(c.Truncated)
	}
}

// forgetRecreated drops the per-partition state of topics that were deleted
// and re-created under the same name since the last poll: their partitions
// are new ones. The topic's counters go on.
func (a *Accumulator) forgetRecreated(s *snapshot.Snapshot) {
	if a.base == nil {
		return
	}
	for ti := range s.Topics {
		t := &s.Topics[ti]
		if pt := a.base.Topic(t.Name); pt != nil && !SameTopic(pt, t) {
			level.Info(a.logger).Log("msg", "topic was deleted and re-created; its partitions start over", "topic", t.Name)
			for k := range a.lastISR {
				if k.Topic == t.Name {
					delete(a.lastISR, k)
				}
			}
		}
	}
}

// track starts counters at 0 for new topics and broker ids, and forgets the
// ones missing for ForgetAfter successful polls in a row.
func (a *Accumulator) track(s *snapshot.Snapshot) {
	seenT := make(map[string]bool, len(s.Topics))
	seenB := map[int32]bool{}
	for _, b := range s.Brokers {
		seenB[b.ID] = true
	}
	for ti := range s.Topics {
		t := &s.Topics[ti]
		seenT[t.Name] = true
		if a.topics[t.Name] == nil {
			a.topics[t.Name] = &TopicCounts{}
		}
		for pi := range t.Partitions {
			for _, id := range t.Partitions[pi].Replicas {
				seenB[id] = true
			}
		}
	}
	for id := range seenB {
		if _, ok := a.brokers[id]; !ok {
			a.brokers[id] = 0
		}
		delete(a.missingBrokers, id)
	}
	for name := range a.topics {
		if seenT[name] {
			delete(a.missingTopics, name)
			continue
		}
		if a.missingTopics[name]++; a.missingTopics[name] >= ForgetAfter {
			delete(a.topics, name)
			delete(a.missingTopics, name)
			for k := range a.lastISR {
				if k.Topic == name {
					delete(a.lastISR, k)
				}
			}
		}
	}
	for id := range a.brokers {
		if seenB[id] {
			continue
		}
		if a.missingBrokers[id]++; a.missingBrokers[id] >= ForgetAfter {
			delete(a.brokers, id)
			delete(a.missingBrokers, id)
		}
	}
}

// carryForward returns the base the next poll is compared with: cur, except
// that a partition whose offsets cur does not know keeps the last known
// ones, a partition whose cur metadata is stale keeps its previous state,
// and a topic missing from cur is kept while keep says so.
func carryForward(prev, cur *snapshot.Snapshot, keep func(topic string) bool) *snapshot.Snapshot {
	next := &snapshot.Snapshot{
		Time:         cur.Time,
		ClusterID:    cur.ClusterID,
		ControllerID: cur.ControllerID,
		Brokers:      cur.Brokers,
		Topics:       make([]snapshot.Topic, 0, len(cur.Topics)),
	}
	for ti := range cur.Topics {
		t := cur.Topics[ti]
		var pt *snapshot.Topic
		if prev != nil {
			pt = prev.Topic(t.Name)
		}
		if pt != nil && SameTopic(pt, &t) {
			parts := make([]snapshot.Partition, len(t.Partitions))
			for pi, p := range t.Partitions {
				if pp := pt.Partition(p.ID); pp != nil {
					if StaleMetadata(pp, &p) {
						p = *pp
					} else if !p.Offsets.Known && pp.Offsets.Known {
						p.Offsets = pp.Offsets
					}
				}
				parts[pi] = p
			}
			t.Partitions = parts
		}
		next.Topics = append(next.Topics, t)
	}
	if prev != nil {
		for _, t := range prev.Topics {
			if cur.Topic(t.Name) == nil && keep(t.Name) {
				next.Topics = append(next.Topics, t)
			}
		}
		sort.Slice(next.Topics, func(i, j int) bool { return next.Topics[i].Name < next.Topics[j].Name })
	}
	return next
}

// logChanges logs what one poll found.
func (a *Accumulator) logChanges(changes []PartitionChange) {
	if len(changes) == 0 {
		return
	}
	var shrinks, expands, leaders, unclean int
	var truncated int64
	for _, c := range changes {
		if c.ISRShrunk() {
			shrinks++
			level.Debug(a.logger).Log("msg", "ISR shrank", "topic", c.Topic, "partition", c.Partition, "removed", c.RemovedFromISR)
		}
		if c.ISRExpanded() {
			expands++
			level.Debug(a.logger).Log("msg", "ISR expanded", "topic", c.Topic, "partition", c.Partition, "added", c.AddedToISR)
		}
		if c.LeaderChanged {
			leaders++
			level.Debug(a.logger).Log("msg", "leader changed", "topic", c.Topic, "partition", c.Partition,
				"from", c.PrevLeader, "to", c.Leader, "from_epoch", c.PrevLeaderEpoch, "to_epoch", c.LeaderEpoch)
		}
		if c.SuspectedUnclean {
			unclean++
			level.Warn(a.logger).Log("msg", "suspected unclean leader election", "topic", c.Topic, "partition", c.Partition,
				"from", c.PrevLeader, "to", c.Leader, "from_epoch", c.PrevLeaderEpoch, "to_epoch", c.LeaderEpoch)
		}
		if c.Truncated > 0 {
			truncated += c.Truncated
			level.Warn(a.logger).Log("msg", "log truncated: messages lost", "topic", c.Topic, "partition", c.Partition,
				"lost_offsets", c.Truncated, "high_watermark_before", c.PrevLatest, "high_watermark_now", c.Latest)
		}
	}
	level.Info(a.logger).Log("msg", "replication events since the last poll", "isr_shrinks", shrinks, "isr_expands", expands,
		"leader_changes", leaders, "suspected_unclean_elections", unclean, "truncated_messages", truncated)
}

// Counts returns a copy of the counters.
func (a *Accumulator) Counts() Counts {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := Counts{
		Topics:           make(map[string]TopicCounts, len(a.topics)),
		BrokerISRShrinks: make(map[int32]uint64, len(a.brokers)),
		LastISRChange:    make(map[PartitionKey]time.Time, len(a.lastISR)),
	}
	for k, v := range a.topics {
		c.Topics[k] = *v
	}
	for k, v := range a.brokers {
		c.BrokerISRShrinks[k] = v
	}
	for k, v := range a.lastISR {
		c.LastISRChange[k] = v
	}
	return c
}
