package fetch

import (
	"context"
	"fmt"
	"sort"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Reading the groups of one coordinator: describing them (classic groups,
// KIP-848 consumer groups) and fetching their committed offsets.

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
	return kafka.JoinErrors(errs)
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
		return nil, failAll(byName, kafka.APIDescribeGroups, err)
	}
	var unknown []*snapshot.Group
	for _, d := range resp.Groups {
		g := byName[d.GroupId]
		if g == nil {
			continue
		}
		if d.Err != sarama.ErrNoError {
			g.Err = apiErr(kafka.APIDescribeGroups, d.Err)
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
		want = -1 // the version cap is below the API
	}
	resp, err := kafka.OnBrokerAPI(ctx, c.client, coordinator, kafka.FeatureKIP848Groups, want, func(b *sarama.Broker, v int16) (*sarama.ConsumerGroupDescribeResponse, error) {
		req.Version = v
		return b.ConsumerGroupDescribe(req)
	})
	if kafka.IsUnsupported(err) {
		return err
	}
	if err != nil {
		return failAll(byName, kafka.APIConsumerGroupDescribe, err)
	}
	for i := range resp.Groups {
		d := &resp.Groups[i]
		g := byName[d.GroupID]
		if g == nil {
			continue
		}
		if d.ErrorCode != sarama.ErrNoError {
			g.Err = apiErr(kafka.APIConsumerGroupDescribe, d.ErrorCode)
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
func (c *ConsumerGroups) fetchOffsets(ctx context.Context, coordinator int32, groups []*snapshot.Group, errs []error) error {
	want := sarama.NewOffsetFetchRequest(c.client.Version(), "", nil).Version
	v, err := c.client.APIVersion(ctx, coordinator, kafka.FeatureBatchedOffsetFetch, want)
	if kafka.IsUnsupported(err) {
		v, err = c.client.APIVersion(ctx, coordinator, kafka.APIFeature(kafka.APIOffsetFetch, kafka.KeyOffsetFetch), min(want, 7))
	}
	if err != nil {
		for i := range groups {
			errs[i] = joinErr(errs[i], apiErr(kafka.APIOffsetFetch, err))
		}
		return fmt.Errorf("OffsetFetch: %w", err)
	}
	if v >= 8 {
		return c.fetchOffsetsOf(ctx, coordinator, v, groups, errs)
	}
	var failed []error
	for i, g := range groups {
		if err := c.fetchOffsetsOf(ctx, coordinator, v, []*snapshot.Group{g}, errs[i:i+1]); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("OffsetFetch: %w", kafka.JoinErrors(failed))
	}
	return nil
}

// fetchOffsetsOf sends one OffsetFetch at version v: all groups (v8+) or
// the one group (below).
func (c *ConsumerGroups) fetchOffsetsOf(ctx context.Context, coordinator int32, v int16, groups []*snapshot.Group, errs []error) error {
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
			errs[i] = joinErr(errs[i], apiErr(kafka.APIOffsetFetch, err))
		}
		return fmt.Errorf("OffsetFetch: %w", err)
	}
	for i, g := range groups {
		var blocks map[string]map[int32]*sarama.OffsetFetchResponseBlock
		kerr := sarama.ErrNoError
		if resp.Version >= 8 {
			rg := resp.GetGroup(g.Name)
			if rg == nil {
				errs[i] = joinErr(errs[i], apiErr(kafka.APIOffsetFetch, snapshot.ErrMissingFromResponse))
				continue
			}
			blocks, kerr = rg.Blocks, rg.Err
		} else {
			blocks, kerr = resp.Blocks, resp.Err
		}
		if kerr != sarama.ErrNoError && kerr != sarama.ErrGroupIDNotFound {
			errs[i] = joinErr(errs[i], apiErr(kafka.APIOffsetFetch, kerr))
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

// failAll gives every group the error of a request that failed as a whole
// and returns that error for the step.
func failAll(groups map[string]*snapshot.Group, api string, err error) error {
	err = apiErr(api, err)
	for _, g := range groups {
		g.Err = err
	}
	return err
}
