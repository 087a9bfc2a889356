package risk

import "time"

// DefaultOffsetsRetention is Kafka's offsets.retention.minutes default (7
// days since Kafka 2.0), used when the brokers' value could not be read.
const DefaultOffsetsRetention = 7 * 24 * time.Hour

// OffsetsExpiry is how long, in seconds, until Kafka deletes the committed
// offsets of a consumer group that has no members, or 0 once that time has
// passed.
//
// Kafka (2.1 and later, KIP-211) deletes an Empty group's offsets
// offsets.retention.minutes after the group became Empty; offsets committed
// without group membership expire that long after their commit. since is the
// earliest time the exporter can prove the clock started: the last poll that
// still saw the group with members (or, for commits without membership, the
// last poll before the commit changed). The group became Empty, or the commit
// was made, after since, so the time left is never more than the true one
// (it may be less by up to one poll interval).
func OffsetsExpiry(retention time.Duration, since, now time.Time) float64 {
	left := since.Add(retention).Sub(now).Seconds()
	return max(left, 0)
}
