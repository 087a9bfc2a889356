package risk

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

var pt0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

// pread builds a read at t of topic "t" with the given partitions.
func pread(t time.Time, parts map[int32]snapshot.PartitionProducers) *snapshot.ProducerRead {
	return &snapshot.ProducerRead{Time: t, Partitions: map[string]map[int32]snapshot.PartitionProducers{"t": parts}}
}

func hw(n int64, producers ...snapshot.ProducerState) snapshot.PartitionProducers {
	return snapshot.PartitionProducers{HighWatermark: n, Producers: producers}
}

func prod(id int64, seq int32, ts time.Time) snapshot.ProducerState {
	return snapshot.ProducerState{ID: id, Epoch: 0, LastSequence: seq, LastTimestamp: ts.UnixMilli(), CoordinatorEpoch: -1, TxnStartOffset: -1}
}

func TestNonIdempotentWrites(t *testing.T) {
	prevT, curT := pt0, pt0.Add(time.Minute)
	old := pt0.Add(-time.Hour)
	failed := snapshot.PartitionProducers{HighWatermark: 10, Err: errors.New("broker down")}
	tests := []struct {
		name      string
		prev, cur map[int32]snapshot.PartitionProducers
		single    bool
		want      bool
	}{
		{"advanced, no producer state: finding",
			map[int32]snapshot.PartitionProducers{0: hw(10), 1: hw(5)}, map[int32]snapshot.PartitionProducers{0: hw(10), 1: hw(9)}, false, true},
		{"not advanced: no finding",
			map[int32]snapshot.PartitionProducers{0: hw(10)}, map[int32]snapshot.PartitionProducers{0: hw(10)}, false, false},
		{"high watermark went back (truncation, recreated): no finding",
			map[int32]snapshot.PartitionProducers{0: hw(10)}, map[int32]snapshot.PartitionProducers{0: hw(3)}, false, false},
		{"advanced, a new idempotent producer: none",
			map[int32]snapshot.PartitionProducers{0: hw(10)}, map[int32]snapshot.PartitionProducers{0: hw(20, prod(7, 9, curT))}, false, false},
		{"advanced, a producer's sequence moved on another partition: none",
			map[int32]snapshot.PartitionProducers{0: hw(10), 1: hw(4, prod(7, 3, old))},
			map[int32]snapshot.PartitionProducers{0: hw(20), 1: hw(4, prod(7, 4, old))}, false, false},
		{"advanced, an old idempotent producer unchanged: finding (another writer is not idempotent)",
			map[int32]snapshot.PartitionProducers{0: hw(10, prod(7, 3, old))}, map[int32]snapshot.PartitionProducers{0: hw(20, prod(7, 3, old))}, false, true},
		{"advanced, unchanged state but timestamp after the previous read: none",
			map[int32]snapshot.PartitionProducers{0: hw(10, prod(7, 3, prevT.Add(time.Second)))},
			map[int32]snapshot.PartitionProducers{0: hw(20, prod(7, 3, prevT.Add(time.Second)))}, false, false},
		{"first read only: not judged",
			nil, map[int32]snapshot.PartitionProducers{0: hw(20)}, true, false},
		{"a partition failed now: not judged",
			map[int32]snapshot.PartitionProducers{0: hw(1), 1: hw(1)}, map[int32]snapshot.PartitionProducers{0: hw(9), 1: failed}, false, false},
		{"a partition failed before: not judged",
			map[int32]snapshot.PartitionProducers{0: hw(1), 1: failed}, map[int32]snapshot.PartitionProducers{0: hw(9), 1: hw(10)}, false, false},
		{"high watermark unknown: not judged",
			map[int32]snapshot.PartitionProducers{0: hw(-1)}, map[int32]snapshot.PartitionProducers{0: hw(9)}, false, false},
		{"a partition new since the previous read: not judged",
			map[int32]snapshot.PartitionProducers{0: hw(1)}, map[int32]snapshot.PartitionProducers{0: hw(9), 1: hw(3)}, false, false},
		{"topic unknown to the read: not judged",
			map[int32]snapshot.PartitionProducers{}, map[int32]snapshot.PartitionProducers{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &snapshot.Producers{Current: pread(curT, tt.cur)}
			if !tt.single {
				p.Previous = pread(prevT, tt.prev)
			}
			if got := NonIdempotentWrites("t", p); got != tt.want {
				t.Errorf("NonIdempotentWrites = %v, want %v", got, tt.want)
			}
			want := []string(nil)
			if tt.want {
				want = []string{RiskNonIdempotentWrites}
			}
			if got := ProducerFindings("t", p, DefaultThresholds()); !reflect.DeepEqual(got, want) {
				t.Errorf("ProducerFindings = %v, want %v", got, want)
			}
			exempt := Thresholds{Ignored: map[string]bool{RiskNonIdempotentWrites: true}}
			if got := ProducerFindings("t", p, exempt); got != nil {
				t.Errorf("exempted ProducerFindings = %v, want none", got)
			}
		})
	}
	if NonIdempotentWrites("t", nil) {
		t.Error("no producer read: want no finding")
	}
}

func TestIdempotentProducers(t *testing.T) {
	tests := []struct {
		name      string
		parts     map[int32]snapshot.PartitionProducers
		want      int
		wantKnown bool
	}{
		{"none", map[int32]snapshot.PartitionProducers{0: hw(3), 1: hw(4)}, 0, true},
		{"distinct ids over partitions", map[int32]snapshot.PartitionProducers{0: hw(3, prod(1, 0, pt0), prod(2, 0, pt0)), 1: hw(4, prod(2, 5, pt0))}, 2, true},
		{"a partition failed", map[int32]snapshot.PartitionProducers{0: hw(3, prod(1, 0, pt0)), 1: {Err: errors.New("x")}}, 0, false},
		{"no partitions", map[int32]snapshot.PartitionProducers{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, known := IdempotentProducers("t", pread(pt0, tt.parts))
			if n != tt.want || known != tt.wantKnown {
				t.Errorf("IdempotentProducers = %d, %v; want %d, %v", n, known, tt.want, tt.wantKnown)
			}
		})
	}
	if _, known := IdempotentProducers("t", nil); known {
		t.Error("nil read: want unknown")
	}
}

func lso(hwm, offset int64, err error) snapshot.PartitionProducers {
	return snapshot.PartitionProducers{HighWatermark: hwm, LastStable: snapshot.LastStableOffset{Read: true, Offset: offset, Err: err}}
}

func TestLastStableAndStableLag(t *testing.T) {
	tests := []struct {
		name            string
		pp              snapshot.PartitionProducers
		committed       int64
		wantLag         int64
		wantOK          bool
		wantStable      int64
		wantStableKnown bool
	}{
		{"open transaction of 7 messages", lso(17, 10, nil), 4, 7, true, 6, true},
		{"group past the LSO (read_uncommitted)", lso(17, 10, nil), 15, 7, true, 0, true},
		{"no open transaction: lag 0, stable lag not rendered", lso(17, 17, nil), 4, 0, true, 0, false},
		{"LSO read after more writes: never negative", lso(17, 19, nil), 4, 0, true, 0, false},
		{"not read", snapshot.PartitionProducers{HighWatermark: 17}, 4, 0, false, 0, false},
		{"read failed", lso(17, 0, errors.New("x")), 4, 0, false, 0, false},
		{"high watermark unknown", lso(-1, 10, nil), 4, 0, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lag, ok := LastStableLag(tt.pp)
			if lag != tt.wantLag || ok != tt.wantOK {
				t.Errorf("LastStableLag = %d, %v; want %d, %v", lag, ok, tt.wantLag, tt.wantOK)
			}
			sl, sok := StableLag(tt.pp, tt.committed)
			if sl != tt.wantStable || sok != tt.wantStableKnown {
				t.Errorf("StableLag = %d, %v; want %d, %v", sl, sok, tt.wantStable, tt.wantStableKnown)
			}
		})
	}
}

func TestTransactionsByTopic(t *testing.T) {
	at := pt0
	r := &snapshot.ProducerRead{Time: at, Transactions: []snapshot.Transaction{
		{ID: "a", Start: at.Add(-90 * time.Second), Timeout: time.Minute, Partitions: map[string][]int32{"x": {0, 1}, "y": {0}}},
		{ID: "b", Start: at.Add(-10 * time.Second), Timeout: time.Minute, Partitions: map[string][]int32{"x": {2}}},
		{ID: "c", Start: at.Add(-5 * time.Second), Timeout: time.Minute, Partitions: map[string][]int32{"z": {0}}},
		{ID: "d", Err: errors.New("not described"), Partitions: map[string][]int32{"w": {0}}},
		{ID: "e", Start: at.Add(time.Second), Timeout: time.Minute, Partitions: map[string][]int32{"v": {0}}},
	}}
	want := map[string]TopicTransactions{
		"x": {Open: 2, OldestAge: 90 * time.Second, Hanging: 1},
		"y": {Open: 1, OldestAge: 90 * time.Second, Hanging: 1},
		"z": {Open: 1, OldestAge: 5 * time.Second},
		"v": {Open: 1},
	}
	if got := TransactionsByTopic(r); !reflect.DeepEqual(got, want) {
		t.Errorf("TransactionsByTopic =\n %v\nwant\n %v", got, want)
	}
	if got := TransactionsByTopic(nil); len(got) != 0 {
		t.Errorf("nil read: %v", got)
	}
}
