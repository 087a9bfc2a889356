package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/IBM/sarama"
)

// kafkaErrorNames maps the Kafka error codes the exporter meets to the names
// the protocol guide gives them, so that labels and logs are greppable.
var kafkaErrorNames = map[sarama.KError]string{
	sarama.ErrUnknown:                         "UNKNOWN_SERVER_ERROR",
	sarama.ErrOffsetOutOfRange:                "OFFSET_OUT_OF_RANGE",
	sarama.ErrInvalidMessage:                  "CORRUPT_MESSAGE",
	sarama.ErrUnknownTopicOrPartition:         "UNKNOWN_TOPIC_OR_PARTITION",
	sarama.ErrLeaderNotAvailable:              "LEADER_NOT_AVAILABLE",
	sarama.ErrNotLeaderForPartition:           "NOT_LEADER_OR_FOLLOWER",
	sarama.ErrRequestTimedOut:                 "REQUEST_TIMED_OUT",
	sarama.ErrBrokerNotAvailable:              "BROKER_NOT_AVAILABLE",
	sarama.ErrReplicaNotAvailable:             "REPLICA_NOT_AVAILABLE",
	sarama.ErrMessageSizeTooLarge:             "MESSAGE_TOO_LARGE",
	sarama.ErrNetworkException:                "NETWORK_EXCEPTION",
	sarama.ErrOffsetsLoadInProgress:           "COORDINATOR_LOAD_IN_PROGRESS",
	sarama.ErrConsumerCoordinatorNotAvailable: "COORDINATOR_NOT_AVAILABLE",
	sarama.ErrNotCoordinatorForConsumer:       "NOT_COORDINATOR",
	sarama.ErrNotEnoughReplicas:               "NOT_ENOUGH_REPLICAS",
	sarama.ErrNotEnoughReplicasAfterAppend:    "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
	sarama.ErrUnknownMemberId:                 "UNKNOWN_MEMBER_ID",
	sarama.ErrTopicAuthorizationFailed:        "TOPIC_AUTHORIZATION_FAILED",
	sarama.ErrGroupAuthorizationFailed:        "GROUP_AUTHORIZATION_FAILED",
	sarama.ErrClusterAuthorizationFailed:      "CLUSTER_AUTHORIZATION_FAILED",
	sarama.ErrUnsupportedSASLMechanism:        "UNSUPPORTED_SASL_MECHANISM",
	sarama.ErrUnsupportedVersion:              "UNSUPPORTED_VERSION",
	sarama.ErrNotController:                   "NOT_CONTROLLER",
	sarama.ErrInvalidRequest:                  "INVALID_REQUEST",
	sarama.ErrOutOfOrderSequenceNumber:        "OUT_OF_ORDER_SEQUENCE_NUMBER",
	sarama.ErrDuplicateSequenceNumber:         "DUPLICATE_SEQUENCE_NUMBER",
	sarama.ErrInvalidProducerEpoch:            "INVALID_PRODUCER_EPOCH",
	sarama.ErrKafkaStorageError:               "KAFKA_STORAGE_ERROR",
	sarama.ErrSASLAuthenticationFailed:        "SASL_AUTHENTICATION_FAILED",
	sarama.ErrUnknownProducerID:               "UNKNOWN_PRODUCER_ID",
	sarama.ErrGroupIDNotFound:                 "GROUP_ID_NOT_FOUND",
	sarama.ErrListenerNotFound:                "LISTENER_NOT_FOUND",
	sarama.ErrFencedLeaderEpoch:               "FENCED_LEADER_EPOCH",
	sarama.ErrUnknownLeaderEpoch:              "UNKNOWN_LEADER_EPOCH",
	sarama.ErrOffsetNotAvailable:              "OFFSET_NOT_AVAILABLE",
	sarama.ErrPreferredLeaderNotAvailable:     "PREFERRED_LEADER_NOT_AVAILABLE",
	sarama.ErrEligibleLeadersNotAvailable:     "ELIGIBLE_LEADERS_NOT_AVAILABLE",
	sarama.ErrElectionNotNeeded:               "ELECTION_NOT_NEEDED",
	sarama.ErrPolicyViolation:                 "POLICY_VIOLATION",
	sarama.ErrInvalidConfig:                   "INVALID_CONFIG",
	sarama.ErrTopicAlreadyExists:              "TOPIC_ALREADY_EXISTS",
	sarama.ErrInvalidReplicationFactor:        "INVALID_REPLICATION_FACTOR",
	sarama.ErrRebalanceInProgress:             "REBALANCE_IN_PROGRESS",
}

// ErrorName names an error for a metric label or a log line: the Kafka error
// name for a Kafka error code (for example NOT_ENOUGH_REPLICAS), else a
// small fixed set for transport errors (TIMEOUT, CONNECTION, OTHER).
func ErrorName(err error) string {
	if err == nil {
		return ""
	}
	var kerr sarama.KError
	if errors.As(err, &kerr) {
		if name, ok := kafkaErrorNames[kerr]; ok {
			return name
		}
		return fmt.Sprintf("KAFKA_ERROR_%d", int16(kerr))
	}
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &nerr) && nerr.Timeout():
		return "TIMEOUT"
	case errors.Is(err, sarama.ErrNotConnected), errors.Is(err, sarama.ErrClosedClient),
		errors.As(err, &nerr):
		return "CONNECTION"
	}
	return "OTHER"
}

// joinedError is several errors on one line (one clear log line per poll)
// that still unwraps to each of them, so Reason and errors.As see them.
type joinedError []error

func (e joinedError) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e joinedError) Unwrap() []error { return e }

// JoinErrors returns nil, the one error, or the errors joined on one line
// ("; ") that unwraps to each of them.
func JoinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return joinedError(append([]error(nil), errs...))
}
