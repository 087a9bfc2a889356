package collector

import (
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// judged is the verdicts source of the tests: the snapshot f gives, judged
// under policy as the poller judges each poll (nil when f gives nil).
func judged(f func() *snapshot.Snapshot, policy risk.Policy) VerdictsFunc {
	return func() *risk.Verdicts {
		s := f()
		if s == nil {
			return nil
		}
		return risk.Judge(s, policy)
	}
}
