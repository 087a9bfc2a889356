package consumers

import (
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// withRetention sets offsets.retention.minutes on the snapshot's brokers.
func withRetention(s *snapshot.Snapshot, minutes string) *snapshot.Snapshot {
	s.Configs = &snapshot.Configs{Brokers: map[int32]snapshot.ResourceConfig{
		1: {Entries: map[string]snapshot.ConfigValue{snapshot.ConfigOffsetsRetentionMinutes: {Value: minutes}}},
		2: {Entries: map[string]snapshot.ConfigValue{snapshot.ConfigOffsetsRetentionMinutes: {Value: minutes}}},
	}}
	return s
}

// standalone is a group that commits without membership (protocol type "").
func standalone(name string, offsets ...int64) snapshot.Group {
	g := group(name, "Empty", nil, offsets...)
	g.ProtocolType = ""
	return g
}

func groupOf(t *testing.T, r *Report, name string) Group {
	t.Helper()
	for _, g := range r.Groups {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("group %s not in report", name)
	return Group{}
}

func goneOf(r *Report, name string) (GoneTopic, bool) {
	for _, g := range r.Gone {
		if g.Name == name && len(g.Topics) == 1 {
			return g.Topics[0], true
		}
	}
	return GoneTopic{}, false
}

// A group commits 10 of 50 messages and leaves: the expiry counts down from
// the last poll that saw it active; when Kafka deletes its offsets, the 40
// unread messages are counted, and stay exported.
func TestTrackerOffsetsExpiryAndExpiredUnread(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(withRetention(poll(0, 0, []int64{50}, group("g", "Stable", []string{"m1"}, 10)), "1"), nil)
	if g := groupOf(t, tr.Report(), "g"); g.OffsetsExpiryKnown {
		t.Fatalf("expiry known for a group with members: %v", g.OffsetsExpiry)
	}
	for _, tc := range []struct {
		sec  int
		want float64
	}{{10, 50}, {20, 40}, {70, 0}} {
		tr.Observe(withRetention(poll(tc.sec, 0, []int64{50}, group("g", "Empty", nil, 10)), "1"), nil)
		g := groupOf(t, tr.Report(), "g")
		if !g.OffsetsExpiryKnown || g.OffsetsExpiry != tc.want {
			t.Fatalf("at %d s: expiry %v (known %v), want %v", tc.sec, g.OffsetsExpiry, g.OffsetsExpiryKnown, tc.want)
		}
	}
	tr.Observe(withRetention(poll(80, 0, []int64{50}), "1"), nil) // Kafka deleted the offsets: the group is gone
	gt, ok := goneOf(tr.Report(), "g")
	at80 := start.Add(80 * time.Second)
	if !ok || gt.ExpiredUnread != 40 || gt.Skipped != 0 || !gt.ExpiredUnreadAt.Equal(at80) || !gt.SkippedAt.IsZero() {
		t.Fatalf("gone group: %+v (found %v), want 40 expired unread at 80 s", gt, ok)
	}
	tr.Observe(withRetention(poll(90, 0, []int64{50}), "1"), nil)
	if gt, _ := goneOf(tr.Report(), "g"); gt.ExpiredUnread != 40 || !gt.ExpiredUnreadAt.Equal(at80) {
		t.Fatalf("expired unread counted again: %d at %v, want 40 at 80 s", gt.ExpiredUnread, gt.ExpiredUnreadAt)
	}

	// It comes back with auto.offset.reset=latest: its first commit is at
	// the log end, the 40 messages it never read are skipped as well.
	tr.Observe(withRetention(poll(100, 0, []int64{60}, group("g", "Stable", []string{"m2"}, 60)), "1"), nil)
	g := groupOf(t, tr.Report(), "g")
	if len(tr.Report().Gone) != 0 || g.Topics[0].ExpiredUnread != 40 || g.Topics[0].Skipped != 40 ||
		!g.Topics[0].ExpiredUnreadAt.Equal(at80) || !g.Topics[0].SkippedAt.Equal(start.Add(100*time.Second)) {
		t.Fatalf("after the return: gone %v, topic %+v; want expired unread 40 and skipped 40 (50 - 10, up to the previous log end)", tr.Report().Gone, g.Topics[0])
	}
	if g.Status != risk.StatusSkip {
		t.Fatalf("status after the skip: %s, want SKIP", g.Status)
	}
}

// A group whose leave the exporter did not see (it was Empty when the
// exporter started) has no expiry: nothing proves when its clock started.
func TestTrackerExpiryUnknownAfterExporterRestart(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	for sec := 0; sec <= 20; sec += 10 {
		tr.Observe(withRetention(poll(sec, 0, []int64{50}, group("g", "Empty", nil, 10)), "1"), nil)
		if g := groupOf(t, tr.Report(), "g"); g.OffsetsExpiryKnown {
			t.Fatalf("at %d s: expiry %v reported without having seen the group leave", sec, g.OffsetsExpiry)
		}
	}
	// Without the brokers' offsets.retention.minutes there is no expiry either.
	tr.Observe(poll(30, 0, []int64{50}, group("g", "Stable", []string{"m"}, 10)), nil)
	tr.Observe(poll(40, 0, []int64{50}, group("g", "Empty", nil, 10)), nil)
	if g := groupOf(t, tr.Report(), "g"); g.OffsetsExpiryKnown {
		t.Fatalf("expiry %v reported without offsets.retention.minutes", g.OffsetsExpiry)
	}
	// A restart in the middle of a countdown loses it: a new tracker
	// starts from nothing, and then an operator resets the group to the
	// log end on its second poll: the skip is still seen.
	tr = NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(withRetention(poll(50, 0, []int64{65}, group("g", "Empty", nil, 10)), "1"), nil)
	tr.Observe(withRetention(poll(60, 0, []int64{65}, group("g", "Empty", nil, 65)), "1"), nil)
	if tp := topicOf(t, tr.Report(), "g"); tp.Skipped != 55 {
		t.Fatalf("skipped %d after a reset to the log end, want 55", tp.Skipped)
	}
}

// Commits made without membership expire one by one, retention after the
// commit; their forward moves are their consumption, never skips.
func TestTrackerStandaloneCommits(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(withRetention(poll(0, 0, []int64{50, 50}, standalone("s", 10, 20)), "1"), nil)
	if g := groupOf(t, tr.Report(), "s"); g.OffsetsExpiryKnown {
		t.Fatalf("expiry known before any commit was seen to change")
	}
	tr.Observe(withRetention(poll(10, 0, []int64{50, 50}, standalone("s", 30, 40)), "1"), nil)
	g := groupOf(t, tr.Report(), "s")
	if !g.OffsetsExpiryKnown || g.OffsetsExpiry != 50 || g.Topics[0].Skipped != 0 {
		t.Fatalf("expiry %v (known %v), skipped %d; want 50 (from the poll before the commits changed), 0", g.OffsetsExpiry, g.OffsetsExpiryKnown, g.Topics[0].Skipped)
	}
	// Partition 0's commit expires (Kafka deletes it) while partition 1's
	// stays: 20 unread messages of partition 0 are counted.
	tr.Observe(withRetention(poll(20, 0, []int64{50, 50}, standalone("s", -1, 40)), "1"), nil)
	if tp := topicOf(t, tr.Report(), "s"); tp.ExpiredUnread != 20 {
		t.Fatalf("expired unread %d, want 20", tp.ExpiredUnread)
	}
}

// A group that consumes normally, through a rebalance and a pause that ends
// where it left off, counts no skip.
func TestTrackerConsumptionIsNeverASkip(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	steps := []snapshot.Group{
		group("g", "Stable", []string{"m1"}, 10),
		group("g", "PreparingRebalance", []string{"m1", "m2"}, 40),
		group("g", "Stable", []string{"m1", "m2"}, 90),
		group("g", "Empty", nil, 120), // the last member committed and left
		group("g", "Empty", nil, 120),
		group("g", "Stable", []string{"m3"}, 200), // back, resuming from 120
	}
	for i, g := range steps {
		tr.Observe(withRetention(poll(10*i, 0, []int64{int64(100 + 40*i)}, g), "1"), nil)
	}
	tp := topicOf(t, tr.Report(), "g")
	if tp.Skipped != 0 || tp.ExpiredUnread != 0 || tp.Status == risk.StatusSkip {
		t.Fatalf("normal consumption: skipped %d, expired unread %d, status %s; want 0, 0, not SKIP", tp.Skipped, tp.ExpiredUnread, tp.Status)
	}
}

// A group that vanishes while it had members (its coordinator did not
// answer, or it was never Empty) is not counted as expired.
func TestTrackerVanishedWithMembersIsNotExpiry(t *testing.T) {
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 3})
	tr.Observe(withRetention(poll(0, 0, []int64{50}, group("g", "Stable", []string{"m"}, 10)), "1"), nil)
	tr.Observe(withRetention(poll(10, 0, []int64{50}), "1"), nil)
	if len(tr.Report().Gone) != 0 {
		t.Fatalf("gone groups %v, want none", tr.Report().Gone)
	}
	// A failed consumer-groups step removes nothing.
	tr.Observe(withRetention(poll(20, 0, []int64{50}, group("h", "Empty", nil, 10)), "1"), nil)
	tr.Observe(withRetention(poll(30, 0, []int64{50}, group("h", "Empty", nil, 10)), "1"), nil)
	s := withRetention(poll(40, 0, []int64{50}), "1")
	s.Collectors[1].Success = false
	tr.Observe(s, nil)
	if len(tr.Report().Gone) != 0 {
		t.Fatalf("a failed step made groups vanish: %v", tr.Report().Gone)
	}
}
