package alerts

import (
	"regexp"
	"sort"
	"strings"
)

// The lexical parts of PromQL that MetricNames removes before it looks for
// metric names: string literals, label matchers, ranges and subqueries, and
// the label lists of grouping and vector-matching modifiers.
var (
	stringLiteral  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	labelMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	rangeSelector  = regexp.MustCompile(`\[[^\]]*\]`)
	labelList      = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	token          = regexp.MustCompile(`[0-9][0-9a-zA-Z_.]*|[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true, "ignoring": true,
		"group_left": true, "group_right": true, "offset": true, "bool": true, "inf": true, "nan": true,
		"atan2": true,
	}
)

// MetricNames returns the sorted, distinct metric names a PromQL expression
// selects. It is a lexer, not a parser: enough for rule files, where every
// identifier that is not a keyword, a function or an aggregation (those are
// followed by a parenthesis) and not inside label matchers or label lists is
// a metric name.
func MetricNames(expr string) []string {
	s := stringLiteral.ReplaceAllString(expr, `""`)
	s = labelMatchers.ReplaceAllString(s, " ")
	s = rangeSelector.ReplaceAllString(s, " ")
	s = labelList.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	for _, loc := range token.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		if word[0] >= '0' && word[0] <= '9' || promqlKeywords[strings.ToLower(word)] {
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(s[loc[1]:], " \t\n"), "(") {
			continue // a function or an aggregation
		}
		seen[word] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	selector     = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	matcherLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
)

// MatcherLabels returns, for each metric selected with label matchers in a
// PromQL expression, the sorted label names its matchers use.
func MatcherLabels(expr string) map[string][]string {
	s := stringLiteral.ReplaceAllString(expr, `""`)
	out := map[string][]string{}
	for _, m := range selector.FindAllStringSubmatch(s, -1) {
		seen := map[string]bool{}
		for _, l := range out[m[1]] {
			seen[l] = true
		}
		for _, lm := range matcherLabel.FindAllStringSubmatch(m[2], -1) {
			seen[lm[1]] = true
		}
		labels := make([]string, 0, len(seen))
		for l := range seen {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		out[m[1]] = labels
	}
	return out
}
