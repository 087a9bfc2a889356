// Package kafka connects to a Kafka cluster with sarama and sends the
// exporter's admin requests, batched per broker, counting every request it
// sends by API.
package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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
)

// Options says how to reach the cluster. Field comments name the command-line
// flag that sets each field; validation errors name the flag too.
type Options struct {
	Servers  []string      // --kafka.server
	Version  string        // --kafka.version: an upper cap of the negotiated protocol versions (empty: none)
	ClientID string        // --kafka.client-id
	Timeout  time.Duration // --kafka.timeout: dial, read and write timeout of one request

	SASLMechanism string // --kafka.sasl.mechanism
	SASLUsername  string // --kafka.sasl.username
	SASLPassword  string // from --kafka.sasl.password-file or the environment; never logged

	TLSEnabled            bool   // --kafka.tls.enabled
	TLSCAFile             string // --kafka.tls.ca-file
	TLSCertFile           string // --kafka.tls.cert-file
	TLSKeyFile            string // --kafka.tls.key-file
	TLSServerName         string // --kafka.tls.server-name
	TLSInsecureSkipVerify bool   // --kafka.tls.insecure-skip-verify
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
		return v, fmt.Errorf("--kafka.version %q is not a Kafka version (want for example 3.6.0, or leave it unset to negotiate)", s)
	}
	if !v.IsAtLeast(sarama.V2_1_0_0) {
		return v, fmt.Errorf("--kafka.version %s is too old: the exporter needs 2.1.0 or later", s)
	}
	if v.IsAtLeast(sarama.MaxVersion) {
		return sarama.MaxVersion, nil
	}
	return v, nil
}

// SaramaConfig validates the options and builds the sarama configuration.
// Every error names the flag at fault.
func (o Options) SaramaConfig() (*sarama.Config, error) {
	if len(o.Servers) == 0 {
		return nil, errors.New("--kafka.server: at least one broker address is needed")
	}
	for _, s := range o.Servers {
		if i := strings.LastIndex(s, ":"); i <= 0 || i == len(s)-1 {
			return nil, fmt.Errorf("--kafka.server %q: want host:port", s)
		}
	}
	version, err := ParseVersion(o.Version)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		return nil, fmt.Errorf("--kafka.timeout must be positive, got %s", o.Timeout)
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
	if err := o.configureSASL(c); err != nil {
		return nil, err
	}
	if err := o.configureTLS(c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("kafka client configuration: %w", err)
	}
	return c, nil
}

func (o Options) configureSASL(c *sarama.Config) error {
	switch strings.ToLower(o.SASLMechanism) {
	case SASLNone:
		if o.SASLUsername != "" {
			return errors.New("--kafka.sasl.username is set but --kafka.sasl.mechanism is not")
		}
		return nil
	case SASLPlain:
		c.Net.SASL.Mechanism = sarama.SASLTypePlaintext
	case SASLScramSHA256:
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
		c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha256Hash)
	case SASLScramSHA512:
		c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
		c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha512Hash)
	default:
		return fmt.Errorf("--kafka.sasl.mechanism %q: want one of plain, scram-sha-256, scram-sha-512", o.SASLMechanism)
	}
	if o.SASLUsername == "" {
		return errors.New("--kafka.sasl.username is required with --kafka.sasl.mechanism")
	}
	if o.SASLPassword == "" {
		return errors.New("the SASL password is empty: set --kafka.sasl.password-file or the environment variable KAFKA_LOSS_EXPORTER_SASL_PASSWORD")
	}
	c.Net.SASL.Enable = true
	c.Net.SASL.Handshake = true
	c.Net.SASL.User = o.SASLUsername
	c.Net.SASL.Password = o.SASLPassword
	return nil
}

func (o Options) configureTLS(c *sarama.Config) error {
	if !o.TLSEnabled {
		if o.TLSCAFile != "" || o.TLSCertFile != "" || o.TLSKeyFile != "" {
			return errors.New("--kafka.tls.ca-file, --kafka.tls.cert-file and --kafka.tls.key-file need --kafka.tls.enabled")
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
			return fmt.Errorf("--kafka.tls.ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--kafka.tls.ca-file %s: no PEM certificate found", o.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return errors.New("--kafka.tls.cert-file and --kafka.tls.key-file go together: set both or neither")
	}
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("--kafka.tls.cert-file/--kafka.tls.key-file: %w", err)
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
				return nil, fmt.Errorf("client certificate %s (--kafka.tls.cert-file) expired at %s", file, leaf.NotAfter.UTC().Format(time.RFC3339))
			case t.Before(leaf.NotBefore):
				return nil, fmt.Errorf("client certificate %s (--kafka.tls.cert-file) is not valid before %s", file, leaf.NotBefore.UTC().Format(time.RFC3339))
			}
		}
		return &cert, nil
	}
}
