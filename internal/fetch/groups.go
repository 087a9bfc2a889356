package fetch

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorConsumerGroups is the name of the consumer-groups step.
const CollectorConsumerGroups = snapshot.CollectorConsumerGroups

// GroupOptions select the consumer groups a poll reads.
type GroupOptions struct {
	// Filter keeps the groups whose name matches (nil keeps all).
	Filter *regexp.Regexp
	// Exclude drops the groups whose name matches (nil drops none).
	Exclude *regexp.Regexp
}

func (o GroupOptions) keep(name string) bool {
	if o.Filter != nil && !o.Filter.MatchString(name) {
		return false
	}
	return o.Exclude == nil || !o.Exclude.MatchString(name)
}

// ConsumerGroups is the step that reads every consumer group's state,
// members and committed offsets.
//
// Requests per poll, with B live brokers and C <= B brokers coordinating at
// least one selected group: B ListGroups + at most C DescribeGroups (classic
// groups that may have members) + at most C ConsumerGroupDescribe (KIP-848
// groups, only when there are some and --kafka.version >= 3.7) + C
// OffsetFetch (v8, every group of a coordinator in one request): at most
// 4 x B whatever the number of groups and partitions. No FindCoordinator is
// sent: a broker's ListGroups answer lists exactly the groups it
// coordinates, which is the coordinator map FindCoordinator would give
// (sarama 1.61 only speaks FindCoordinator v0-v3, one key per request).
// Latest and earliest offsets are not fetched here: lag uses the offsets
// step's ListOffsets answers already in the snapshot.
type ConsumerGroups struct {
	client *kafka.Client
	opts   GroupOptions
}

// NewConsumerGroups returns the consumer-groups step.
func NewConsumerGroups(client *kafka.Client, opts GroupOptions) *ConsumerGroups {
	return &ConsumerGroups{client: client, opts: opts}
}

// Name implements Step.
func (c *ConsumerGroups) Name() string { return CollectorConsumerGroups }

// listedGroup is a group as one broker's ListGroups listed it.
type listedGroup struct {
	name, protocolType, groupType, state string
}

// Run implements Step. Groups Kafka refuses to describe
// (GROUP_AUTHORIZATION_FAILED, carried in the group's error) fail the step
// with a *DeniedError; the others are read.
func (c *ConsumerGroups) Run(ctx context.Context, s *snapshot.Snapshot) error {
	err := c.read(ctx, s)
	denied := newDenials()
	for _, g := range s.Groups {
		denied.note(g.Err, g.Name)
	}
	return withDenied(err, denied.finish(c.client.Denied))
}

// read reads the groups into s.
func (c *ConsumerGroups) read(ctx context.Context, s *snapshot.Snapshot) error {
	brokers := make([]int32, len(s.Brokers))
	for i, b := range s.Brokers {
		brokers[i] = b.ID
	}
	listed := make([][]listedGroup, len(brokers))
	listErrs := make([]error, len(brokers))
	parallel(len(brokers), func(i int) {
		listed[i], listErrs[i] = c.listGroups(ctx, brokers[i])
	})

	// Each group goes to the first broker (by id) that listed it; a group
	// listed twice is moving between coordinators.
	seen := map[string]bool{}
	byCoordinator := map[int32][]*snapshot.Group{}
	var coordinators []int32
	for i, id := range brokers {
		for _, lg := range listed[i] {
			if seen[lg.name] || !c.opts.keep(lg.name) || lg.groupType == "share" || lg.protocolType == "share" {
				continue
			}
			seen[lg.name] = true
			if _, ok := byCoordinator[id]; !ok {
				coordinators = append(coordinators, id)
			}
			byCoordinator[id] = append(byCoordinator[id], &snapshot.Group{
				Name: lg.name, Coordinator: id, ProtocolType: lg.protocolType, Type: lg.groupType,
				State: lg.state, Generation: snapshot.NoGeneration,
			})
		}
	}

	readErrs := make([]error, len(coordinators))
	parallel(len(coordinators), func(i int) {
		readErrs[i] = c.readGroups(ctx, coordinators[i], byCoordinator[coordinators[i]])
	})

	var groups []snapshot.Group
	for _, id := range coordinators {
		for _, g := range byCoordinator[id] {
			groups = append(groups, *g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	s.Groups = groups

	var failed []error
	for _, err := range append(listErrs, readErrs...) {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("consumer groups read only in part: %w", kafka.JoinErrors(failed))
	}
	return nil
}

// parallel runs f(0..n-1) concurrently and waits. Unlike errgroup, whose
// Wait keeps only the first error, every f stores its own outcome by index:
// one broker's failure never hides another's.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// listGroups asks one broker for the groups it coordinates.
func (c *ConsumerGroups) listGroups(ctx context.Context, broker int32) ([]listedGroup, error) {
	req := &sarama.ListGroupsRequest{}
	list := kafka.APIFeature(kafka.APIListGroups, kafka.KeyListGroups)
	resp, err := kafka.OnBrokerAPI(ctx, c.client, broker, list, listGroupsVersion(c.client.Version()), func(b *sarama.Broker, v int16) (*sarama.ListGroupsResponse, error) {
		req.Version = v
		return b.ListGroups(req)
	})
	if err != nil {
		return nil, fmt.Errorf("ListGroups: %w", err)
	}
	if resp.Err != sarama.ErrNoError {
		return nil, &causedError{msg: fmt.Sprintf("ListGroups on broker %d: %s", broker, kafka.ErrorName(resp.Err)), cause: resp.Err}
	}
	out := make([]listedGroup, 0, len(resp.Groups))
	for name, protocolType := range resp.Groups {
		data := resp.GroupsData[name]
		out = append(out, listedGroup{name: name, protocolType: protocolType, groupType: data.GroupType, state: data.GroupState})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// readGroups describes and reads the committed offsets of the groups one
// broker coordinates: one DescribeGroups (for the groups that may have
// members) and one OffsetFetch (for all of them), one after the other
// (sarama serialises the requests of one connection; docs/scale.md).
// When the first finds the coordinator hung, the second fails at once.
func (c *ConsumerGroups) readGroups(ctx context.Context, coordinator int32, groups []*snapshot.Group) error {
	offsetErrs := make([]error, len(groups)) // OffsetFetch errors, by group index
	describeErr := c.describeGroups(ctx, coordinator, groups)
	offsetsErr := c.fetchOffsets(ctx, coordinator, groups, offsetErrs)
	for i, g := range groups {
		g.Err = joinErr(g.Err, offsetErrs[i])
	}
	var errs []error
	for _, err := range []error{describeErr, offsetsErr} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("broker %d: %w", coordinator, kafka.JoinErrors(errs))
	}
	return nil
}

// joinErr adds b to the errors a carries (either may be nil).
func joinErr(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return kafka.JoinErrors([]error{a, b})
}

// apiErr is err as a group's error: it names the API and unwraps to err.
func apiErr(api string, err error) error { return fmt.Errorf("%s: %w", api, err) }
