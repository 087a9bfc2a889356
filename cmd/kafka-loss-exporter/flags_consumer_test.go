package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/logging"
)

func TestBadConsumerFlagsExitWithStatus2(t *testing.T) {
	wantUsageErrors(t, []usageCase{
		{[]string{"--group.filter=("}, "--group.filter"},
		{[]string{"--group.exclude=[a-"}, "--group.exclude"},
		{[]string{"--lag.granularity=group"}, "--lag.granularity"},
		{[]string{"--lag.table-points=2"}, "--lag.table-points"},
		{[]string{"--lag.table-points=many"}, "lag.table-points"},
		{[]string{"--group.status-window=1"}, "--group.status-window"},
		{[]string{"--group.retention-refresh=0s"}, "--group.retention-refresh"},
		{[]string{"--group.retention-refresh=later"}, "group.retention-refresh"},
	})
}

func TestDeprecatedRetentionRefreshWarnsOnce(t *testing.T) {
	for _, c := range []struct {
		args []string
		warn bool
	}{
		{nil, false},
		{[]string{"--group.retention-refresh=10m"}, true},
	} {
		app := kingpin.New("test", "")
		f := defineConsumerFlags(app)
		if _, err := app.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		f.warnDeprecated(log.NewLogfmtLogger(&buf))
		if got := strings.Count(buf.String(), "group.retention-refresh is deprecated"); got != map[bool]int{false: 0, true: 1}[c.warn] {
			t.Errorf("%v: %d warnings:\n%s", c.args, got, buf.String())
		}
	}
}

// TestFieldErrorsNameFlags: a package's *fielderr.Error reaches the user
// with the flag's name, and every field cmd/ maps has its flag defined.
func TestFieldErrorsNameFlags(t *testing.T) {
	// kingpin's enum rejects these values first; logging.New's own check
	// is what any other caller meets.
	for _, c := range []struct{ level, format, want string }{
		{"loud", "logfmt", `--log.level "loud": want one of debug, info, warn, error`},
		{"info", "xml", `--log.format "xml": want one of logfmt, json`},
	} {
		_, _, err := logging.New(io.Discard, c.level, c.format)
		if err == nil {
			t.Fatalf("%s/%s accepted", c.level, c.format)
		}
		if got := oneLine(fmt.Errorf("starting: %w", err)); got != "starting: "+c.want {
			t.Errorf("got %q, want %q", got, "starting: "+c.want)
		}
	}
	app := kingpin.New("test", "")
	defineFlags(app)
	for field, flag := range fieldFlags {
		if app.GetFlag(strings.TrimPrefix(flag, "--")) == nil {
			t.Errorf("field %s maps to %s, which is not a flag", field, flag)
		}
	}
}
