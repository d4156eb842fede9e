package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/orgd/orgd/internal/sts"
	"github.com/orgd/orgd/internal/wire"
)

// recoverPanics keeps one request's panic from dropping its connection
// or the server: it logs the panic and its stack at ERROR and answers
// 500 with answer, in the shape the client reads.
func recoverPanics(next http.Handler, log *slog.Logger, answer func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // net/http's way to end a response on purpose
			}
			log.Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"target", r.Header.Get("X-Amz-Target"), "panic", p, "stack", string(debug.Stack()))
			if sw.started {
				// Part of an answer is out: ending the connection is the
				// only way left to say it failed.
				panic(http.ErrAbortHandler)
			}
			answer(w, r)
		}()
		next.ServeHTTP(sw, r)
	})
}

// internalError is the answer to a failed request: the admin API's JSON
// error under /_orgd/, a ServiceException everywhere else.
func internalError(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_orgd/") {
		writeError(w, http.StatusInternalServerError, adminError{Error: "internal error: the server failed serving this request; its log has the details"})
		return
	}
	wire.WriteServiceError(w)
}

// stsInternalError is the answer to a failed STS request.
func stsInternalError(w http.ResponseWriter, _ *http.Request) { sts.WriteInternalError(w) }

// startedWriter notes whether the answer has started.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(status int) {
	w.started = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
