package consumers

import (
	"fmt"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// BenchmarkTrackerObserve judges one poll of 200 topics x 100 partitions
// with 200 groups committing on 2 topics each (40,000 committed partitions),
// the reference size of the scale issue.
func BenchmarkTrackerObserve(b *testing.B) {
	const topics, partitions, groups = 200, 100, 200
	s := &snapshot.Snapshot{Collectors: []snapshot.CollectorResult{
		{Name: fetch.CollectorMetadata, Success: true}, {Name: fetch.CollectorConsumerGroups, Success: true}}}
	for i := range topics {
		t := snapshot.Topic{Name: fmt.Sprintf("topic-%03d", i), ID: [16]byte{byte(i), 1}}
		for p := range partitions {
			t.Partitions = append(t.Partitions, snapshot.Partition{ID: int32(p), Leader: 1, Offsets: snapshot.Offsets{Known: true, Latest: 1000}})
		}
		s.Topics = append(s.Topics, t)
	}
	for g := range groups {
		grp := snapshot.Group{Name: fmt.Sprintf("group-%03d", g), State: "Empty", Generation: -1, OffsetsKnown: true}
		for _, ti := range []int{g % topics, (g + 1) % topics} {
			for p := range partitions {
				grp.Offsets = append(grp.Offsets, snapshot.CommittedOffset{Topic: s.Topics[ti].Name, Partition: int32(p), Offset: 900})
			}
		}
		s.Groups = append(s.Groups, grp)
	}
	tr := NewTracker(Options{TablePoints: 32, StatusWindow: 10})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Time = time.Unix(1_700_000_000+int64(i)*30, 0)
		for ti := range s.Topics {
			for pi := range s.Topics[ti].Partitions {
				s.Topics[ti].Partitions[pi].Offsets.Latest += 10
			}
		}
		tr.Observe(s, nil)
	}
}
