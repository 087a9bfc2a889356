// Package logging builds the exporter's go-kit logger from a level and a
// format, and adapts it for the libraries that want another
// logger interface (slog for exporter-toolkit, sarama's StdLogger).
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	sloggokit "github.com/tjhop/slog-gokit"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/fielderr"
)

// The settings New reads, as named in its *fielderr.Error.
const (
	FieldLevel  = "logging.Level"
	FieldFormat = "logging.Format"
)

// Levels and formats accepted by New.
var (
	Levels  = []string{"debug", "info", "warn", "error"}
	Formats = []string{"logfmt", "json"}
)

// New returns a logger writing to w in format (logfmt or json), dropping
// records below lvl (debug, info, warn or error), and the same logger bridged
// into slog for libraries that want one (exporter-toolkit). Each record gets
// a timestamp and the caller.
//
// A bad level or format is a *fielderr.Error for FieldLevel or FieldFormat.
func New(w io.Writer, lvl, format string) (log.Logger, *slog.Logger, error) {
	var logger log.Logger
	switch format {
	case "logfmt":
		logger = log.NewLogfmtLogger(log.NewSyncWriter(w))
	case "json":
		logger = log.NewJSONLogger(log.NewSyncWriter(w))
	default:
		return nil, nil, fielderr.New(FieldFormat, "%q: want one of %s", format, strings.Join(Formats, ", "))
	}
	var opt level.Option
	switch lvl {
	case "debug":
		opt = level.AllowDebug()
	case "info":
		opt = level.AllowInfo()
	case "warn":
		opt = level.AllowWarn()
	case "error":
		opt = level.AllowError()
	default:
		return nil, nil, fielderr.New(FieldLevel, "%q: want one of %s", lvl, strings.Join(Levels, ", "))
	}
	logger = level.NewFilter(logger, opt)
	// The slog bridge adds its own time and caller (from slog's record), so
	// it wraps the logger before those are added.
	bridged := slog.New(sloggokit.NewGoKitHandler(logger, slog.LevelDebug))
	return log.With(logger, "ts", log.DefaultTimestampUTC, "caller", log.DefaultCaller), bridged, nil
}

// SaramaLogger adapts the go-kit logger to sarama's StdLogger: everything
// sarama says goes out at debug level, tagged component=sarama.
type SaramaLogger struct {
	logger log.Logger
}

// NewSaramaLogger returns sarama's logger adapter.
func NewSaramaLogger(logger log.Logger) SaramaLogger {
	return SaramaLogger{logger: level.Debug(log.With(logger, "component", "sarama"))}
}

// Print logs v.
func (s SaramaLogger) Print(v ...any) { s.log(fmt.Sprint(v...)) }

// Printf logs the formatted text.
func (s SaramaLogger) Printf(format string, v ...any) { s.log(fmt.Sprintf(format, v...)) }

// Println logs v.
func (s SaramaLogger) Println(v ...any) { s.log(fmt.Sprintln(v...)) }

func (s SaramaLogger) log(msg string) {
	_ = s.logger.Log("msg", strings.TrimRight(msg, "\n"))
}
