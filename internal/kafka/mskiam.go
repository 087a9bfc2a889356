package kafka

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// mskIAMSessionName is the session name of an assumed role, visible in AWS
// CloudTrail.
const mskIAMSessionName = "kafka-loss-exporter"

// mskIAMTokenProvider signs AWS MSK IAM tokens with AWS's own signer
// library, sent through OAUTHBEARER. Credentials come from the AWS default
// chain (environment, web identity as with IRSA on EKS, shared files,
// container and instance profiles), loaded once; with AWSRoleARN they are
// exchanged for the role's through STS AssumeRole. The SDK caches the
// credentials and refreshes them before they expire.
func (o Options) mskIAMTokenProvider() (*tokenProvider, error) {
	if o.AWSRegion == "" {
		return nil, fieldErr(FieldAWSRegion, "is required with {kafka.Options.SASLMechanism} aws-msk-iam")
	}
	if !validRegion(o.AWSRegion) {
		return nil, valueErr(FieldAWSRegion, o.AWSRegion, "not an AWS region name (want for example eu-west-1)")
	}
	if o.AWSRoleARN != "" && !validRoleARN(o.AWSRoleARN) {
		return nil, valueErr(FieldAWSRoleARN, o.AWSRoleARN, "not an IAM role ARN (want arn:aws:iam::<account>:role/<name>)")
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(o.AWSRegion),
		config.WithHTTPClient(&http.Client{Timeout: o.Timeout}))
	if err != nil {
		return nil, causeErr(FieldAWSRegion, "loading the AWS configuration", err)
	}
	creds := cfg.Credentials
	if o.AWSRoleARN != "" {
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.AWSRoleARN,
			func(a *stscreds.AssumeRoleOptions) { a.RoleSessionName = mskIAMSessionName }))
	}
	region := o.AWSRegion
	fetch := func(ctx context.Context) (string, time.Time, error) {
		if creds == nil {
			return "", time.Time{}, &SignInError{Mechanism: "AWS_MSK_IAM", Source: "region " + region, Err: errNoAWSCredentials}
		}
		tok, expiryMs, err := signer.GenerateAuthTokenFromCredentialsProvider(ctx, region, creds)
		if err != nil {
			return "", time.Time{}, &SignInError{Mechanism: "AWS_MSK_IAM", Source: "region " + region,
				Err: &redactedError{msg: redact(err.Error(), ""), err: err}}
		}
		return tok, time.UnixMilli(expiryMs), nil
	}
	return &tokenProvider{fetch: fetch, timeout: o.Timeout, now: time.Now}, nil
}

var errNoAWSCredentials = errors.New("no AWS credentials in the default chain (environment, web identity, shared files, container or instance profile)")

var (
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	roleARN    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
)

// validRegion reports whether s looks like an AWS region (eu-west-1).
func validRegion(s string) bool { return regionName.MatchString(s) }

// validRoleARN reports whether s is an IAM role ARN.
func validRoleARN(s string) bool { return roleARN.MatchString(s) }
