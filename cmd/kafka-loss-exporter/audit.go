package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/kafka"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/poller"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/report"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// Exit statuses of the audit command (docs/audit.md).
const (
	auditClean    = 0 // no finding at or above --fail-on
	auditFindings = 1 // one finding or more at or above --fail-on
	auditUnusable = 2 // bad flags or files, or the cluster could not be read
)

// auditFlags are the audit command's own settings; the Kafka connection,
// topic and group filters, --risk.config and --poll.timeout are the
// exporter's.
type auditFlags struct {
	output string
	failOn string
}

// defineAudit declares the audit command on app.
func defineAudit(app *kingpin.Application) (*kingpin.CmdClause, *auditFlags) {
	a := &auditFlags{}
	cmd := app.Command("audit", "Poll the cluster once (metadata, offsets, configuration, consumer groups), print the loss audit and exit: "+
		"0 when no finding is at or above --fail-on, 1 when one is, 2 for bad flags or a cluster that cannot be read (docs/audit.md).")
	enumFlag(cmd, "output", "Output format: text (a table grouped by severity, 100 columns), json (schema in docs/audit.md) or markdown.",
		"text", &a.output, report.Formats...)
	cmd.GetFlag("output").Short('o')
	enumFlag(cmd, "fail-on", "Exit with status 1 when a finding has this severity or a worse one: critical, warning or info.",
		report.Critical.String(), &a.failOn, report.Critical.String(), report.Warning.String(), report.Info.String())
	return cmd, a
}

// validateAudit checks the exporter settings the audit uses, naming the
// flag at fault.
func (f *flags) validateAudit() error {
	if f.pollTimeout <= 0 {
		return fmt.Errorf("--poll.timeout must be positive, got %s", f.pollTimeout)
	}
	if f.kafka.Timeout > f.pollTimeout {
		return fmt.Errorf("--kafka.timeout (%s) must not exceed --poll.timeout (%s)", f.kafka.Timeout, f.pollTimeout)
	}
	return f.consumer.validate()
}

// audit runs one poll through the exporter's own poller and steps, builds
// the report of that poll and writes it to stdout; it returns the exit
// status.
func audit(ctx context.Context, f *flags, a *auditFlags, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "kafka-loss-exporter audit: error: "+format+"\n", args...)
		return code
	}
	if err := f.validateAudit(); err != nil {
		return fail(auditUnusable, "%s", oneLine(err))
	}
	failOn, err := report.ParseSeverity(a.failOn)
	if err != nil {
		return fail(auditUnusable, "--fail-on: %s", err)
	}
	st, err := readKafkaSettings(f, lookupEnv)
	if err != nil {
		return fail(auditUnusable, "%s", oneLine(err))
	}

	client := kafka.NewClient(st.sarama, f.kafka.Servers, nil) // no metrics served
	defer client.Close()
	tracker := consumers.NewTracker(f.consumer.trackerOptions())
	fetcher := fetch.New(client, fetch.Options{TopicFilter: st.topicFilter, TopicExclude: st.topicExclude}, pollSteps(client, f, st.groups)...)
	// The poller's failure log would repeat the error the audit prints.
	// The poll is judged once, under the policy, by the poller.
	poll := poller.New(fetcher.Fetch, poller.Options{Interval: f.pollInterval, Timeout: f.pollTimeout, ErrorReason: kafka.Reason,
		Judge: func(s *snapshot.Snapshot) *risk.Verdicts { return risk.Judge(s, st.riskPolicy) }},
		log.NewNopLogger())
	poll.Observe(tracker.Observe)

	done := progress(stderr, fmt.Sprintf("polling %s (at most %s)...", strings.Join(f.kafka.Servers, ","), f.pollTimeout))
	err = poll.PollOnce(ctx)
	done()
	if err != nil {
		return fail(auditUnusable, "the cluster could not be read: %s", oneLine(err))
	}
	r := report.Build(report.Input{Verdicts: poll.Verdicts(), Groups: tracker.Report()})
	if err := report.Write(stdout, r, a.output); err != nil {
		return fail(auditUnusable, "writing the report: %s", err)
	}
	if r.Count(failOn) > 0 {
		return auditFindings
	}
	return auditClean
}

// progress writes a progress line to w when w is a terminal; the returned
// function erases it.
func progress(w io.Writer, msg string) (done func()) {
	file, ok := w.(*os.File)
	if !ok {
		return func() {}
	}
	if fi, err := file.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	fmt.Fprint(file, "kafka-loss-exporter audit: "+msg)
	return func() { fmt.Fprint(file, "\r\033[K") }
}
