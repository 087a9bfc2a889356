package fetch

// causedError is a message that unwraps to the error that caused it, when
// the message already says what the cause says.
type causedError struct {
	msg   string
	cause error
}

func (e *causedError) Error() string { return e.msg }
func (e *causedError) Unwrap() error { return e.cause }
