package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/IBM/sarama"
	krb5client "github.com/jcmturner/gokrb5/v8/client"
	krb5config "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/twmb/franz-go/pkg/sasl"
)

// franz-go has no Kerberos mechanism; gssapiMechanism is one on gokrb5
// (the library sarama's GSSAPI uses), for the franz-go requests. It follows
// RFC 4752: the client sends a Kerberos AP-REQ in a GSS-API initial context
// token, the broker answers with a wrap token offering security layers, and
// the client chooses none (Kafka runs its own TLS) in a wrap token back.

// loadKrb5Config reads a krb5.conf.
func loadKrb5Config(path string) (*krb5config.Config, error) {
	return krb5config.Load(path)
}

// loadKeytab reads a keytab.
func loadKeytab(path string) (*keytab.Keytab, error) {
	return keytab.Load(path)
}

// gssapiMechanism signs franz-go connections in with Kerberos, from the
// same settings as sarama's GSSAPI (Options.configureGSSAPI). One Kerberos
// client (its ticket-granting ticket and service tickets) serves every
// connection of the mechanism.
type gssapiMechanism struct {
	conf sarama.GSSAPIConfig

	mu sync.Mutex
	cl *krb5client.Client
}

// Name is the SASL mechanism name.
func (*gssapiMechanism) Name() string { return "GSSAPI" }

// client returns the logged-in Kerberos client, creating it on first use.
func (m *gssapiMechanism) client() (*krb5client.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cl == nil {
		cfg, err := loadKrb5Config(m.conf.KerberosConfigPath)
		if err != nil {
			return nil, err
		}
		disableFAST := krb5client.DisablePAFXFAST(m.conf.DisablePAFXFAST)
		switch m.conf.AuthType {
		case sarama.KRB5_KEYTAB_AUTH:
			kt, err := loadKeytab(m.conf.KeyTabPath)
			if err != nil {
				return nil, err
			}
			m.cl = krb5client.NewWithKeytab(m.conf.Username, m.conf.Realm, kt, cfg, disableFAST)
		case sarama.KRB5_USER_AUTH:
			m.cl = krb5client.NewWithPassword(m.conf.Username, m.conf.Realm, m.conf.Password, cfg, disableFAST)
		default:
			return nil, fmt.Errorf("kerberos authentication type %d is not supported", m.conf.AuthType)
		}
	}
	if err := m.cl.AffirmLogin(); err != nil {
		return nil, err
	}
	return m.cl, nil
}

// Authenticate gets a service ticket for service/host and returns the
// AP-REQ to send.
func (m *gssapiMechanism) Authenticate(_ context.Context, addr string) (sasl.Session, []byte, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	fail := func(err error) (sasl.Session, []byte, error) {
		return nil, nil, &SignInError{Mechanism: "GSSAPI", Source: "realm " + m.conf.Realm, Err: err}
	}
	cl, err := m.client()
	if err != nil {
		return fail(err)
	}
	spn := m.conf.ServiceName + "/" + host
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		return fail(fmt.Errorf("service ticket for %s: %w", spn, err))
	}
	tok, err := spnego.NewKRB5TokenAPREQ(cl, tkt, key, []int{gssapi.ContextFlagInteg, gssapi.ContextFlagConf}, nil)
	if err != nil {
		return fail(err)
	}
	b, err := tok.Marshal()
	if err != nil {
		return fail(err)
	}
	return &gssapiSession{key: key}, b, nil
}

// gssapiSession is one connection's sign-in after the AP-REQ.
type gssapiSession struct {
	key types.EncryptionKey
}

// errSecurityLayer is a broker's security-layer offer that is not a 4-byte
// wrap token of a valid checksum.
var errSecurityLayer = errors.New("GSSAPI: the broker's security-layer message is not valid")

// Challenge checks the broker's security-layer offer and answers that the
// connection uses no security layer.
func (s *gssapiSession) Challenge(resp []byte) (bool, []byte, error) {
	var offer gssapi.WrapToken
	if err := offer.Unmarshal(resp, true); err != nil {
		return false, nil, fmt.Errorf("%w: %v", errSecurityLayer, err)
	}
	if ok, err := offer.Verify(s.key, keyusage.GSSAPI_ACCEPTOR_SEAL); !ok || err != nil || len(offer.Payload) != 4 {
		return false, nil, errSecurityLayer
	}
	// Security layer 1 (none), maximum message size 0.
	answer, err := gssapi.NewInitiatorWrapToken([]byte{1, 0, 0, 0}, s.key)
	if err != nil {
		return false, nil, err
	}
	b, err := answer.Marshal()
	if err != nil {
		return false, nil, err
	}
	return true, b, nil
}
