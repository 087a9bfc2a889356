package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

// durationValue is a kingpin flag value whose parse error names the flag.
type durationValue struct {
	name   string
	target *time.Duration
}

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("--%s %q is not a duration (want for example 30s or 5m)", v.name, s)
	}
	*v.target = d
	return nil
}

func (v *durationValue) String() string { return v.target.String() }

// enumValue is a kingpin flag value limited to a fixed set, whose parse
// error names the flag and the allowed values.
type enumValue struct {
	name    string
	allowed []string
	target  *string
}

func (v *enumValue) Set(s string) error {
	if !slices.Contains(v.allowed, s) {
		return fmt.Errorf("--%s %q: want one of %s", v.name, s, strings.Join(v.allowed, ", "))
	}
	*v.target = s
	return nil
}

func (v *enumValue) String() string { return *v.target }

// flagDeclarer is where flags are declared: the application (flags of
// every command) or one command.
type flagDeclarer interface {
	Flag(name, help string) *kingpin.FlagClause
}

// durationFlag declares a duration flag.
func durationFlag(app *kingpin.Application, name, help, def string, target *time.Duration) {
	app.Flag(name, help).Default(def).SetValue(&durationValue{name: name, target: target})
}

// enumFlag declares a flag limited to allowed values.
func enumFlag(app flagDeclarer, name, help, def string, target *string, allowed ...string) {
	app.Flag(name, help).Default(def).SetValue(&enumValue{name: name, allowed: allowed, target: target})
}

// oneLine folds a multi-line error message into one line, settings named
// by their flags.
func oneLine(err error) string {
	lines := strings.Split(withFlagNames(err), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
