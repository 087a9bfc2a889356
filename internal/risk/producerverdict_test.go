package risk

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestJudgeProducers(t *testing.T) {
	r3 := []int32{1, 2, 3}
	open := snapshot.Transaction{ID: "a", Start: pt0.Add(-90 * time.Second), Timeout: time.Minute, Partitions: map[string][]int32{"t": {0}}}
	group := snapshot.Group{Name: "g", Offsets: []snapshot.CommittedOffset{{Topic: "t", Partition: 0, Offset: 4}, {Topic: "t", Partition: 1, Offset: 4}}}
	cases := []struct {
		name      string
		read      *snapshot.ProducerRead
		want      *TopicProducers
		wantLags  []GroupStableLag
		neverRead bool
	}{
		{name: "producer side never read", neverRead: true},
		{name: "open transaction: last stable lag, stable lag, transactions",
			read: &snapshot.ProducerRead{Time: pt0, Transactions: []snapshot.Transaction{open},
				Partitions: map[string]map[int32]snapshot.PartitionProducers{"t": {0: lso(17, 10, nil), 1: lso(17, 17, nil)}}},
			want: &TopicProducers{IdempotentKnown: true,
				LastStable:   []PartitionLastStable{{Partition: 0, Offset: 10, Lag: 7}, {Partition: 1, Offset: 17}},
				Transactions: TopicTransactions{Open: 1, OldestAge: 90 * time.Second, Hanging: 1}, TransactionsOpen: true},
			wantLags: []GroupStableLag{{Group: "g", Topic: "t", Partition: 0, Lag: 6}}},
		{name: "idempotent producers, a partition unread",
			read: pread(pt0, map[int32]snapshot.PartitionProducers{0: hw(5, prod(7, 1, pt0), prod(8, 1, pt0))}),
			want: &TopicProducers{Idempotent: 2, IdempotentKnown: true}},
		{name: "a partition's read failed: producers unknown",
			read: pread(pt0, map[int32]snapshot.PartitionProducers{0: {Err: errors.New("x")}, 1: hw(5)}),
			want: &TopicProducers{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := judgeSnapshot(nil, *part(r3, r3), *part(r3, r3))
			s.Groups = []snapshot.Group{group}
			if !c.neverRead {
				s.Producers = &snapshot.Producers{Current: c.read}
			}
			v := Judge(s, DefaultPolicy{})
			if got := v.Topics[0].Producers; !reflect.DeepEqual(got, c.want) {
				t.Errorf("Producers = %+v, want %+v", got, c.want)
			}
			if !reflect.DeepEqual(v.StableLags, c.wantLags) {
				t.Errorf("StableLags = %+v, want %+v", v.StableLags, c.wantLags)
			}
		})
	}
}
