package collector

import (
	"bytes"
	"io"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/consumers"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/events"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/gzipjoin"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/snapshot"
)

// expositionCollectors are the four poll-derived collectors over the golden
// fixtures, with a consumer group whose name needs escaping.
func expositionCollectors(series PartitionSeries) ([]prometheus.Collector, *risk.Verdicts) {
	s := healthySnapshot()
	v := risk.Judge(s, testPolicy{})
	src := VerdictsFunc(func() *risk.Verdicts { return v })
	report := testConsumerReport()
	report.Snapshot = s
	report.Groups[0].Name = "we\"ird\\group\nnamé"
	counts := events.Counts{
		Topics:           map[string]events.TopicCounts{"orders": {ISRShrinks: 3, TruncatedMessages: 1e7}},
		BrokerISRShrinks: map[int32]uint64{1: 2},
		LastISRChange:    map[events.PartitionKey]time.Time{{Topic: "orders", Partition: 0}: time.Unix(1700000000, 500_000_000)},
	}
	return []prometheus.Collector{
		NewReplication(src, series),
		NewEvents(countsFunc(func() events.Counts { return counts })),
		NewConfig(src, series),
		NewConsumer(reportFunc(func() *consumers.Report { return report }), GranularityPartition),
	}, v
}

// standardExposition encodes what the standard registry path gives for the
// collectors in format (the OpenMetrics "# EOF" left out).
func standardExposition(t *testing.T, cs []prometheus.Collector, format expfmt.Format) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// gunzip writes p as a gzip member and reads it back with the standard
// library's reader limited to one member.
func gunzip(t *testing.T, p gzipjoin.Piece) string {
	t.Helper()
	var b bytes.Buffer
	if err := gzipjoin.WriteGzip(&b, p); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// normalized splits an exposition into families (from one "# HELP" to the
// next), keeps their order and header lines, and sorts their samples with
// the value re-formatted, so that two expositions compare equal when they
// hold the same families in the same order with the same samples whatever
// the sample order and float spelling ("1" or "1.0").
func normalized(t *testing.T, exposition string) []string {
	t.Helper()
	var out []string
	var samples []string
	flush := func() {
		sort.Strings(samples)
		out = append(out, samples...)
		samples = nil
	}
	for _, line := range strings.Split(strings.TrimSuffix(exposition, "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "# HELP") {
				flush()
			}
			out = append(out, line)
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples = append(samples, line[:i]+" "+strconv.FormatFloat(v, 'g', -1, 64))
	}
	flush()
	return out
}

func TestExpositionEqualsStandardPath(t *testing.T) {
	for _, series := range []PartitionSeries{PartitionSeriesAll, PartitionSeriesAtRisk} {
		cs, v := expositionCollectors(series)
		e, err := NewExposition(cs...)
		if err != nil {
			t.Fatal(err)
		}
		r := e.Render(v)
		for _, tc := range []struct {
			name   string
			format expfmt.Format
			cached gzipjoin.Piece
			size   int
		}{
			{"text", expfmt.FmtText, r.Text, int(r.Text.Size)},
			{"openmetrics", expfmt.FmtOpenMetrics_1_0_0, r.OpenMetrics, int(r.OpenMetrics.Size)},
		} {
			got := gunzip(t, tc.cached)
			if len(got) != tc.size {
				t.Errorf("%s: size %d, Rendered says %d", tc.name, len(got), tc.size)
			}
			want := standardExposition(t, cs, tc.format)
			if g, w := normalized(t, got), normalized(t, want); strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("series=%d %s: cached exposition differs from the standard path\n--- cached\n%s\n--- standard\n%s", series, tc.name, got, want)
			}
		}
		if tp, err := textParser().TextToMetricFamilies(strings.NewReader(gunzip(t, r.Text))); err != nil {
			t.Errorf("text parser: %v", err)
		} else if len(tp) == 0 {
			t.Error("nothing rendered")
		}
	}
}

// TestExpositionSameSamplesAsStandardPath compares the parsed samples too,
// label by label, with the text parser of prometheus/common.
func TestExpositionSameSamplesAsStandardPath(t *testing.T) {
	cs, v := expositionCollectors(PartitionSeriesAll)
	e, err := NewExposition(cs...)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(s string) map[string]float64 {
		mfs, err := textParser().TextToMetricFamilies(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				ls := model.LabelSet{}
				for _, lp := range m.GetLabel() {
					ls[model.LabelName(lp.GetName())] = model.LabelValue(lp.GetValue())
				}
				v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
				out[mf.GetName()+ls.String()] = v
			}
		}
		return out
	}
	got := parse(gunzip(t, e.Render(v).Text))
	want := parse(standardExposition(t, cs, expfmt.FmtText))
	if len(got) != len(want) {
		t.Errorf("%d series cached, %d from the standard path", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: cached %v (present %v), standard %v", k, g, ok, v)
		}
	}
}

func TestExpositionAtRiskKeepsOnlyUnhealthyPartitions(t *testing.T) {
	cs, v := expositionCollectors(PartitionSeriesAtRisk)
	e, err := NewExposition(cs...)
	if err != nil {
		t.Fatal(err)
	}
	text := gunzip(t, e.Render(v).Text)
	allCs, _ := expositionCollectors(PartitionSeriesAll)
	all, err := NewExposition(allCs...)
	if err != nil {
		t.Fatal(err)
	}
	full := gunzip(t, all.Render(v).Text)
	for _, line := range strings.Split(full, "\n") {
		if !strings.HasPrefix(line, "kafka_topic_") || strings.HasPrefix(line, "kafka_topic_partition_") {
			continue
		}
		// Per-topic series are the same in both modes.
		if !strings.Contains(text, line+"\n") {
			t.Errorf("at-risk mode lost the per-topic series %q", line)
		}
	}
	if !strings.Contains(full, "kafka_topic_partition_leader{") {
		t.Fatal("fixture has no partition series")
	}
	healthy := 0
	s := healthySnapshot()
	live := risk.LiveBrokers(s)
	for _, tp := range s.Topics {
		for _, p := range tp.Partitions {
			line := `kafka_topic_partition_leader{partition="` + strconv.Itoa(int(p.ID)) + `",topic="` + tp.Name + `"}`
			if risk.Healthy(&p, risk.PartitionHealthOf(&p, live)) {
				healthy++
				if strings.Contains(text, line) {
					t.Errorf("healthy partition %s/%d has per-partition series in at-risk mode", tp.Name, p.ID)
				}
			} else if !strings.Contains(text, line) {
				t.Errorf("partition %s/%d at risk has no per-partition series", tp.Name, p.ID)
			}
		}
	}
	if healthy == 0 {
		t.Error("fixture has no healthy partition")
	}
}

func TestExpositionPassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found")
		}
		t.Skip("promtool not found")
	}
	cs, v := expositionCollectors(PartitionSeriesAll)
	e, err := NewExposition(cs...)
	if err != nil {
		t.Fatal(err)
	}
	r := e.Render(v)
	// promtool reads the text format only; the OpenMetrics bytes are the
	// same samples under other headers (TestExpositionEqualsStandardPath).
	for name, body := range map[string]string{"text": gunzip(t, r.Text)} {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		// promtool's lint flags only kafka_exporter-compatible names
		// ending in _sum; parse errors would fail with other text.
		if err != nil && !onlySumLint(string(out)) {
			t.Errorf("%s: promtool check metrics: %v\n%s", name, err, out)
		}
	}
}

func onlySumLint(out string) bool {
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" && !strings.Contains(line, "_sum") {
			return false
		}
	}
	return true
}

func TestNewExpositionRejectsDuplicateFamilies(t *testing.T) {
	src := judged(configSnapshot, risk.DefaultPolicy{})
	if _, err := NewExposition(NewReplication(src, PartitionSeriesAll), NewReplication(src, PartitionSeriesAll)); err == nil {
		t.Error("duplicate families accepted")
	}
	if _, err := NewExposition(prometheus.NewGoCollector()); err == nil { //nolint:staticcheck // any foreign collector
		t.Error("foreign collector accepted")
	}
}

func textParser() *expfmt.TextParser {
	p := expfmt.NewTextParser(model.LegacyValidation)
	return &p
}

// healthySnapshot is the config fixture with offsets read for every
// partition, so that its fully replicated partitions are healthy.
func healthySnapshot() *snapshot.Snapshot {
	s := configSnapshot()
	for ti := range s.Topics {
		for pi := range s.Topics[ti].Partitions {
			s.Topics[ti].Partitions[pi].Offsets = snapshot.Offsets{Known: true, Oldest: int64(pi), Latest: int64(10 * (pi + 1))}
		}
	}
	return s
}

// TestAppendSampleFloats: the sample lines spell values as client_golang's
// text encoder does.
func TestAppendSampleFloats(t *testing.T) {
	f := gaugeFamily("x", "X.")
	w := sampleBuffer{index: map[*family]int{f: 0}, bodies: make([][]byte, 1)}
	for _, v := range []float64{0, 1, -1, 7, 999999, 1e6, 1234567, -999999, 0.5, 1e-7, 1700000000.5, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1)} {
		w.reset()
		w.sample(f, v)
		got, _ := appendSample(nil, f, w.bodies[0])
		want := "x " + strconv.FormatFloat(v, 'g', -1, 64) + "\n"
		if string(got) != want {
			t.Errorf("%v: %q, want %q", v, got, want)
		}
	}
}
