package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/collector"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fetch"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// consumerFlags are the consumer-group settings.
type consumerFlags struct {
	groupFilter, groupExclude string
	granularity               string
	tablePoints               int
	statusWindow              int
	retentionRefresh          time.Duration
	retentionRefreshSet       bool
	readTimestamps            bool
}

// defineConsumerFlags declares the consumer-group flags on app.
func defineConsumerFlags(app *kingpin.Application) *consumerFlags {
	f := &consumerFlags{}
	app.Flag("group.filter", "Regex of the consumer groups to watch (anchored).").
		Default(".*").StringVar(&f.groupFilter)
	app.Flag("group.exclude", "Regex of the consumer groups not to watch (anchored; empty: none).").
		Default("").StringVar(&f.groupExclude)
	enumFlag(app, "lag.granularity", "Consumer lag series: partition (per partition and per topic) or topic (per topic only, to bound cardinality).",
		collector.GranularityPartition, &f.granularity, collector.GranularityPartition, collector.GranularityTopic)
	intFlag(app, "lag.table-points", "Points kept per partition in the (latest offset, time) table that lag in seconds is interpolated from; each costs 16 bytes.",
		"32", &f.tablePoints)
	intFlag(app, "group.status-window", "Number of polls a consumer group's status (OK, WARN, REWIND, SKIP, STALL, STOP) is judged over.",
		"10", &f.statusWindow)
	app.Flag("lag.read-timestamps", "When the exporter's offset history does not reach back to a group's next message (after start-up, or for a group far behind), read that message's timestamp (one Fetch per partition leader, only in polls that need it) instead of leaving its lag in seconds out.").
		Default("false").BoolVar(&f.readTimestamps)
	app.Flag("group.retention-refresh", "Deprecated and ignored: retention settings now come from the topic configuration read every --config.poll.interval.").
		Default("5m").IsSetByUser(&f.retentionRefreshSet).SetValue(&durationValue{name: "group.retention-refresh", target: &f.retentionRefresh})
	return f
}

// warnDeprecated logs one warning for each deprecated flag given.
func (f *consumerFlags) warnDeprecated(logger log.Logger) {
	if f.retentionRefreshSet {
		level.Warn(logger).Log("msg", "--group.retention-refresh is deprecated and ignored: retention settings come from the topic configuration read every --config.poll.interval")
	}
}

func (f *consumerFlags) validate() error {
	if f.tablePoints < 3 {
		return fmt.Errorf("--lag.table-points must be at least 3, got %d", f.tablePoints)
	}
	if f.statusWindow < risk.MinStatusWindow {
		return fmt.Errorf("--group.status-window must be at least %d polls, got %d", risk.MinStatusWindow, f.statusWindow)
	}
	if f.retentionRefresh <= 0 {
		return fmt.Errorf("--group.retention-refresh must be positive, got %s", f.retentionRefresh)
	}
	return nil
}

// groupOptions compiles the group filters.
func (f *consumerFlags) groupOptions() (fetch.GroupOptions, error) {
	var o fetch.GroupOptions
	var err error
	if o.Filter, err = compileFilter("group.filter", f.groupFilter); err != nil {
		return o, err
	}
	if o.Exclude, err = compileFilter("group.exclude", f.groupExclude); err != nil {
		return o, err
	}
	return o, nil
}

// intValue is a kingpin flag value whose parse error names the flag.
type intValue struct {
	name   string
	target *int
}

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("--%s %q is not a whole number", v.name, s)
	}
	*v.target = n
	return nil
}

func (v *intValue) String() string { return strconv.Itoa(*v.target) }

// intFlag declares an integer flag.
func intFlag(app *kingpin.Application, name, help, def string, target *int) {
	app.Flag(name, help).Default(def).SetValue(&intValue{name: name, target: target})
}
