package canary

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// step is one event fed to the detector, at second at of the test.
type step struct {
	op     string // send, ack, fail, recv, foreign, trunc, expire
	seq    uint64 // recv, ack, fail
	offset int64  // recv, foreign, trunc
	at     int    // seconds
	want   string // recv: expected verdict; expire: expected newly lost
}

func send(n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = step{op: "send"}
	}
	return out
}
func ack(seqs ...uint64) []step {
	var out []step
	for _, s := range seqs {
		out = append(out, step{op: "ack", seq: s})
	}
	return out
}
func recv(seq uint64, offset int64, at int, want string) step {
	return step{op: "recv", seq: seq, offset: offset, at: at, want: want}
}
func expire(at, lost int) step { return step{op: "expire", at: at, want: fmt.Sprint(lost)} }

func steps(groups ...any) []step {
	var out []step
	for _, g := range groups {
		switch g := g.(type) {
		case step:
			out = append(out, g)
		case []step:
			out = append(out, g...)
		}
	}
	return out
}

func TestDetector(t *testing.T) {
	base := time.Unix(1700000000, 0)
	cases := []struct {
		name  string
		steps []step
	}{
		{"in order, nothing lost", steps(send(3), ack(0, 1, 2),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), recv(2, 12, 0, "received"), expire(100, 0))},
		{"received before the ack is processed", steps(send(2), recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), ack(0, 1), expire(100, 0))},
		{"gap filled within the timeout is out of order, not lost", steps(send(3), ack(0, 1, 2),
			recv(0, 10, 0, "received"), recv(2, 12, 1, "received"), expire(30, 0), recv(1, 11, 40, "out_of_order"), expire(200, 0))},
		{"gap not filled within the timeout is lost", steps(send(4), ack(0, 1, 2, 3),
			recv(0, 10, 0, "received"), recv(3, 13, 5, "received"), expire(64, 0), expire(65, 2), expire(200, 0))},
		{"lost message arriving late counts as received and out of order, once lost", steps(send(3), ack(0, 1, 2),
			recv(2, 12, 0, "received"), expire(60, 2), recv(1, 11, 70, "out_of_order"), expire(300, 0))},
		{"failed produce is not expected", steps(send(3), ack(0, 2), step{op: "fail", seq: 1},
			recv(0, 10, 0, "received"), recv(2, 11, 0, "received"), expire(100, 0))},
		{"failed produce that arrived anyway is received, not lost or duplicate", steps(send(3), ack(0, 2), step{op: "fail", seq: 1},
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), recv(2, 12, 0, "received"), expire(100, 0))},
		{"missing without a later message is not lost (no gap)", steps(send(3), ack(0, 1, 2), recv(0, 10, 0, "received"), expire(1000, 0))},
		{"in-flight message with a later one read is not lost until acked", steps(send(3), ack(0, 2),
			recv(0, 10, 0, "received"), recv(2, 12, 0, "received"), expire(100, 0), step{op: "ack", seq: 1, at: 100}, step{op: "expire", at: 159, want: "0"}, expire(160, 1))},
		{"same message at another offset is a duplicate", steps(send(2), ack(0, 1),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), recv(1, 12, 0, "duplicate"), recv(1, 13, 0, "duplicate"), expire(100, 0))},
		{"same message at the same offset is a re-read", steps(send(2), ack(0, 1),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), recv(0, 10, 1, "reread"), recv(1, 11, 1, "reread"), expire(100, 0))},
		{"other seq at an offset read before: truncation, vanished acked messages lost", steps(send(6), ack(0, 1, 2, 3), step{op: "fail", seq: 4}, ack(5),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), recv(2, 12, 0, "received"), recv(3, 13, 0, "received"),
			// Unclean election: the new leader had offsets 10 and 11 only; seq 5 lands at 12.
			recv(5, 12, 10, "received"), expire(69, 0), expire(70, 2), expire(500, 0))},
		{"truncation below the position (out of range), then new messages", steps(send(5), ack(0, 1, 2, 3, 4),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), recv(2, 12, 0, "received"),
			step{op: "trunc", offset: 11, at: 5}, recv(0, 10, 6, "reread"), recv(3, 11, 6, "received"), recv(4, 12, 6, "received"),
			expire(64, 0), expire(65, 2))},
		{"truncated message that reappears is not lost", steps(send(3), ack(0, 1, 2),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), step{op: "trunc", offset: 11, at: 1},
			recv(2, 11, 2, "received"), recv(1, 12, 3, "out_of_order"), expire(100, 0))},
		{"foreign message where ours was read: truncation", steps(send(3), ack(0, 1, 2),
			recv(0, 10, 0, "received"), recv(1, 11, 0, "received"), step{op: "foreign", offset: 11, at: 1},
			recv(2, 12, 2, "received"), expire(61, 1))},
		{"sequence numbers never sent are ignored", steps(send(1), ack(0), recv(5, 10, 0, "ignored"), recv(0, 11, 0, "received"), expire(100, 0))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewDetector(DetectorOptions{LossTimeout: 60 * time.Second, Keep: 120 * time.Second})
			var trace []string
			for i, s := range c.steps {
				now := base.Add(time.Duration(s.at) * time.Second)
				switch s.op {
				case "send":
					d.Send(0)
				case "ack":
					d.Acked(0, s.seq, now)
				case "fail":
					d.Failed(0, s.seq, now)
				case "recv":
					if got := d.Received(0, s.seq, s.offset, now).String(); got != s.want {
						t.Errorf("step %d: recv seq %d at offset %d: %s, want %s", i, s.seq, s.offset, got, s.want)
					}
				case "foreign":
					d.Foreign(0, s.offset, now)
				case "trunc":
					d.Truncated(0, s.offset, now)
				case "expire":
					if got := fmt.Sprint(d.Expire(now)[0]); got != s.want {
						t.Errorf("step %d: expire at %ds: %s newly lost, want %s", i, s.at, got, s.want)
					}
				}
				trace = append(trace, s.op)
			}
			if t.Failed() {
				t.Logf("steps: %s", strings.Join(trace, " "))
			}
		})
	}
}

func TestDetectorPartitionsAreIndependent(t *testing.T) {
	now := time.Unix(1700000000, 0)
	d := NewDetector(DetectorOptions{LossTimeout: time.Second})
	for _, p := range []int32{0, 1} {
		for range 3 {
			d.Send(p)
		}
		d.Acked(p, 0, now)
		d.Acked(p, 1, now)
		d.Acked(p, 2, now)
	}
	if seq := d.Send(1); seq != 3 {
		t.Fatalf("next seq of partition 1 = %d, want 3", seq)
	}
	d.Received(0, 0, 5, now)
	d.Received(0, 2, 7, now)
	d.Received(1, 0, 5, now)
	d.Received(1, 1, 6, now)
	d.Received(1, 2, 7, now)
	lost := d.Expire(now.Add(2 * time.Second))
	if lost[0] != 1 || lost[1] != 0 {
		t.Fatalf("lost %v, want partition 0: 1, partition 1: 0", lost)
	}
}

// The detector forgets settled messages after Keep, and never remembers
// more than MaxEntries per partition, whatever happens.
func TestDetectorStateIsBounded(t *testing.T) {
	now := time.Unix(1700000000, 0)
	d := NewDetector(DetectorOptions{LossTimeout: 10 * time.Second, Keep: 30 * time.Second, MaxEntries: 500})
	// One hour at one message per second, all read back.
	for i := range 3600 {
		at := now.Add(time.Duration(i) * time.Second)
		seq := d.Send(0)
		d.Acked(0, seq, at)
		d.Received(0, seq, int64(i), at)
		d.Expire(at)
	}
	if got := d.remembered()[0]; got > 31 {
		t.Errorf("remembers %d messages after an hour at 1/s with Keep 30s, want at most 31", got)
	}
	// A consumer that reads nothing: acknowledged messages pile up to the cap.
	for i := range 3600 {
		at := now.Add(time.Duration(3600+i) * time.Second)
		d.Acked(0, d.Send(0), at)
		d.Expire(at)
	}
	if got := d.remembered()[0]; got > 500 {
		t.Errorf("remembers %d messages with a stalled consumer, want at most MaxEntries 500", got)
	}
	if got := len(d.parts[0].byOffset); got > 500 {
		t.Errorf("offset index holds %d entries, want at most 500", got)
	}
}
