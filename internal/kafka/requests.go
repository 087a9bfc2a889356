package kafka

import (
	"sort"
	"sync"
)

// Kafka API names, as the protocol guide spells them, used to count requests.
const (
	APIMetadata        = "Metadata"
	APIListOffsets     = "ListOffsets"
	APIDescribeConfigs = "DescribeConfigs"
	APIListGroups      = "ListGroups"
	APIDescribeGroups  = "DescribeGroups"
	APIOffsetFetch     = "OffsetFetch"
	APIFindCoordinator = "FindCoordinator"
	APIFetch           = "Fetch"
	// APIConsumerGroupDescribe describes KIP-848 consumer groups.
	APIConsumerGroupDescribe = "ConsumerGroupDescribe"
	// APIDescribeProducers lists a partition's active producers (KIP-664).
	APIDescribeProducers = "DescribeProducers"
	// APIListTransactions lists the transactions a coordinator holds.
	APIListTransactions = "ListTransactions"
	// APIDescribeTransactions describes transactions at their coordinator.
	APIDescribeTransactions = "DescribeTransactions"
)

// RequestCounts counts the Kafka requests the exporter sent, by API. It is
// safe for concurrent use.
type RequestCounts struct {
	mu     sync.Mutex
	counts map[string]uint64
	opens  uint64
}

// NewRequestCounts returns an empty counter.
func NewRequestCounts() *RequestCounts {
	return &RequestCounts{counts: map[string]uint64{}}
}

func (r *RequestCounts) add(api string) {
	r.mu.Lock()
	r.counts[api]++
	r.mu.Unlock()
}

func (r *RequestCounts) addOpen() {
	r.mu.Lock()
	r.opens++
	r.mu.Unlock()
}

// APICount is the number of requests sent for one API.
type APICount struct {
	API   string
	Count uint64
}

// Counts returns the requests sent so far, sorted by API name.
func (r *RequestCounts) Counts() []APICount {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]APICount, 0, len(r.counts))
	for api, n := range r.counts {
		out = append(out, APICount{API: api, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].API < out[j].API })
	return out
}

// Total returns the number of requests sent for one API.
func (r *RequestCounts) Total(api string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[api]
}

// ConnectionsOpened returns how many broker connections were opened.
func (r *RequestCounts) ConnectionsOpened() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opens
}
