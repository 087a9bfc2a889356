package risk

import (
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

func TestLag(t *testing.T) {
	known := func(oldest, latest int64) snapshot.Offsets {
		return snapshot.Offsets{Known: true, Oldest: oldest, Latest: latest}
	}
	for _, tc := range []struct {
		name      string
		committed int64
		offsets   snapshot.Offsets
		want      PartitionLag
	}{
		{"caught up", 100, known(0, 100), PartitionLag{Known: true}},
		{"behind", 40, known(0, 100), PartitionLag{Known: true, Lag: 60}},
		{"no commit is no lag, never -1", -1, known(0, 100), PartitionLag{}},
		{"offsets unknown", 40, snapshot.Offsets{Err: snapshot.ErrNoLeader}, PartitionLag{}},
		{"commit beyond the log end is caught up, never negative", 120, known(0, 100),
			PartitionLag{Known: true, BeyondLogEnd: true}},
		{"commit below log start: deleted unread", 10, known(30, 100), PartitionLag{Known: true, Lag: 90, BehindLogStart: 20}},
		{"commit exactly at log start", 30, known(30, 100), PartitionLag{Known: true, Lag: 70}},
		{"empty partition, commit 0", 0, known(0, 0), PartitionLag{Known: true}},
		{"topic re-created: old commit beyond the new log end", 500, known(0, 20),
			PartitionLag{Known: true, BeyondLogEnd: true}},
		{"offsets reset to earliest after retention", 30, known(30, 30), PartitionLag{Known: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Lag(tc.committed, tc.offsets); got != tc.want {
				t.Fatalf("Lag(%d, %+v) = %+v, want %+v", tc.committed, tc.offsets, got, tc.want)
			}
		})
	}
}

func TestRetentionLoss(t *testing.T) {
	type poll struct {
		committed, logStart int64
		wantLost            int64
	}
	for _, tc := range []struct {
		name  string
		polls []poll
	}{
		{"no loss while ahead of log start", []poll{{50, 0, 0}, {60, 40, 0}}},
		{"loss counted once while the commit stays", []poll{{10, 30, 20}, {10, 30, 0}, {10, 30, 0}}},
		{"log start moves on: only the new deletions count", []poll{{10, 30, 20}, {10, 45, 15}}},
		{"group resets to log start then falls behind again", []poll{{10, 30, 20}, {30, 30, 0}, {100, 120, 20}}},
		{"commit moves forward inside the counted range", []poll{{10, 30, 20}, {25, 35, 5}}},
		{"no commit", []poll{{-1, 30, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var counted int64
			for i, p := range tc.polls {
				var lost int64
				lost, counted = RetentionLoss(p.committed, p.logStart, counted)
				if lost != p.wantLost {
					t.Fatalf("poll %d (committed %d, log start %d): lost %d, want %d", i, p.committed, p.logStart, lost, p.wantLost)
				}
			}
		})
	}
}

func TestRetentionHeadroom(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    TopicConfig
		maxLag float64
		want   float64
		ok     bool
	}{
		{"one hour retention, 10 min lag", TopicConfig{Known: true, RetentionSeconds: 3600, RetentionBytes: -1, CleanupPolicy: "delete"}, 600, 3000, true},
		{"lag beyond retention: negative", TopicConfig{Known: true, RetentionSeconds: 60, CleanupPolicy: "delete"}, 90, -30, true},
		{"cleanup.policy not returned: Kafka's default, delete", TopicConfig{Known: true, RetentionSeconds: 60}, 30, 30, true},
		{"compact and delete", TopicConfig{Known: true, RetentionSeconds: 60, CleanupPolicy: "compact,delete"}, 30, 30, true},
		{"infinite retention", TopicConfig{Known: true, RetentionSeconds: -1, CleanupPolicy: "delete"}, 600, 0, false},
		{"compacted only", TopicConfig{Known: true, RetentionSeconds: 3600, CleanupPolicy: "compact"}, 600, 0, false},
		{"configuration not read", TopicConfig{RetentionSeconds: 3600, CleanupPolicy: "delete"}, 600, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := RetentionHeadroom(tc.cfg, tc.maxLag)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("RetentionHeadroom = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
