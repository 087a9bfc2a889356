package kafka

import "github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fielderr"

// The settings of Options, as *fielderr.Error names them: the command line
// maps each to its own name for it (a flag), so that this package never
// names a flag. A message names another setting as {kafka.Options.X}.
const (
	FieldServers         = "kafka.Options.Servers"
	FieldVersion         = "kafka.Options.Version"
	FieldTimeout         = "kafka.Options.Timeout"
	FieldSASLMechanism   = "kafka.Options.SASLMechanism"
	FieldSASLUsername    = "kafka.Options.SASLUsername"
	FieldSASLPassword    = "kafka.Options.SASLPassword"
	FieldTLSEnabled      = "kafka.Options.TLSEnabled"
	FieldTLSCAFile       = "kafka.Options.TLSCAFile"
	FieldTLSCertFile     = "kafka.Options.TLSCertFile"
	FieldTLSKeyFile      = "kafka.Options.TLSKeyFile"
	FieldOAuthTokenURL   = "kafka.Options.OAuthTokenURL"
	FieldOAuthClientID   = "kafka.Options.OAuthClientID"
	FieldOAuthSecret     = "kafka.Options.OAuthClientSecret"
	FieldOAuthScopes     = "kafka.Options.OAuthScopes"
	FieldOAuthExtensions = "kafka.Options.OAuthExtensions"
	FieldKerberosConfig  = "kafka.Options.KerberosConfigFile"
	FieldKerberosKeytab  = "kafka.Options.KerberosKeytabFile"
	FieldKerberosService = "kafka.Options.KerberosServiceName"
	FieldKerberosRealm   = "kafka.Options.KerberosRealm"
	FieldAWSRegion       = "kafka.Options.AWSRegion"
	FieldAWSRoleARN      = "kafka.Options.AWSRoleARN"
)

// fieldErr is an error about field f: msg says what is wrong, with the
// field as its subject.
func fieldErr(f, msg string) *fielderr.Error { return fielderr.New(f, "%s", msg) }

// valueErr is an error about the value v of field f.
func valueErr(f, v, msg string) *fielderr.Error { return fielderr.New(f, "%q: %s", v, msg) }

// causeErr is an error about field f with its cause.
func causeErr(f, msg string, err error) *fielderr.Error { return fielderr.New(f, msg+": %w", err) }
