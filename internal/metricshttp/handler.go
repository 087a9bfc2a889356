// Package metricshttp serves /metrics from two parts: the exporter's own
// small registry (kafka_loss_exporter_*, go_*, process_*, canary), gathered
// and encoded on every scrape the standard client_golang way, followed by
// the poll-derived families that collector.Exposition rendered and gzipped
// once per poll. A scrape never waits for a poll and never encodes the
// cluster's series: with gzip it writes the small own part, compressed, and
// then the cached gzip member as it is (a gzip stream may hold several
// members; Go's and Prometheus' readers read them all). Without gzip the
// cached member is inflated into the response through a fixed buffer.
// OpenMetrics gets its single "# EOF" at the very end.
//
// Protobuf, which only a client asking for it gets, is served by the
// standard registry path over both parts (slower, correct).
package metricshttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/collector"
)

// Cache gives the last poll's rendering (nil before the first).
type Cache interface {
	Current() *collector.Rendered
	FamilyNames() []string
}

// ErrorLogger logs scrape errors.
type ErrorLogger interface{ Println(v ...any) }

// Handler serves the metrics endpoint.
type Handler struct {
	own      prometheus.Gatherer
	cache    Cache
	protobuf http.Handler
	errorLog ErrorLogger

	bufs    sync.Pool // *bytes.Buffer
	writers sync.Pool // *gzip.Writer
	readers sync.Pool // *gzip.Reader
	copies  sync.Pool // *[]byte, copy buffers
}

// accepted are the formats served, in the server's order of preference when
// the client's Accept header ranks several equally.
var accepted = []expfmt.Format{expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1, expfmt.FmtText, expfmt.FmtProtoDelim}

// eofGzip is "# EOF\n" as a gzip member.
var eofGzip = func() []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte("# EOF\n"))
	_ = zw.Close()
	return b.Bytes()
}()

// New returns the handler. own is gathered on every scrape; protobuf serves
// clients that want the protobuf format. It fails when a family of own is
// also one the cache renders: no family may appear twice in one exposition.
func New(own prometheus.Gatherer, cache Cache, protobuf http.Handler, errorLog ErrorLogger) (*Handler, error) {
	mfs, err := own.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather the exporter's own metrics: %w", err)
	}
	cached := map[string]bool{}
	for _, n := range cache.FamilyNames() {
		cached[n] = true
	}
	for _, mf := range mfs {
		if cached[mf.GetName()] {
			return nil, fmt.Errorf("metric family %s is both in the exporter's registry and rendered per poll", mf.GetName())
		}
	}
	return &Handler{own: own, cache: cache, protobuf: protobuf, errorLog: errorLog}, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := expfmt.NegotiateAccept(r.Header, accepted...)
	if format.FormatType() == expfmt.TypeProtoDelim {
		h.protobuf.ServeHTTP(w, r)
		return
	}
	openMetrics := format.FormatType() == expfmt.TypeOpenMetrics

	own := h.buffer()
	defer h.bufs.Put(own)
	if err := h.encodeOwn(own, format); err != nil {
		h.logError("encoding the exporter's own metrics:", err)
		http.Error(w, "An error has occurred while encoding metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	rendered := h.cache.Current()

	hdr := w.Header()
	hdr.Set("Content-Type", string(format))
	hdr.Add("Vary", "Accept")
	hdr.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.serveGzip(w, r, own.Bytes(), rendered, openMetrics)
		return
	}
	h.servePlain(w, r, own.Bytes(), rendered, openMetrics)
}

func (h *Handler) serveGzip(w http.ResponseWriter, r *http.Request, own []byte, rendered *collector.Rendered, openMetrics bool) {
	ownGz := h.buffer()
	defer h.bufs.Put(ownGz)
	zw := h.gzipWriter(ownGz)
	_, _ = zw.Write(own)
	_ = zw.Close()
	h.writers.Put(zw)

	var cached []byte
	if rendered != nil {
		cached = rendered.TextGzip
		if openMetrics {
			cached = rendered.OpenMetricsGzip
		}
	}
	size := ownGz.Len() + len(cached)
	if openMetrics {
		size += len(eofGzip)
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(size))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(ownGz.Bytes()); err != nil {
		return
	}
	if _, err := w.Write(cached); err != nil {
		return
	}
	if openMetrics {
		_, _ = w.Write(eofGzip)
	}
}

func (h *Handler) servePlain(w http.ResponseWriter, r *http.Request, own []byte, rendered *collector.Rendered, openMetrics bool) {
	if rendered != nil {
		size := len(own) + rendered.TextBytes
		if openMetrics {
			size = len(own) + rendered.OpenMetricsBytes + len("# EOF\n")
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
	}
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(own); err != nil {
		return
	}
	if rendered != nil {
		cached := rendered.TextGzip
		if openMetrics {
			cached = rendered.OpenMetricsGzip
		}
		if err := h.inflate(w, cached); err != nil {
			h.logError("writing the cached exposition:", err)
			return
		}
	}
	if openMetrics {
		_, _ = io.WriteString(w, "# EOF\n")
	}
}

// encodeOwn encodes the exporter's own registry in format, without the
// OpenMetrics "# EOF" (the end of the whole response carries it).
func (h *Handler) encodeOwn(buf *bytes.Buffer, format expfmt.Format) error {
	mfs, err := h.own.Gather()
	if err != nil {
		// Like promhttp's ContinueOnError: log, serve what was gathered.
		h.logError("gathering the exporter's own metrics:", err)
	}
	enc := expfmt.NewEncoder(buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}

// inflate writes the uncompressed content of a gzip member to w through a
// pooled fixed-size buffer.
func (h *Handler) inflate(w io.Writer, member []byte) error {
	src := bytes.NewReader(member)
	zr, _ := h.readers.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(src)
	} else {
		err = zr.Reset(src)
	}
	if err != nil {
		return err
	}
	defer h.readers.Put(zr)
	bp, _ := h.copies.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 64<<10)
		bp = &b
	}
	defer h.copies.Put(bp)
	_, err = io.CopyBuffer(w, zr, *bp)
	return err
}

func (h *Handler) buffer() *bytes.Buffer {
	b, _ := h.bufs.Get().(*bytes.Buffer)
	if b == nil {
		return new(bytes.Buffer)
	}
	b.Reset()
	return b
}

func (h *Handler) gzipWriter(dst io.Writer) *gzip.Writer {
	if zw, _ := h.writers.Get().(*gzip.Writer); zw != nil {
		zw.Reset(dst)
		return zw
	}
	zw, _ := gzip.NewWriterLevel(dst, gzip.BestSpeed)
	return zw
}

func (h *Handler) logError(v ...any) {
	if h.errorLog != nil {
		h.errorLog.Println(v...)
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (or
// any encoding) with a non-zero quality.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}
