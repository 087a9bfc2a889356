package fetch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// fakeReads records the reads of a Configs step.
type fakeReads struct {
	calls []string
	fail  bool
}

func (f *fakeReads) read(_ context.Context, brokers []int32, topics []string) (*snapshot.Configs, error) {
	f.calls = append(f.calls, "read")
	c := &snapshot.Configs{Topics: map[string]snapshot.ResourceConfig{}, Brokers: map[int32]snapshot.ResourceConfig{}}
	for _, id := range brokers {
		c.Brokers[id] = snapshot.ResourceConfig{}
	}
	for _, t := range topics {
		c.Topics[t] = snapshot.ResourceConfig{}
	}
	if f.fail {
		return c, errors.New("broker 2: connection refused")
	}
	return c, nil
}

func snap(brokers []int32, topics ...string) *snapshot.Snapshot {
	s := &snapshot.Snapshot{}
	for _, id := range brokers {
		s.Brokers = append(s.Brokers, snapshot.Broker{ID: id})
	}
	for _, t := range topics {
		s.Topics = append(s.Topics, snapshot.Topic{Name: t})
	}
	return s
}

func TestConfigsStepCachesUntilDue(t *testing.T) {
	now := time.Unix(1000, 0)
	f := &fakeReads{}
	step := newConfigs(5*time.Minute, func() time.Time { return now }, f.read)
	ctx := context.Background()
	brokers := []int32{1, 2, 3}

	steps := []struct {
		name      string
		advance   time.Duration
		s         *snapshot.Snapshot
		fail      bool
		wantReads int
	}{
		{"first poll reads", 0, snap(brokers, "a", "b"), false, 1},
		{"next poll reuses", 30 * time.Second, snap(brokers, "a", "b"), false, 1},
		{"a deleted topic does not force a read", 30 * time.Second, snap(brokers, "a"), false, 1},
		{"a new topic forces a read", 30 * time.Second, snap(brokers, "a", "c"), false, 2},
		{"reuses again", 30 * time.Second, snap(brokers, "a", "c"), false, 2},
		{"a new broker forces a read", 30 * time.Second, snap([]int32{1, 2, 3, 4}, "a", "c"), false, 3},
		{"interval elapsed", 5 * time.Minute, snap([]int32{1, 2, 3, 4}, "a", "c"), false, 4},
		{"failed read", 5 * time.Minute, snap(brokers, "a"), true, 5},
		{"retried on the next poll after a failure", 30 * time.Second, snap(brokers, "a"), false, 6},
		{"then cached again", 30 * time.Second, snap(brokers, "a"), false, 6},
	}
	var prev *snapshot.Configs
	reads := 0
	for _, st := range steps {
		now = now.Add(st.advance)
		f.fail = st.fail
		err := step.Run(ctx, st.s)
		if (err != nil) != st.fail {
			t.Fatalf("%s: err = %v, want failure %v", st.name, err, st.fail)
		}
		if len(f.calls) != st.wantReads {
			t.Fatalf("%s: %d reads, want %d", st.name, len(f.calls), st.wantReads)
		}
		if st.s.Configs == nil {
			t.Fatalf("%s: snapshot has no configs", st.name)
		}
		if read := len(f.calls) > reads; read {
			if !st.s.Configs.Time.Equal(now) || st.s.Configs == prev {
				t.Fatalf("%s: a fresh read was not published (time %v)", st.name, st.s.Configs.Time)
			}
		} else if st.s.Configs != prev {
			t.Fatalf("%s: the cached configs were not reused", st.name)
		}
		reads, prev = len(f.calls), st.s.Configs
	}
}
