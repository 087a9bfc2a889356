package exportertest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series is one sample of a scrape.
type Series struct {
	Labels map[string]string
	Value  float64
}

// Scrape is one parsed /metrics answer.
type Scrape struct {
	raw      []byte
	families map[string]*dto.MetricFamily
}

// Scrape fetches and parses /metrics, failing the test on error.
func (e *Exporter) Scrape(t testing.TB) *Scrape {
	t.Helper()
	s, err := e.TryScrape()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TryScrape fetches and parses /metrics; an answer other than 200 is an
// error.
func (e *Exporter) TryScrape() (*Scrape, error) {
	resp, err := e.Get("/metrics")
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", e.url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape answered %s: %s", resp.Status, raw)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	return &Scrape{raw: raw, families: families}, nil
}

// Raw is the exposition text as served.
func (s *Scrape) Raw() []byte { return s.raw }

// Series returns every sample of the metric, sorted by labels. The value of
// a histogram or summary is its sample count.
func (s *Scrape) Series(name string) []Series {
	mf, ok := s.families[name]
	if !ok {
		return nil
	}
	var out []Series
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.GetGauge().GetValue()
		case m.Counter != nil:
			v = m.GetCounter().GetValue()
		case m.Untyped != nil:
			v = m.GetUntyped().GetValue()
		case m.Histogram != nil:
			v = float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v = float64(m.GetSummary().GetSampleCount())
		}
		out = append(out, Series{Labels: labels, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i].Labels) < fmt.Sprint(out[j].Labels) })
	return out
}

// Matching returns every series of name whose labels include labels,
// sorted by labels.
func (s *Scrape) Matching(name string, labels map[string]string) []Series {
	var out []Series
	for _, x := range s.Series(name) {
		if Matches(x.Labels, labels) {
			out = append(out, x)
		}
	}
	return out
}

// Has reports whether at least one series of name has labels among its
// labels.
func (s *Scrape) Has(name string, labels map[string]string) bool {
	return len(s.Matching(name, labels)) > 0
}

// Value returns the value of the one series of name whose labels include
// labels; ok is false when there is none or more than one.
func (s *Scrape) Value(name string, labels map[string]string) (v float64, ok bool) {
	found := s.Matching(name, labels)
	if len(found) != 1 {
		return 0, false
	}
	return found[0].Value, true
}

// Matches reports whether have includes every label of want.
func Matches(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// WaitForValue scrapes every 250ms until the one series name{labels} (see
// Value) exists and cond holds for its value, which it returns; it fails
// the test after timeout with the last value seen.
func (e *Exporter) WaitForValue(t testing.TB, timeout time.Duration, name string, labels map[string]string, cond func(float64) bool, what string) float64 {
	t.Helper()
	var v float64
	if s, last, _ := e.poll(timeout, false, func(s *Scrape) (bool, string) {
		var ok bool
		if v, ok = s.Value(name, labels); !ok {
			return false, fmt.Sprintf("%s%v: no single matching series", name, labels)
		}
		return cond(v), fmt.Sprintf("%s%v = %v", name, labels, v)
	}); s == nil {
		t.Fatalf("%s: not reached within %s; last: %s", what, timeout, last)
	}
	return v
}

// WaitPolls waits until the exporter has completed n more successful polls
// than when it is called (kafka_loss_exporter_polls_total{result="success"}):
// a condition to wait on instead of a sleep standing in for "some polls".
func (e *Exporter) WaitPolls(t testing.TB, timeout time.Duration, n int) {
	t.Helper()
	success := map[string]string{"result": "success"}
	var before float64
	e.WaitFor(t, timeout, "a first scrape", func(s *Scrape) (bool, string) {
		var ok bool
		before, ok = s.Value("kafka_loss_exporter_polls_total", success)
		return ok, "no polls_total"
	})
	e.WaitForValue(t, timeout, "kafka_loss_exporter_polls_total", success, func(v float64) bool { return v >= before+float64(n) },
		fmt.Sprintf("%d more successful polls", n))
}

// WaitFor scrapes every 250ms until cond holds for a scrape, which it
// returns; it fails the test after timeout with cond's last detail, or as
// soon as the process has exited.
func (e *Exporter) WaitFor(t testing.TB, timeout time.Duration, what string, cond func(*Scrape) (bool, string)) *Scrape {
	t.Helper()
	s, last, exited := e.poll(timeout, true, cond)
	if exited {
		t.Fatalf("the exporter exited while waiting for %s:\n%s", what, Tail(e.Logs(), 40))
	}
	if s == nil {
		t.Fatalf("timed out after %s waiting for %s (last: %s)", timeout, what, last)
	}
	return s
}

// poll scrapes every 250ms until cond holds (it returns that scrape) or
// timeout passes (nil and the last error or detail of cond). With
// stopOnExit it gives up as soon as the process has exited.
func (e *Exporter) poll(timeout time.Duration, stopOnExit bool, cond func(*Scrape) (bool, string)) (s *Scrape, last string, exited bool) {
	deadline := time.Now().Add(timeout)
	last = "no scrape yet"
	for {
		if stopOnExit && e.Exited() {
			return nil, last, true
		}
		s, err := e.TryScrape()
		if err != nil {
			last = err.Error()
		} else if ok, detail := cond(s); ok {
			return s, "", false
		} else {
			last = detail
		}
		if time.Now().After(deadline) {
			return nil, last, false
		}
		time.Sleep(250 * time.Millisecond)
	}
}
