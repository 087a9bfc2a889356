package canary

import (
	"reflect"
	"testing"
)

func TestPlanAssignment(t *testing.T) {
	cases := []struct {
		name       string
		brokers    []Broker
		partitions int
		rf         int
		want       [][]int32
	}{
		{"test cluster: rack-a 1, rack-b 2 and 3", []Broker{{3, "rack-b"}, {1, "rack-a"}, {2, "rack-b"}}, 0, 0,
			[][]int32{{1, 2, 3}, {2, 1, 3}, {3, 1, 2}}},
		{"no racks", []Broker{{1, ""}, {2, ""}, {3, ""}}, 0, 0,
			[][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}}},
		{"two racks of two, rf 3", []Broker{{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}}, 0, 0,
			[][]int32{{1, 3, 2}, {3, 2, 4}, {2, 4, 1}, {4, 1, 3}}},
		{"three racks, six brokers: every partition on three racks", []Broker{{1, "a"}, {2, "b"}, {3, "c"}, {4, "a"}, {5, "b"}, {6, "c"}}, 0, 0,
			[][]int32{{1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {4, 5, 6}, {5, 6, 1}, {6, 1, 2}}},
		{"one broker: rf 1", []Broker{{7, ""}}, 0, 0, [][]int32{{7}}},
		{"two brokers: rf 2", []Broker{{1, "a"}, {2, "b"}}, 0, 0, [][]int32{{1, 2}, {2, 1}}},
		{"rf 2 by flag", []Broker{{1, "rack-a"}, {2, "rack-b"}, {3, "rack-b"}}, 0, 2, [][]int32{{1, 2}, {2, 1}, {3, 1}}},
		{"one partition by flag", []Broker{{1, "rack-a"}, {2, "rack-b"}, {3, "rack-b"}}, 1, 2, [][]int32{{1, 2}}},
		{"no brokers", nil, 0, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PlanAssignment(c.brokers, c.partitions, c.rf)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("PlanAssignment = %v, want %v", got, c.want)
			}
			if c.partitions == 0 && len(c.brokers) > 0 {
				if f := LayoutFindings(got, c.brokers); contains(f, FindingBrokerLeadsNone) || contains(f, FindingRacksNotSpread) {
					t.Errorf("the plan's own findings: %v", f)
				}
			}
		})
	}
}

func TestPlanNewPartitions(t *testing.T) {
	brokers := []Broker{{1, "rack-a"}, {2, "rack-b"}, {3, "rack-b"}, {4, "rack-a"}}
	cases := []struct {
		name    string
		current [][]int32
		want    [][]int32
	}{
		{"broker 4 added", [][]int32{{1, 2, 3}, {2, 1, 3}, {3, 1, 2}}, [][]int32{{4, 3, 1}}},
		{"every broker leads", [][]int32{{1, 2, 3}, {2, 1, 3}, {3, 1, 2}, {4, 3, 1}}, nil},
		{"topic made by hand on broker 1 only", [][]int32{{1, 2, 3}}, [][]int32{{2, 4, 3}, {3, 1, 2}, {4, 3, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PlanNewPartitions(c.current, brokers, 3); !reflect.DeepEqual(got, c.want) {
				t.Errorf("PlanNewPartitions = %v, want %v", got, c.want)
			}
		})
	}
}

func TestLayoutFindings(t *testing.T) {
	brokers := []Broker{{1, "rack-a"}, {2, "rack-b"}, {3, "rack-b"}}
	cases := []struct {
		name    string
		current [][]int32
		want    []string
	}{
		{"planned layout", [][]int32{{1, 2, 3}, {2, 1, 3}, {3, 1, 2}}, nil},
		{"rf 2", [][]int32{{1, 2}, {2, 1}, {3, 1}}, []string{FindingRFBelow3}},
		{"broker 3 leads none", [][]int32{{1, 2, 3}, {2, 1, 3}}, []string{FindingBrokerLeadsNone}},
		{"rf 2 on one rack", [][]int32{{1, 2}, {2, 3}, {3, 1}}, []string{FindingRFBelow3, FindingRacksNotSpread}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := LayoutFindings(c.current, brokers); !reflect.DeepEqual(got, c.want) {
				t.Errorf("LayoutFindings = %v, want %v", got, c.want)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A broker that is down is not in the live list: its replicas are not judged
// for rack spread, and it need not lead a partition.
func TestLayoutFindingsBrokerDown(t *testing.T) {
	live := []Broker{{2, "rack-b"}, {3, "rack-b"}}
	if got := LayoutFindings([][]int32{{1, 2, 3}, {2, 1, 3}, {3, 1, 2}}, live); got != nil {
		t.Errorf("LayoutFindings with broker 1 down = %v, want none", got)
	}
}
