package alerts

import (
	"regexp"
	"time"

	"github.com/prometheus/common/model"
)

var forLine = regexp.MustCompile(`(?m)^(\s+for:\s*)(\S+)\s*$`)

// ShortenFor returns a copy of a rule file in which every for: longer than d
// is d, and nothing else changes (expressions, labels and annotations stay
// byte for byte). End-to-end tests load the real rules this way so that an
// alert goes pending and then firing within seconds instead of minutes.
func ShortenFor(data []byte, d time.Duration) []byte {
	return forLine.ReplaceAllFunc(data, func(line []byte) []byte {
		m := forLine.FindSubmatch(line)
		cur, err := model.ParseDuration(string(m[2]))
		if err != nil || time.Duration(cur) <= d {
			return line
		}
		return append(append([]byte{}, m[1]...), model.Duration(d).String()...)
	})
}
