package policy

import "strings"

// suggest returns " (did you mean "x"?)" for the known word closest to a
// misspelled one, or " (<what>: a, b, c)" when none is close.
func suggest(word string, known []string, what string) string {
	best, bestDist := "", -1
	w := normalize(word)
	for _, k := range known {
		d := distance(w, normalize(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist >= 0 && bestDist <= max(2, len(w)/4) {
		return ` (did you mean "` + best + `"?)`
	}
	return " (" + what + ": " + strings.Join(known, ", ") + ")"
}

// normalize folds case and drops separators, so that minInsyncReplicas and
// min-insync-replicas are as close to min_insync_replicas as can be.
func normalize(s string) string {
	return strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(strings.ToLower(s))
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
