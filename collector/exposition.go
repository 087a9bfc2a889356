package collector

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/klauspost/compress/flate"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/exposition"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/gzipjoin"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/risk"
)

// Exposition renders the poll-derived collectors once per poll into cached,
// gzipped exposition bytes that every scrape serves as they are: a scrape
// costs a few writes whatever the number of series, and concurrent scrapes
// share the same bytes. The same collectors stay prometheus.Collectors
// (golden tests, the protobuf path), and a test checks that both paths give
// the same metrics.
//
// Render is called from one goroutine (the poller's); Current from any.
type Exposition struct {
	renderers []renderer
	// order is every family, sorted by name as client_golang's Gather sorts.
	order       []*family
	index       map[*family]int
	headers     [2][][]byte         // [text, openmetrics] HELP and TYPE lines per family index
	headersGzip [2][]gzipjoin.Piece // the same, compressed
	text        sampleBuffer
	zw          [2]*gzipjoin.Writer // one per compressing worker
	scratch     [2][]byte           // expansion buffers of compressFamily, per worker
	current     atomic.Pointer[exposition.Rendered]
}

// NewExposition returns the cache for collectors, which must be the
// collectors of this package that render from snapshots (Replication,
// Config, Events, Consumer).
func NewExposition(collectors ...prometheus.Collector) (*Exposition, error) {
	e := &Exposition{index: map[*family]int{}}
	names := map[string]bool{}
	for _, c := range collectors {
		r, ok := c.(renderer)
		if !ok {
			return nil, fmt.Errorf("collector %T cannot be rendered once per poll", c)
		}
		e.renderers = append(e.renderers, r)
		for _, f := range r.families() {
			if names[f.name] {
				return nil, fmt.Errorf("metric family %s rendered twice", f.name)
			}
			names[f.name] = true
			e.order = append(e.order, f)
		}
	}
	sort.Slice(e.order, func(i, j int) bool { return e.order[i].name < e.order[j].name })
	for i, f := range e.order {
		e.index[f] = i
		for format := range e.headers {
			h := header(f, format == 1)
			e.headers[format] = append(e.headers[format], h)
			e.headersGzip[format] = append(e.headersGzip[format], gzipjoin.Compress(h, flate.BestSpeed))
		}
	}
	e.text.index = e.index
	e.text.bodies = make([][]byte, len(e.order))
	for i := range e.zw {
		e.zw[i] = gzipjoin.NewWriter(flate.BestSpeed)
	}
	return e, nil
}

// FamilyNames lists the names of the families the cache renders.
func (e *Exposition) FamilyNames() []string {
	names := make([]string, len(e.order))
	for i, f := range e.order {
		names[i] = f.name
	}
	return names
}

// Current returns the last rendering, nil before the first one.
func (e *Exposition) Current() *exposition.Rendered { return e.current.Load() }

// Render renders the collectors now from the poll's verdicts and publishes
// the result.
//
// Each family's samples are compressed once into a piece shared by both
// formats; the HELP and TYPE lines of each format are pieces made once. A
// format's exposition is its header and sample pieces in family order.
func (e *Exposition) Render(v *risk.Verdicts) *exposition.Rendered {
	start := time.Now()
	e.text.reset()
	for _, r := range e.renderers {
		r.render(&e.text, v)
	}
	bodies := make([]gzipjoin.Piece, len(e.order))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range e.zw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(e.order) {
					return
				}
				if len(e.text.bodies[i]) > 0 {
					bodies[i] = e.compressFamily(w, i)
				}
			}
		}()
	}
	wg.Wait()

	out := &exposition.Rendered{Series: e.text.series}
	for format, dst := range []*gzipjoin.Piece{&out.Text, &out.OpenMetrics} {
		var pieces []gzipjoin.Piece
		for i := range bodies {
			if len(e.text.bodies[i]) > 0 {
				pieces = append(pieces, e.headersGzip[format][i], bodies[i])
			}
		}
		*dst = gzipjoin.Join(pieces...)
	}
	out.Duration = time.Since(start)
	e.current.Store(out)
	return out
}

// compressFamily expands family i's samples into exposition lines and
// compresses them into one piece, with worker w's writer and buffer.
func (e *Exposition) compressFamily(w, i int) gzipjoin.Piece {
	zw := e.zw[w]
	zw.Start()
	scratch := e.scratch[w][:0]
	f, body := e.order[i], e.text.bodies[i]
	for len(body) > 0 {
		scratch, body = appendSample(scratch, f, body)
		if len(scratch) >= 64<<10 {
			_, _ = zw.Write(scratch)
			scratch = scratch[:0]
		}
	}
	_, _ = zw.Write(scratch)
	e.scratch[w] = scratch[:0]
	return zw.Finish()
}

// header is a family's HELP and TYPE lines. OpenMetrics names a counter
// family without its _total suffix and escapes double quotes in HELP.
func header(f *family, openMetrics bool) []byte {
	name, typ := f.name, "gauge"
	if f.counter {
		typ = "counter"
		if openMetrics {
			name = strings.TrimSuffix(name, "_total")
		}
	}
	help := strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(f.help)
	if openMetrics {
		help = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(f.help)
	}
	return fmt.Appendf(nil, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// sampleBuffer keeps the samples of one rendering, one compact buffer per
// family: each sample is its label values (uvarint length, then the raw
// bytes) and its value (8 bytes, little endian). compress expands them into
// exposition lines, which are the same in the text format and in
// OpenMetrics. Its buffers are reused from one rendering to the next, so a
// steady-state rendering allocates little, and they hold about a quarter of
// the exposition's size.
type sampleBuffer struct {
	index  map[*family]int
	bodies [][]byte
	series int
}

func (w *sampleBuffer) reset() {
	for i := range w.bodies {
		w.bodies[i] = w.bodies[i][:0]
	}
	w.series = 0
}

func (w *sampleBuffer) sample(f *family, v float64, labelValues ...string) {
	i, ok := w.index[f]
	if !ok {
		panic("family " + f.name + " not registered with the exposition")
	}
	if len(labelValues) != len(f.labels) {
		panic(fmt.Sprintf("family %s: %d label values for %d labels", f.name, len(labelValues), len(f.labels)))
	}
	b := w.bodies[i]
	for _, lv := range labelValues {
		b = binary.AppendUvarint(b, uint64(len(lv)))
		b = append(b, lv...)
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	w.bodies[i] = b
	w.series++
}

// appendSample expands the first compact sample of body into an exposition
// line and returns the rest of body.
func appendSample(b []byte, f *family, body []byte) ([]byte, []byte) {
	var values [8]string // label values in f.labels order
	vs := values[:0]
	if len(f.labels) > len(values) {
		vs = make([]string, 0, len(f.labels))
	}
	for range f.labels {
		n, k := binary.Uvarint(body)
		vs = append(vs, unsafeString(body[k:k+int(n)]))
		body = body[k+int(n):]
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(body))
	body = body[8:]

	b = append(b, f.name...)
	if len(f.labels) > 0 {
		b = append(b, '{')
		for n, li := range f.labelOrder {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, f.labels[li]...)
			b = append(b, '=', '"')
			b = appendLabelValue(b, vs[li])
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	if v == math.Trunc(v) && v > -1e6 && v < 1e6 && !(v == 0 && math.Signbit(v)) {
		// Integers below 1e6: the bytes AppendFloat 'g' writes, faster.
		b = strconv.AppendInt(b, int64(v), 10)
	} else {
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, '\n'), body
}

// unsafeString views b as a string without copying; the string lives only
// while appendSample copies it out.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// appendLabelValue escapes a label value as both formats want: backslash,
// double quote and newline; invalid UTF-8 becomes U+FFFD.
func appendLabelValue(b []byte, v string) []byte {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if !strings.ContainsAny(v, "\\\"\n") {
		return append(b, v...)
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

var (
	renderDurationDesc = prometheus.NewDesc(selfPrefix+"render_duration_seconds",
		"How long rendering the last poll's metrics into the cached exposition (text and OpenMetrics, gzipped) took, in seconds; part of the poll duration.", nil, nil)
	renderedSeriesDesc = prometheus.NewDesc(selfPrefix+"rendered_series",
		"Number of series rendered from the last poll (all series but the exporter's own).", nil, nil)
	expositionBytesDesc = prometheus.NewDesc(selfPrefix+"exposition_bytes",
		"Size in bytes of the cached exposition of the last poll, by format (text, openmetrics) and encoding (identity, gzip).", []string{"format", "encoding"}, nil)
)

// ExpositionStats renders the exposition cache's size and render time into
// the exporter's own registry.
type ExpositionStats struct{ e *Exposition }

// NewExpositionStats returns the collector of e's statistics.
func NewExpositionStats(e *Exposition) *ExpositionStats { return &ExpositionStats{e: e} }

// Describe implements prometheus.Collector.
func (c *ExpositionStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- renderDurationDesc
	ch <- renderedSeriesDesc
	ch <- expositionBytesDesc
}

// Collect implements prometheus.Collector.
func (c *ExpositionStats) Collect(ch chan<- prometheus.Metric) {
	r := c.e.Current()
	if r == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(renderDurationDesc, r.Duration.Seconds())
	gauge(renderedSeriesDesc, float64(r.Series))
	gauge(expositionBytesDesc, float64(r.Text.Size), "text", "identity")
	gauge(expositionBytesDesc, float64(len(r.Text.Deflate)), "text", "gzip")
	gauge(expositionBytesDesc, float64(r.OpenMetrics.Size), "openmetrics", "identity")
	gauge(expositionBytesDesc, float64(len(r.OpenMetrics.Deflate)), "openmetrics", "gzip")
}
