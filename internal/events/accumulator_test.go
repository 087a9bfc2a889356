package events

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// poll is one observed poll: a snapshot, or a failure when s is nil.
type poll struct {
	s *snapshot.Snapshot
}

func failed() poll                     { return poll{} }
func ok(topics ...snapshot.Topic) poll { return poll{s: snap(topics...)} }
func observe(a *Accumulator, polls ...poll) {
	for i, p := range polls {
		at := time.Unix(int64(1000+10*i), 0)
		if p.s == nil {
			a.Observe(&snapshot.Snapshot{Time: at}, errors.New("no broker answered Metadata"))
			continue
		}
		p.s.Time = at
		a.Observe(p.s, nil)
	}
}

func TestAccumulatorCountsEachEventOnce(t *testing.T) {
	r12 := []int32{1, 2}
	cases := []struct {
		name  string
		polls []poll
		want  map[string]TopicCounts
		// wantBrokers are the broker ISR shrink counters.
		wantBrokers map[int32]uint64
	}{
		{
			name:        "first poll: every topic and broker at 0",
			polls:       []poll{ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10)), topic("b", 2, part(0, 2, 1, r12, r12, 0, 0)))},
			want:        map[string]TopicCounts{"a": {}, "b": {}},
			wantBrokers: map[int32]uint64{1: 0, 2: 0, 3: 0},
		},
		{
			name: "a shrink seen across failed polls is counted once",
			polls: []poll{
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))),
				failed(), failed(),
				ok(topic("a", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 10))),
				failed(),
				ok(topic("a", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 10))),
			},
			want:        map[string]TopicCounts{"a": {ISRShrinks: 1}},
			wantBrokers: map[int32]uint64{1: 0, 2: 0, 3: 1},
		},
		{
			name: "a broker stops and comes back",
			polls: []poll{
				ok(topic("a", 1, part(0, 3, 5, r123, r123, 0, 10), part(1, 1, 5, r123, r123, 0, 10))),
				ok(topic("a", 1, part(0, 1, 6, r123, []int32{1, 2}, 0, 10), part(1, 1, 5, r123, []int32{1, 2}, 0, 10))),
				ok(topic("a", 1, part(0, 1, 6, r123, r123, 0, 12), part(1, 1, 5, r123, r123, 0, 11))),
			},
			want:        map[string]TopicCounts{"a": {ISRShrinks: 2, ISRExpands: 2, LeaderChanges: 1}},
			wantBrokers: map[int32]uint64{1: 0, 2: 0, 3: 2},
		},
		{
			name: "unclean election while the partition was offline: loss measured against the last known offsets, once",
			polls: []poll{
				ok(topic("u", 1, part(0, 1, 3, r12, r12, 0, 10))),
				ok(topic("u", 1, part(0, 1, 3, r12, []int32{1}, 0, 10))),  // follower 2 stopped
				ok(topic("u", 1, part(0, 1, 3, r12, []int32{1}, 0, 25))),  // 15 produced with acks=1
				ok(topic("u", 1, part(0, -1, 4, r12, []int32{1}, 0, -1))), // leader stopped: offline
				failed(),
				ok(topic("u", 1, part(0, 2, 5, r12, []int32{2}, 0, -1))), // stale 2 elected; offsets not readable yet
				ok(topic("u", 1, part(0, 2, 5, r12, []int32{2}, 0, 10))), // 15 offsets gone
				ok(topic("u", 1, part(0, 2, 5, r12, r12, 0, 10))),        // old leader back as follower
				ok(topic("u", 1, part(0, 2, 5, r12, r12, 0, 12))),
			},
			want:        map[string]TopicCounts{"u": {ISRShrinks: 2, ISRExpands: 2, LeaderChanges: 1, SuspectedUncleanElections: 1, TruncatedMessages: 15}},
			wantBrokers: map[int32]uint64{1: 1, 2: 1},
		},
		{
			name: "offsets unknown for a while and back unchanged: no loss",
			polls: []poll{
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))),
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, -1))),
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, -1))),
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))),
			},
			want:        map[string]TopicCounts{"a": {}},
			wantBrokers: map[int32]uint64{1: 0, 2: 0, 3: 0},
		},
		{
			name: "topic deleted and re-created: no truncation, no shrink, counters kept",
			polls: []poll{
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))),
				ok(topic("a", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 500))),
				ok(), // deleted
				ok(topic("a", 2, part(0, 2, 0, r123, []int32{2}, 0, 0))), // re-created
				ok(topic("a", 2, part(0, 2, 0, r123, r123, 0, 3))),
				ok(topic("a", 3, part(0, 3, 0, r123, []int32{3}, 0, 0))), // again, within one poll
			},
			want:        map[string]TopicCounts{"a": {ISRShrinks: 1, ISRExpands: 1}},
			wantBrokers: map[int32]uint64{1: 0, 2: 0, 3: 1},
		},
		{
			name: "stale metadata from a lagging broker does not flap",
			polls: []poll{
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))),
				ok(topic("a", 1, part(0, 2, 6, r123, []int32{2, 3}, 0, 10))),
				ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))), // lagging broker answered
				ok(topic("a", 1, part(0, 2, 6, r123, []int32{2, 3}, 0, 10))),
			},
			want:        map[string]TopicCounts{"a": {ISRShrinks: 1, LeaderChanges: 1}},
			wantBrokers: map[int32]uint64{1: 1, 2: 0, 3: 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAccumulator(log.NewNopLogger())
			observe(a, tc.polls...)
			got := a.Counts()
			if !reflect.DeepEqual(got.Topics, tc.want) {
				t.Errorf("topics:\n got %+v\nwant %+v", got.Topics, tc.want)
			}
			if !reflect.DeepEqual(got.BrokerISRShrinks, tc.wantBrokers) {
				t.Errorf("brokers: got %v, want %v", got.BrokerISRShrinks, tc.wantBrokers)
			}
		})
	}
}

func TestAccumulatorLastISRChangeOnlyForChangedPartitions(t *testing.T) {
	a := NewAccumulator(log.NewNopLogger())
	observe(a,
		ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10), part(1, 2, 5, r123, r123, 0, 10))),
		ok(topic("a", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 10), part(1, 2, 5, r123, r123, 0, 10))),
		ok(topic("a", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 10), part(1, 2, 5, r123, r123, 0, 10))),
	)
	want := map[PartitionKey]time.Time{{"a", 0}: time.Unix(1010, 0)}
	if got := a.Counts().LastISRChange; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestAccumulatorDropsLastISRChangeOfRecreatedTopic(t *testing.T) {
	a := NewAccumulator(log.NewNopLogger())
	observe(a,
		ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10), part(1, 2, 5, r123, r123, 0, 10))),
		ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10), part(1, 2, 5, r123, []int32{2}, 0, 10))),
		ok(topic("a", 2, part(0, 1, 0, r123, r123, 0, 0))),
	)
	if got := a.Counts().LastISRChange; len(got) != 0 {
		t.Fatalf("last ISR change of the deleted topic's partitions kept: %v", got)
	}
	if got := a.Counts().Topics["a"]; got.ISRShrinks != 1 {
		t.Fatalf("counters of the re-created topic: %+v, want the one shrink kept", got)
	}
}

func TestAccumulatorForgetsTopicsGoneForGood(t *testing.T) {
	a := NewAccumulator(log.NewNopLogger())
	polls := []poll{
		ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10)), topic("gone", 2, part(0, 1, 5, r123, r123, 0, 10))),
		ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10)), topic("gone", 2, part(0, 1, 5, r123, []int32{1}, 0, 10))),
	}
	for i := 0; i < ForgetAfter-1; i++ {
		polls = append(polls, ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))), failed())
	}
	observe(a, polls...)
	c := a.Counts()
	if _, ok := c.Topics["gone"]; !ok {
		t.Fatalf("topic forgotten after %d polls without it, want %d", ForgetAfter-1, ForgetAfter)
	}
	// Back after a short absence with the same id: compared with its last state.
	observe(a, ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10)), topic("gone", 2, part(0, 1, 5, r123, r123, 0, 10))))
	if got := a.Counts().Topics["gone"]; got.ISRExpands != 1 || got.ISRShrinks != 1 {
		t.Fatalf("topic back after a short absence: %+v, want one shrink and one expand", got)
	}

	polls = nil
	for i := 0; i < ForgetAfter; i++ {
		polls = append(polls, ok(topic("a", 1, part(0, 1, 5, r123, r123, 0, 10))))
	}
	observe(a, polls...)
	c = a.Counts()
	if _, ok := c.Topics["gone"]; ok {
		t.Fatalf("topic kept after %d polls without it", ForgetAfter)
	}
	if _, ok := c.LastISRChange[PartitionKey{"gone", 0}]; ok {
		t.Fatal("last ISR change of a forgotten topic kept")
	}
	if _, ok := c.Topics["a"]; !ok {
		t.Fatal("a present topic was forgotten")
	}
}
