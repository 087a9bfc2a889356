package fetch

import (
	"context"
	"errors"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// errNoForwarder is the error of a forwarded request when no live broker
// answers the exporter.
var errNoForwarder = errors.New("no live broker answers the exporter")

// forwarder picks the broker to send a request that brokers forward to the
// active controller (ListPartitionReassignments, DescribeQuorum): the one
// askBroker names if it answers the exporter, else the first live broker
// that does.
func forwarder(client *kafka.Client, s *snapshot.Snapshot) (int32, error) {
	if id := askBroker(s); id >= 0 && client.Responding(id) {
		return id, nil
	}
	for _, b := range s.Brokers {
		if client.Responding(b.ID) {
			return b.ID, nil
		}
	}
	return -1, errNoForwarder
}

// forwardedDeadline bounds a forwarded request. When the active controller
// hangs, the forwarded request hangs too and says nothing of the broker
// asked; so it gets a deadline of its own, a sixth of the request timeout
// (a healthy controller answers in milliseconds). It is the caller's
// deadline, which marks no broker unresponsive, and a poll with a hung
// controller costs at most a third of the request timeout (two forwarded
// requests) on top of the hung broker's one request timeout.
func forwardedDeadline(ctx context.Context, client *kafka.Client) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, client.RequestTimeout()/6)
}
