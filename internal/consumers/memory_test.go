package consumers

import (
	"runtime"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// TestLagTableMemoryPerPartition measures what the lag-seconds tables cost
// per partition once full, and checks it stays within the documented bound:
// (points+1) x 16 bytes of points plus the table header, plus a little for
// the per-topic slice.
func TestLagTableMemoryPerPartition(t *testing.T) {
	const topics, partitions, points = 100, 100, 32
	s := &snapshot.Snapshot{Collectors: []snapshot.CollectorResult{{Name: snapshot.CollectorMetadata, Success: true}}}
	for i := range topics {
		topic := snapshot.Topic{Name: "topic-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), ID: [16]byte{byte(i + 1)}}
		for p := range partitions {
			topic.Partitions = append(topic.Partitions, snapshot.Partition{ID: int32(p), Leader: 1, Offsets: snapshot.Offsets{Known: true}})
		}
		s.Topics = append(s.Topics, topic)
	}
	tr := NewTracker(Options{TablePoints: points, StatusWindow: 10})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for poll := range 3 * points {
		s.Time = time.Unix(1_700_000_000+int64(poll)*30, 0)
		for ti := range s.Topics {
			for pi := range s.Topics[ti].Partitions {
				// An irregular rate, so that points are not all removable.
				s.Topics[ti].Partitions[pi].Offsets.Latest += int64(1 + (poll*7+pi)%13)
			}
		}
		tr.Observe(s, nil)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perPartition := float64(after.HeapAlloc-before.HeapAlloc) / (topics * partitions)
	// 33 points round up to the 576-byte size class; the table header is 32.
	bound := float64((points+1)*risk.OffsetTimeSize + 128)
	t.Logf("lag tables: %.0f bytes per partition with %d points (bound %.0f)", perPartition, points, bound)
	if perPartition > bound {
		t.Fatalf("lag tables use %.0f bytes per partition, more than the bound %.0f", perPartition, bound)
	}
	runtime.KeepAlive(tr)
}

// TestGroupStateMemoryPerCommittedPartition measures the state kept per
// committed partition (status window, loss mark) once the window is full.
func TestGroupStateMemoryPerCommittedPartition(t *testing.T) {
	const topics, partitions, groups, window = 20, 100, 20, 10
	s := &snapshot.Snapshot{Collectors: []snapshot.CollectorResult{
		{Name: snapshot.CollectorMetadata, Success: true}, {Name: snapshot.CollectorConsumerGroups, Success: true}}}
	for i := range topics {
		topic := snapshot.Topic{Name: "topic-" + string(rune('a'+i)), ID: [16]byte{byte(i + 1)}}
		for p := range partitions {
			topic.Partitions = append(topic.Partitions, snapshot.Partition{ID: int32(p), Leader: 1, Offsets: snapshot.Offsets{Known: true, Latest: 100}})
		}
		s.Topics = append(s.Topics, topic)
	}
	committed := 0
	for g := range groups {
		grp := snapshot.Group{Name: "group-" + string(rune('a'+g)), State: "Empty", Generation: -1, OffsetsKnown: true}
		for _, ti := range []int{g % topics, (g + 1) % topics} {
			for p := range partitions {
				grp.Offsets = append(grp.Offsets, snapshot.CommittedOffset{Topic: s.Topics[ti].Name, Partition: int32(p), Offset: 50})
				committed++
			}
		}
		s.Groups = append(s.Groups, grp)
	}
	// The same polls with and without the groups: the difference is the
	// groups' state (the lag tables are the same in both).
	measure := func(groups []snapshot.Group) uint64 {
		keep := s.Groups
		s.Groups = groups
		defer func() { s.Groups = keep }()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tr := NewTracker(Options{TablePoints: 32, StatusWindow: window})
		for poll := range window + 2 {
			s.Time = time.Unix(1_700_000_000+int64(poll)*30, 0)
			tr.Observe(s, nil)
		}
		tr.report.Store(nil) // the state, not the last report
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(tr)
		return after.HeapAlloc - before.HeapAlloc
	}
	without := measure(nil)
	with := measure(s.Groups)
	perCommitted := float64(with-without) / float64(committed)
	t.Logf("group state: %.0f bytes per committed partition (status window %d polls)", perCommitted, window)
	if perCommitted > 512 {
		t.Fatalf("group state uses %.0f bytes per committed partition, want at most 512", perCommitted)
	}
}
