package kafka

import (
	"errors"
	"sort"
	"sync"

	"github.com/IBM/sarama"
)

// Resource types of the authorization errors Kafka returns, as labels of
// kafka_loss_exporter_authorization_errors_total.
const (
	ResourceTopic   = "topic"
	ResourceGroup   = "group"
	ResourceCluster = "cluster"
)

// AuthorizationResource says which kind of resource an error denied access
// to: topic, group or cluster for TOPIC_, GROUP_ and
// CLUSTER_AUTHORIZATION_FAILED, and false for any other error.
func AuthorizationResource(err error) (string, bool) {
	var kerr sarama.KError
	if err == nil || !errors.As(err, &kerr) {
		return "", false
	}
	switch kerr {
	case sarama.ErrTopicAuthorizationFailed:
		return ResourceTopic, true
	case sarama.ErrGroupAuthorizationFailed:
		return ResourceGroup, true
	case sarama.ErrClusterAuthorizationFailed:
		return ResourceCluster, true
	}
	return "", false
}

// AuthorizationCounts counts the resources Kafka refused to show the
// exporter, by resource type. It is safe for concurrent use.
type AuthorizationCounts struct {
	mu     sync.Mutex
	counts map[string]uint64
}

// NewAuthorizationCounts returns an empty counter.
func NewAuthorizationCounts() *AuthorizationCounts {
	return &AuthorizationCounts{counts: map[string]uint64{}}
}

// Add counts n denied resources of one type.
func (a *AuthorizationCounts) Add(resourceType string, n int) {
	if n <= 0 {
		return
	}
	a.mu.Lock()
	a.counts[resourceType] += uint64(n)
	a.mu.Unlock()
}

// ResourceCount is the number of denied resources of one type.
type ResourceCount struct {
	ResourceType string
	Count        uint64
}

// Counts returns the counts so far, sorted by resource type.
func (a *AuthorizationCounts) Counts() []ResourceCount {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]ResourceCount, 0, len(a.counts))
	for rt, n := range a.counts {
		out = append(out, ResourceCount{ResourceType: rt, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ResourceType < out[j].ResourceType })
	return out
}

// Total returns the count of one resource type.
func (a *AuthorizationCounts) Total(resourceType string) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[resourceType]
}
