package fielderr

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

func TestRender(t *testing.T) {
	flags := map[string]string{"a.Format": "--log.format", "a.Other": "--other"}
	name := func(f string) string { return flags[f] }
	cause := os.ErrNotExist
	for _, tc := range []struct {
		err       *Error
		own, flag string
	}{
		{New("a.Format", "%q: want one of logfmt, json", "xml"),
			`a.Format "xml": want one of logfmt, json`, `--log.format "xml": want one of logfmt, json`},
		{New("a.Format", "needs {a.Other}; {Unknown} stays"),
			"a.Format needs a.Other; Unknown stays", "--log.format needs --other; Unknown stays"},
		{New("a.Missing", "cannot be read: %w", cause),
			"a.Missing cannot be read: file does not exist", "a.Missing cannot be read: file does not exist"},
	} {
		if got := tc.err.Error(); got != tc.own {
			t.Errorf("Error() = %q, want %q", got, tc.own)
		}
		if got := tc.err.Render(name); got != tc.flag {
			t.Errorf("Render = %q, want %q", got, tc.flag)
		}
	}
	wrapped := fmt.Errorf("loading: %w", New("a.Missing", "cannot be read: %w", cause))
	var fe *Error
	if !errors.As(wrapped, &fe) || !errors.Is(wrapped, os.ErrNotExist) {
		t.Errorf("a wrapped field error must be found and unwrap to its cause")
	}
}
