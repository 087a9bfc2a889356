package main

import (
	"errors"
	"strings"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fielderr"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/logging"
)

// fieldFlags maps the settings packages name in a *fielderr.Error to the
// flags that set them: the one place below which no flag is named.
var fieldFlags = map[string]string{
	logging.FieldLevel:  "--log.level",
	logging.FieldFormat: "--log.format",
}

// flagOf is the flag of a field ("" when no flag sets it).
func flagOf(field string) string { return fieldFlags[field] }

// withFlagNames renders the *fielderr.Error inside err (if any) with flag
// names instead of field names.
func withFlagNames(err error) string {
	msg := err.Error()
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		msg = strings.Replace(msg, fe.Error(), fe.Render(flagOf), 1)
	}
	return msg
}
