package collector

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// family is one metric family: its name, help, type and label names. The
// collectors emit samples of families to a sampleWriter, which is either a
// client_golang channel (Collect: the standard registry path, golden tests)
// or the exposition cache's text encoder (one rendering per poll).
type family struct {
	name, help string
	counter    bool
	labels     []string
	// labelOrder lists label indexes sorted by label name: the order in
	// which client_golang writes a sample's labels.
	labelOrder []int
	desc       *prometheus.Desc
}

// gaugeFamily defines a gauge family.
func gaugeFamily(name, help string, labels ...string) *family {
	return newFamily(name, help, false, labels)
}

// counterFamily defines a counter family; its name must end in _total, as
// OpenMetrics wants.
func counterFamily(name, help string, labels ...string) *family {
	if !strings.HasSuffix(name, "_total") {
		panic(fmt.Sprintf("counter %s does not end in _total", name))
	}
	return newFamily(name, help, true, labels)
}

func newFamily(name, help string, counter bool, labels []string) *family {
	f := &family{name: name, help: help, counter: counter, labels: labels,
		desc: prometheus.NewDesc(name, help, labels, nil)}
	f.labelOrder = make([]int, len(labels))
	for i := range f.labelOrder {
		f.labelOrder[i] = i
	}
	sort.Slice(f.labelOrder, func(i, j int) bool { return labels[f.labelOrder[i]] < labels[f.labelOrder[j]] })
	return f
}

func (f *family) valueType() prometheus.ValueType {
	if f.counter {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// sampleWriter receives the samples a collector renders.
type sampleWriter interface {
	// sample adds one sample of f with the label values in f.labels order.
	sample(f *family, v float64, labelValues ...string)
}

// renderer is a collector that renders through a sampleWriter. render gets
// the poll's verdicts (nil when there is none to serve); collectors whose
// state lives elsewhere (events, consumers) ignore them.
type renderer interface {
	prometheus.Collector
	families() []*family
	render(w sampleWriter, v *risk.Verdicts)
}

// channelWriter sends const metrics to a Collect channel.
type channelWriter chan<- prometheus.Metric

func (w channelWriter) sample(f *family, v float64, labelValues ...string) {
	w <- prometheus.MustNewConstMetric(f.desc, f.valueType(), v, labelValues...)
}

// describe sends the descriptors of fs.
func describe(ch chan<- *prometheus.Desc, fs []*family) {
	for _, f := range fs {
		ch <- f.desc
	}
}
