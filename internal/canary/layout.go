package canary

import (
	"slices"
	"sort"
)

// Broker is a live broker and its rack ("" when it has none).
type Broker struct {
	ID   int32
	Rack string
}

// rackOrder lists the brokers alternating between racks (racks and the
// brokers in each sorted), so that neighbours in the list sit on different
// racks as long as there are racks left: 1(a) 2(b) 3(b) gives 1 2 3;
// 1(a) 2(a) 3(b) 4(b) gives 1 3 2 4.
func rackOrder(brokers []Broker) []Broker {
	byRack := map[string][]Broker{}
	for _, b := range brokers {
		byRack[b.Rack] = append(byRack[b.Rack], b)
	}
	racks := make([]string, 0, len(byRack))
	for r, bs := range byRack {
		racks = append(racks, r)
		sort.Slice(bs, func(i, j int) bool { return bs[i].ID < bs[j].ID })
	}
	sort.Strings(racks)
	out := make([]Broker, 0, len(brokers))
	for i := 0; len(out) < len(brokers); i++ {
		for _, r := range racks {
			if i < len(byRack[r]) {
				out = append(out, byRack[r][i])
			}
		}
	}
	return out
}

// EffectiveRF is the replication factor the canary uses: want (3 when 0),
// at most the number of brokers.
func EffectiveRF(want, brokers int) int {
	if want <= 0 {
		want = 3
	}
	return max(1, min(want, brokers))
}

// replicasLedBy picks rf replicas for a partition whose preferred leader is
// order[i]: the next brokers in rack order, preferring racks not used yet.
func replicasLedBy(order []Broker, i, rf int) []int32 {
	n := len(order)
	replicas := []int32{order[i].ID}
	racks := map[string]bool{order[i].Rack: true}
	for pass := 0; pass < 2 && len(replicas) < rf; pass++ {
		for j := 1; j < n && len(replicas) < rf; j++ {
			b := order[(i+j)%n]
			if slices.Contains(replicas, b.ID) || (pass == 0 && racks[b.Rack]) {
				continue
			}
			replicas = append(replicas, b.ID)
			racks[b.Rack] = true
		}
	}
	return replicas
}

// PlanAssignment plans the replicas of a new canary topic: partitions
// partitions (one per broker when 0), rf replicas each (capped at the
// broker count), every broker the preferred leader (first replica) of at
// least one partition when there are at least as many partitions as
// brokers, and each partition's replicas on as many racks as there are.
func PlanAssignment(brokers []Broker, partitions, rf int) [][]int32 {
	if len(brokers) == 0 {
		return nil
	}
	order := rackOrder(brokers)
	if partitions <= 0 {
		partitions = len(brokers)
	}
	rf = EffectiveRF(rf, len(brokers))
	out := make([][]int32, partitions)
	for p := range out {
		out[p] = replicasLedBy(order, p%len(order), rf)
	}
	return out
}

// PlanNewPartitions plans the partitions to add to an existing canary topic
// (current[p] are partition p's replicas) so that every broker is the
// preferred leader of at least one: one new partition per broker that leads
// none, in broker id order.
func PlanNewPartitions(current [][]int32, brokers []Broker, rf int) [][]int32 {
	order := rackOrder(brokers)
	leads := map[int32]bool{}
	for _, r := range current {
		if len(r) > 0 {
			leads[r[0]] = true
		}
	}
	rf = EffectiveRF(rf, len(brokers))
	var missing []int
	for i, b := range order {
		if !leads[b.ID] {
			missing = append(missing, i)
		}
	}
	sort.Slice(missing, func(a, b int) bool { return order[missing[a]].ID < order[missing[b]].ID })
	var out [][]int32
	for _, i := range missing {
		out = append(out, replicasLedBy(order, i, rf))
	}
	return out
}

// LayoutFindings judges an existing canary topic's placement against the
// live brokers: rf_below_3, broker_leads_no_partition and
// replicas_not_rack_spread.
func LayoutFindings(current [][]int32, brokers []Broker) []string {
	var out []string
	rf := 0
	for _, r := range current {
		if rf == 0 || len(r) < rf {
			rf = len(r)
		}
	}
	if rf < 3 {
		out = append(out, FindingRFBelow3)
	}
	rackOf := map[int32]string{}
	allRacks := map[string]bool{}
	for _, b := range brokers {
		rackOf[b.ID] = b.Rack
		allRacks[b.Rack] = true
	}
	leads := map[int32]bool{}
	for _, r := range current {
		if len(r) > 0 {
			leads[r[0]] = true
		}
	}
	for _, b := range brokers {
		if !leads[b.ID] {
			out = append(out, FindingBrokerLeadsNone)
			break
		}
	}
	for _, r := range current {
		// Replicas on brokers that are down have no known rack: judge the
		// others.
		racks, known := map[string]bool{}, 0
		for _, id := range r {
			if rack, ok := rackOf[id]; ok {
				racks[rack] = true
				known++
			}
		}
		if len(racks) < min(known, len(allRacks)) {
			out = append(out, FindingRacksNotSpread)
			break
		}
	}
	return out
}
