package kafka

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/IBM/sarama"
)

// configureSASL sets the SASL mechanism and its credentials. Token-based
// mechanisms (OAUTHBEARER, AWS MSK IAM) get one token provider, shared by
// every connection made from the configuration, sarama's and franz-go's.
func (o Options) configureSASL(c *sarama.Config) error {
	mech := strings.ToLower(o.SASLMechanism)
	if err := o.unusedSASLSettings(mech); err != nil {
		return err
	}
	switch mech {
	case SASLNone:
		return nil
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if err := o.userAndPassword(); err != nil {
			return err
		}
		c.Net.SASL.User = o.SASLUsername
		c.Net.SASL.Password = o.SASLPassword
		switch mech {
		case SASLPlain:
			c.Net.SASL.Mechanism = sarama.SASLTypePlaintext
		case SASLScramSHA256:
			c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA256
			c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha256Hash)
		default:
			c.Net.SASL.Mechanism = sarama.SASLTypeSCRAMSHA512
			c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMClient(sha512Hash)
		}
	case SASLOAuthBearer:
		p, err := o.oauthTokenProvider()
		if err != nil {
			return err
		}
		c.Net.SASL.Mechanism = sarama.SASLTypeOAuth
		c.Net.SASL.TokenProvider = p
	case SASLAWSMSKIAM:
		p, err := o.mskIAMTokenProvider()
		if err != nil {
			return err
		}
		c.Net.SASL.Mechanism = sarama.SASLTypeOAuth
		c.Net.SASL.TokenProvider = p
	case SASLGSSAPI:
		if err := o.configureGSSAPI(c); err != nil {
			return err
		}
	default:
		return valueErr(FieldSASLMechanism, o.SASLMechanism, "want one of "+strings.Join(SASLMechanisms, ", "))
	}
	c.Net.SASL.Enable = true
	c.Net.SASL.Handshake = true
	return nil
}

// unusedSASLSettings rejects settings that the mechanism mech does not use:
// a setting that silently does nothing hides a mistake.
func (o Options) unusedSASLSettings(mech string) error {
	uses := map[string][]string{
		SASLNone:        nil,
		SASLPlain:       {FieldSASLUsername, FieldSASLPassword},
		SASLScramSHA256: {FieldSASLUsername, FieldSASLPassword},
		SASLScramSHA512: {FieldSASLUsername, FieldSASLPassword},
		SASLOAuthBearer: {FieldOAuthTokenURL, FieldOAuthClientID, FieldOAuthSecret, FieldOAuthScopes, FieldOAuthExtensions},
		SASLGSSAPI:      {FieldSASLUsername, FieldSASLPassword, FieldKerberosConfig, FieldKerberosKeytab, FieldKerberosService, FieldKerberosRealm},
		SASLAWSMSKIAM:   {FieldAWSRegion, FieldAWSRoleARN},
	}
	used, known := uses[mech]
	if !known {
		return nil // the mechanism itself is reported
	}
	set := []struct {
		field string
		set   bool
	}{
		{FieldSASLUsername, o.SASLUsername != ""},
		{FieldOAuthTokenURL, o.OAuthTokenURL != ""},
		{FieldOAuthClientID, o.OAuthClientID != ""},
		{FieldOAuthScopes, len(o.OAuthScopes) > 0},
		{FieldOAuthExtensions, len(o.OAuthExtensions) > 0},
		{FieldKerberosKeytab, o.KerberosKeytabFile != ""},
		{FieldKerberosRealm, o.KerberosRealm != ""},
		{FieldAWSRegion, o.AWSRegion != ""},
		{FieldAWSRoleARN, o.AWSRoleARN != ""},
	}
	for _, s := range set {
		if !s.set {
			continue
		}
		ok := false
		for _, u := range used {
			ok = ok || u == s.field
		}
		if !ok {
			if mech == SASLNone {
				return fieldErr(s.field, "is set but {kafka.Options.SASLMechanism} is not")
			}
			return fieldErr(s.field, "is not used with {kafka.Options.SASLMechanism} "+mech)
		}
	}
	return nil
}

// userAndPassword checks the user name and password of PLAIN and SCRAM.
func (o Options) userAndPassword() error {
	if o.SASLUsername == "" {
		return fieldErr(FieldSASLUsername, "is required with {kafka.Options.SASLMechanism} "+strings.ToLower(o.SASLMechanism))
	}
	if o.SASLPassword == "" {
		return fieldErr(FieldSASLPassword, "is empty")
	}
	return nil
}

// extensionKey is the syntax of a SASL extension key (RFC 7628, 3.1).
var extensionKey = regexp.MustCompile(`^[A-Za-z]+$`)

// checkOAuth validates the OAUTHBEARER settings.
func (o Options) checkOAuth() error {
	if o.OAuthTokenURL == "" {
		return fieldErr(FieldOAuthTokenURL, "is required with {kafka.Options.SASLMechanism} oauthbearer")
	}
	u, err := url.Parse(o.OAuthTokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return valueErr(FieldOAuthTokenURL, o.OAuthTokenURL, "want an http or https URL")
	}
	if u.User != nil {
		return fieldErr(FieldOAuthTokenURL, "must not hold credentials (use the client id and secret)")
	}
	if o.OAuthClientID == "" {
		return fieldErr(FieldOAuthClientID, "is required with {kafka.Options.SASLMechanism} oauthbearer")
	}
	if o.OAuthClientSecret == "" {
		return fieldErr(FieldOAuthSecret, "is empty")
	}
	for _, s := range o.OAuthScopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			return valueErr(FieldOAuthScopes, s, "a scope is one word without spaces, quotes or backslashes")
		}
	}
	for k, v := range o.OAuthExtensions {
		if !extensionKey.MatchString(k) || k == "auth" {
			return valueErr(FieldOAuthExtensions, k, "an extension key is letters only, and not auth")
		}
		for _, r := range v {
			// RFC 7628: value = *(VCHAR / SP / HTAB / CR / LF), no 0x01.
			if r == 0x01 || (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r > 0x7e {
				return valueErr(FieldOAuthExtensions, k, "an extension value is printable ASCII")
			}
		}
	}
	return nil
}

// configureGSSAPI sets Kerberos sign-in with a keytab or a password.
func (o Options) configureGSSAPI(c *sarama.Config) error {
	if o.SASLUsername == "" {
		return fieldErr(FieldSASLUsername, "is required with {kafka.Options.SASLMechanism} gssapi (the Kerberos principal, without realm)")
	}
	if o.KerberosRealm == "" {
		return fieldErr(FieldKerberosRealm, "is required with {kafka.Options.SASLMechanism} gssapi")
	}
	if o.KerberosServiceName == "" {
		return fieldErr(FieldKerberosService, "is required with {kafka.Options.SASLMechanism} gssapi")
	}
	if o.KerberosConfigFile == "" {
		return fieldErr(FieldKerberosConfig, "is required with {kafka.Options.SASLMechanism} gssapi")
	}
	if _, err := loadKrb5Config(o.KerberosConfigFile); err != nil {
		return causeErr(FieldKerberosConfig, "cannot be loaded", err)
	}
	c.Net.SASL.Mechanism = sarama.SASLTypeGSSAPI
	g := &c.Net.SASL.GSSAPI
	g.KerberosConfigPath = o.KerberosConfigFile
	g.ServiceName = o.KerberosServiceName
	g.Username = o.SASLUsername
	g.Realm = o.KerberosRealm
	g.DisablePAFXFAST = true // MIT and Active Directory KDCs without FAST
	switch {
	case o.KerberosKeytabFile != "" && o.SASLPassword != "":
		return fieldErr(FieldKerberosKeytab, "and {kafka.Options.SASLPassword} exclude each other: sign in with one")
	case o.KerberosKeytabFile != "":
		if _, err := loadKeytab(o.KerberosKeytabFile); err != nil {
			return causeErr(FieldKerberosKeytab, "cannot be loaded", err)
		}
		g.AuthType = sarama.KRB5_KEYTAB_AUTH
		g.KeyTabPath = o.KerberosKeytabFile
	case o.SASLPassword != "":
		g.AuthType = sarama.KRB5_USER_AUTH
		g.Password = o.SASLPassword
	default:
		return fieldErr(FieldKerberosKeytab, "or {kafka.Options.SASLPassword} is required with {kafka.Options.SASLMechanism} gssapi")
	}
	return nil
}
