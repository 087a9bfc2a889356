package kafka

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// isolateAWS clears the AWS settings of the environment, so that only what
// a test sets is found by the default credential chain.
func isolateAWS(t *testing.T) {
	t.Helper()
	for _, v := range os.Environ() {
		if name, _, _ := strings.Cut(v, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// fakeSTS answers AssumeRole and AssumeRoleWithWebIdentity with fixed
// temporary credentials, and records the requests' forms.
type fakeSTS struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
	fail  bool
}

const (
	stsAccessKey    = "ASIAFAKESTSACCESSKEY"
	stsSecretKey    = "fake-sts-secret-key-0123456789"
	stsSessionToken = "fake-sts-session-token"
)

func newFakeSTS(t *testing.T) *fakeSTS {
	f := &fakeSTS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		fail := f.fail
		f.mu.Unlock()
		action := r.PostForm.Get("Action")
		w.Header().Set("Content-Type", "text/xml")
		if fail {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`)
			return
		}
		fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%[1]sResult><Credentials><AccessKeyId>%[2]s</AccessKeyId><SecretAccessKey>%[3]s</SecretAccessKey><SessionToken>%[4]s</SessionToken><Expiration>%[5]s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/exporter/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></%[1]sResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></%[1]sResponse>`,
			action, stsAccessKey, stsSecretKey, stsSessionToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSTS) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

// mskToken builds the configuration and returns the signed URL inside the
// token the provider hands to sarama.
func mskToken(t *testing.T, o Options) (*url.URL, error) {
	t.Helper()
	conf, err := o.SaramaConfig()
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	if conf.Net.SASL.Mechanism != sarama.SASLTypeOAuth || conf.Net.SASL.TokenProvider == nil {
		t.Fatalf("mechanism %s, token provider %v: want OAUTHBEARER with a provider", conf.Net.SASL.Mechanism, conf.Net.SASL.TokenProvider)
	}
	tok, err := conf.Net.SASL.TokenProvider.Token()
	if err != nil {
		return nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok.Token)
	if err != nil {
		t.Fatalf("token is not base64url: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatalf("token is not a URL: %v", err)
	}
	return u, nil
}

// checkSigned checks the token is a SigV4-presigned kafka-cluster:Connect
// URL for region, signed with accessKey (and sessionToken, if any).
func checkSigned(t *testing.T, u *url.URL, region, accessKey, sessionToken string) {
	t.Helper()
	q := u.Query()
	if want := "kafka." + region + ".amazonaws.com"; u.Host != want || u.Scheme != "https" {
		t.Errorf("token URL %s://%s, want https://%s", u.Scheme, u.Host, want)
	}
	for k, want := range map[string]string{"Action": "kafka-cluster:Connect", "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Expires": "900"} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	cred := regexp.MustCompile(`^` + accessKey + `/[0-9]{8}/` + region + `/kafka-cluster/aws4_request$`)
	if !cred.MatchString(q.Get("X-Amz-Credential")) {
		t.Errorf("X-Amz-Credential %q, want %s", q.Get("X-Amz-Credential"), cred)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("X-Amz-Signature")) {
		t.Errorf("X-Amz-Signature %q is not a SigV4 signature", q.Get("X-Amz-Signature"))
	}
	if got := q.Get("X-Amz-Security-Token"); got != sessionToken {
		t.Errorf("X-Amz-Security-Token %q, want %q", got, sessionToken)
	}
	if !strings.Contains(q.Get("User-Agent"), "aws-msk-iam-sasl-signer-go") {
		t.Errorf("User-Agent %q does not name the signer library", q.Get("User-Agent"))
	}
	if strings.Contains(u.String(), stsSecretKey) || strings.Contains(u.String(), "static-secret") {
		t.Errorf("the token holds a secret key")
	}
}

// webIdentityEnv sets the environment EKS gives a pod with IRSA: a web
// identity token file and the role, with STS at the fake endpoint.
func webIdentityEnv(t *testing.T, sts *fakeSTS) {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("eyJ.fake-web-identity.jwt"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/kafka-loss-exporter")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
}

func mskOptions(region, role string) Options {
	o := validOptions()
	o.SASLMechanism, o.AWSRegion, o.AWSRoleARN, o.TLSEnabled = SASLAWSMSKIAM, region, role, true
	return o
}

func TestMSKIAMStaticCredentials(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASTATICACCESSKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "static-secret")
	u, err := mskToken(t, mskOptions("eu-west-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	checkSigned(t, u, "eu-west-1", "AKIASTATICACCESSKEY", "")
}

// TestMSKIAMWebIdentity: the IRSA set-up on EKS (a web identity token file
// and a role in the environment) exchanges the token at STS for temporary
// credentials that sign the MSK token.
func TestMSKIAMWebIdentity(t *testing.T) {
	isolateAWS(t)
	sts := newFakeSTS(t)
	webIdentityEnv(t, sts)
	u, err := mskToken(t, mskOptions("us-east-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	checkSigned(t, u, "us-east-1", stsAccessKey, stsSessionToken)
	reqs := sts.requests()
	if len(reqs) != 1 || reqs[0].Get("Action") != "AssumeRoleWithWebIdentity" ||
		reqs[0].Get("WebIdentityToken") != "eyJ.fake-web-identity.jwt" || reqs[0].Get("RoleArn") != "arn:aws:iam::123456789012:role/kafka-loss-exporter" {
		t.Errorf("STS requests %v, want one AssumeRoleWithWebIdentity with the token and role", reqs)
	}

}

// TestMSKIAMAssumeRole: with a role to assume, the chain's credentials
// call STS AssumeRole and the role's credentials sign the token.
func TestMSKIAMAssumeRole(t *testing.T) {
	isolateAWS(t)
	sts := newFakeSTS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASTATICACCESSKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "static-secret")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	const role = "arn:aws:iam::123456789012:role/msk-reader"
	u, err := mskToken(t, mskOptions("eu-central-1", role))
	if err != nil {
		t.Fatal(err)
	}
	checkSigned(t, u, "eu-central-1", stsAccessKey, stsSessionToken)
	reqs := sts.requests()
	if len(reqs) != 1 || reqs[0].Get("Action") != "AssumeRole" || reqs[0].Get("RoleArn") != role || reqs[0].Get("RoleSessionName") != mskIAMSessionName {
		t.Errorf("STS requests %v, want one AssumeRole of %s as %s", reqs, role, mskIAMSessionName)
	}
}

// TestMSKIAMRefused: STS refusing the web identity is a sign-in error
// (reason authentication) naming the region, on one line, without secrets.
func TestMSKIAMRefused(t *testing.T) {
	isolateAWS(t)
	sts := newFakeSTS(t)
	sts.fail = true
	webIdentityEnv(t, sts)
	_, err := mskToken(t, mskOptions("us-east-1", ""))
	if err == nil {
		t.Fatal("a refused web identity gave a token")
	}
	msg := err.Error()
	if Reason(err) != ReasonAuthentication || !strings.Contains(msg, "AWS_MSK_IAM sign-in: region us-east-1") ||
		!strings.Contains(msg, "AccessDenied") || strings.Contains(msg, "\n") || strings.Contains(msg, "fake-web-identity") {
		t.Errorf("error %q (reason %s): want one line, reason authentication, naming the region and AccessDenied, without the token", msg, Reason(err))
	}
}
