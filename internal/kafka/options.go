// Package kafka connects to a Kafka cluster with sarama and sends the
// exporter's admin requests, batched per broker, counting every request it
// sends by API.
package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// SASL mechanisms accepted by Options.SASLMechanism.
const (
	SASLNone        = ""
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
	SASLOAuthBearer = "oauthbearer"
	SASLGSSAPI      = "gssapi"
	SASLAWSMSKIAM   = "aws-msk-iam"
)

// SASLMechanisms lists the accepted SASL mechanisms (SASLNone aside).
var SASLMechanisms = []string{SASLPlain, SASLScramSHA256, SASLScramSHA512, SASLOAuthBearer, SASLGSSAPI, SASLAWSMSKIAM}

// Options says how to reach the cluster and sign in. Validation errors are
// *fielderr.Error values naming the field at fault (kafka.Options.<Field>).
type Options struct {
	Servers  []string
	Version  string // an upper cap of the negotiated protocol versions (empty: none)
	ClientID string
	Timeout  time.Duration // dial, read and write timeout of one request

	SASLMechanism string
	// SASLUsername is the PLAIN or SCRAM user, or the Kerberos principal
	// (without realm).
	SASLUsername string
	// SASLPassword is the PLAIN or SCRAM password, or the Kerberos
	// password when there is no keytab; never logged.
	SASLPassword string

	// OAUTHBEARER with the OAuth 2 client-credentials grant.
	OAuthTokenURL     string
	OAuthClientID     string
	OAuthClientSecret string // never logged
	OAuthScopes       []string
	// OAuthExtensions are SASL extensions (RFC 7628) sent with the token,
	// such as Confluent Cloud's logicalCluster and identityPoolId.
	OAuthExtensions map[string]string

	// Kerberos (GSSAPI): SASLUsername with a keytab or SASLPassword.
	KerberosConfigFile  string // krb5.conf
	KerberosKeytabFile  string
	KerberosServiceName string // the brokers' service principal name, usually kafka
	KerberosRealm       string

	// AWS MSK IAM: credentials from the AWS default chain in AWSRegion,
	// optionally exchanged for AWSRoleARN's.
	AWSRegion  string
	AWSRoleARN string

	TLSEnabled            bool
	TLSCAFile             string
	TLSCertFile           string
	TLSKeyFile            string
	TLSServerName         string
	TLSInsecureSkipVerify bool
}

// ParseVersion parses the configured Kafka version cap such as "3.6.0".
// Empty means no cap: the newest version sarama knows, so that every
// request goes out at the highest version the broker supports. A version
// newer than sarama knows caps nothing (the newest known is used); a
// version sarama does not list but that is in range is kept as it is.
func ParseVersion(s string) (sarama.KafkaVersion, error) {
	if s == "" {
		return sarama.MaxVersion, nil
	}
	v, err := sarama.ParseKafkaVersion(s)
	if err != nil {
		return v, valueErr(FieldVersion, s, "not a Kafka version (want for example 3.6.0, or leave it unset to negotiate)")
	}
	if !v.IsAtLeast(sarama.V2_1_0_0) {
		return v, valueErr(FieldVersion, s, "too old: the exporter needs 2.1.0 or later")
	}
	if v.IsAtLeast(sarama.MaxVersion) {
		return sarama.MaxVersion, nil
	}
	return v, nil
}

// SaramaConfig validates the options and builds the sarama configuration,
// the one from which every connection of the exporter (poller, canary, and
// the franz-go requests) is made. Every error is a *fielderr.Error, except a
// configuration sarama itself rejects.
func (o Options) SaramaConfig() (*sarama.Config, error) {
	if len(o.Servers) == 0 {
		return nil, fieldErr(FieldServers, "at least one broker address is needed")
	}
	for _, s := range o.Servers {
		if i := strings.LastIndex(s, ":"); i <= 0 || i == len(s)-1 {
			return nil, valueErr(FieldServers, s, "want host:port")
		}
	}
	version, err := ParseVersion(o.Version)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		return nil, valueErr(FieldTimeout, o.Timeout.String(), "must be positive")
	}
	c := sarama.NewConfig()
	c.Version = version
	if o.ClientID != "" {
		c.ClientID = o.ClientID
	}
	c.Net.DialTimeout = o.Timeout
	c.Net.ReadTimeout = o.Timeout
	c.Net.WriteTimeout = o.Timeout
	c.Metadata.Retry.Max = 0
	c.Metadata.RefreshFrequency = 0
	c.Metadata.Full = false
	if err := o.configureTLS(c); err != nil {
		return nil, err
	}
	if err := o.configureSASL(c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("kafka client configuration: %w", err)
	}
	return c, nil
}

func (o Options) configureTLS(c *sarama.Config) error {
	if !o.TLSEnabled {
		if o.TLSCAFile != "" || o.TLSCertFile != "" || o.TLSKeyFile != "" {
			return fieldErr(FieldTLSEnabled, "must be set for a CA file, client certificate or key ({kafka.Options.TLSCAFile}, {kafka.Options.TLSCertFile}, {kafka.Options.TLSKeyFile})")
		}
		return nil
	}
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         o.TLSServerName,
		InsecureSkipVerify: o.TLSInsecureSkipVerify, //nolint:gosec // the operator asked for it explicitly
	}
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return causeErr(FieldTLSCAFile, "cannot be read", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return valueErr(FieldTLSCAFile, o.TLSCAFile, "no PEM certificate found")
		}
		tc.RootCAs = pool
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return fieldErr(FieldTLSKeyFile, "goes with {kafka.Options.TLSCertFile}: set both or neither")
	}
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return causeErr(FieldTLSCertFile, "or {kafka.Options.TLSKeyFile} cannot be loaded", err)
		}
		tc.GetClientCertificate = clientCertificate(o.TLSCertFile, cert, time.Now)
	}
	c.Net.TLS.Enable = true
	c.Net.TLS.Config = tc
	return nil
}

// ReadSecret returns the secret from file when file is set, else from the
// environment variable env. The secret itself never appears in an error.
func ReadSecret(file, env string, lookupEnv func(string) (string, bool)) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read secret file: %w", err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", fmt.Errorf("secret file %s is empty", file)
		}
		return s, nil
	}
	if v, ok := lookupEnv(env); ok {
		return v, nil
	}
	return "", nil
}

// clientCertificate gives the client certificate to brokers that ask for
// one. An expired or not yet valid certificate fails the handshake on the
// exporter's side with an error naming the file and the validity, where the
// broker would only answer "bad certificate".
func clientCertificate(file string, cert tls.Certificate, now func() time.Time) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if leaf != nil {
			switch t := now(); {
			case t.After(leaf.NotAfter):
				return nil, fmt.Errorf("client certificate %s expired at %s", file, leaf.NotAfter.UTC().Format(time.RFC3339))
			case t.Before(leaf.NotBefore):
				return nil, fmt.Errorf("client certificate %s is not valid before %s", file, leaf.NotBefore.UTC().Format(time.RFC3339))
			}
		}
		return &cert, nil
	}
}
