package canary

import (
	"sort"
	"time"
)

// Verdict is what the detector makes of a message read back.
type Verdict int

const (
	// VerdictIgnored: not judged (older than the detector remembers, or a
	// sequence number this process never sent).
	VerdictIgnored Verdict = iota
	// VerdictReceived: the first copy of a message, in order.
	VerdictReceived
	// VerdictOutOfOrder: the first copy of a message, read after a message
	// with a higher sequence number (it fills a gap).
	VerdictOutOfOrder
	// VerdictDuplicate: a message read before, now at another offset.
	VerdictDuplicate
	// VerdictReread: the same message at the same offset again (the
	// consumer went back after a reset); not counted.
	VerdictReread
)

// String names the verdict for logs and tests.
func (v Verdict) String() string {
	switch v {
	case VerdictReceived:
		return "received"
	case VerdictOutOfOrder:
		return "out_of_order"
	case VerdictDuplicate:
		return "duplicate"
	case VerdictReread:
		return "reread"
	}
	return "ignored"
}

// DetectorOptions bound the detector.
type DetectorOptions struct {
	// LossTimeout is how long an acknowledged message may be missing while
	// later messages of its partition have arrived before it counts as lost.
	LossTimeout time.Duration
	// Keep is how long a settled message (read back, lost or failed) is
	// remembered, to recognise duplicates and re-reads and to notice that
	// it vanished from the log. At least LossTimeout.
	Keep time.Duration
	// MaxEntries caps the messages remembered per partition; the oldest
	// are forgotten first (a stalled consumer cannot grow memory without
	// bound).
	MaxEntries int
}

// produceState is where a message's produce stands.
type produceState uint8

const (
	produceInFlight produceState = iota
	produceAcked
	produceFailed
)

// entry is what the detector knows of one sequence number.
type entry struct {
	produce   produceState
	received  bool
	lost      bool
	offset    int64     // where it was read, when received
	gapSince  time.Time // when a later message was first read while this acked one was missing; zero: no gap
	settledAt time.Time // when it was read, counted lost or failed; zero: not settled
}

// partitionState is one partition's window of sequence numbers [floor, floor+len(entries)).
type partitionState struct {
	floor    uint64
	entries  []entry
	high     uint64 // highest sequence number read
	hasHigh  bool
	marked   uint64           // every entry below marked has had its gap checked
	byOffset map[int64]uint64 // offset -> sequence number read there
	gaps     int              // entries with a running gap
}

func (ps *partitionState) get(seq uint64) *entry {
	if seq < ps.floor || seq-ps.floor >= uint64(len(ps.entries)) {
		return nil
	}
	return &ps.entries[seq-ps.floor]
}

// Detector judges the canary's messages: per partition it knows which
// sequence numbers were sent, acknowledged or failed, and which were read
// back where. It is a pure state machine (time is passed in) and not safe
// for concurrent use.
//
// Rules:
//   - a message whose produce failed is not expected: it is never lost, and
//     if it arrives anyway (a timed-out produce that was written) it counts
//     as received;
//   - an acknowledged message that is missing while a later message of its
//     partition has been read (a gap), and still missing LossTimeout later,
//     is lost;
//   - a message read at an offset where another message was read before
//     means the log was truncated and rewritten from there (an unclean
//     election): every message read at that offset or later is missing
//     again, and lost unless it reappears within LossTimeout;
//   - the same message at another offset is a duplicate; at the same offset
//     a re-read, not counted.
type Detector struct {
	opts  DetectorOptions
	parts map[int32]*partitionState
}

// NewDetector returns an empty detector.
func NewDetector(o DetectorOptions) *Detector {
	if o.Keep < o.LossTimeout {
		o.Keep = o.LossTimeout
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100000
	}
	return &Detector{opts: o, parts: map[int32]*partitionState{}}
}

func (d *Detector) part(p int32) *partitionState {
	ps := d.parts[p]
	if ps == nil {
		ps = &partitionState{byOffset: map[int64]uint64{}}
		d.parts[p] = ps
	}
	return ps
}

// Send assigns the next sequence number of partition p to a message about
// to be produced.
func (d *Detector) Send(p int32) uint64 {
	ps := d.part(p)
	seq := ps.floor + uint64(len(ps.entries))
	ps.entries = append(ps.entries, entry{offset: -1})
	if len(ps.entries) > d.opts.MaxEntries {
		d.forget(ps, 1)
	}
	return seq
}

// Acked records that the cluster acknowledged seq.
func (d *Detector) Acked(p int32, seq uint64, now time.Time) {
	ps := d.part(p)
	e := ps.get(seq)
	if e == nil || e.produce != produceInFlight {
		return
	}
	e.produce = produceAcked
	if !e.received && ps.hasHigh && seq < ps.marked {
		e.gapSince = now
		ps.gaps++
	}
}

// Failed records that producing seq failed: it is not expected.
func (d *Detector) Failed(p int32, seq uint64, now time.Time) {
	ps := d.part(p)
	e := ps.get(seq)
	if e == nil || e.produce != produceInFlight {
		return
	}
	e.produce = produceFailed
	if e.settledAt.IsZero() {
		e.settledAt = now
	}
}

// Received judges a message of this process read at offset.
func (d *Detector) Received(p int32, seq uint64, offset int64, now time.Time) Verdict {
	ps := d.part(p)
	if prev, ok := ps.byOffset[offset]; ok && prev != seq {
		d.truncate(ps, offset, now)
	}
	e := ps.get(seq)
	if e == nil {
		return VerdictIgnored
	}
	if e.received {
		if e.offset == offset {
			return VerdictReread
		}
		return VerdictDuplicate
	}
	e.received = true
	e.offset = offset
	ps.byOffset[offset] = seq
	if !e.gapSince.IsZero() {
		e.gapSince = time.Time{}
		if !e.lost {
			ps.gaps--
		}
	}
	if e.settledAt.IsZero() || e.lost {
		e.settledAt = now
	}
	v := VerdictReceived
	if ps.hasHigh && seq < ps.high {
		v = VerdictOutOfOrder
	} else {
		ps.high, ps.hasHigh = seq, true
	}
	// Every acknowledged message before this one that is missing now has
	// a gap.
	for s := max(ps.marked, ps.floor); s < seq; s++ {
		if x := ps.get(s); x.produce == produceAcked && !x.received && !x.lost && x.gapSince.IsZero() {
			x.gapSince = now
			ps.gaps++
		}
	}
	ps.marked = max(ps.marked, seq)
	return v
}

// Foreign records that offset of partition p holds a message that is not
// this process's (another exporter's, or not a canary message): if this
// process read one of its own there before, the log was rewritten.
func (d *Detector) Foreign(p int32, offset int64, now time.Time) {
	ps := d.part(p)
	if _, ok := ps.byOffset[offset]; ok {
		d.truncate(ps, offset, now)
	}
}

// Truncated records that partition p's log now ends before offset (the
// consumer's position was out of range above the log end): the messages
// read at offset or later are gone. It returns how many of this process's
// messages are missing again.
func (d *Detector) Truncated(p int32, offset int64, now time.Time) int {
	return d.truncate(d.part(p), offset, now)
}

func (d *Detector) truncate(ps *partitionState, from int64, now time.Time) int {
	n := 0
	for off, seq := range ps.byOffset {
		if off < from {
			continue
		}
		delete(ps.byOffset, off)
		e := ps.get(seq)
		if e == nil || !e.received || e.offset != off {
			continue
		}
		e.received = false
		e.offset = -1
		e.settledAt = time.Time{}
		n++
		if e.produce == produceFailed || e.lost {
			e.settledAt = now
		}
		if e.produce == produceAcked && !e.lost {
			e.gapSince = now
			ps.gaps++
		}
	}
	return n
}

// Expire counts the acknowledged messages whose gap outlived the loss
// timeout as lost, forgets what is older than the options keep, and
// returns the newly lost messages per partition.
func (d *Detector) Expire(now time.Time) map[int32]int {
	lost := map[int32]int{}
	for p, ps := range d.parts {
		if ps.gaps > 0 {
			for i := range ps.entries {
				e := &ps.entries[i]
				if e.gapSince.IsZero() || e.lost || e.received {
					continue
				}
				if now.Sub(e.gapSince) >= d.opts.LossTimeout {
					e.lost = true
					e.gapSince = time.Time{}
					e.settledAt = now
					ps.gaps--
					lost[p]++
				}
			}
		}
		// Forget settled messages older than Keep, from the oldest on.
		n := 0
		for n < len(ps.entries) {
			e := &ps.entries[n]
			if e.settledAt.IsZero() || now.Sub(e.settledAt) < d.opts.Keep {
				break
			}
			n++
		}
		d.forget(ps, n)
	}
	return lost
}

// forget drops the n oldest entries of a partition.
func (d *Detector) forget(ps *partitionState, n int) {
	for i := 0; i < n; i++ {
		e := &ps.entries[i]
		if e.received {
			delete(ps.byOffset, e.offset)
		}
		if !e.gapSince.IsZero() && !e.lost && !e.received {
			ps.gaps--
		}
	}
	ps.entries = ps.entries[n:]
	ps.floor += uint64(n)
	if len(ps.entries) == 0 {
		ps.entries = nil // let the array go
	}
}

// Pending returns, per partition, the acknowledged messages not read back
// yet and not counted lost (in flight through Kafka, or in a gap).
func (d *Detector) Pending() map[int32]int {
	out := map[int32]int{}
	for p, ps := range d.parts {
		for _, e := range ps.entries {
			if e.produce == produceAcked && !e.received && !e.lost {
				out[p]++
			}
		}
	}
	return out
}

// remembered is the number of entries kept per partition, sorted by
// partition (for tests of the bound).
func (d *Detector) remembered() []int {
	ps := make([]int32, 0, len(d.parts))
	for p := range d.parts {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = len(d.parts[p].entries)
	}
	return out
}
