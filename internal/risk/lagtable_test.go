package risk

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func table(points ...[2]float64) *LagTable {
	tb := NewLagTable(64)
	for _, p := range points {
		tb.Add(int64(p[0]), at(p[1]))
	}
	return tb
}

func TestLagSeconds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tb        *LagTable
		committed int64
		latest    int64
		now       float64
		want      float64
		ok        bool
	}{
		{"caught up is 0 even with an empty table", table(), 100, 100, 0, 0, true},
		{"commit beyond latest is 0", table([2]float64{100, 0}), 120, 100, 0, 0, true},
		{"one-point table cannot interpolate", table([2]float64{100, 0}), 50, 100, 0, 0, false},
		{"steady rate: 10 msg/s, 30 messages behind",
			table([2]float64{0, 0}, [2]float64{100, 10}, [2]float64{200, 20}), 169, 200, 20, 3, true},
		{"message before the table's first point is unknown",
			table([2]float64{100, 0}, [2]float64{200, 10}), 50, 200, 10, 0, false},
		{"next message appended exactly at a point",
			table([2]float64{0, 0}, [2]float64{100, 10}, [2]float64{200, 20}), 99, 200, 20, 10, true},
		// Quiet topic: latest stayed 100 from t=10 to t=500, then one
		// message came before t=510. The unread message 100 is at most
		// 10 s old, not 500 s.
		{"low traffic with a flat run",
			table([2]float64{50, 0}, [2]float64{100, 10}, [2]float64{100, 20}, [2]float64{100, 500}, [2]float64{101, 510}), 100, 101, 510, 0, true},
		{"low traffic: one poll later the message is one interval old",
			table([2]float64{50, 0}, [2]float64{100, 10}, [2]float64{100, 500}, [2]float64{101, 510}, [2]float64{101, 520}), 100, 101, 520, 10, true},
		{"message inside the flat run's start segment",
			table([2]float64{50, 0}, [2]float64{100, 10}, [2]float64{100, 500}, [2]float64{101, 510}), 74, 101, 510, 505, true},
		{"topic re-created: table restarted, old history not used",
			table([2]float64{0, 0}, [2]float64{1000, 10}, [2]float64{5, 20}, [2]float64{15, 30}), 9, 15, 30, 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := LagSeconds(tc.tb, tc.committed, tc.latest, at(tc.now))
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-6 {
				t.Fatalf("LagSeconds = %v, %v; want %v, %v (points %v)", got, ok, tc.want, tc.ok, tc.tb.Points())
			}
		})
	}
}

func TestLagTableFlatRunKeepsTwoPoints(t *testing.T) {
	tb := table([2]float64{10, 0}, [2]float64{10, 1}, [2]float64{10, 2}, [2]float64{10, 3})
	want := []OffsetTime{{10, at(0).UnixNano()}, {10, at(3).UnixNano()}}
	if got := tb.Points(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("points %v, want %v", got, want)
	}
}

func TestLagTableIgnoresTimeGoingBack(t *testing.T) {
	tb := table([2]float64{10, 5}, [2]float64{20, 4})
	if n := len(tb.Points()); n != 1 {
		t.Fatalf("%d points, want 1", n)
	}
}

// A full table keeps its bound and drops the points that cost the least:
// at a steady rate interpolation stays exact, and a rate change is kept.
func TestLagTableBoundedAndAccurate(t *testing.T) {
	tb := NewLagTable(8)
	// 100 s at 10 msg/s, then 100 s at 1 msg/s.
	for s := 0; s <= 200; s++ {
		off := int64(s * 10)
		if s > 100 {
			off = 1000 + int64(s-100)
		}
		tb.Add(off, at(float64(s)))
	}
	if n := len(tb.Points()); n != 8 {
		t.Fatalf("%d points, want the bound 8", n)
	}
	for _, tc := range []struct {
		offset int64
		want   float64
	}{{500, 50}, {1000, 100}, {1050, 150}, {1099, 199}} {
		got, ok := tb.TimeOf(tc.offset)
		if !ok || math.Abs(got.Sub(t0).Seconds()-tc.want) > 1e-6 {
			t.Fatalf("TimeOf(%d) = %v, %v; want %vs", tc.offset, got.Sub(t0), ok, tc.want)
		}
	}
}

func TestLagTableAnchor(t *testing.T) {
	// The table starts at offset 500 (t=100); the group is at 200, whose
	// record says it was appended at t=20.
	tb := table([2]float64{500, 100}, [2]float64{600, 110})
	if got, ok := LagSeconds(tb, 200, 600, at(110)); ok {
		t.Fatalf("lag seconds %v known before the anchor", got)
	}
	if !tb.Anchor(200, at(20)) {
		t.Fatalf("anchor refused")
	}
	if got, ok := LagSeconds(tb, 200, 600, at(110)); !ok || math.Abs(got-90) > 1e-6 {
		t.Fatalf("lag seconds %v, %v; want 90 from the record timestamp", got, ok)
	}
	// A group between the anchor and the table interpolates between them.
	if got, ok := LagSeconds(tb, 349, 600, at(110)); !ok || math.Abs(got-(110-(20+149.0/299*80))) > 1e-6 {
		t.Fatalf("lag seconds %v, %v; want about 50", got, ok)
	}
	// Covered offsets are not anchored; a timestamp in the table's future is clamped.
	if tb.Anchor(550, at(0)) {
		t.Fatalf("anchored an offset the table covers")
	}
	tb2 := table([2]float64{500, 100})
	tb2.Anchor(100, at(400))
	if pts := tb2.Points(); pts[0].Time != at(100).UnixNano() {
		t.Fatalf("future record time not clamped: %v", pts)
	}
}
