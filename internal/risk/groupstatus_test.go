package risk

import "testing"

func obs(pairs ...int64) []Observation {
	var out []Observation
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Observation{Committed: pairs[i], Lag: pairs[i+1]})
	}
	return out
}

func TestPartitionStatus(t *testing.T) {
	for _, tc := range []struct {
		name         string
		obs          []Observation
		hasMembers   bool
		membersKnown bool
		want         Status
	}{
		{"no observations", nil, true, true, StatusOK},
		{"caught up", obs(10, 0, 20, 0, 30, 0, 40, 0), true, true, StatusOK},
		{"catching up", obs(10, 50, 30, 40, 50, 20, 70, 5), true, true, StatusOK},
		{"empty group, lag 0: nothing waits", obs(10, 0, 10, 0, 10, 0, 10, 0), false, true, StatusOK},
		{"empty group with a waiting message is STOP at once", obs(10, 0, 10, 0, 10, 0, 10, 1), false, true, StatusStop},
		{"empty group STOP even with a short window", obs(10, 5), false, true, StatusStop},
		{"membership unknown: no STOP", obs(10, 5), false, false, StatusOK},
		{"offset went backwards", obs(100, 0, 120, 0, 50, 70, 60, 60), true, true, StatusRewind},
		{"stalled with members", obs(10, 5, 10, 8, 10, 12, 10, 20), true, true, StatusStall},
		{"stalled but idle topic: lag constant above 0", obs(10, 5, 10, 5, 10, 5, 10, 5), true, true, StatusStall},
		{"same offset, lag 0: idle and caught up", obs(10, 0, 10, 0, 10, 0, 10, 0), true, true, StatusOK},
		{"same offset, messages just arrived: not yet STALL", obs(10, 0, 10, 0, 10, 0, 10, 3), true, true, StatusOK},
		{"window not full: no STALL yet", obs(10, 5, 10, 8, 10, 12), true, true, StatusOK},
		{"moving, lag floor rising through a sawtooth", obs(10, 5, 20, 1, 30, 9, 40, 4, 50, 12, 60, 6, 70, 15, 80, 8), true, true, StatusWarn},
		{"moving, sawtooth with a flat floor", obs(10, 5, 20, 1, 30, 9, 40, 1, 50, 12, 60, 1, 70, 15, 80, 1), true, true, StatusOK},
		{"moving, lag strictly growing", obs(10, 1, 20, 2, 30, 3, 40, 4), true, true, StatusWarn},
		{"lag grew but is back to 0", obs(10, 1, 20, 2, 30, 3, 40, 0), true, true, StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PartitionStatus(tc.obs, 4, tc.hasMembers, tc.membersKnown, false); got != tc.want {
				t.Fatalf("PartitionStatus = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPartitionStatusSkip(t *testing.T) {
	for _, tc := range []struct {
		name       string
		obs        []Observation
		hasMembers bool
		want       Status
	}{
		{"reset to the log end while Empty: lag 0, so not STOP", obs(10, 55, 10, 55, 65, 0, 65, 0), false, StatusSkip},
		{"a skip and new messages waiting for the Empty group: STOP", obs(10, 55, 65, 0, 65, 3), false, StatusStop},
		{"a rewind outranks a skip in the same window", obs(100, 0, 50, 50, 120, 0, 120, 0), true, StatusRewind},
		{"consuming after the skip: SKIP for the window", obs(65, 0, 70, 0, 75, 0, 80, 0), true, StatusSkip},
	} {
		if got := PartitionStatus(tc.obs, 4, tc.hasMembers, true, true); got != tc.want {
			t.Errorf("%s: PartitionStatus = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestWorst(t *testing.T) {
	s := StatusOK
	for _, x := range []Status{StatusWarn, StatusStop, StatusRewind, StatusOK} {
		s = Worst(s, x)
	}
	if s != StatusStop {
		t.Fatalf("worst = %s, want STOP", s)
	}
	for i, want := range []string{"OK", "WARN", "REWIND", "SKIP", "STALL", "STOP"} {
		if Statuses[i].String() != want {
			t.Fatalf("Statuses[%d] = %s, want %s", i, Statuses[i], want)
		}
	}
}

func TestRebalances(t *testing.T) {
	view := func(gen int32, known bool, members ...string) GroupView {
		return GroupView{Generation: gen, MembersKnown: known, Members: members}
	}
	for _, tc := range []struct {
		name      string
		prev, cur GroupView
		want      int
	}{
		{"same generation", view(5, true, "a"), view(5, true, "a"), 0},
		{"three generations later", view(5, true, "a"), view(8, true, "a", "b"), 3},
		{"generation went down (group re-created)", view(8, true, "a"), view(2, true, "a"), 0},
		{"no generation: second member joined", view(-1, true, "a"), view(-1, true, "a", "b"), 1},
		{"no generation: member replaced", view(-1, true, "a"), view(-1, true, "c"), 1},
		{"no generation: last member left", view(-1, true, "a"), view(-1, true), 1},
		{"no generation: same members", view(-1, true, "a", "b"), view(-1, true, "a", "b"), 0},
		{"members unknown", view(-1, false), view(-1, true, "a"), 0},
		{"generation appears: fall back to members", view(-1, true, "a"), view(2, true, "a", "b"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Rebalances(tc.prev, tc.cur); got != tc.want {
				t.Fatalf("Rebalances = %d, want %d", got, tc.want)
			}
		})
	}
}
