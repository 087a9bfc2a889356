package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fielderr"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// Environment variables read for secrets when no file is given: command
// lines are visible to every user of the host, so no flag takes a secret.
const (
	passwordEnv          = "KAFKA_LOSS_EXPORTER_SASL_PASSWORD"
	oauthClientSecretEnv = "KAFKA_LOSS_EXPORTER_OAUTHBEARER_CLIENT_SECRET"
)

// saslFlags are the sign-in settings that are not kafka.Options fields:
// the secret files, and the extensions as given on the command line.
type saslFlags struct {
	passwordFile          string
	oauthClientSecretFile string
	oauthScopes           []string
	oauthExtensions       []string
}

// defineSASLFlags declares the SASL flags on app, into o.
func defineSASLFlags(app *kingpin.Application, o *kafka.Options) *saslFlags {
	f := &saslFlags{}
	app.Flag("kafka.sasl.mechanism", "SASL mechanism: "+strings.Join(kafka.SASLMechanisms, ", ")+" (empty: no SASL).").
		Default("").StringVar(&o.SASLMechanism)
	app.Flag("kafka.sasl.username", "SASL user name (plain, scram-*), or the Kerberos principal without realm (gssapi).").
		Default("").StringVar(&o.SASLUsername)
	app.Flag("kafka.sasl.password-file", "File holding the SASL password (plain, scram-*, or gssapi without keytab). Without it the password is read from $"+passwordEnv+".").
		Default("").StringVar(&f.passwordFile)

	app.Flag("kafka.sasl.oauthbearer.token-url", "oauthbearer: the OAuth 2 token endpoint of the identity provider (client-credentials grant).").
		Default("").StringVar(&o.OAuthTokenURL)
	app.Flag("kafka.sasl.oauthbearer.client-id", "oauthbearer: the OAuth 2 client id.").
		Default("").StringVar(&o.OAuthClientID)
	app.Flag("kafka.sasl.oauthbearer.client-secret-file", "oauthbearer: file holding the OAuth 2 client secret. Without it the secret is read from $"+oauthClientSecretEnv+".").
		Default("").StringVar(&f.oauthClientSecretFile)
	app.Flag("kafka.sasl.oauthbearer.scopes", "oauthbearer: scopes to request, comma-separated (repeatable; empty: none).").
		PlaceHolder("SCOPE,...").StringsVar(&f.oauthScopes)
	app.Flag("kafka.sasl.oauthbearer.extensions", "oauthbearer: SASL extension key=value sent with the token, such as logicalCluster=lkc-123 on Confluent Cloud (repeatable).").
		PlaceHolder("KEY=VALUE").StringsVar(&f.oauthExtensions)

	app.Flag("kafka.sasl.kerberos.config-file", "gssapi: the krb5.conf naming the realm's KDCs.").
		Default("/etc/krb5.conf").StringVar(&o.KerberosConfigFile)
	app.Flag("kafka.sasl.kerberos.keytab-file", "gssapi: keytab holding the principal's keys (else the password of --kafka.sasl.password-file is used).").
		Default("").StringVar(&o.KerberosKeytabFile)
	app.Flag("kafka.sasl.kerberos.service-name", "gssapi: the brokers' Kerberos service name (their principals are <service-name>/<broker host>@<realm>).").
		Default("kafka").StringVar(&o.KerberosServiceName)
	app.Flag("kafka.sasl.kerberos.realm", "gssapi: the Kerberos realm of --kafka.sasl.username.").
		Default("").StringVar(&o.KerberosRealm)

	app.Flag("kafka.sasl.aws-msk-iam.region", "aws-msk-iam: the AWS region of the MSK cluster. Credentials come from the AWS default chain (environment, web identity as with IRSA, shared files, container or instance profile).").
		Default("").StringVar(&o.AWSRegion)
	app.Flag("kafka.sasl.aws-msk-iam.role-arn", "aws-msk-iam: IAM role to assume with those credentials (empty: use them directly).").
		Default("").StringVar(&o.AWSRoleARN)
	return f
}

// apply reads the secret files (or environment variables) and the list
// flags into o.
func (f *saslFlags) apply(o *kafka.Options, lookupEnv func(string) (string, bool)) error {
	password, err := kafka.ReadSecret(f.passwordFile, passwordEnv, lookupEnv)
	if err != nil {
		return fmt.Errorf("--kafka.sasl.password-file: %w", err)
	}
	o.SASLPassword = password
	if strings.ToLower(o.SASLMechanism) == kafka.SASLOAuthBearer || f.oauthClientSecretFile != "" {
		secret, err := kafka.ReadSecret(f.oauthClientSecretFile, oauthClientSecretEnv, lookupEnv)
		if err != nil {
			return fmt.Errorf("--kafka.sasl.oauthbearer.client-secret-file: %w", err)
		}
		o.OAuthClientSecret = secret
	}
	o.OAuthScopes = nil
	for _, s := range f.oauthScopes {
		for _, scope := range strings.Split(s, ",") {
			if scope = strings.TrimSpace(scope); scope != "" {
				o.OAuthScopes = append(o.OAuthScopes, scope)
			}
		}
	}
	o.OAuthExtensions = nil
	for _, kv := range f.oauthExtensions {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--kafka.sasl.oauthbearer.extensions %q: want key=value", kv)
		}
		if o.OAuthExtensions == nil {
			o.OAuthExtensions = map[string]string{}
		}
		if _, dup := o.OAuthExtensions[k]; dup {
			return fmt.Errorf("--kafka.sasl.oauthbearer.extensions: key %q given twice", k)
		}
		o.OAuthExtensions[k] = v
	}
	// The default krb5.conf only matters to gssapi.
	if strings.ToLower(o.SASLMechanism) != kafka.SASLGSSAPI {
		o.KerberosConfigFile, o.KerberosServiceName = "", ""
	}
	return nil
}

// kafkaFieldFlags maps the settings of kafka.Options to the flags (or, for
// secrets, the ways) that set them.
var kafkaFieldFlags = map[string]string{
	kafka.FieldServers:         "--kafka.server",
	kafka.FieldVersion:         "--kafka.version",
	kafka.FieldTimeout:         "--kafka.timeout",
	kafka.FieldSASLMechanism:   "--kafka.sasl.mechanism",
	kafka.FieldSASLUsername:    "--kafka.sasl.username",
	kafka.FieldSASLPassword:    "the SASL password (--kafka.sasl.password-file or $" + passwordEnv + ")",
	kafka.FieldTLSEnabled:      "--kafka.tls.enabled",
	kafka.FieldTLSCAFile:       "--kafka.tls.ca-file",
	kafka.FieldTLSCertFile:     "--kafka.tls.cert-file",
	kafka.FieldTLSKeyFile:      "--kafka.tls.key-file",
	kafka.FieldOAuthTokenURL:   "--kafka.sasl.oauthbearer.token-url",
	kafka.FieldOAuthClientID:   "--kafka.sasl.oauthbearer.client-id",
	kafka.FieldOAuthSecret:     "the OAuth client secret (--kafka.sasl.oauthbearer.client-secret-file or $" + oauthClientSecretEnv + ")",
	kafka.FieldOAuthScopes:     "--kafka.sasl.oauthbearer.scopes",
	kafka.FieldOAuthExtensions: "--kafka.sasl.oauthbearer.extensions",
	kafka.FieldKerberosConfig:  "--kafka.sasl.kerberos.config-file",
	kafka.FieldKerberosKeytab:  "--kafka.sasl.kerberos.keytab-file",
	kafka.FieldKerberosService: "--kafka.sasl.kerberos.service-name",
	kafka.FieldKerberosRealm:   "--kafka.sasl.kerberos.realm",
	kafka.FieldAWSRegion:       "--kafka.sasl.aws-msk-iam.region",
	kafka.FieldAWSRoleARN:      "--kafka.sasl.aws-msk-iam.role-arn",
}

// kafkaFlagOf is the flag of a kafka.Options setting ("" if none).
func kafkaFlagOf(field string) string { return kafkaFieldFlags[field] }

// flagError renders the *fielderr.Error of a kafka.Options setting with
// flag names; other errors are returned as they are.
func flagError(err error) error {
	var ferr *fielderr.Error
	if errors.As(err, &ferr) {
		return errors.New(strings.Replace(err.Error(), ferr.Error(), ferr.Render(kafkaFlagOf), 1))
	}
	return err
}
