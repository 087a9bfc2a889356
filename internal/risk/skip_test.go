package risk

import (
	"testing"
	"time"
)

func TestSkippedMessages(t *testing.T) {
	base := SkipObservation{Prev: 10, Cur: 10, PrevLogStart: 0, PrevLatest: 65, HadMembership: true}
	with := func(f func(*SkipObservation)) SkipObservation { o := base; f(&o); return o }
	for _, tc := range []struct {
		name string
		obs  SkipObservation
		want int64
	}{
		{"no move", with(func(o *SkipObservation) { o.PrevEmpty, o.CurEmpty = true, true }), 0},
		{"moved back (rewind, not a skip)", with(func(o *SkipObservation) { o.Cur = 5; o.PrevEmpty, o.CurEmpty = true, true }), 0},
		{"reset to the log end while Empty", with(func(o *SkipObservation) { o.Cur = 65; o.PrevEmpty, o.CurEmpty = true, true }), 55},
		{"reset forward past the log start: retention's part is not a skip", with(func(o *SkipObservation) {
			o.Cur, o.PrevLogStart = 65, 30
			o.PrevEmpty, o.CurEmpty = true, true
		}), 35},
		{"commits without membership are consumption", with(func(o *SkipObservation) {
			o.Cur, o.HadMembership = 65, false
			o.PrevEmpty, o.CurEmpty = true, true
		}), 0},
		{"members consume", with(func(o *SkipObservation) { o.Cur = 65 }), 0},
		{"members left and the last commit moved forward", with(func(o *SkipObservation) { o.Cur = 65; o.CurEmpty = true }), 0},
		{"back from Empty, resuming where it was", with(func(o *SkipObservation) { o.Cur = 65; o.PrevEmpty = true }), 0},
		{"back from Empty with its position out of range, reset to the log end", with(func(o *SkipObservation) {
			o.Cur, o.PrevLogStart, o.PrevEmpty = 80, 40, true
		}), 25},
		{"back after its offsets expired, first commit at the log end", with(func(o *SkipObservation) {
			o.Cur, o.Returned, o.PrevEmpty = 70, true, true
		}), 55},
		{"back after expiry, reset to earliest and behind its old position", with(func(o *SkipObservation) {
			o.Cur, o.Returned = 3, true
		}), 0},
		{"back after expiry and Empty: an operator's reset of the gone group", with(func(o *SkipObservation) {
			o.Cur, o.Returned, o.PrevEmpty, o.CurEmpty = 70, true, true, true
		}), 55},
		{"no previous commit", with(func(o *SkipObservation) { o.Prev, o.Cur = -1, 65; o.PrevEmpty, o.CurEmpty = true, true }), 0},
	} {
		if got := SkippedMessages(tc.obs); got != tc.want {
			t.Errorf("%s: SkippedMessages(%+v) = %d, want %d", tc.name, tc.obs, got, tc.want)
		}
	}
}

func TestExpiredUnread(t *testing.T) {
	for _, tc := range []struct {
		committed, logStart, latest, want int64
	}{
		{10, 0, 50, 40},
		{10, 30, 50, 20}, // retention had deleted 10..29 already (RetentionLoss counted them)
		{50, 0, 50, 0},
		{60, 0, 50, 0}, // a commit beyond the log end
		{-1, 0, 50, 0},
	} {
		if got := ExpiredUnread(tc.committed, tc.logStart, tc.latest); got != tc.want {
			t.Errorf("ExpiredUnread(%d, %d, %d) = %d, want %d", tc.committed, tc.logStart, tc.latest, got, tc.want)
		}
	}
}

func TestOffsetsExpiry(t *testing.T) {
	since := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		retention time.Duration
		elapsed   time.Duration
		want      float64
	}{
		{7 * 24 * time.Hour, 0, 7 * 24 * 3600},
		{time.Minute, 15 * time.Second, 45},
		{time.Minute, time.Minute, 0},
		{time.Minute, time.Hour, 0}, // overdue: Kafka deletes at its next check
	} {
		if got := OffsetsExpiry(tc.retention, since, since.Add(tc.elapsed)); got != tc.want {
			t.Errorf("OffsetsExpiry(%s, +%s) = %v, want %v", tc.retention, tc.elapsed, got, tc.want)
		}
	}
}
