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
const CollectorConsumerGroups = "consumer_groups"

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
		denied.noteNamed(g.Err, g.Name)
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
		return fmt.Errorf("consumer groups read only in part: %w", joinErrs(failed))
	}
	return nil
}

// parallel runs f(0..n-1) concurrently and waits.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
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
// members) and one OffsetFetch (for all of them), sent together so that a
// poll waits one round trip for both.
func (c *ConsumerGroups) readGroups(ctx context.Context, coordinator int32, groups []*snapshot.Group) error {
	var describeErr, offsetsErr error
	offsetErrs := make([]string, len(groups)) // OffsetFetch errors, by group index
	parallel(2, func(i int) {
		if i == 0 {
			describeErr = c.describeGroups(ctx, coordinator, groups)
		} else {
			offsetsErr = c.fetchOffsets(ctx, coordinator, groups, offsetErrs)
		}
	})
	for i, g := range groups {
		if offsetErrs[i] != "" {
			g.Err = joinErr(g.Err, offsetErrs[i])
		}
	}
	var errs []error
	for _, err := range []error{describeErr, offsetsErr} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("broker %d: %w", coordinator, joinErrs(errs))
	}
	return nil
}

// describeGroups describes the groups of one coordinator that may have
// members: classic groups with one DescribeGroups, KIP-848 consumer groups
// (which DescribeGroups does not describe) with one ConsumerGroupDescribe.
func (c *ConsumerGroups) describeGroups(ctx context.Context, coordinator int32, groups []*snapshot.Group) error {
	var classic, kip848 []*snapshot.Group
	for _, g := range groups {
		switch {
		case g.State == "Empty" || g.State == "Dead":
			// no members to describe
		case g.Type == "consumer":
			kip848 = append(kip848, g)
		default:
			classic = append(classic, g)
		}
	}
	var errs []error
	unknown, err := c.describeClassic(ctx, coordinator, classic)
	if err != nil {
		errs = append(errs, err)
	}
	kip848 = append(kip848, unknown...)
	// A coordinator without ConsumerGroupDescribe (before Kafka 3.7, or
	// a version cap below it) leaves KIP-848 groups with the state
	// ListGroups gave and no member list; the client logs that once.
	if err := c.describeConsumerGroups(ctx, coordinator, kip848); err != nil && !kafka.IsUnsupported(err) {
		errs = append(errs, err)
	}
	return joinErrs(errs)
}

// describeClassic describes classic groups with one DescribeGroups. It
// returns the groups that DescribeGroups does not know although ListGroups
// listed them alive: KIP-848 groups listed without their type.
func (c *ConsumerGroups) describeClassic(ctx context.Context, coordinator int32, groups []*snapshot.Group) ([]*snapshot.Group, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	byName := map[string]*snapshot.Group{}
	req := &sarama.DescribeGroupsRequest{}
	for _, g := range groups {
		byName[g.Name] = g
		req.Groups = append(req.Groups, g.Name)
	}
	describe := kafka.APIFeature(kafka.APIDescribeGroups, kafka.KeyDescribeGroups)
	resp, err := kafka.OnBrokerAPI(ctx, c.client, coordinator, describe, describeGroupsVersion(c.client.Version()), func(b *sarama.Broker, v int16) (*sarama.DescribeGroupsResponse, error) {
		req.Version = v
		return b.DescribeGroups(req)
	})
	if err != nil {
		for _, g := range byName {
			g.Err = "DescribeGroups: " + kafka.ErrorName(err)
		}
		return nil, fmt.Errorf("DescribeGroups: %w", err)
	}
	var unknown []*snapshot.Group
	for _, d := range resp.Groups {
		g := byName[d.GroupId]
		if g == nil {
			continue
		}
		if d.Err != sarama.ErrNoError {
			g.Err = "DescribeGroups: " + kafka.ErrorName(d.Err)
			continue
		}
		if d.State == "Dead" && g.State != "" && g.State != "Dead" {
			// A KIP-848 group listed without its type: DescribeGroups
			// does not know it. Keep the listed state.
			unknown = append(unknown, g)
			continue
		}
		g.Described = true
		g.State = d.State
		if d.ProtocolType != "" {
			g.ProtocolType = d.ProtocolType
		}
		g.Members = membersOf(d)
		g.Generation = generationOf(g.Members)
	}
	return unknown, nil
}

// describeConsumerGroups describes KIP-848 consumer groups. Their group
// epoch is the generation: it moves on every membership or subscription
// change.
func (c *ConsumerGroups) describeConsumerGroups(ctx context.Context, coordinator int32, groups []*snapshot.Group) error {
	if len(groups) == 0 {
		return nil
	}
	byName := map[string]*snapshot.Group{}
	req := sarama.NewConsumerGroupDescribeRequest(c.client.Version())
	for _, g := range groups {
		byName[g.Name] = g
		req.GroupIDs = append(req.GroupIDs, g.Name)
	}
	want := req.Version
	if !c.client.Version().IsAtLeast(sarama.V3_7_0_0) {
		want = -1 // the cap is below the API
	}
	resp, err := kafka.OnBrokerAPI(ctx, c.client, coordinator, kafka.FeatureKIP848Groups, want, func(b *sarama.Broker, v int16) (*sarama.ConsumerGroupDescribeResponse, error) {
		req.Version = v
		return b.ConsumerGroupDescribe(req)
	})
	if kafka.IsUnsupported(err) {
		return err
	}
	if err != nil {
		for _, g := range byName {
			g.Err = "ConsumerGroupDescribe: " + kafka.ErrorName(err)
		}
		return fmt.Errorf("ConsumerGroupDescribe: %w", err)
	}
	for i := range resp.Groups {
		d := &resp.Groups[i]
		g := byName[d.GroupID]
		if g == nil {
			continue
		}
		if d.ErrorCode != sarama.ErrNoError {
			g.Err = "ConsumerGroupDescribe: " + kafka.ErrorName(d.ErrorCode)
			continue
		}
		g.Described, g.State, g.Generation = true, d.GroupState, d.GroupEpoch
		g.Members = make([]snapshot.Member, 0, len(d.Members))
		for _, m := range d.Members {
			member := snapshot.Member{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, SubscriptionGeneration: -1}
			if m.InstanceID != nil {
				member.InstanceID = *m.InstanceID
			}
			if m.SubscribedTopicRegex == nil || *m.SubscribedTopicRegex == "" {
				member.Subscribed = append([]string{}, m.SubscribedTopicNames...)
				sort.Strings(member.Subscribed)
			}
			member.Assigned = map[string][]int32{}
			for _, tp := range m.Assignment.TopicPartitions {
				member.Assigned[tp.TopicName] = append(member.Assigned[tp.TopicName], tp.Partitions...)
			}
			g.Members = append(g.Members, member)
		}
		sort.Slice(g.Members, func(i, j int) bool { return g.Members[i].ID < g.Members[j].ID })
	}
	return nil
}

// membersOf decodes the members of a described group. The consumer
// protocol's metadata and assignment are decoded only for consumer groups;
// members of other protocols keep nil subscriptions.
func membersOf(d *sarama.GroupDescription) []snapshot.Member {
	members := make([]snapshot.Member, 0, len(d.Members))
	for id, m := range d.Members {
		member := snapshot.Member{ID: id, ClientID: m.ClientId, Host: m.ClientHost, SubscriptionGeneration: -1}
		if m.GroupInstanceId != nil {
			member.InstanceID = *m.GroupInstanceId
		}
		if d.ProtocolType == "consumer" {
			if md, err := m.GetMemberMetadata(); err == nil && md != nil {
				member.Subscribed = append([]string(nil), md.Topics...)
				sort.Strings(member.Subscribed)
				if md.Version >= 2 {
					member.SubscriptionGeneration = md.GenerationID
				}
			}
			if a, err := m.GetMemberAssignment(); err == nil && a != nil {
				member.Assigned = a.Topics
			}
		}
		members = append(members, member)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].ID < members[j].ID })
	return members
}

// generationOf derives a group's generation from its members' subscriptions:
// every member of a classic consumer group rejoins on each rebalance and (with
// subscription v2+, KIP-792) says which generation it held before, so the
// current generation is one more than the highest of those. DescribeGroups
// itself does not return the generation.
func generationOf(members []snapshot.Member) int32 {
	gen := snapshot.NoGeneration
	for _, m := range members {
		if m.SubscriptionGeneration >= 0 && m.SubscriptionGeneration+1 > gen {
			gen = m.SubscriptionGeneration + 1
		}
	}
	return gen
}

// fetchOffsets reads the committed offsets of all groups of one coordinator
// with one OffsetFetch v8+ request (Kafka 3.0+). When the coordinator's
// versions (or the version cap) rule v8 out it falls back to one request per
// group, the only form older versions have. Per-group errors go to errs
// (same index as groups), not to the groups, which DescribeGroups may be
// filling at the same time.
func (c *ConsumerGroups) fetchOffsets(ctx context.Context, coordinator int32, groups []*snapshot.Group, errs []string) error {
	want := sarama.NewOffsetFetchRequest(c.client.Version(), "", nil).Version
	v, err := c.client.APIVersion(ctx, coordinator, kafka.FeatureBatchedOffsetFetch, want)
	if err == nil {
		return c.fetchOffsetsOf(ctx, coordinator, v, groups, errs)
	}
	if !kafka.IsUnsupported(err) {
		for i := range groups {
			errs[i] = joinErr(errs[i], "OffsetFetch: "+kafka.ErrorName(err))
		}
		return fmt.Errorf("OffsetFetch: %w", err)
	}
	v, err = c.client.APIVersion(ctx, coordinator, kafka.APIFeature(kafka.APIOffsetFetch, kafka.KeyOffsetFetch), min(want, 7))
	if err != nil {
		for i := range groups {
			errs[i] = joinErr(errs[i], "OffsetFetch: "+kafka.ErrorName(err))
		}
		return fmt.Errorf("OffsetFetch: %w", err)
	}
	var failed []error
	for i, g := range groups {
		if err := c.fetchOffsetsOf(ctx, coordinator, v, []*snapshot.Group{g}, errs[i:i+1]); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("OffsetFetch: %w", joinErrs(failed))
	}
	return nil
}

// fetchOffsetsOf sends one OffsetFetch at version v: all groups (v8+) or
// the one group (below).
func (c *ConsumerGroups) fetchOffsetsOf(ctx context.Context, coordinator int32, v int16, groups []*snapshot.Group, errs []string) error {
	req := &sarama.OffsetFetchRequest{Version: v}
	if v >= 8 {
		for _, g := range groups {
			req.Groups = append(req.Groups, sarama.OffsetFetchRequestGroup{GroupId: g.Name}) // nil partitions: all
		}
	} else {
		req.ConsumerGroup = groups[0].Name
	}
	resp, err := kafka.OnBroker(ctx, c.client, coordinator, kafka.APIOffsetFetch, func(b *sarama.Broker) (*sarama.OffsetFetchResponse, error) {
		return b.FetchOffset(req)
	})
	if err != nil {
		for i := range groups {
			errs[i] = joinErr(errs[i], "OffsetFetch: "+kafka.ErrorName(err))
		}
		return fmt.Errorf("OffsetFetch: %w", err)
	}
	for i, g := range groups {
		var blocks map[string]map[int32]*sarama.OffsetFetchResponseBlock
		kerr := sarama.ErrNoError
		if resp.Version >= 8 {
			rg := resp.GetGroup(g.Name)
			if rg == nil {
				errs[i] = joinErr(errs[i], "OffsetFetch: group missing from the answer")
				continue
			}
			blocks, kerr = rg.Blocks, rg.Err
		} else {
			blocks, kerr = resp.Blocks, resp.Err
		}
		if kerr != sarama.ErrNoError && kerr != sarama.ErrGroupIDNotFound {
			errs[i] = joinErr(errs[i], "OffsetFetch: "+kafka.ErrorName(kerr))
			continue
		}
		g.OffsetsKnown = true
		g.Offsets = committedOffsets(blocks)
	}
	return nil
}

// committedOffsets lists the partitions with a commit (offset >= 0 and no
// error), sorted. Offset -1 means "no commit": it never becomes a lag.
func committedOffsets(blocks map[string]map[int32]*sarama.OffsetFetchResponseBlock) []snapshot.CommittedOffset {
	var out []snapshot.CommittedOffset
	for topic, parts := range blocks {
		for p, b := range parts {
			if b == nil || b.Err != sarama.ErrNoError || b.Offset < 0 {
				continue
			}
			out = append(out, snapshot.CommittedOffset{Topic: topic, Partition: p, Offset: b.Offset, LeaderEpoch: b.LeaderEpoch})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// listGroupsVersion is the highest ListGroups version the configured Kafka
// version allows (sarama refuses to send a newer one): v4 (2.6) adds the
// group state, v5 (3.8) the group type.
func listGroupsVersion(v sarama.KafkaVersion) int16 {
	switch {
	case v.IsAtLeast(sarama.V3_8_0_0):
		return 5
	case v.IsAtLeast(sarama.V2_6_0_0):
		return 4
	case v.IsAtLeast(sarama.V2_4_0_0):
		return 3
	case v.IsAtLeast(sarama.V2_0_0_0):
		return 2
	}
	return 1
}

// describeGroupsVersion is the highest DescribeGroups version the
// configured Kafka version speaks (v4, 2.4: static member instance ids).
func describeGroupsVersion(v sarama.KafkaVersion) int16 {
	switch {
	case v.IsAtLeast(sarama.V2_4_0_0):
		return 5
	case v.IsAtLeast(sarama.V2_3_0_0):
		return 3
	case v.IsAtLeast(sarama.V2_0_0_0):
		return 2
	}
	return 1
}
