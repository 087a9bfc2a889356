package fetch

import "strings"

// errorList is several errors on one line (one clear log line per poll)
// that still unwraps to each of them, so kafka.Reason can classify it.
type errorList []error

func (e errorList) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e errorList) Unwrap() []error { return e }

// joinErrs returns nil, the one error, or an errorList.
func joinErrs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errorList(append([]error(nil), errs...))
}

// causedError is a message that unwraps to the error that caused it, when
// the message already says what the cause says.
type causedError struct {
	msg   string
	cause error
}

func (e *causedError) Error() string { return e.msg }
func (e *causedError) Unwrap() error { return e.cause }
