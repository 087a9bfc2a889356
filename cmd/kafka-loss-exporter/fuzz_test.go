package main

import (
	"io"
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
		for _, err := range errs {
			if err != nil && strings.Contains(oneLine(err), "\n") {
				t.Fatalf("error not on one line: %q", oneLine(err))
			}
		}
	})
}
