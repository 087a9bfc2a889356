package metricshttp

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/exposition"
	"github.com/kafka-loss-exporter/kafka-loss-exporter/internal/gzipjoin"
)

// fakeCache serves fixed gzip members.
type fakeCache struct{ r *exposition.Rendered }

func (c fakeCache) Current() *exposition.Rendered { return c.r }
func (c fakeCache) FamilyNames() []string         { return []string{"kafka_brokers"} }

func gz(s string) gzipjoin.Piece { return gzipjoin.Compress([]byte(s), flate.BestSpeed) }

const (
	cachedText = "# HELP kafka_brokers Number of live brokers.\n# TYPE kafka_brokers gauge\nkafka_brokers 3\n"
	cachedOM   = "# HELP kafka_brokers Number of live brokers.\n# TYPE kafka_brokers gauge\nkafka_brokers 3\n"
)

func newTestHandler(t *testing.T, r *exposition.Rendered) (*Handler, *prometheus.Registry) {
	t.Helper()
	own := prometheus.NewRegistry()
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kafka_loss_exporter_up", Help: "Up."})
	up.Set(1)
	own.MustRegister(up)
	h, err := New(own, fakeCache{r}, promhttp.HandlerFor(own, promhttp.HandlerOpts{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h, own
}

func rendered() *exposition.Rendered {
	return &exposition.Rendered{Text: gz(cachedText), OpenMetrics: gz(cachedOM), Series: 1}
}

func scrape(t *testing.T, h http.Handler, accept, encoding string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	if cl := resp.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %s, body %d bytes", cl, len(body))
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		// One gzip member holds everything.
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		body, err = io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
	}
	return resp, string(body)
}

const (
	promAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	textAccept = "text/plain;version=0.0.4"
)

func TestServesOwnMetricsThenCachedOnes(t *testing.T) {
	h, _ := newTestHandler(t, rendered())
	for _, tc := range []struct {
		name, accept, encoding, contentType string
		eof                                 bool
	}{
		{"text gzip", textAccept, "gzip", "text/plain; version=0.0.4", false},
		{"text plain", textAccept, "", "text/plain; version=0.0.4", false},
		{"no accept", "", "", "text/plain; version=0.0.4", false},
		{"openmetrics gzip", promAccept, "gzip, deflate", "application/openmetrics-text; version=1.0.0", true},
		{"openmetrics plain", promAccept, "gzip;q=0", "application/openmetrics-text; version=1.0.0", true},
	} {
		resp, body := scrape(t, h, tc.accept, tc.encoding)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
			t.Errorf("%s: status %d content type %q", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.HasPrefix(body, "# HELP kafka_loss_exporter_up") || !strings.Contains(body, "\nkafka_brokers 3\n") {
			t.Errorf("%s: body\n%s", tc.name, body)
		}
		if n := strings.Count(body, "# EOF"); tc.eof && (n != 1 || !strings.HasSuffix(body, "# EOF\n")) || !tc.eof && n != 0 {
			t.Errorf("%s: %d EOF lines:\n%s", tc.name, n, body)
		}
		if !tc.eof {
			p := expfmt.NewTextParser(model.LegacyValidation)
			if _, err := p.TextToMetricFamilies(strings.NewReader(body)); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}
}

func TestBeforeTheFirstPollOnlyOwnMetrics(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	_, body := scrape(t, h, promAccept, "gzip")
	if !strings.Contains(body, "kafka_loss_exporter_up 1") || strings.Contains(body, "kafka_brokers") || !strings.HasSuffix(body, "# EOF\n") {
		t.Errorf("body\n%s", body)
	}
}

func TestProtobufGoesThroughTheStandardPath(t *testing.T) {
	h, _ := newTestHandler(t, rendered())
	resp, _ := scrape(t, h, "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", "")
	if !strings.Contains(resp.Header.Get("Content-Type"), "protobuf") {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
}

func TestConcurrentScrapesShareTheCache(t *testing.T) {
	h, _ := newTestHandler(t, rendered())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}
		}()
	}
	wg.Wait()
}

func TestRejectsAFamilyInBothParts(t *testing.T) {
	own := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kafka_brokers", Help: "clash"})
	own.MustRegister(g)
	if _, err := New(own, fakeCache{rendered()}, http.NotFoundHandler(), nil); err == nil {
		t.Error("a family in both parts was accepted")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false, "*": true, "identity": false, "GZIP": true} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}
