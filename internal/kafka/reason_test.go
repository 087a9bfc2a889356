package kafka

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/IBM/sarama"
	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"
)

func TestReason(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("ListOffsets request to x: %w", context.DeadlineExceeded), ReasonTimeout},
		{&net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, ReasonTimeout},
		{sarama.ErrRequestTimedOut, ReasonTimeout},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ReasonConnection},
		{fmt.Errorf("broker 1: %w", io.EOF), ReasonConnection},
		{sarama.ErrNotConnected, ReasonConnection},
		{&SignInError{Mechanism: "OAUTHBEARER", Source: "token endpoint https://idp/token", Status: 401}, ReasonAuthentication},
		{fmt.Errorf("x: %w", &SignInError{Mechanism: "AWS_MSK_IAM", Err: context.DeadlineExceeded}), ReasonAuthentication},
		{krberror.New(krberror.DecryptingError, "AS_REP is not valid or client password/keytab incorrect"), ReasonAuthentication},
		{messages.KRBError{ErrorCode: 24}, ReasonAuthentication},
		{fmt.Errorf("x: %w", sarama.ErrTopicAuthorizationFailed), ReasonAuthorization},
		{sarama.ErrClusterAuthorizationFailed, ReasonAuthorization},
		{sarama.ErrSASLAuthenticationFailed, ReasonAuthentication},
		// How sarama reports a refused SASL login: the code wrapped with
		// the broker's message.
		{fmt.Errorf("broker 1: %w", sarama.Wrap(sarama.ErrSASLAuthenticationFailed, errors.New("invalid credentials"))), ReasonAuthentication},
		{fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), ReasonAuthentication},
		{sarama.ErrNotController, "NOT_CONTROLLER"},
		{sarama.ErrUnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION"},
		{context.Canceled, ReasonCanceled},
		{errors.New("something else"), ReasonOther},
		// Joined errors: the first that classifies wins.
		{errors.Join(errors.New("plain"), sarama.ErrNotController), "NOT_CONTROLLER"},
	}
	for _, c := range cases {
		if got := Reason(c.err); got != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
