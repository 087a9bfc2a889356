package kafka

import (
	"context"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// blackHole accepts TCP connections and never answers; Close closes them.
type blackHole struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newBlackHole(t *testing.T) *blackHole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(h.Close)
	return h
}

func (h *blackHole) Addr() string { return h.l.Addr().String() }

func (h *blackHole) Close() {
	_ = h.l.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		_ = c.Close()
	}
	h.conns = nil
}

// TestBlackHoleSeedIsTriedLast: a bootstrap server that accepts connections
// but never answers costs at most one failed Metadata, after which it is
// tried last, so the next poll reaches the good seed even when the poll's
// time is shorter than the request timeout. Nothing leaks.
func TestBlackHoleSeedIsTriedLast(t *testing.T) {
	before := runtime.NumGoroutine()
	hole := newBlackHole(t)
	good := sarama.NewMockBroker(t, 1)
	good.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest": sarama.NewMockMetadataResponse(t).SetBroker(good.Addr(), 1).SetController(1),
	})

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.ApiVersionsRequest = false
	conf.Net.DialTimeout = 5 * time.Second
	conf.Net.ReadTimeout = 5 * time.Second
	client := NewClient(conf, []string{hole.Addr(), good.Addr()}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	start := time.Now()
	_, err := client.Metadata(ctx)
	took := time.Since(start)
	cancel()
	// Not a performance assertion: the call must end with its context, not
	// with the 5 s request timeout of the connection it abandons.
	if took > 3*time.Second {
		t.Errorf("Metadata returned %s after its 300ms context ended", took)
	}
	if err == nil {
		t.Fatal("the first Metadata should have spent its time on the black hole")
	}
	if got := Reason(err); got != ReasonTimeout {
		t.Errorf("reason %q, want timeout (%v)", got, err)
	}

	// The seed order is now good first; forget the broker learnt from
	// the metadata so that only the seeds are tried.
	client.SetBrokers(nil)
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	resp, err := client.Metadata(ctx)
	cancel()
	if err != nil {
		t.Fatalf("the second Metadata should reach the good seed first: %v", err)
	}
	if len(resp.Brokers) != 1 {
		t.Fatalf("brokers %v", resp.Brokers)
	}
	if order := client.seedOrder(); order[0] != good.Addr() {
		t.Fatalf("seed order %v, want the good seed first", order)
	}

	_ = client.Close()
	hole.Close()
	good.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after close\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
