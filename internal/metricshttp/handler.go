// Package metricshttp serves /metrics from two parts: the exporter's own
// small registry (kafka_loss_exporter_*, go_*, process_*, canary), gathered
// and encoded on every scrape the standard client_golang way, followed by
// the poll-derived families that collector.Exposition rendered (an exposition.Rendered) and
// compressed once per poll. A scrape never waits for a poll and never
// encodes the cluster's series: with gzip it compresses the small own part
// and joins it with the cached compressed data into one gzip member
// (internal/gzipjoin: no recompression). Without gzip the cached data is
// inflated into the response through a fixed buffer. OpenMetrics gets its
// single "# EOF" at the very end.
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

	"github.com/klauspost/compress/flate"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/exposition"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/gzipjoin"
)

// Cache gives the last poll's rendering (nil before the first).
type Cache interface {
	Current() *exposition.Rendered
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
	writers sync.Pool // *gzipjoin.Writer
	copies  sync.Pool // *[]byte, copy buffers
}

// accepted are the formats served, in the server's order of preference when
// the client's Accept header ranks several equally.
var accepted = []expfmt.Format{expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1, expfmt.FmtText, expfmt.FmtProtoDelim}

// eofPiece is "# EOF\n", compressed.
var eofPiece = gzipjoin.Compress([]byte("# EOF\n"), flate.BestSpeed)

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

func (h *Handler) serveGzip(w http.ResponseWriter, r *http.Request, own []byte, rendered *exposition.Rendered, openMetrics bool) {
	zw, _ := h.writers.Get().(*gzipjoin.Writer)
	if zw == nil {
		zw = gzipjoin.NewWriter(flate.BestSpeed)
	}
	zw.Start()
	_, _ = zw.Write(own)
	pieces := make([]gzipjoin.Piece, 1, 3)
	pieces[0] = zw.Finish()
	defer h.writers.Put(zw)
	if rendered != nil {
		pieces = append(pieces, rendered.Text)
		if openMetrics {
			pieces[1] = rendered.OpenMetrics
		}
	}
	if openMetrics {
		pieces = append(pieces, eofPiece)
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(gzipjoin.GzipSize(pieces...)))
	if r.Method == http.MethodHead {
		return
	}
	_ = gzipjoin.WriteGzip(w, pieces...)
}

func (h *Handler) servePlain(w http.ResponseWriter, r *http.Request, own []byte, rendered *exposition.Rendered, openMetrics bool) {
	var cached gzipjoin.Piece
	if rendered != nil {
		cached = rendered.Text
		if openMetrics {
			cached = rendered.OpenMetrics
		}
	}
	size := int64(len(own)) + cached.Size
	if openMetrics {
		size += eofPiece.Size
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := w.Write(own); err != nil {
		return
	}
	if cached.Size > 0 {
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

// inflate writes the uncompressed content of p to w through a pooled
// fixed-size buffer.
func (h *Handler) inflate(w io.Writer, p gzipjoin.Piece) error {
	zr := gzipjoin.Reader(p)
	defer zr.Close()
	bp, _ := h.copies.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 64<<10)
		bp = &b
	}
	defer h.copies.Put(bp)
	_, err := io.CopyBuffer(w, zr, *bp)
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
