package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeBroker accepts TCP connections and counts them: a bad listen address
// must stop the exporter before it ever dials Kafka.
func fakeBroker(t *testing.T) (addr string, dials *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dials = new(atomic.Int64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), dials
}

// TestBadListenAddress: a --web.listen-address that cannot be served stops
// the exporter with one line naming the flag, before any Kafka request.
// Malformed addresses are bad flags (exit 2); an address in use is found
// when listening, still before Kafka is dialled (exit 1).
func TestBadListenAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name, addr string
		code       int
		want       string
	}{
		{"port out of range", ":99999", 2, `--web.listen-address ":99999": port 99999 is out of range 0-65535`},
		{"no port", "127.0.0.1", 2, `--web.listen-address "127.0.0.1": want host:port, missing port in address`},
		{"empty port", "127.0.0.1:", 2, `--web.listen-address "127.0.0.1:": want host:port, the port is missing`},
		{"empty", "", 2, `--web.listen-address "": want host:port, missing port in address`},
		{"unknown service", ":no-such-service", 2, `--web.listen-address ":no-such-service": port "no-such-service" is neither a number nor a known service`},
		{"negative port", ":-1", 2, `port "-1" is neither`},
		{"vsock port not a number", "vsock://:x", 2, `--web.listen-address "vsock://:x": want vsock://:port with a number as port`},
		{"vsock port out of range", "vsock://:70000", 2, `--web.listen-address "vsock://:70000": port 70000 is out of range 0-65535`},
		{"too many colons", "1:2:3", 2, `--web.listen-address "1:2:3": want host:port, too many colons in address`},
		{"in use", busy.Addr().String(), 1, `--web.listen-address \"` + busy.Addr().String() + `\": listen tcp ` + busy.Addr().String() + `: bind: address already in use`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			broker, dials := fakeBroker(t)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"--kafka.server=" + broker, "--web.listen-address=" + c.addr}, &stdout, &stderr, noEnv)
			if code != c.code {
				t.Fatalf("exit status %d, want %d; stderr: %s", code, c.code, stderr.String())
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Contains(out, "\n") {
				t.Errorf("want one line, got:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("stderr %q does not contain %q", out, c.want)
			}
			if n := dials.Load(); n != 0 {
				t.Errorf("the exporter dialled Kafka %d times before failing", n)
			}
		})
	}
}

// Every good listen address form passes validation.
func TestListenPort(t *testing.T) {
	for addr, want := range map[string]uint32{":9785": 9785, "127.0.0.1:0": 0, "[::1]:65535": 65535, "localhost:http": 80, "vsock://:9100": 9100} {
		got, err := listenPort(addr)
		if err != nil || got != want {
			t.Errorf("listenPort(%q) = %d, %v; want %d", addr, got, err, want)
		}
	}
}
