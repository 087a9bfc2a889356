package events

import (
	"reflect"
	"testing"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// part builds a partition of topic "t": leader, epoch, replicas, ISR and
// offsets [oldest, latest) (known unless latest < 0).
func part(id, leader, epoch int32, replicas, isr []int32, oldest, latest int64) snapshot.Partition {
	p := snapshot.Partition{ID: id, Leader: leader, LeaderEpoch: epoch, Replicas: replicas, ISR: isr}
	if latest >= 0 {
		p.Offsets = snapshot.Offsets{Known: true, Oldest: oldest, Latest: latest}
	} else {
		p.Offsets = snapshot.Offsets{Err: snapshot.ErrNoLeader}
	}
	return p
}

func snap(topics ...snapshot.Topic) *snapshot.Snapshot {
	return &snapshot.Snapshot{Topics: topics}
}

func topic(name string, id byte, parts ...snapshot.Partition) snapshot.Topic {
	t := snapshot.Topic{Name: name, Partitions: parts}
	if id != 0 {
		t.ID[0] = id
	}
	return t
}

var r123 = []int32{1, 2, 3}

func TestDiff(t *testing.T) {
	base := part(0, 1, 5, r123, r123, 0, 100)
	cases := []struct {
		name      string
		prev, cur *snapshot.Snapshot
		want      []PartitionChange
	}{
		{
			name: "nothing changed",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, []int32{3, 2, 1}, 0, 150))),
		},
		{
			name: "no previous snapshot",
			prev: nil,
			cur:  snap(topic("t", 1, base)),
		},
		{
			name: "new topic and new partition start without events",
			prev: snap(topic("t", 1, base)),
			cur: snap(
				topic("new", 2, part(0, 3, 0, r123, []int32{3}, 0, 0)),
				topic("t", 1, base, part(1, 2, 0, r123, []int32{2}, 0, 0))),
		},
		{
			name: "ISR shrink names the brokers removed",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, []int32{1}, 0, 100))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{2, 3}, PrevLeader: 1, Leader: 1, PrevLeaderEpoch: 5, LeaderEpoch: 5}},
		},
		{
			name: "ISR expand",
			prev: snap(topic("t", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 100))),
			cur:  snap(topic("t", 1, base)),
			want: []PartitionChange{{Topic: "t", AddedToISR: []int32{3}, PrevLeader: 1, Leader: 1, PrevLeaderEpoch: 5, LeaderEpoch: 5}},
		},
		{
			name: "one replica left and another joined between two polls: one shrink and one expand",
			prev: snap(topic("t", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 100))),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, []int32{1, 3}, 0, 100))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{2}, AddedToISR: []int32{3}, PrevLeader: 1, Leader: 1, PrevLeaderEpoch: 5, LeaderEpoch: 5}},
		},
		{
			name: "clean leader change to an ISR member",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 2, 6, r123, []int32{2, 3}, 0, 100))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{1}, LeaderChanged: true, PrevLeader: 1, Leader: 2, PrevLeaderEpoch: 5, LeaderEpoch: 6}},
		},
		{
			name: "same leader, new epoch: it failed and came back between polls",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 1, 7, r123, r123, 0, 120))),
			want: []PartitionChange{{Topic: "t", LeaderChanged: true, PrevLeader: 1, Leader: 1, PrevLeaderEpoch: 5, LeaderEpoch: 7}},
		},
		{
			name: "partition went offline: no election yet",
			prev: snap(topic("t", 1, part(0, 1, 5, []int32{1, 2}, []int32{1}, 0, 100))),
			cur:  snap(topic("t", 1, part(0, -1, 6, []int32{1, 2}, []int32{1}, 0, -1))),
		},
		{
			name: "unclean election: the new leader was outside the ISR, offsets not yet readable",
			prev: snap(topic("t", 1, part(0, -1, 6, []int32{1, 2}, []int32{1}, 0, -1))),
			cur:  snap(topic("t", 1, part(0, 2, 7, []int32{1, 2}, []int32{2}, 0, -1))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{1}, AddedToISR: []int32{2}, LeaderChanged: true, SuspectedUnclean: true,
				PrevLeader: -1, Leader: 2, PrevLeaderEpoch: 6, LeaderEpoch: 7}},
		},
		{
			name: "unclean election with truncation in one step",
			prev: snap(topic("t", 1, part(0, 1, 5, []int32{1, 2}, []int32{1}, 0, 130))),
			cur:  snap(topic("t", 1, part(0, 2, 7, []int32{1, 2}, []int32{2}, 0, 100))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{1}, AddedToISR: []int32{2}, LeaderChanged: true, SuspectedUnclean: true,
				PrevLeader: 1, Leader: 2, PrevLeaderEpoch: 5, LeaderEpoch: 7, Truncated: 30, PrevLatest: 130, Latest: 100}},
		},
		{
			name: "leader in the previous ISR but the high watermark fell: suspected",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 2, 6, r123, []int32{2, 3}, 0, 90))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{1}, LeaderChanged: true, SuspectedUnclean: true,
				PrevLeader: 1, Leader: 2, PrevLeaderEpoch: 5, LeaderEpoch: 6, Truncated: 10, PrevLatest: 100, Latest: 90}},
		},
		{
			name: "truncation without a visible leader change is counted, not suspected",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, r123, 0, 60))),
			want: []PartitionChange{{Topic: "t", PrevLeader: 1, Leader: 1, PrevLeaderEpoch: 5, LeaderEpoch: 5, Truncated: 40, PrevLatest: 100, Latest: 60}},
		},
		{
			name: "offsets retention had removed are not counted as lost",
			prev: snap(topic("t", 1, part(0, 1, 5, r123, r123, 80, 100))),
			cur:  snap(topic("t", 1, part(0, 2, 6, r123, r123, 0, 0))),
			want: []PartitionChange{{Topic: "t", LeaderChanged: true, SuspectedUnclean: true,
				PrevLeader: 1, Leader: 2, PrevLeaderEpoch: 5, LeaderEpoch: 6, Truncated: 20, PrevLatest: 100, Latest: 0}},
		},
		{
			name: "log start moving back on a clean leader change is no loss",
			prev: snap(topic("t", 1, part(0, 1, 5, r123, r123, 80, 100))),
			cur:  snap(topic("t", 1, part(0, 2, 6, r123, r123, 60, 100))),
			want: []PartitionChange{{Topic: "t", LeaderChanged: true, PrevLeader: 1, Leader: 2, PrevLeaderEpoch: 5, LeaderEpoch: 6}},
		},
		{
			name: "offsets unknown on either side: no truncation",
			prev: snap(topic("t", 1, part(0, 1, 5, r123, r123, 0, -1)), topic("u", 2, base)),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, r123, 0, 10)), topic("u", 2, part(0, 1, 5, r123, r123, 0, -1))),
		},
		{
			name: "reassignment: a newly assigned replica leading is not suspected without loss",
			prev: snap(topic("t", 1, part(0, 1, 5, []int32{1, 2}, []int32{1, 2}, 0, 100))),
			cur:  snap(topic("t", 1, part(0, 3, 6, []int32{3, 2}, []int32{3, 2}, 0, 110))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{1}, AddedToISR: []int32{3}, LeaderChanged: true,
				PrevLeader: 1, Leader: 3, PrevLeaderEpoch: 5, LeaderEpoch: 6}},
		},
		{
			name: "topic re-created (new id): nothing, not even truncation or shrink",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 9, part(0, 2, 0, r123, []int32{2}, 0, 0))),
		},
		{
			name: "topic re-created without ids: partition count changed",
			prev: snap(topic("t", 0, base)),
			cur:  snap(topic("t", 0, part(0, 2, 0, r123, []int32{2}, 0, 0), part(1, 3, 0, r123, r123, 0, 0))),
		},
		{
			name: "partitions added to a topic with an id: old partitions still compared",
			prev: snap(topic("t", 1, base)),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, []int32{1, 2}, 0, 100), part(1, 3, 0, r123, r123, 0, 0))),
			want: []PartitionChange{{Topic: "t", RemovedFromISR: []int32{3}, PrevLeader: 1, Leader: 1, PrevLeaderEpoch: 5, LeaderEpoch: 5}},
		},
		{
			name: "stale metadata (leader epoch went back) is ignored",
			prev: snap(topic("t", 1, part(0, 2, 6, r123, []int32{2, 3}, 0, 100))),
			cur:  snap(topic("t", 1, part(0, 1, 5, r123, r123, 0, 100))),
		},
		{
			name: "leader epochs unknown (old Metadata): only the leader id tells",
			prev: snap(topic("t", 1, part(0, 1, -1, r123, r123, 0, 100))),
			cur:  snap(topic("t", 1, part(0, 2, -1, r123, r123, 0, 100))),
			want: []PartitionChange{{Topic: "t", LeaderChanged: true, PrevLeader: 1, Leader: 2, PrevLeaderEpoch: -1, LeaderEpoch: -1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(tc.prev, tc.cur)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Diff:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
