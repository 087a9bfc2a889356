package fetch

import (
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestCommittedOffsets(t *testing.T) {
	blocks := map[string]map[int32]*sarama.OffsetFetchResponseBlock{
		"orders": {
			1: {Offset: 10, LeaderEpoch: 3},
			0: {Offset: -1, LeaderEpoch: -1}, // no commit
			2: {Offset: 5, Err: sarama.ErrUnknownTopicOrPartition},
		},
		"audit": {0: {Offset: 0, LeaderEpoch: -1}},
	}
	want := []snapshot.CommittedOffset{
		{Topic: "audit", Partition: 0, Offset: 0, LeaderEpoch: -1},
		{Topic: "orders", Partition: 1, Offset: 10, LeaderEpoch: 3},
	}
	if got := committedOffsets(blocks); !reflect.DeepEqual(got, want) {
		t.Fatalf("committedOffsets = %+v, want %+v", got, want)
	}
}

func TestGenerationOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		gens []int32
		want int32
	}{
		{"no members", nil, snapshot.NoGeneration},
		{"only new members (no generation held)", []int32{-1, -1}, snapshot.NoGeneration},
		{"members rejoined from generation 4", []int32{4, 4, -1}, 5},
		{"a member from an older generation", []int32{2, 4}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var members []snapshot.Member
			for _, g := range tc.gens {
				members = append(members, snapshot.Member{SubscriptionGeneration: g})
			}
			if got := generationOf(members); got != tc.want {
				t.Fatalf("generationOf = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestGroupOptionsKeep(t *testing.T) {
	o := GroupOptions{Filter: regexp.MustCompile("^(?:app-.*)$"), Exclude: regexp.MustCompile("^(?:app-test)$")}
	for name, want := range map[string]bool{"app-billing": true, "app-test": false, "other": false} {
		if got := o.keep(name); got != want {
			t.Errorf("keep(%q) = %v, want %v", name, got, want)
		}
	}
	if !(GroupOptions{}).keep("anything") {
		t.Errorf("no filters must keep every group")
	}
}

func TestRecordTime(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	batch := func(first int64, control, appendTime bool, deltas ...int64) *sarama.Records {
		b := &sarama.RecordBatch{FirstOffset: first, Control: control, LogAppendTime: appendTime,
			FirstTimestamp: base, MaxTimestamp: base.Add(time.Hour)}
		for _, d := range deltas {
			b.Records = append(b.Records, &sarama.Record{OffsetDelta: d, TimestampDelta: time.Duration(d) * time.Second})
		}
		return &sarama.Records{RecordBatch: b}
	}
	ref := snapshot.RecordRef{Topic: "orders", Partition: 0, Offset: 12}
	for _, tc := range []struct {
		name  string
		block *sarama.FetchResponseBlock
		found bool
		at    time.Time
	}{
		{"record inside the first batch", &sarama.FetchResponseBlock{RecordsSet: []*sarama.Records{batch(10, false, false, 0, 1, 2, 3)}}, true, base.Add(2 * time.Second)},
		{"control batch skipped", &sarama.FetchResponseBlock{RecordsSet: []*sarama.Records{batch(12, true, false, 0), batch(13, false, false, 0)}}, true, base},
		{"log append time", &sarama.FetchResponseBlock{RecordsSet: []*sarama.Records{batch(12, false, true, 0)}}, true, base.Add(time.Hour)},
		{"deleted", &sarama.FetchResponseBlock{Err: sarama.ErrOffsetOutOfRange}, false, time.Time{}},
		{"nothing returned", &sarama.FetchResponseBlock{}, false, time.Time{}},
		{"missing", nil, false, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := recordTime(tc.block, ref)
			if got.Found != tc.found || !got.Time.Equal(tc.at) {
				t.Fatalf("recordTime = %+v, want found %v at %v", got, tc.found, tc.at)
			}
		})
	}
}
