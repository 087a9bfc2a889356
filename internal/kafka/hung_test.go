package kafka

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// freezer is a TCP proxy in front of one broker that can stop forwarding,
// like a broker process stopped with SIGSTOP: connections are still
// accepted and requests buffered, but nothing is answered until it resumes.
type freezer struct {
	l       net.Listener
	backend string
	mu      sync.Mutex
	frozen  bool
	thaw    chan struct{}
	conns   []net.Conn
}

func newFreezer(t *testing.T, backend string) *freezer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{l: l, backend: backend, thaw: make(chan struct{})}
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *freezer) addr() string { return f.l.Addr().String() }

func (f *freezer) accept() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", f.backend)
		if err != nil {
			_ = c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, b)
		f.mu.Unlock()
		go f.pipe(b, c)
		go f.pipe(c, b)
	}
}

// pipe copies src to dst, holding every chunk while frozen.
func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			_ = dst.Close()
			return
		}
	}
}

func (f *freezer) wait() {
	f.mu.Lock()
	frozen, thaw := f.frozen, f.thaw
	f.mu.Unlock()
	if frozen {
		<-thaw
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = true
}

func (f *freezer) resume() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		f.frozen = false
		close(f.thaw)
		f.thaw = make(chan struct{})
	}
}

func (f *freezer) close() {
	f.resume()
	_ = f.l.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
}

// hungCluster is three sarama mock brokers, each behind a freezer that the
// cluster's Metadata advertises.
// shutdown closes the client, the freezers and the brokers.
func hungCluster(t *testing.T) (fronts []*freezer, c *Client, shutdown func()) {
	t.Helper()
	var mocks []*sarama.MockBroker
	for id := int32(1); id <= 3; id++ {
		m := sarama.NewMockBroker(t, id)
		mocks = append(mocks, m)
		fronts = append(fronts, newFreezer(t, m.Addr()))
	}
	for _, m := range mocks {
		md := sarama.NewMockMetadataResponse(t).SetController(1)
		for i, f := range fronts {
			md.SetBroker(f.addr(), int32(i+1))
		}
		m.SetHandlerByMap(map[string]sarama.MockResponse{
			"MetadataRequest":    md,
			"ListGroupsRequest":  sarama.NewMockListGroupsResponse(t),
			"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t),
		})
	}
	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.ApiVersionsRequest = false
	conf.Net.DialTimeout = time.Second
	conf.Net.ReadTimeout = time.Second
	conf.Net.WriteTimeout = time.Second
	c = NewClient(conf, []string{fronts[0].addr()}, nil)
	var once sync.Once
	shutdown = func() {
		once.Do(func() {
			_ = c.Close()
			for i := range fronts {
				fronts[i].close()
				mocks[i].Close()
			}
		})
	}
	t.Cleanup(shutdown)
	return fronts, c, shutdown
}

func listGroups(ctx context.Context, c *Client, id int32) error {
	_, err := OnBroker(ctx, c, id, APIListGroups, func(b *sarama.Broker) (*sarama.ListGroupsResponse, error) {
		return b.ListGroups(&sarama.ListGroupsRequest{})
	})
	return err
}

// waitUntil polls cond every 10 ms until it holds or 10 s have passed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHungBrokerCostsOneTimeout: a broker that stops answering while it
// keeps accepting (SIGSTOP) makes one request time out; later requests to
// it fail at once without being sent, the other brokers answer as usual, it
// is reported unresponsive, and a probe finds it again once it answers.
// Nothing leaks.
func TestHungBrokerCostsOneTimeout(t *testing.T) {
	before := runtime.NumGoroutine()
	fronts, c, shutdown := hungCluster(t)
	ctx := context.Background()
	if _, err := c.Metadata(ctx); err != nil {
		t.Fatal(err)
	}
	fronts[1].freeze()

	err := listGroups(ctx, c, 2)
	if !isTimeout(err) || Reason(err) != ReasonTimeout {
		t.Fatalf("request to the frozen broker: %v, want a timeout", err)
	}
	if c.Responding(2) || len(c.Unresponsive()) != 1 {
		t.Fatalf("broker 2 responding %v, unresponsive %v after a timeout", c.Responding(2), c.Unresponsive())
	}
	sent := c.Requests.Total(APIListGroups)
	err = listGroups(ctx, c, 2)
	var uerr *UnresponsiveError
	if !errors.As(err, &uerr) || uerr.Broker != 2 || Reason(err) != ReasonTimeout {
		t.Fatalf("second request to the frozen broker: %v, want an UnresponsiveError", err)
	}
	if got := c.Requests.Total(APIListGroups); got != sent {
		t.Fatalf("a request to the unresponsive broker was sent (%d -> %d)", sent, got)
	}
	for _, id := range []int32{1, 3} {
		if err := listGroups(ctx, c, id); err != nil {
			t.Fatalf("healthy broker %d: %v", id, err)
		}
	}
	// The timed-out request's duration is observed when its abandoned
	// exchange ends (sarama's own read timeout), which may be after the
	// caller gave up.
	waitUntil(t, "the timed-out ListGroups to broker 2 timed once", func() bool {
		return c.Requests.DurationCount(2, APIListGroups) == 1
	})

	fronts[1].resume()
	waitUntil(t, "broker 2 answers the probe", func() bool { return c.Responding(2) })
	if err := listGroups(ctx, c, 2); err != nil {
		t.Fatalf("broker 2 after resuming: %v", err)
	}
	if c.Requests.Total(APIApiVersions) == 0 {
		t.Fatal("no probe was sent")
	}

	shutdown()
	waitUntil(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before+2 })
}

// TestMetadataHedgedAroundHungBroker: when the broker that answered the last
// Metadata hangs, the next Metadata is answered by another broker well
// before the request timeout.
func TestMetadataHedgedAroundHungBroker(t *testing.T) {
	fronts, c, _ := hungCluster(t)
	ctx := context.Background()
	for range 2 {
		if _, err := c.Metadata(ctx); err != nil {
			t.Fatal(err)
		}
	}
	from := c.MetadataFrom()
	if from < 1 {
		t.Fatalf("Metadata came from %d, want a known broker", from)
	}
	fronts[from-1].freeze()
	defer fronts[from-1].resume()
	start := time.Now()
	if _, err := c.Metadata(ctx); err != nil {
		t.Fatalf("Metadata with broker %d frozen: %v", from, err)
	}
	// Not a speed target: without hedging the call waits the full
	// request timeout (1 s) for the frozen broker.
	if took := time.Since(start); took >= c.requestTimeout() {
		t.Errorf("Metadata took %s, the request timeout", took)
	}
	if got := c.MetadataFrom(); got == from {
		t.Errorf("Metadata still came from the frozen broker %d", from)
	}
	if n := c.Requests.Total(APIMetadata); n != 4 {
		t.Errorf("Metadata requests %d, want 4 (2 + the frozen one + its hedge)", n)
	}
}

// TestHungBrokerKmsg: franz-go requests get the same deadline and
// responsiveness tracking.
func TestHungBrokerKmsg(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	front := newFreezer(t, fake.ListenAddrs()[0])
	m := sarama.NewMockBroker(t, 1)
	defer m.Close()
	m.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest": sarama.NewMockMetadataResponse(t).SetController(1).SetBroker(front.addr(), 1),
	})
	conf := sarama.NewConfig()
	conf.Version = sarama.V3_6_0_0
	conf.ApiVersionsRequest = false
	conf.Net.DialTimeout, conf.Net.ReadTimeout, conf.Net.WriteTimeout = time.Second, time.Second, time.Second
	c := NewClient(conf, []string{m.Addr()}, nil)
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Metadata(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OnBrokerKmsg(ctx, 1, kmsg.NewPtrListGroupsRequest()); err != nil {
		t.Fatalf("before freezing: %v", err)
	}
	front.freeze()
	if _, err := c.OnBrokerKmsg(ctx, 1, kmsg.NewPtrListGroupsRequest()); !isTimeout(err) {
		t.Fatalf("frozen: %v, want a timeout", err)
	}
	var uerr *UnresponsiveError
	if _, err := c.OnBrokerKmsg(ctx, 1, kmsg.NewPtrListGroupsRequest()); !errors.As(err, &uerr) {
		t.Fatalf("frozen, second request: %v, want an UnresponsiveError", err)
	}
	if n := c.Requests.DurationCount(1, "ListGroups"); n != 2 {
		t.Errorf("ListGroups to broker 1 timed %d times, want 2", n)
	}
	front.resume()
	waitUntil(t, "broker 1 answers the probe", func() bool { return c.Responding(1) })
	if _, err := c.OnBrokerKmsg(ctx, 1, kmsg.NewPtrListGroupsRequest()); err != nil {
		t.Fatalf("after resuming: %v", err)
	}
}
