package consumers

import (
	"math"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

var start = time.Unix(1_700_000_000, 0)

// poll builds a successful snapshot at second sec with one topic "orders"
// of len(latest) partitions (log start oldest) and the given groups.
func poll(sec int, oldest int64, latest []int64, groups ...snapshot.Group) *snapshot.Snapshot {
	topic := snapshot.Topic{Name: "orders", ID: [16]byte{1}}
	for i, l := range latest {
		topic.Partitions = append(topic.Partitions, snapshot.Partition{ID: int32(i), Leader: 1,
			Offsets: snapshot.Offsets{Known: true, Oldest: oldest, Latest: l}})
	}
	return &snapshot.Snapshot{
		Time:   start.Add(time.Duration(sec) * time.Second),
		Topics: []snapshot.Topic{topic},
		Groups: groups,
		Collectors: []snapshot.CollectorResult{
			{Name: snapshot.CollectorMetadata, Success: true},
			{Name: snapshot.CollectorConsumerGroups, Success: true},
		},
		Configs: &snapshot.Configs{Topics: map[string]snapshot.ResourceConfig{"orders": {Entries: map[string]snapshot.ConfigValue{
			"retention.ms": {Value: "3600000"}, "retention.bytes": {Value: "-1"}, "cleanup.policy": {Value: "delete"}}}}},
	}
}

func group(name, state string, members []string, offsets ...int64) snapshot.Group {
	g := snapshot.Group{Name: name, State: state, ProtocolType: "consumer", Generation: -1, OffsetsKnown: true,
		Described: state != "Empty"}
	for _, m := range members {
		g.Members = append(g.Members, snapshot.Member{ID: m, Subscribed: []string{"orders"}, SubscriptionGeneration: -1,
			Assigned: map[string][]int32{"orders": {0}}})
	}
	for p, o := range offsets {
		if o >= 0 {
			g.Offsets = append(g.Offsets, snapshot.CommittedOffset{Topic: "orders", Partition: int32(p), Offset: o, LeaderEpoch: -1})
		}
	}
	return g
}

func topicOf(t *testing.T, r *Report, g string) Topic {
	t.Helper()
	for _, grp := range r.Groups {
		if grp.Name == g {
			if len(grp.Topics) != 1 {
				t.Fatalf("group %s: %d topics, want 1", g, len(grp.Topics))
			}
			return grp.Topics[0]
		}
	}
	t.Fatalf("group %s not in report", g)
	return Topic{}
}

func TestTrackerLagSecondsAtSteadyRate(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	// 10 messages per second; the group stays at offset 100.
	var tp Topic
	for sec := 0; sec <= 30; sec += 10 {
		tr.Observe(poll(sec, 0, []int64{int64(100 + 10*sec)}, group("g", "Stable", []string{"m1"}, 100)), nil)
		tp = topicOf(t, tr.Report(), "g")
	}
	p := tp.Partitions[0]
	// Message 100 was appended at t=0 (latest reached 101 at 0.1 s).
	if !p.LagSecondsKnown || math.Abs(p.LagSeconds-29.9) > 1e-6 {
		t.Fatalf("lag seconds %v (known %v), want 29.9", p.LagSeconds, p.LagSecondsKnown)
	}
	if p.Lag.Lag != 300 || tp.LagSum != 300 || tp.CurrentOffsetSum != 100 {
		t.Fatalf("lag %d, sum %d, offset sum %d; want 300, 300, 100", p.Lag.Lag, tp.LagSum, tp.CurrentOffsetSum)
	}
	if !tp.HeadroomKnown || math.Abs(tp.Headroom-(3600-29.9)) > 1e-6 {
		t.Fatalf("headroom %v (known %v), want 3570.1", tp.Headroom, tp.HeadroomKnown)
	}
	if p.Status != risk.StatusStall {
		t.Fatalf("status %s, want STALL (same offset, lag growing, members present)", p.Status)
	}
}

func TestTrackerFirstPollHasNoLagSecondsButCaughtUpIsZero(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{100, 50}, group("g", "Stable", []string{"m1"}, 40, 50)), nil)
	tp := topicOf(t, tr.Report(), "g")
	if tp.Partitions[0].LagSecondsKnown {
		t.Fatalf("partition 0: lag seconds known from a one-point table")
	}
	if !tp.Partitions[1].LagSecondsKnown || tp.Partitions[1].LagSeconds != 0 {
		t.Fatalf("partition 1 (caught up): lag seconds %v known %v, want 0", tp.Partitions[1].LagSeconds, tp.Partitions[1].LagSecondsKnown)
	}
	if tp.MaxLagSecondsKnown || tp.HeadroomKnown {
		t.Fatalf("max lag seconds / headroom known while a lagging partition's age is unknown")
	}
}

func TestTrackerRetentionLossCountedOnce(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{100}, group("g", "Empty", nil, 10)), nil)
	tr.Observe(poll(1, 30, []int64{100}, group("g", "Empty", nil, 10)), nil)
	tp := topicOf(t, tr.Report(), "g")
	if tp.Partitions[0].Lag.BehindLogStart != 20 || tp.RetentionLost != 20 {
		t.Fatalf("behind log start %d, lost %d; want 20, 20", tp.Partitions[0].Lag.BehindLogStart, tp.RetentionLost)
	}
	tr.Observe(poll(2, 30, []int64{100}, group("g", "Empty", nil, 10)), nil)
	tr.Observe(poll(3, 45, []int64{100}, group("g", "Empty", nil, 10)), nil)
	if tp := topicOf(t, tr.Report(), "g"); tp.RetentionLost != 35 {
		t.Fatalf("lost %d after the log start moved 30 -> 45, want 35", tp.RetentionLost)
	}
	if st := tr.Report().Groups[0].Status; st != risk.StatusStop {
		t.Fatalf("empty group with lag: status %s, want STOP", st)
	}
}

func TestTrackerRebalanceOnSecondMember(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{10}, group("g", "Stable", []string{"m1"}, 10)), nil)
	tr.Observe(poll(1, 0, []int64{10}, group("g", "Stable", []string{"m1"}, 10)), nil)
	if n := tr.Report().Groups[0].Rebalances; n != 0 {
		t.Fatalf("rebalances %d, want 0", n)
	}
	tr.Observe(poll(2, 0, []int64{10}, group("g", "Stable", []string{"m1", "m2"}, 10)), nil)
	if n := tr.Report().Groups[0].Rebalances; n != 1 {
		t.Fatalf("rebalances %d after a second member joined, want 1", n)
	}
}

func TestTrackerUnassignedPartitions(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	// Three partitions, the only member is assigned partition 0.
	tr.Observe(poll(0, 0, []int64{10, 10, 10}, group("g", "Stable", []string{"m1"}, 10)), nil)
	tp := topicOf(t, tr.Report(), "g")
	if !tp.UnassignedKnown || tp.Unassigned != 2 {
		t.Fatalf("unassigned %d (known %v), want 2", tp.Unassigned, tp.UnassignedKnown)
	}
}

func TestTrackerPartitionsAddedAndTopicRecreated(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{100}, group("g", "Stable", []string{"m1"}, 100)), nil)
	// Partition 1 appears between the polls with 50 messages; the group
	// committed 10 on it. It was empty at t=0, so message 10 is ~8 s old.
	tr.Observe(poll(10, 0, []int64{100, 50}, group("g", "Stable", []string{"m1"}, 100, 10)), nil)
	p1 := topicOf(t, tr.Report(), "g").Partitions[1]
	if !p1.LagSecondsKnown || math.Abs(p1.LagSeconds-7.8) > 1e-6 {
		t.Fatalf("new partition: lag seconds %v (known %v), want 7.8", p1.LagSeconds, p1.LagSecondsKnown)
	}

	// The topic is re-created (new id); the group's old commit is beyond
	// the new log end: lag 0, no REWIND, no loss.
	s := poll(20, 0, []int64{5, 5}, group("g", "Stable", []string{"m1"}, 100, 10))
	s.Topics[0].ID = [16]byte{2}
	tr.Observe(s, nil)
	tp := topicOf(t, tr.Report(), "g")
	for _, p := range tp.Partitions {
		if !p.Lag.Known || p.Lag.Lag != 0 || !p.Lag.BeyondLogEnd {
			t.Fatalf("partition %d after re-creation: %+v, want lag 0 beyond the log end", p.ID, p.Lag)
		}
	}
	if tp.Status != risk.StatusOK || tp.RetentionLost != 0 {
		t.Fatalf("after re-creation: status %s lost %d, want OK 0", tp.Status, tp.RetentionLost)
	}
}

func TestTrackerOffsetsResetIsRewind(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{100}, group("g", "Stable", []string{"m1"}, 90)), nil)
	tr.Observe(poll(1, 0, []int64{100}, group("g", "Stable", []string{"m1"}, 20)), nil)
	if st := tr.Report().Groups[0].Status; st != risk.StatusRewind {
		t.Fatalf("status %s after the offset went 90 -> 20, want REWIND", st)
	}
}

func TestTrackerNoCommitIsNoLag(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{100, 100}, group("g", "Stable", []string{"m1"}, -1, 50)), nil)
	tp := topicOf(t, tr.Report(), "g")
	if len(tp.Partitions) != 1 || tp.Partitions[0].ID != 1 {
		t.Fatalf("partitions %+v, want only partition 1 (partition 0 has no commit)", tp.Partitions)
	}
}

func TestTrackerFailedPollKeepsState(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(poll(0, 0, []int64{100}, group("g", "Stable", []string{"m1"}, 100)), nil)
	tr.Observe(&snapshot.Snapshot{Collectors: []snapshot.CollectorResult{{Name: snapshot.CollectorMetadata}}}, errFailed{})
	if r := tr.Report(); len(r.Groups) != 0 {
		t.Fatalf("failed poll reported %d groups", len(r.Groups))
	}
	tr.Observe(poll(2, 0, []int64{100}, group("g", "Stable", []string{"m1"}, 100)), nil)
	if len(tr.Report().Groups) != 1 {
		t.Fatalf("state lost after a failed poll")
	}
}

type errFailed struct{}

func (errFailed) Error() string { return "metadata failed" }

func TestTrackerReadTimestampsFillsUnknownLagSeconds(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3, ReadTimestamps: true})
	tr.Observe(poll(100, 0, []int64{500}, group("g", "Empty", nil, 200)), nil)
	if tp := topicOf(t, tr.Report(), "g"); tp.Partitions[0].LagSecondsKnown {
		t.Fatalf("lag seconds known from a one-point table")
	}
	needs := tr.Needs()
	want := snapshot.RecordRef{Topic: "orders", Partition: 0, Offset: 200}
	if len(needs) != 1 || needs[0] != want {
		t.Fatalf("needs %v, want [%v]", needs, want)
	}
	// The next poll read the record: appended at t=40.
	s := poll(110, 0, []int64{500}, group("g", "Empty", nil, 200))
	s.RecordTimes = []snapshot.RecordTime{{RecordRef: want, Found: true, Time: start.Add(40 * time.Second)}}
	tr.Observe(s, nil)
	p := topicOf(t, tr.Report(), "g").Partitions[0]
	if !p.LagSecondsKnown || p.LagSeconds != 70 {
		t.Fatalf("lag seconds %v (known %v), want 70", p.LagSeconds, p.LagSecondsKnown)
	}
	if n := tr.Needs(); len(n) != 0 {
		t.Fatalf("needs %v after the anchor, want none", n)
	}
}

func TestTrackerUnreadableRecordIsNotAskedAgain(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3, ReadTimestamps: true})
	tr.Observe(poll(100, 0, []int64{500}, group("g", "Empty", nil, 200)), nil)
	s := poll(110, 0, []int64{500}, group("g", "Empty", nil, 200))
	s.RecordTimes = []snapshot.RecordTime{{RecordRef: tr.Needs()[0]}}
	tr.Observe(s, nil)
	if n := tr.Needs(); len(n) != 0 {
		t.Fatalf("needs %v after the record could not be read, want none", n)
	}
	// A group behind the log start has no record to read.
	tr2 := NewTracker(Options{TablePoints: 32, StatusWindow: 3, ReadTimestamps: true})
	tr2.Observe(poll(100, 300, []int64{500}, group("g", "Empty", nil, 200)), nil)
	if n := tr2.Needs(); len(n) != 0 {
		t.Fatalf("needs %v for a deleted record, want none", n)
	}
}
