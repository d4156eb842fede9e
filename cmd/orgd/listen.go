package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// httpLimits bound what one client can hold of the server: how long it
// may take to send a request and read the answer, how long an idle
// keep-alive connection stays open, how big the headers may be, and how
// many connections are served at once.
type httpLimits struct {
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	MaxHeaderBytes int
	MaxConnections int
}

// readHeaderTimeout bounds the request line and headers, within ReadTimeout.
const readHeaderTimeout = 10 * time.Second

// httpFlags defines the flags of httpLimits on fs.
func httpFlags(fs *flag.FlagSet) *httpLimits {
	l := &httpLimits{
		ReadTimeout:    time.Minute,
		WriteTimeout:   time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
	}
	fs.Var(span{&l.ReadTimeout}, "read-timeout", "longest time a client may take to send a whole request, body included; 0 means no limit (ORGD_READ_TIMEOUT)")
	fs.Var(span{&l.WriteTimeout}, "write-timeout", "longest time from the end of a request's headers to the end of its answer; 0 means no limit (ORGD_WRITE_TIMEOUT)")
	fs.Var(span{&l.IdleTimeout}, "idle-timeout", "how long an idle keep-alive connection stays open; 0 means no limit (ORGD_IDLE_TIMEOUT)")
	fs.Var(count{&l.MaxHeaderBytes}, "max-header-bytes", "largest request line and headers, in bytes (ORGD_MAX_HEADER_BYTES)")
	fs.Var(count{&l.MaxConnections}, "max-connections", "connections served at once; more wait to be accepted; 0 means no cap (ORGD_MAX_CONNECTIONS)")
	return l
}

// newHTTPServer returns the server of h with the limits l. net/http's
// own messages (a refused TLS handshake, a failed accept) go to log at
// WARN.
func newHTTPServer(h http.Handler, l httpLimits, log *slog.Logger) *http.Server {
	header := readHeaderTimeout
	if l.ReadTimeout > 0 && l.ReadTimeout < header {
		header = l.ReadTimeout
	}
	max := l.MaxHeaderBytes
	if max == 0 {
		max = http.DefaultMaxHeaderBytes
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: header,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    max,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// listener wraps ln to serve at most l.MaxConnections connections at once.
func (l httpLimits) listener(ln net.Listener) net.Listener {
	if l.MaxConnections > 0 {
		return netutil.LimitListener(ln, l.MaxConnections)
	}
	return ln
}

// checkAdminExposure refuses to serve the admin API open to the network:
// in permissive mode without an admin token anyone who reaches the
// listening address may reset the state, replace it or move the clock.
// A loopback address, a token, strict mode (where the admin API is then
// off) or an explicit --admin-open make it safe or deliberate.
func checkAdminExposure(listen string, strict bool, adminToken string, adminOpen bool) error {
	if strict || adminToken != "" || adminOpen {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return configError{fmt.Errorf("--listen %q: %w", listen, err)}
	}
	if loopback(host) {
		return nil
	}
	return configError{errors.New("refusing to listen on " + listen + " with the admin API open: " +
		"in permissive mode without --admin-token, anyone who can reach that address can reset the state, replace it or move the clock (/_orgd/); " +
		"set --admin-token (ORGD_ADMIN_TOKEN), listen on a loopback address such as 127.0.0.1:4599, " +
		"or pass --admin-open (ORGD_ADMIN_OPEN=true) to serve it open on purpose")}
}

// loopback reports whether host names only this machine: a loopback IP,
// localhost, or a name every address of which is loopback. The empty
// host (every interface) is not.
func loopback(host string) bool {
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if host == "localhost" {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}
