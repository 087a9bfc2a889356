// Package fielderr is the error a package below cmd/ returns for a bad
// setting. Packages name their own settings (an Options field such as
// "kafka.Options.Timeout"), never a command-line flag; cmd/ maps each field
// to its flag when it prints the error, so flag names live in one place.
package fielderr

import (
	"fmt"
	"regexp"
)

// Error is a bad value of one setting.
type Error struct {
	// Field names the setting as its package calls it, for example
	// "logging.Format" or "kafka.Options.Timeout".
	Field string
	// Msg says what is wrong, with the field as its subject ("must be
	// positive, got 0s"). Another setting is named as "{Field}", for
	// example "needs {kafka.Options.TLSEnabled}".
	Msg string
	// Err is the cause, nil when there is none.
	Err error
}

// New returns the error for field with the message format and args
// (fmt.Sprintf); a %w verb in format wraps its argument.
func New(field, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Field: field, Msg: err.Error(), Err: unwrapped(err)}
}

// unwrapped is the error err wraps (nil when it wraps none).
func unwrapped(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok {
		return u.Unwrap()
	}
	return nil
}

// Error renders the error with field names as they are.
func (e *Error) Error() string { return e.Render(nil) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// fieldRef is a "{Field}" reference inside Msg.
var fieldRef = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9_.]*)\}`)

// Render renders the error with every field, the subject and those named
// in Msg, as name gives it (for example its flag, "--log.format"); a nil
// name, or one that returns "", keeps the field's own name.
func (e *Error) Render(name func(field string) string) string {
	rename := func(field string) string {
		if name != nil {
			if n := name(field); n != "" {
				return n
			}
		}
		return field
	}
	msg := fieldRef.ReplaceAllStringFunc(e.Msg, func(ref string) string { return rename(ref[1 : len(ref)-1]) })
	return rename(e.Field) + " " + msg
}
