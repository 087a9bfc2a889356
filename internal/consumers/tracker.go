package consumers

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Options tune the state kept across polls.
type Options struct {
	// TablePoints bounds each partition's lag table (see risk.LagTable).
	TablePoints int
	// StatusWindow is the number of polls a status evaluation looks at.
	StatusWindow int
	// ReadTimestamps makes Needs list the records whose timestamps would
	// give a lag in seconds the tables cannot (--lag.read-timestamps).
	ReadTimestamps bool
}

// Tracker keeps per-partition lag tables and per-group state across polls.
// Observe is called by the poller for every poll, on its goroutine; Report
// may be called from any goroutine.
type Tracker struct {
	opts Options

	mu       sync.Mutex
	topics   map[string]*topicTables
	groups   map[string]*groupState
	lastPoll time.Time // start of the last poll that read the metadata
	// needs are the records to read for lag in seconds at the next poll;
	// asked remembers, by partition, the offset last asked for, so that a
	// record that cannot be read is not asked for again and again.
	needs   []snapshot.RecordRef
	needSet map[snapshot.RecordRef]bool
	// configs are the topics' effective configurations resolved this poll.
	configs map[string]risk.TopicConfig
	asked   map[partKey]int64

	report atomic.Pointer[Report]
}

// topicTables are the lag tables of one topic's partitions, indexed by
// partition id.
type topicTables struct {
	id     [16]byte
	tables []risk.LagTable
	// reset marks the partitions whose history restarted this poll.
	reset []bool
}

type partKey struct {
	topic     string
	partition int32
}

type groupState struct {
	view       risk.GroupView
	rebalances uint64
	lost       map[string]uint64 // by topic
	parts      map[partKey]*partState
}

type partState struct {
	countedUpTo int64
	window      []risk.Observation
}

// NewTracker returns an empty tracker.
func NewTracker(opts Options) *Tracker {
	opts.StatusWindow = max(opts.StatusWindow, risk.MinStatusWindow)
	return &Tracker{opts: opts, topics: map[string]*topicTables{}, groups: map[string]*groupState{}, asked: map[partKey]int64{}}
}

// Needs returns the records whose timestamps the next poll should read: the
// next message of each group whose lag in seconds the last poll could not
// give. It is empty unless Options.ReadTimestamps is set.
func (t *Tracker) Needs() []snapshot.RecordRef {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]snapshot.RecordRef(nil), t.needs...)
}

// applyRecordTimes anchors the lag tables with the record timestamps read
// this poll, highest offset first so that each anchor extends the history.
func (t *Tracker) applyRecordTimes(s *snapshot.Snapshot) {
	rts := append([]snapshot.RecordTime(nil), s.RecordTimes...)
	sort.Slice(rts, func(i, j int) bool { return rts[i].Offset > rts[j].Offset })
	for _, rt := range rts {
		t.asked[partKey{rt.Topic, rt.Partition}] = rt.Offset
		tt := t.topics[rt.Topic]
		if !rt.Found || tt == nil || int(rt.Partition) >= len(tt.tables) {
			continue
		}
		tt.tables[rt.Partition].Anchor(rt.Offset, rt.Time)
	}
}

// Report returns the report of the last poll, nil before the first.
func (t *Tracker) Report() *Report { return t.report.Load() }

// Observe updates the state from one poll and publishes its report. A poll
// that could not read the metadata leaves the state untouched.
func (t *Tracker) Observe(s *snapshot.Snapshot, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s == nil || err != nil || !s.Succeeded(snapshot.CollectorMetadata) {
		t.report.Store(&Report{Snapshot: s})
		return
	}
	t.updateTables(s)
	t.applyRecordTimes(s)
	t.needs, t.needSet = t.needs[:0], map[snapshot.RecordRef]bool{}
	t.configs = map[string]risk.TopicConfig{}
	r := &Report{Snapshot: s, Groups: make([]Group, 0, len(s.Groups))}
	live := make(map[string]bool, len(s.Groups))
	for gi := range s.Groups {
		g := &s.Groups[gi]
		live[g.Name] = true
		r.Groups = append(r.Groups, t.judgeGroup(s, g))
	}
	if s.Succeeded(snapshot.CollectorConsumerGroups) {
		for name := range t.groups {
			if !live[name] {
				delete(t.groups, name)
			}
		}
	}
	t.lastPoll = s.Time
	t.report.Store(r)
}

// topicConfig is the effective configuration of the named topic, resolved
// once per poll from the configuration the configs step read (zero when the
// topic is not in the snapshot).
func (t *Tracker) topicConfig(s *snapshot.Snapshot, name string) risk.TopicConfig {
	if cfg, ok := t.configs[name]; ok {
		return cfg
	}
	var cfg risk.TopicConfig
	if topic := s.Topic(name); topic != nil {
		cfg = risk.EffectiveTopicConfig(topic, s.Configs)
	}
	t.configs[name] = cfg
	return cfg
}

// updateTables adds this poll's latest offsets to the lag tables, restarting
// the tables of re-created topics and truncated partitions, and seeding new
// partitions with "empty at the previous poll".
func (t *Tracker) updateTables(s *snapshot.Snapshot) {
	present := make(map[string]bool, len(s.Topics))
	for ti := range s.Topics {
		topic := &s.Topics[ti]
		present[topic.Name] = true
		tt := t.topics[topic.Name]
		recreated := tt != nil && tt.id != [16]byte{} && topic.ID != [16]byte{} && tt.id != topic.ID
		if tt == nil || recreated {
			tt = &topicTables{id: topic.ID}
			t.topics[topic.Name] = tt
		}
		n := 0
		for _, p := range topic.Partitions {
			n = max(n, int(p.ID)+1)
		}
		old := len(tt.tables)
		if n < old {
			tt.tables = tt.tables[:n]
		}
		for len(tt.tables) < n {
			tt.tables = append(tt.tables, *risk.NewLagTable(t.opts.TablePoints))
		}
		tt.reset = make([]bool, n)
		for i := range tt.reset {
			tt.reset[i] = recreated
		}
		for _, p := range topic.Partitions {
			tb := &tt.tables[p.ID]
			if int(p.ID) >= old && !t.lastPoll.IsZero() {
				// The partition did not exist at the previous poll: it was
				// empty then.
				tb.Add(0, t.lastPoll)
			}
			if !p.Offsets.Known {
				continue
			}
			if pts := tb.Points(); len(pts) > 0 && p.Offsets.Latest < pts[len(pts)-1].Offset {
				tt.reset[p.ID] = true // truncated or re-created without a topic id
			}
			tb.Add(p.Offsets.Latest, s.Time)
		}
	}
	for name := range t.topics {
		if !present[name] {
			delete(t.topics, name)
		}
	}
	for key := range t.asked {
		if tt := t.topics[key.topic]; tt == nil || int(key.partition) >= len(tt.tables) {
			delete(t.asked, key)
		}
	}
}

// judgeGroup updates one group's state and builds its report.
func (t *Tracker) judgeGroup(s *snapshot.Snapshot, g *snapshot.Group) Group {
	st := t.groupState(g)
	has, known := g.HasActiveMembers()
	out := Group{Name: g.Name, State: g.State, Members: len(g.Members), MembersKnown: known, Rebalances: st.rebalances}

	topics := map[string]*Topic{}
	topicOf := func(name string) *Topic {
		if tp, ok := topics[name]; ok {
			return tp
		}
		tp := &Topic{Name: name}
		topics[name] = tp
		return tp
	}
	maxUnknown := map[string]bool{}
	committed := make(map[partKey]bool, len(g.Offsets))
	for _, co := range g.Offsets {
		topic := s.Topic(co.Topic)
		if topic == nil {
			continue // deleted, or left out by the topic filters
		}
		p := topic.Partition(co.Partition)
		if p == nil {
			continue
		}
		key := partKey{co.Topic, co.Partition}
		committed[key] = true
		part := t.judgeCommit(s, st, co, p, has, known)
		tp := topicOf(co.Topic)
		tp.HasOffsets = true
		tp.CurrentOffsetSum += co.Offset
		if part.Lag.Known {
			tp.LagSum += part.Lag.Lag
			if part.Lag.Lag > 0 && !part.LagSecondsKnown {
				maxUnknown[co.Topic] = true
				t.need(key, co.Offset, p.Offsets.Oldest)
			} else if part.LagSecondsKnown {
				tp.MaxLagSeconds = max(tp.MaxLagSeconds, part.LagSeconds)
				tp.MaxLagSecondsKnown = true
			}
			tp.Status, tp.HasStatus = risk.Worst(tp.Status, part.Status), true
			out.Status, out.HasStatus = risk.Worst(out.Status, part.Status), true
		}
		tp.Partitions = append(tp.Partitions, part)
	}
	forget(s, g, st, committed)
	t.judgeAssignment(s, g, topicOf)

	names := make([]string, 0, len(topics))
	for name := range topics {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tp := topics[name]
		if maxUnknown[name] {
			tp.MaxLagSeconds, tp.MaxLagSecondsKnown = 0, false
		}
		if tp.MaxLagSecondsKnown {
			tp.Headroom, tp.HeadroomKnown = risk.RetentionHeadroom(t.topicConfig(s, name), tp.MaxLagSeconds)
		}
		tp.RetentionLost = st.lost[name]
		out.Topics = append(out.Topics, *tp)
	}
	return out
}

// groupState returns the group's state, created on first sight, with the
// rebalances since the last poll counted.
func (t *Tracker) groupState(g *snapshot.Group) *groupState {
	st := t.groups[g.Name]
	if st == nil {
		st = &groupState{lost: map[string]uint64{}, parts: map[partKey]*partState{}, view: viewOf(g)}
		t.groups[g.Name] = st
		return st
	}
	cur := viewOf(g)
	st.rebalances += uint64(risk.Rebalances(st.view, cur))
	if cur.MembersKnown || cur.Generation >= 0 {
		st.view = cur
	}
	return st
}

// judgeCommit updates the state of one committed partition (retention loss
// counted once, the status window) and judges it: lag, lag in seconds and
// status.
func (t *Tracker) judgeCommit(s *snapshot.Snapshot, st *groupState, co snapshot.CommittedOffset, p *snapshot.Partition, has, known bool) Partition {
	key := partKey{co.Topic, co.Partition}
	ps := st.parts[key]
	tt := t.topics[co.Topic]
	if ps == nil {
		ps = &partState{}
		st.parts[key] = ps
	} else if tt != nil && int(co.Partition) < len(tt.reset) && tt.reset[co.Partition] {
		*ps = partState{}
	}
	part := Partition{ID: co.Partition, Committed: co.Offset, Lag: risk.Lag(co.Offset, p.Offsets)}
	if !part.Lag.Known {
		return part
	}
	lost, upTo := risk.RetentionLoss(co.Offset, p.Offsets.Oldest, ps.countedUpTo)
	ps.countedUpTo = upTo
	st.lost[co.Topic] += uint64(lost)
	if ps.window == nil {
		ps.window = make([]risk.Observation, 0, t.opts.StatusWindow)
	}
	if len(ps.window) == t.opts.StatusWindow {
		ps.window = append(ps.window[:0], ps.window[1:]...)
	}
	ps.window = append(ps.window, risk.Observation{Committed: co.Offset, Lag: part.Lag.Lag})
	if tt != nil && int(co.Partition) < len(tt.tables) {
		part.LagSeconds, part.LagSecondsKnown = risk.LagSeconds(&tt.tables[co.Partition], co.Offset, p.Offsets.Latest, s.Time)
	}
	part.Status = risk.PartitionStatus(ps.window, t.opts.StatusWindow, has, known)
	return part
}

// forget drops the state of partitions the group no longer commits on (when
// its offsets were read) and the loss counts of topics that are gone.
func forget(s *snapshot.Snapshot, g *snapshot.Group, st *groupState, committed map[partKey]bool) {
	if g.OffsetsKnown {
		for key := range st.parts {
			if !committed[key] {
				delete(st.parts, key)
			}
		}
	}
	for name := range st.lost {
		if s.Topic(name) == nil {
			delete(st.lost, name)
		}
	}
}

// need asks for the timestamp of a group's next message, unless it was
// asked for already or retention deleted it.
func (t *Tracker) need(key partKey, offset, logStart int64) {
	if !t.opts.ReadTimestamps || offset < logStart {
		return
	}
	if last, ok := t.asked[key]; ok && last == offset {
		return
	}
	ref := snapshot.RecordRef{Topic: key.topic, Partition: key.partition, Offset: offset}
	if t.needSet[ref] {
		return
	}
	t.needSet[ref] = true
	t.needs = append(t.needs, ref)
}

// judgeAssignment counts, for a stable consumer group with members, the
// partitions of its subscribed topics that no member is assigned.
func (t *Tracker) judgeAssignment(s *snapshot.Snapshot, g *snapshot.Group, topicOf func(string) *Topic) {
	if !g.Described || g.State != "Stable" || len(g.Members) == 0 || g.ProtocolType != "consumer" {
		return
	}
	subscribed := map[string]bool{}
	assigned := map[partKey]bool{}
	for _, m := range g.Members {
		if m.Subscribed == nil {
			return // a member's subscription could not be decoded
		}
		for _, topic := range m.Subscribed {
			subscribed[topic] = true
		}
		for topic, parts := range m.Assigned {
			for _, p := range parts {
				assigned[partKey{topic, p}] = true
			}
		}
	}
	for name := range subscribed {
		topic := s.Topic(name)
		if topic == nil {
			continue
		}
		tp := topicOf(name)
		tp.UnassignedKnown = true
		for _, p := range topic.Partitions {
			if !assigned[partKey{name, p.ID}] {
				tp.Unassigned++
			}
		}
	}
}

func viewOf(g *snapshot.Group) risk.GroupView {
	_, known := g.HasActiveMembers()
	v := risk.GroupView{Generation: g.Generation, MembersKnown: known}
	for _, m := range g.Members {
		v.Members = append(v.Members, m.ID)
	}
	return v
}
