package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
)

// FuzzCompileFilter: a filter flag (--topic.filter and the like) either
// fails with one line naming the flag, or compiles to a regex that only
// matches whole names.
func FuzzCompileFilter(f *testing.F) {
	for _, s := range []string{"", ".*", "orders|payments", "a(", "[a-", "*", "a**", "(?i)AUDIT-.*", "^x$", `\d+`, "a|", "(?P<n>x)"} {
		f.Add(s, "orders")
	}
	f.Fuzz(func(t *testing.T, expr, name string) {
		re, err := compileFilter("topic.filter", expr)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--topic.filter ") || strings.Contains(oneLine(err), "\n") {
				t.Fatalf("error %q does not name the flag on one line", err)
			}
			return
		}
		if expr == "" {
			if re != nil {
				t.Fatal("an empty filter must mean no filter")
			}
			return
		}
		if re.MatchString(name) {
			if loc := re.FindStringIndex(name); loc == nil || loc[0] != 0 || loc[1] != len(name) {
				t.Fatalf("filter %q matches %q only in part: %v", expr, name, loc)
			}
		}
	})
}

// FuzzFlags: any command line either parses and validates, or fails with an
// error that fits on one line; nothing panics. Arguments are separated by
// newlines in the fuzzed input. Files named by flags are not read here.
func FuzzFlags(f *testing.F) {
	for _, s := range []string{
		"",
		"--poll.interval=30s\n--poll.timeout=20s",
		"--kafka.timeout=30s\n--poll.timeout=10s",
		"--poll.interval=soon",
		"--lag.table-points=-5",
		"--log.level=loud",
		"--topic.filter=(",
		"--kafka.version=9.9.9",
		"--kafka.server=a:1\n--kafka.server=b:2",
		"--kafka.sasl.mechanism=oauthbearer\n--kafka.sasl.oauthbearer.token-url=https://idp/token\n--kafka.sasl.oauthbearer.client-id=x\n--kafka.sasl.oauthbearer.scopes=a,b",
		"--kafka.sasl.oauthbearer.extensions=logicalCluster=lkc-1\n--kafka.sasl.oauthbearer.extensions=logicalCluster=x",
		"--kafka.sasl.mechanism=gssapi\n--kafka.sasl.username=u\n--kafka.sasl.kerberos.realm=EXAMPLE.COM",
		"--kafka.sasl.mechanism=aws-msk-iam\n--kafka.sasl.aws-msk-iam.region=eu-west-1\n--kafka.sasl.aws-msk-iam.role-arn=arn:aws:iam::123456789012:role/x",
		"--web.telemetry-path=metrics",
		"--no-such-flag",
		"--help",
		"--version",
		"extra",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		args := strings.Split(input, "\n")
		if input == "" {
			args = nil
		}
		app := kingpin.New("kafka-loss-exporter", "")
		app.Terminate(func(int) {})
		app.UsageWriter(io.Discard)
		app.ErrorWriter(io.Discard)
		app.Version("test")
		fl := defineFlags(app)
		if _, err := app.Parse(args); err != nil {
			if strings.Contains(oneLine(err), "\n") {
				t.Fatalf("error not on one line: %q", oneLine(err))
			}
			return
		}
		errs := []error{fl.validate()}
		for _, filter := range []struct{ flag, expr string }{{"topic.filter", fl.topicFilter}, {"topic.exclude", fl.topicExclude},
			{"group.filter", fl.consumer.groupFilter}, {"group.exclude", fl.consumer.groupExclude}} {
			_, err := compileFilter(filter.flag, filter.expr)
			errs = append(errs, err)
		}
		_, err := kafka.ParseVersion(fl.kafka.Version)
		errs = append(errs, err)
		// The sign-in settings, without reading files (the secret files
		// are fuzzed by FuzzSecretFile) and without the AWS chain.
		fl.sasl.passwordFile, fl.sasl.oauthClientSecretFile = "", ""
		noEnv := func(string) (string, bool) { return "", false }
		if err := fl.sasl.apply(&fl.kafka, noEnv); err != nil {
			errs = append(errs, err)
		} else if !strings.EqualFold(fl.kafka.SASLMechanism, kafka.SASLAWSMSKIAM) && fl.kafka.KerberosConfigFile == "" {
			_, err := fl.kafka.SaramaConfig()
			errs = append(errs, flagError(err))
		}
		for _, err := range errs {
			if err != nil && strings.Contains(oneLine(err), "\n") {
				t.Fatalf("error not on one line: %q", oneLine(err))
			}
		}
	})
}

// FuzzSecretFile: any content of a secret file (the SASL password, the
// OAuth client secret) either reads as a secret without its trailing line
// break, or fails with one line that does not show the content.
func FuzzSecretFile(f *testing.F) {
	for _, s := range []string{"s3cret\n", "", "\n", "\r\n", "two\nlines\n", "trailing \n\n", "\x00bin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		file := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, flag := range []struct {
			sasl *saslFlags
			get  func(o kafka.Options) string
		}{
			{&saslFlags{passwordFile: file}, func(o kafka.Options) string { return o.SASLPassword }},
			{&saslFlags{oauthClientSecretFile: file}, func(o kafka.Options) string { return o.OAuthClientSecret }},
		} {
			var o kafka.Options
			err := flag.sasl.apply(&o, func(string) (string, bool) { return "", false })
			if err != nil {
				msg := oneLine(err)
				if strings.Contains(msg, "\n") || (len(strings.TrimSpace(content)) > 3 && strings.Contains(msg, strings.TrimSpace(content))) {
					t.Fatalf("error %q shows the content or spans lines", msg)
				}
				continue
			}
			if got, want := flag.get(o), strings.TrimRight(content, "\r\n"); got != want {
				t.Fatalf("secret %q, want %q", got, want)
			}
		}
	})
}
