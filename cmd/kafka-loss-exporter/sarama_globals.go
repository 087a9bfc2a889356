package main

import (
	"sync"
	"sync/atomic"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
)

// sarama's logger and metrics switch are package globals that its
// goroutines read at any time. They are written once per process; each
// serve (tests run several in one process) only swaps the logger the
// installed forwarder writes to, so no write races a reader.
var (
	saramaGlobals sync.Once
	saramaLogger  atomic.Pointer[sarama.StdLogger]
)

// useSaramaLogger makes sarama log through l from now on.
func useSaramaLogger(l sarama.StdLogger) {
	saramaLogger.Store(&l)
	saramaGlobals.Do(func() {
		metrics.UseNilMetrics = true
		sarama.Logger = forwardingLogger{}
	})
}

// forwardingLogger writes to the logger useSaramaLogger set last.
type forwardingLogger struct{}

func (forwardingLogger) Print(v ...any)                 { (*saramaLogger.Load()).Print(v...) }
func (forwardingLogger) Printf(format string, v ...any) { (*saramaLogger.Load()).Printf(format, v...) }
func (forwardingLogger) Println(v ...any)               { (*saramaLogger.Load()).Println(v...) }
