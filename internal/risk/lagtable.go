package risk

import (
	"sort"
	"time"
)

// OffsetTime is one point of a lag table: the partition's latest offset and
// when (Unix nanoseconds) a poll saw it.
type OffsetTime struct {
	Offset int64
	Time   int64
}

// OffsetTimeSize is the memory one point of a lag table takes, in bytes.
const OffsetTimeSize = 16

// LagTable records, for one partition, when its latest offset reached which
// value, so that the time a message was appended can be estimated from its
// offset. Points are added once per poll and kept in increasing offset and
// time order. A run of polls that see the same latest offset (a quiet
// topic) is kept as two points, its first and last sighting, so the table
// knows that nothing arrived in between. When the table is full, the
// interior point whose removal changes the interpolated times the least is
// dropped, so the table keeps covering a long history at a bounded cost
// (MaxPoints x OffsetTimeSize bytes) and stays exact where the rate changes.
type LagTable struct {
	points    []OffsetTime
	maxPoints int
}

// NewLagTable returns an empty table that keeps at most maxPoints points
// (at least 3).
func NewLagTable(maxPoints int) *LagTable {
	return &LagTable{maxPoints: max(maxPoints, 3)}
}

// Points returns the table's points, oldest first. The slice must not be
// modified.
func (t *LagTable) Points() []OffsetTime { return t.points }

// Reset empties the table (the partition was re-created or truncated).
func (t *LagTable) Reset() { t.points = t.points[:0] }

// Add records that the latest offset was offset at time at. A latest offset
// below the last one recorded means the log was re-created or truncated:
// the history no longer applies and the table restarts. A time not after
// the last point is ignored.
func (t *LagTable) Add(offset int64, at time.Time) {
	p := OffsetTime{Offset: offset, Time: at.UnixNano()}
	n := len(t.points)
	if n > 0 {
		last := t.points[n-1]
		switch {
		case offset < last.Offset:
			t.Reset()
			n = 0
		case p.Time <= last.Time:
			return
		case offset == last.Offset && n >= 2 && t.points[n-2].Offset == offset:
			t.points[n-1].Time = p.Time // extend the quiet run
			return
		}
	}
	if len(t.points) == cap(t.points) {
		// Grow by doubling, but never past the bound (+1 for the point
		// added before one is dropped), so a full table costs exactly
		// (maxPoints+1) x OffsetTimeSize bytes.
		grown := make([]OffsetTime, len(t.points), min(max(4, 2*cap(t.points)), t.maxPoints+1))
		copy(grown, t.points)
		t.points = grown
	}
	t.points = append(t.points, p)
	if len(t.points) > t.maxPoints {
		t.dropLeastUseful()
	}
}

// dropLeastUseful removes the interior point whose removal moves the
// interpolated time of its own offset the least.
func (t *LagTable) dropLeastUseful() {
	best, bestErr := -1, 0.0
	for i := 1; i < len(t.points)-1; i++ {
		a, p, b := t.points[i-1], t.points[i], t.points[i+1]
		var e float64
		if b.Offset > a.Offset {
			interp := float64(a.Time) + float64(p.Offset-a.Offset)/float64(b.Offset-a.Offset)*float64(b.Time-a.Time)
			e = interp - float64(p.Time)
			if e < 0 {
				e = -e
			}
		}
		if best < 0 || e < bestErr {
			best, bestErr = i, e
		}
	}
	t.points = append(t.points[:best], t.points[best+1:]...)
}

// TimeOf estimates when the latest offset reached offset, interpolating
// linearly between the two points around it. It is false when offset is at
// or before the first point (the table does not reach back far enough) or
// after the last one.
func (t *LagTable) TimeOf(offset int64) (time.Time, bool) {
	j := sort.Search(len(t.points), func(i int) bool { return t.points[i].Offset >= offset })
	if j == 0 || j == len(t.points) {
		return time.Time{}, false
	}
	a, b := t.points[j-1], t.points[j]
	ns := float64(a.Time) + float64(offset-a.Offset)/float64(b.Offset-a.Offset)*float64(b.Time-a.Time)
	return time.Unix(0, int64(ns)), true
}

// LagSeconds estimates how old, at now, the oldest message a group has not
// consumed is. The group's next message is the one at the committed offset;
// it was appended when the latest offset went from committed to
// committed+1, and TimeOf(committed+1) estimates that moment. A group at or
// beyond the latest offset has lag 0. It is false when the table does not
// reach back to that message: then no value is better than a wrong one.
//
// Accuracy: between two polls the exporter does not know when messages
// arrived; the estimate assumes a steady rate between them, so it is off by
// at most the time between the two points around the message (one poll
// interval, or the span of a dropped point, whose error was the smallest).
// On a quiet topic the run of equal offsets bounds the error the same way.
func LagSeconds(t *LagTable, committed, latest int64, now time.Time) (float64, bool) {
	if committed >= latest {
		return 0, true
	}
	at, ok := t.TimeOf(committed + 1)
	if !ok {
		return 0, false
	}
	return max(now.Sub(at).Seconds(), 0), true
}

// Anchor extends the table's history backwards with a record's timestamp:
// the next message a group will read, at offset, was appended at at. It is
// used when the table does not reach back that far (offset+1 at or before
// the first point); otherwise it does nothing and returns false. The record
// timestamp is the producer's clock (CreateTime) unless the topic uses
// LogAppendTime; it is clamped so that time never runs backwards along the
// table.
func (t *LagTable) Anchor(offset int64, at time.Time) bool {
	ns := at.UnixNano()
	if len(t.points) > 0 {
		first := t.points[0]
		if offset+1 > first.Offset {
			return false
		}
		ns = min(ns, first.Time)
	}
	// Two points, so that TimeOf(offset+1) is exactly the record's time.
	grown := make([]OffsetTime, 0, min(max(4, len(t.points)+2), t.maxPoints+2))
	grown = append(grown, OffsetTime{Offset: offset, Time: ns}, OffsetTime{Offset: offset + 1, Time: ns})
	t.points = append(grown, t.points...)
	for len(t.points) > t.maxPoints {
		t.dropLeastUseful()
	}
	return true
}
