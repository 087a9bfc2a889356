package fetch

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// CollectorReassignments is the name of the ListPartitionReassignments step.
const CollectorReassignments = "reassignments"

// reassignmentsTimeoutMillis is the request's own timeout field, which a
// listing hardly needs; the exporter's deadline bounds the request anyway.
const reassignmentsTimeoutMillis = 5000

// Reassignments is the step that lists the ongoing partition reassignments
// with one ListPartitionReassignments request to the controller (Metadata's
// controller id; KRaft brokers forward it to the active controller, so it
// is bounded like every forwarded request: forwarder, forwardedDeadline). It goes through franz-go:
// sarama's request always sends a topic list, and only a null list asks
// for every reassignment.
type Reassignments struct {
	client *kafka.Client
}

// NewReassignments returns the reassignments step.
func NewReassignments(client *kafka.Client) *Reassignments { return &Reassignments{client: client} }

// Name implements Step.
func (r *Reassignments) Name() string { return CollectorReassignments }

// Run implements Step. A broker without the API (before Kafka 2.4) leaves
// s.ReassignmentsKnown false without failing the step.
func (r *Reassignments) Run(ctx context.Context, s *snapshot.Snapshot) error {
	broker, err := forwarder(r.client, s)
	if err != nil {
		return fmt.Errorf("partition reassignments: %w", err)
	}
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = reassignmentsTimeoutMillis
	req.Topics = nil // every ongoing reassignment
	rctx, cancel := forwardedDeadline(ctx, r.client)
	defer cancel()
	resp, err := r.client.OnBrokerKmsg(rctx, broker, req)
	if errors.Is(err, kafka.ErrUnsupportedAPI) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("partition reassignments: %w", err)
	}
	lr := resp.(*kmsg.ListPartitionReassignmentsResponse)
	if lr.ErrorCode != 0 {
		return fmt.Errorf("partition reassignments: %w", sarama.KError(lr.ErrorCode))
	}
	for _, rt := range lr.Topics {
		t := s.Topic(rt.Topic)
		if t == nil {
			continue
		}
		for _, rp := range rt.Partitions {
			if p := partitionOf(t, rp.Partition); p != nil {
				p.Reassignment = &snapshot.Reassignment{Adding: rp.AddingReplicas, Removing: rp.RemovingReplicas}
			}
		}
	}
	s.ReassignmentsKnown = true
	return nil
}

// partitionOf returns the topic's partition with the given id, or nil
// (partitions are sorted by id).
func partitionOf(t *snapshot.Topic, id int32) *snapshot.Partition {
	if id >= 0 && int(id) < len(t.Partitions) && t.Partitions[id].ID == id {
		return &t.Partitions[id]
	}
	for i := range t.Partitions {
		if t.Partitions[i].ID == id {
			return &t.Partitions[i]
		}
	}
	return nil
}
