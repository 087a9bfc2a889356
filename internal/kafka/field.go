package kafka

import (
	"regexp"
	"strconv"
)

// Field names one setting of Options: the Go name of its field. Errors about
// a setting carry its Field, and the command line maps each Field to its own
// name for it (a flag), so that this package never names a flag.
type Field string

// The settings of Options.
const (
	FieldServers         Field = "Servers"
	FieldVersion         Field = "Version"
	FieldTimeout         Field = "Timeout"
	FieldSASLMechanism   Field = "SASLMechanism"
	FieldSASLUsername    Field = "SASLUsername"
	FieldSASLPassword    Field = "SASLPassword"
	FieldTLSEnabled      Field = "TLSEnabled"
	FieldTLSCAFile       Field = "TLSCAFile"
	FieldTLSCertFile     Field = "TLSCertFile"
	FieldTLSKeyFile      Field = "TLSKeyFile"
	FieldOAuthTokenURL   Field = "OAuthTokenURL"
	FieldOAuthClientID   Field = "OAuthClientID"
	FieldOAuthSecret     Field = "OAuthClientSecret"
	FieldOAuthScopes     Field = "OAuthScopes"
	FieldOAuthExtensions Field = "OAuthExtensions"
	FieldKerberosConfig  Field = "KerberosConfigFile"
	FieldKerberosKeytab  Field = "KerberosKeytabFile"
	FieldKerberosService Field = "KerberosServiceName"
	FieldKerberosRealm   Field = "KerberosRealm"
	FieldAWSRegion       Field = "AWSRegion"
	FieldAWSRoleARN      Field = "AWSRoleARN"
)

// FieldError is an invalid setting. Msg may name other settings as
// {FieldName}; Format replaces every such reference, and the field at
// fault, with the caller's name for it.
type FieldError struct {
	Field Field
	// Value is the offending value, shown quoted when HasValue (never set
	// for a secret).
	Value    string
	HasValue bool
	Msg      string
	Err      error // the cause, if any
}

// fieldRef matches a {FieldName} reference in FieldError.Msg.
var fieldRef = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// Format renders the error with name(f) for every setting it names.
func (e *FieldError) Format(name func(Field) string) string {
	s := name(e.Field)
	if e.HasValue {
		s += " " + strconv.Quote(e.Value)
	}
	if e.Msg != "" {
		s += ": " + fieldRef.ReplaceAllStringFunc(e.Msg, func(ref string) string {
			return name(Field(ref[1 : len(ref)-1]))
		})
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Error renders the error with the Go names of the settings.
func (e *FieldError) Error() string {
	return e.Format(func(f Field) string { return string(f) })
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr is an error about field f.
func fieldErr(f Field, msg string) *FieldError { return &FieldError{Field: f, Msg: msg} }

// valueErr is an error about the value v of field f.
func valueErr(f Field, v, msg string) *FieldError {
	return &FieldError{Field: f, Value: v, HasValue: true, Msg: msg}
}
