//go:build !unix

package kafkatest

// lock is a no-op where flock is not available.
func lock() error { return nil }

func unlock() {}
