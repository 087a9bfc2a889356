package consumers

import (
	"sort"
	"strconv"
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
	// MaxGoneGroups bounds how many vanished groups (offsets expired or
	// deleted) are remembered to judge their return; 0 means
	// DefaultMaxGoneGroups.
	MaxGoneGroups int
}

// DefaultMaxGoneGroups is the default of Options.MaxGoneGroups.
const DefaultMaxGoneGroups = 10000

// Tracker keeps per-partition lag tables and per-group state across polls.
// Observe is called by the poller for every poll, on its goroutine; Report
// may be called from any goroutine.
type Tracker struct {
	opts Options

	mu     sync.Mutex
	topics map[string]*topicTables
	groups map[string]*groupState
	// gone are the groups whose offsets vanished, kept for
	// offsets.retention.minutes (at most MaxGoneGroups) to judge their
	// return and to keep their counters exported.
	gone     map[string]*groupState
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

	// protocolType is the last non-empty protocol type the group had: a
	// group that uses membership keeps it while Empty.
	protocolType string
	// polled is true once the group was judged at a poll, so empty and
	// the partitions' last offsets describe that poll.
	polled bool
	// empty says whether the group had no active member at the last poll.
	empty bool
	// activeAt is the last poll that saw the group with active members
	// (zero when none did since the exporter started watching it).
	activeAt time.Time
	// expiredUnread and skipped count messages by topic (see
	// risk.ExpiredUnread and risk.SkippedMessages).
	expiredUnread map[string]uint64
	skipped       map[string]uint64
	// expiredUnreadAt and skippedAt are the polls at which those counters
	// last grew, by topic (nil until one does).
	expiredUnreadAt map[string]time.Time
	skippedAt       map[string]time.Time
	// goneAt is when the group's offsets vanished (zero while it exists);
	// returned marks the first poll after it came back.
	goneAt   time.Time
	returned bool
}

type partState struct {
	countedUpTo int64
	window      []risk.Observation
	// committed, logStart and latest are the commit and the partition's
	// offsets at the last poll (committed -1 before the first).
	committed, logStart, latest int64
	// commitSince is the last poll before the commit last changed (Unix
	// nanoseconds), for commits without group membership (their expiry
	// runs from the commit); 0 when the exporter has not seen it change.
	commitSince int64
	// sinceSkip counts the polls since the commit last skipped messages
	// (risk.SkippedMessages); noSkip when it did not within the window.
	sinceSkip uint16
}

// noSkip is partState.sinceSkip when no skip is in the status window.
const noSkip = ^uint16(0)

// NewTracker returns an empty tracker.
func NewTracker(opts Options) *Tracker {
	opts.StatusWindow = max(opts.StatusWindow, risk.MinStatusWindow)
	if opts.MaxGoneGroups <= 0 {
		opts.MaxGoneGroups = DefaultMaxGoneGroups
	}
	return &Tracker{opts: opts, topics: map[string]*topicTables{}, groups: map[string]*groupState{},
		gone: map[string]*groupState{}, asked: map[partKey]int64{}}
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
	retention, retentionKnown := offsetsRetention(s)
	r := &Report{Snapshot: s, Groups: make([]Group, 0, len(s.Groups))}
	live := make(map[string]bool, len(s.Groups))
	for gi := range s.Groups {
		g := &s.Groups[gi]
		live[g.Name] = true
		out := t.judgeGroup(s, g)
		if retentionKnown {
			out.OffsetsExpiry, out.OffsetsExpiryKnown = t.offsetsExpiry(g, retention, s.Time)
		}
		r.Groups = append(r.Groups, out)
	}
	if s.Succeeded(snapshot.CollectorConsumerGroups) {
		for name, st := range t.groups {
			if !live[name] {
				t.vanish(s, name, st)
			}
		}
	}
	t.forgetGone(s.Time, retention)
	r.Gone = t.goneReport()
	t.lastPoll = s.Time
	t.report.Store(r)
}

// offsetsRetention is offsets.retention.minutes as the brokers report it
// (the shortest, should they differ), unknown when no broker's
// configuration could be read.
func offsetsRetention(s *snapshot.Snapshot) (time.Duration, bool) {
	if s.Configs == nil {
		return 0, false
	}
	var shortest time.Duration
	known := false
	for _, rc := range s.Configs.Brokers {
		v, ok := rc.Get(snapshot.ConfigOffsetsRetentionMinutes)
		if !ok {
			continue
		}
		minutes, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil || minutes <= 0 {
			continue
		}
		d := time.Duration(minutes) * time.Minute
		if !known || d < shortest {
			shortest, known = d, true
		}
	}
	return shortest, known
}

// offsetsExpiry is the time left before Kafka deletes the offsets of a group
// without active members (risk.OffsetsExpiry), known only when the exporter
// saw the clock start: the group leave (groups with membership), or every
// commit change (groups that only commit offsets).
func (t *Tracker) offsetsExpiry(g *snapshot.Group, retention time.Duration, now time.Time) (float64, bool) {
	st := t.groups[g.Name]
	if st == nil || len(g.Offsets) == 0 {
		return 0, false
	}
	if has, known := g.HasActiveMembers(); has || !known {
		return 0, false
	}
	if st.protocolType != "" {
		if st.activeAt.IsZero() {
			return 0, false
		}
		return risk.OffsetsExpiry(retention, st.activeAt, now), true
	}
	// Commits without membership expire one by one, each retention after
	// its commit: the first to go decides.
	var earliest int64
	for _, co := range g.Offsets {
		ps := st.parts[partKey{co.Topic, co.Partition}]
		if ps == nil || ps.commitSince == 0 {
			return 0, false
		}
		if earliest == 0 || ps.commitSince < earliest {
			earliest = ps.commitSince
		}
	}
	if earliest == 0 {
		return 0, false
	}
	return risk.OffsetsExpiry(retention, time.Unix(0, earliest), now), true
}

// vanish handles a group that is no longer listed: if it had no active
// member, Kafka deleted its offsets (expiry, or an operator's delete), and
// what it had not read is counted; it is kept to judge its return.
func (t *Tracker) vanish(s *snapshot.Snapshot, name string, st *groupState) {
	delete(t.groups, name)
	if !st.polled || !st.empty {
		return
	}
	for key, ps := range st.parts {
		t.countExpired(s, st, key, ps)
	}
	st.goneAt = s.Time
	t.gone[name] = st
}

// countExpired counts the messages a group had not read on a partition
// whose committed offset Kafka deleted.
func (t *Tracker) countExpired(s *snapshot.Snapshot, st *groupState, key partKey, ps *partState) {
	topic := s.Topic(key.topic)
	if topic == nil || ps.committed < 0 {
		return // the topic was deleted (or filtered out): nothing is unread
	}
	logStart, latest := ps.logStart, ps.latest
	if p := topic.Partition(key.partition); p != nil && p.Offsets.Known {
		logStart, latest = p.Offsets.Oldest, p.Offsets.Latest
	}
	n := risk.ExpiredUnread(ps.committed, logStart, latest)
	st.expiredUnread[key.topic] += uint64(n)
	if n > 0 {
		grewAt(&st.expiredUnreadAt, key.topic, s.Time)
	}
}

// forgetGone drops the vanished groups kept longer than the offsets
// retention (Kafka would have forgotten them too), and the oldest beyond
// MaxGoneGroups.
func (t *Tracker) forgetGone(now time.Time, retention time.Duration) {
	if retention <= 0 {
		retention = risk.DefaultOffsetsRetention
	}
	for name, st := range t.gone {
		if now.Sub(st.goneAt) > retention {
			delete(t.gone, name)
		}
	}
	for len(t.gone) > t.opts.MaxGoneGroups {
		oldest := ""
		for name, st := range t.gone {
			if oldest == "" || st.goneAt.Before(t.gone[oldest].goneAt) {
				oldest = name
			}
		}
		delete(t.gone, oldest)
	}
}

// goneReport lists the vanished groups' counters, sorted by name.
func (t *Tracker) goneReport() []GoneGroup {
	out := make([]GoneGroup, 0, len(t.gone))
	for name, st := range t.gone {
		g := GoneGroup{Name: name}
		for _, topic := range sortedKeys(st.expiredUnread, st.skipped, st.lost) {
			g.Topics = append(g.Topics, GoneTopic{Name: topic, ExpiredUnread: st.expiredUnread[topic],
				Skipped: st.skipped[topic], RetentionLost: st.lost[topic],
				ExpiredUnreadAt: st.expiredUnreadAt[topic], SkippedAt: st.skippedAt[topic]})
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// grewAt records that a topic's counter grew at the poll of time at.
func grewAt(m *map[string]time.Time, topic string, at time.Time) {
	if *m == nil {
		*m = map[string]time.Time{}
	}
	(*m)[topic] = at
}

// sortedKeys returns the keys of the maps, each once, sorted.
func sortedKeys(maps ...map[string]uint64) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
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
	st := t.groups[g.Name]
	if st == nil {
		if st = t.gone[g.Name]; st != nil {
			delete(t.gone, g.Name) // it came back after its offsets vanished
			st.goneAt, st.returned = time.Time{}, true
		} else {
			st = &groupState{lost: map[string]uint64{}, parts: map[partKey]*partState{},
				expiredUnread: map[string]uint64{}, skipped: map[string]uint64{}}
		}
		t.groups[g.Name] = st
		st.view = viewOf(g)
	} else {
		cur := viewOf(g)
		st.rebalances += uint64(risk.Rebalances(st.view, cur))
		if cur.MembersKnown || cur.Generation >= 0 {
			st.view = cur
		}
	}
	has, known := g.HasActiveMembers()
	curEmpty := known && !has
	if g.ProtocolType != "" {
		st.protocolType = g.ProtocolType
	}
	if has {
		st.activeAt = s.Time
	}
	prevEmpty, prevPolled, returned := st.empty, st.polled, st.returned
	st.polled, st.empty, st.returned = true, curEmpty, false
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
		ps := st.parts[key]
		tt := t.topics[co.Topic]
		if ps == nil {
			ps = &partState{committed: -1, sinceSkip: noSkip}
			st.parts[key] = ps
		} else if tt != nil && int(co.Partition) < len(tt.reset) && tt.reset[co.Partition] {
			*ps = partState{committed: -1, sinceSkip: noSkip}
		}
		var skipped int64
		if ps.committed >= 0 && (prevPolled || returned) {
			skipped = risk.SkippedMessages(risk.SkipObservation{
				Prev: ps.committed, Cur: co.Offset, PrevLogStart: ps.logStart, PrevLatest: ps.latest,
				PrevEmpty: prevEmpty, CurEmpty: curEmpty, HadMembership: st.protocolType != "", Returned: returned,
			})
			st.skipped[co.Topic] += uint64(skipped)
			if skipped > 0 {
				grewAt(&st.skippedAt, co.Topic, s.Time)
			}
			if co.Offset != ps.committed && !t.lastPoll.IsZero() {
				ps.commitSince = t.lastPoll.UnixNano()
			}
		}
		switch {
		case skipped > 0:
			ps.sinceSkip = 0
		case ps.sinceSkip < noSkip && int(ps.sinceSkip)+1 < t.opts.StatusWindow:
			ps.sinceSkip++
		default:
			ps.sinceSkip = noSkip
		}
		ps.committed = co.Offset
		if p.Offsets.Known {
			ps.logStart, ps.latest = p.Offsets.Oldest, p.Offsets.Latest
		}
		tp := topicOf(co.Topic)
		tp.HasOffsets = true
		tp.CurrentOffsetSum += co.Offset
		part := Partition{ID: co.Partition, Committed: co.Offset, Lag: risk.Lag(co.Offset, p.Offsets)}
		if part.Lag.Known {
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
			tp.LagSum += part.Lag.Lag
			if part.Lag.Lag > 0 && !part.LagSecondsKnown {
				maxUnknown[co.Topic] = true
				t.need(key, co.Offset, p.Offsets.Oldest)
			} else if part.LagSecondsKnown {
				tp.MaxLagSeconds = max(tp.MaxLagSeconds, part.LagSeconds)
				tp.MaxLagSecondsKnown = true
			}
			part.Status = risk.PartitionStatus(ps.window, t.opts.StatusWindow, has, known, ps.sinceSkip != noSkip)
			tp.Status, tp.HasStatus = risk.Worst(tp.Status, part.Status), true
			out.Status, out.HasStatus = risk.Worst(out.Status, part.Status), true
		}
		tp.Partitions = append(tp.Partitions, part)
	}
	if g.OffsetsKnown {
		for key, ps := range st.parts {
			if !committed[key] {
				if prevEmpty && curEmpty {
					// Kafka deleted this commit of a group without
					// members (expiry of a commit made without
					// membership, or an operator's delete-offsets).
					t.countExpired(s, st, key, ps)
				}
				delete(st.parts, key)
			}
		}
	}
	for name := range st.lost {
		if s.Topic(name) == nil {
			delete(st.lost, name)
		}
	}
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
		tp.ExpiredUnread, tp.ExpiredUnreadAt = st.expiredUnread[name], st.expiredUnreadAt[name]
		tp.Skipped, tp.SkippedAt = st.skipped[name], st.skippedAt[name]
		out.Topics = append(out.Topics, *tp)
	}
	return out
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
