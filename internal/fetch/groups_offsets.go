package fetch

import (
	"context"
	"fmt"
	"sort"

	"github.com/IBM/sarama"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// fetchOffsets reads the committed offsets of all groups of one coordinator
// with one OffsetFetch v8 request (Kafka 3.0+). With an older --kafka.version
// it falls back to one request per group, the only form those versions have.
// Per-group errors go to errs (same index as groups), not to the groups,
// which DescribeGroups may be filling at the same time.
func (c *ConsumerGroups) fetchOffsets(ctx context.Context, coordinator int32, groups []*snapshot.Group, errs []error) error {
	if !c.client.Version().IsAtLeast(sarama.V3_0_0_0) {
		var failed []error
		for i, g := range groups {
			if err := c.fetchOffsetsOf(ctx, coordinator, []*snapshot.Group{g}, errs[i:i+1]); err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("OffsetFetch: %w", kafka.JoinErrors(failed))
		}
		return nil
	}
	return c.fetchOffsetsOf(ctx, coordinator, groups, errs)
}

func (c *ConsumerGroups) fetchOffsetsOf(ctx context.Context, coordinator int32, groups []*snapshot.Group, errs []error) error {
	req := sarama.NewOffsetFetchRequest(c.client.Version(), groups[0].Name, nil)
	if req.Version >= 8 {
		req.Groups = req.Groups[:0]
		for _, g := range groups {
			req.Groups = append(req.Groups, sarama.OffsetFetchRequestGroup{GroupId: g.Name}) // nil partitions: all
		}
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
