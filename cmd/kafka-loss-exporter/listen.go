package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mdlayher/vsock"
	"github.com/prometheus/exporter-toolkit/web"
)

const vsockScheme = "vsock://"

// validateListenAddresses checks every --web.listen-address before anything
// starts: a host:port (or vsock://:port) with a port in 0-65535.
func validateListenAddresses(fc *web.FlagConfig) error {
	if fc.WebSystemdSocket != nil && *fc.WebSystemdSocket {
		return nil
	}
	if len(*fc.WebListenAddresses) == 0 {
		return errors.New("--web.listen-address: at least one address is required")
	}
	for _, addr := range *fc.WebListenAddresses {
		if _, err := listenPort(addr); err != nil {
			return fmt.Errorf("--web.listen-address %q: %w", addr, err)
		}
	}
	return nil
}

// listenPort returns the port of a listen address, or what is wrong with it.
func listenPort(addr string) (uint32, error) {
	hostPort := addr
	if strings.HasPrefix(addr, vsockScheme) {
		u, err := url.Parse(addr)
		if err != nil {
			return 0, errors.New("want vsock://:port with a number as port")
		}
		hostPort = u.Host
	}
	_, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		var aerr *net.AddrError
		if errors.As(err, &aerr) {
			return 0, fmt.Errorf("want host:port, %s", aerr.Err)
		}
		return 0, errors.New("want host:port")
	}
	if port == "" {
		return 0, errors.New("want host:port, the port is missing")
	}
	n, err := strconv.ParseUint(port, 10, 64)
	if err != nil {
		if strings.HasPrefix(addr, vsockScheme) {
			return 0, fmt.Errorf("port %q is not a number", port)
		}
		// A service name such as "http", looked up in /etc/services.
		p, lerr := net.LookupPort("tcp", port)
		if lerr != nil {
			return 0, fmt.Errorf("port %q is neither a number nor a known service", port)
		}
		return uint32(p), nil
	}
	if n > 65535 {
		return 0, fmt.Errorf("port %d is out of range 0-65535", n)
	}
	return uint32(n), nil
}

// listen opens the listeners of --web.listen-address, so that an address
// that cannot be bound stops the exporter before it talks to Kafka. With
// systemd socket activation it returns nil: web.ListenAndServe takes the
// inherited sockets.
func listen(fc *web.FlagConfig) ([]net.Listener, error) {
	if fc.WebSystemdSocket != nil && *fc.WebSystemdSocket {
		return nil, nil
	}
	var listeners []net.Listener
	for _, addr := range *fc.WebListenAddresses {
		var l net.Listener
		var err error
		if strings.HasPrefix(addr, vsockScheme) {
			var port uint32
			if port, err = listenPort(addr); err == nil {
				l, err = vsock.Listen(port, nil)
			}
		} else {
			l, err = net.Listen("tcp", addr)
		}
		if err != nil {
			closeAll(listeners)
			return nil, fmt.Errorf("--web.listen-address %q: %w", addr, err)
		}
		listeners = append(listeners, l)
	}
	return listeners, nil
}

// closeAll closes listeners (on a path where they are not served).
func closeAll(listeners []net.Listener) {
	for _, l := range listeners {
		l.Close()
	}
}

// serveHTTP serves server on the listeners from listen, or on the systemd
// sockets when there are none.
func serveHTTP(server *http.Server, listeners []net.Listener, fc *web.FlagConfig, logger *slog.Logger) error {
	if listeners == nil {
		return web.ListenAndServe(server, fc, logger)
	}
	return web.ServeMultiple(listeners, server, fc, logger)
}
