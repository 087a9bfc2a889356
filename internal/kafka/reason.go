package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/IBM/sarama"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// Reasons a collector failed, the values of the reason label of
// kafka_loss_exporter_collector_errors_total. Besides these classes a Kafka
// error code in a response gives its protocol name (for example
// NOT_CONTROLLER, UNKNOWN_TOPIC_OR_PARTITION), so the set stays bounded by
// the protocol's error codes.
const (
	ReasonTimeout        = "timeout"        // a request or the poll ran out of time
	ReasonConnection     = "connection"     // could not connect, or the connection broke
	ReasonAuthentication = "authentication" // SASL or TLS handshake refused
	ReasonAuthorization  = "authorization"  // an ACL denied the request (*_AUTHORIZATION_FAILED)
	ReasonCanceled       = "canceled"       // the exporter is shutting down
	ReasonOther          = "other"          // anything else
)

// Reason classifies err into the small, bounded set of collector failure
// reasons: timeout, connection, authentication, authorization, canceled,
// other, or the Kafka error name of a Kafka error code. It returns "" for
// nil. When err joins several errors, the first one that classifies wins.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	if kerr, ok := kafkaError(err); ok {
		switch kerr {
		case sarama.ErrTopicAuthorizationFailed, sarama.ErrGroupAuthorizationFailed, sarama.ErrClusterAuthorizationFailed,
			sarama.ErrTransactionalIDAuthorizationFailed, sarama.ErrDelegationTokenAuthorizationFailed:
			return ReasonAuthorization
		case sarama.ErrSASLAuthenticationFailed, sarama.ErrUnsupportedSASLMechanism, sarama.ErrIllegalSASLState:
			return ReasonAuthentication
		case sarama.ErrRequestTimedOut:
			return ReasonTimeout
		}
		return ErrorName(kerr)
	}
	var (
		verr  *tls.CertificateVerificationError
		uerr  x509.UnknownAuthorityError
		cerr  x509.CertificateInvalidError
		herr  x509.HostnameError
		aerr  tls.AlertError
		rerr  tls.RecordHeaderError
		nerr  net.Error
		operr *net.OpError
		serr  *SignInError
		kerr  krberror.Krberror
		kdc   messages.KRBError
	)
	switch {
	case errors.As(err, &serr), errors.As(err, &kerr), errors.As(err, &kdc):
		return ReasonAuthentication
	case errors.As(err, &verr), errors.As(err, &uerr), errors.As(err, &cerr), errors.As(err, &herr),
		errors.As(err, &aerr), errors.As(err, &rerr):
		return ReasonAuthentication
	case errors.Is(err, context.Canceled):
		return ReasonCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &nerr) && nerr.Timeout():
		return ReasonTimeout
	case errors.As(err, &operr), errors.As(err, &nerr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, sarama.ErrNotConnected), errors.Is(err, sarama.ErrClosedClient),
		errors.Is(err, sarama.ErrOutOfBrokers), errors.Is(err, sarama.ErrBrokerNotAvailable):
		return ReasonConnection
	}
	return ReasonOther
}

// kafkaError finds a Kafka error code in err. Besides wrapped KErrors it
// finds the ones sarama wraps with sarama.Wrap (a SASL authentication
// failure, for example), which unwrap to their message and only match the
// code through errors.Is.
func kafkaError(err error) (sarama.KError, bool) {
	var kerr sarama.KError
	if errors.As(err, &kerr) {
		return kerr, true
	}
	for code := range kafkaErrorNames {
		if errors.Is(err, code) {
			return code, true
		}
	}
	return 0, false
}
