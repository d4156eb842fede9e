package server

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/wire"
)

// WithMetrics makes the server count into m (whose store wrapper, if the
// service's store has it, counts transactions too); without it the server
// makes its own.
func WithMetrics(m *metrics.Metrics) Option {
	return func(o *options) { o.metrics = m }
}

// WithMetricsOpen lets requests from loopback addresses read
// /_orgd/metrics without the admin token, for a scraper on the same host;
// the admin API stays guarded.
func WithMetricsOpen(open bool) Option {
	return func(o *options) { o.metricsOpen = open }
}

// observer writes the request log and counts requests into the metrics.
type observer struct {
	log       *slog.Logger
	m         *metrics.Metrics
	strict    bool
	partition string
}

func newObserver(svc *org.Service, strict bool, log *slog.Logger, m *metrics.Metrics) *observer {
	if m == nil {
		m = metrics.New()
	}
	m.CollectState(svc)
	svc.OnSCPDecision(m.SCPDecision)
	return &observer{log: log, m: m, strict: strict, partition: svc.Config().Partition}
}

// request is the wire and STS servers' Observe: one log line and the
// counts of an answered API request. A request strict mode refused is
// logged at warn with the access key it named and why it was refused;
// never its secret, signature or session token.
func (o *observer) request(r *http.Request, x wire.Exchange) {
	o.m.Request(x.Op, x.Exception, x.Duration)
	if x.Kept {
		o.m.KeptAnswer(x.Op)
	}
	if x.Exception == api.ErrTooManyRequests {
		o.m.Throttled(x.Op)
	}
	if x.Unauthenticated && o.strict {
		key, _ := identity.CredentialScope(r)
		o.log.Warn("authentication failed", "op", x.Op, "access_key_id", key, "exception", x.Exception,
			"reason", x.Message, "status", x.Status, "request_id", x.RequestID, "remote", r.RemoteAddr)
		return
	}
	level := levelOf(x.Status)
	// Building the line costs more than most answers; skip it when the
	// level is off (bench/http and production run at warn).
	if !o.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []any{"op", x.Op, "status", x.Status, "latency", x.Duration, "request_id", x.RequestID, "remote", r.RemoteAddr}
	if x.Caller.AccountID != "" {
		attrs = append(attrs, "account", x.Caller.AccountID, "principal", identity.PrincipalOf(x.Caller, o.partition))
	}
	if x.Exception != "" {
		attrs = append(attrs, "exception", x.Exception)
	}
	o.log.Log(r.Context(), level, "request", attrs...)
}

// levelOf is the level of a request's log line: a failure inside the
// server (5xx) is an error an operator must see; anything else is info.
func levelOf(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// metricsHandler serves /_orgd/metrics behind the admin guard; with open,
// loopback callers need no token.
func (o *observer) metricsHandler(guard func(http.HandlerFunc) http.HandlerFunc, open bool) http.HandlerFunc {
	serve := o.m.Handler().ServeHTTP
	guarded := guard(serve)
	return func(w http.ResponseWriter, r *http.Request) {
		if open && loopback(r.RemoteAddr) {
			serve(w, r)
			return
		}
		guarded(w, r)
	}
}

// loopback reports whether a request's remote address is a loopback one.
func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// admin logs every call of orgd's own endpoints (/_orgd/, /moto-api/):
// at info, but health checks and scrapes, which come often, at debug.
func (o *observer) admin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_orgd/") && !strings.HasPrefix(r.URL.Path, "/moto-api/") {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		level := levelOf(sw.status)
		if level == slog.LevelInfo && r.URL.Path == "/_orgd/health" || r.URL.Path == "/_orgd/metrics" {
			level = slog.LevelDebug
		}
		o.log.Log(r.Context(), level, "admin", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"latency", time.Since(start), "remote", r.RemoteAddr)
	})
}

// statusWriter remembers the status a handler sent.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
