package snapshot

import "time"

// PollStatus describes the outcome of the polls so far (poller.Status).
type PollStatus struct {
	// Up is true when the last poll read the cluster.
	Up bool
	// LastAttempt is when the last poll started (zero before the first).
	LastAttempt time.Time
	// LastSuccess is when the last successful poll started (zero before one).
	LastSuccess time.Time
	// LastDuration is how long the last poll took.
	LastDuration time.Duration
	// LastError is the last poll's error ("" when it succeeded).
	LastError string
	// LastErrorReason classifies LastError (the poller's error classifier).
	LastErrorReason string
	// Polls and Failures count the polls run and the ones that failed.
	Polls, Failures uint64
	// ConsecutiveFailures counts the failed polls since the last success.
	ConsecutiveFailures uint64
	// FailingSince is when the first of the ConsecutiveFailures started
	// (zero while the last poll succeeded).
	FailingSince time.Time
}
