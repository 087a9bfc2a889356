package integration

import "syscall"

// interruptSignal is what stops the exporter gracefully.
var interruptSignal = syscall.SIGTERM
