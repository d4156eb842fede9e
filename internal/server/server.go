// Package server assembles orgd's HTTP handler: the Organizations API on
// POST /, STS query-protocol requests on the same endpoint, and the admin
// API under /_orgd/.
package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/console"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/memo"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sts"
	"github.com/orgd/orgd/internal/throttle"
	"github.com/orgd/orgd/internal/wire"
)

// Version is orgd's version, set at build time with -ldflags.
var Version = "dev"

// Option configures New.
type Option func(*options)

type options struct {
	adminToken  string
	limiter     *throttle.Limiter
	metrics     *metrics.Metrics
	metricsOpen bool
	lastImpact  func() ([]byte, bool)
	noMemo      bool
}

// WithoutMemo makes every read run, none answered from the answers kept
// of earlier ones (package memo); tests compare the two.
func WithoutMemo() Option {
	return func(o *options) { o.noMemo = true }
}

// WithLastImpact makes the console show the JSON report that last returns
// (false when there is none) instead of the last one POST /_orgd/impact
// made; tests use it.
func WithLastImpact(last func() ([]byte, bool)) Option {
	return func(o *options) { o.lastImpact = last }
}

// WithThrottle limits each account's calls of each operation with l, as
// AWS throttles them.
func WithThrottle(l *throttle.Limiter) Option {
	return func(o *options) { o.limiter = l }
}

// WithAdminToken makes every admin endpoint but health require the header
// "Authorization: Bearer <token>".
func WithAdminToken(token string) Option {
	return func(o *options) { o.adminToken = token }
}

// New returns the handler that serves svc.
//
// The admin API can wipe the state, move the clock and replace the whole
// state, so it is guarded: with an admin token it needs that
// token; in strict mode without one it is off (all but health), since
// strict mode is for servers only holders of credentials may use.
func New(svc *org.Service, ids *identity.Resolver, log *slog.Logger, opts ...Option) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	mux := http.NewServeMux()
	a := &admin{svc: svc}
	guard := adminGuard(o.adminToken, ids.Strict())
	mux.HandleFunc("GET /_orgd/health", a.health)
	mux.HandleFunc("POST /_orgd/reset", guard(a.reset))
	mux.HandleFunc("POST /_orgd/clock", guard(a.clock))
	mux.HandleFunc("GET /_orgd/clock", guard(a.clock))
	mux.HandleFunc("POST /_orgd/accounts", guard(a.registerAccount))
	mux.HandleFunc("GET /_orgd/state", guard(a.exportState))
	mux.HandleFunc("PUT /_orgd/state", guard(a.importState))
	mux.HandleFunc("GET /_orgd/invariants", guard(a.invariants))
	mux.HandleFunc("POST /_orgd/authorize", guard(a.authorize))
	// Operations (observe.go): the request log, metrics, and moto's reset,
	// so that suites written for moto's server mode run unchanged.
	obs := newObserver(svc, ids.Strict(), log, o.metrics)
	mux.HandleFunc("GET /_orgd/metrics", obs.metricsHandler(guard, o.metricsOpen))
	mux.HandleFunc("POST /moto-api/reset", guard(a.reset))
	// orgd impact: CloudTrail replayed against a proposed SCP/RCP change.
	imp := &impactReports{svc: svc, log: log}
	mux.HandleFunc("POST /_orgd/impact", guard(imp.replay))
	mux.HandleFunc("GET /_orgd/impact", guard(imp.report))
	// The web console, behind the admin guard, which also lets in the
	// sessions its sign-in page opens with the admin token.
	if o.lastImpact == nil {
		o.lastImpact = imp.lastReport
	}
	cons := console.New(svc, console.Config{Token: o.adminToken, DefaultAccount: ids.DefaultAccount, LastImpact: o.lastImpact, Log: log})
	consoleGuard := guardWith(o.adminToken, ids.Strict(), cons.SignedIn, cons.Refuse)
	mux.HandleFunc("/_orgd/console/signin", cons.SignIn)
	mux.HandleFunc("GET /_orgd/console/static/", cons.ServeHTTP) // the sign-in page's style and script
	mux.HandleFunc("/_orgd/console/", consoleGuard(cons.ServeHTTP))
	mux.Handle("GET /_orgd/console", http.RedirectHandler(console.Prefix, http.StatusMovedPermanently))
	mux.HandleFunc("/_orgd/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, adminError{Error: r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allow, " or ")})
			return
		}
		writeError(w, http.StatusNotFound, adminError{Error: "no such admin endpoint: " + r.Method + " " + r.URL.Path})
	})
	// STS shares the endpoint: identity needs the server clock and the
	// sessions STS stores.
	ids = ids.With(svc.Now, svc)
	orgs := &wire.Server{Handler: svc, Identify: ids.Identify, Log: log, Observe: obs.request}
	// Answers are kept only over a store that numbers its states, which
	// one that several servers share (PostgreSQL) does not.
	if _, ok := svc.StateVersion(); ok && !o.noMemo {
		orgs.Memo = memo.New(svc.StateVersion, svc.Config().Now)
	}
	if o.limiter != nil {
		orgs.Allow = o.limiter.Allow
	}
	tokens := &sts.Handler{Service: svc, Partition: svc.Config().Partition, Log: log, KeyAccount: ids.AccountOfKey,
		Federation: ids.Credentials.Federation(), Strict: ids.Strict(), Observe: obs.request,
		Identify: func(r *http.Request) (identity.Caller, error) { return ids.IdentifyService(r, identity.ServiceSTS) }}
	stsHandler := recoverPanics(tokens, log, stsInternalError)
	apiHandler := func(w http.ResponseWriter, r *http.Request) {
		if sts.Match(r) {
			stsHandler.ServeHTTP(w, r)
			return
		}
		if ids.Strict() {
			// Signatures are checked against the server clock; SDKs
			// correct their skew from Date.
			if now, err := svc.Now(r.Context()); err == nil {
				w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
			}
		}
		orgs.ServeHTTP(w, r)
	}
	mux.HandleFunc("/", apiHandler)
	return recoverPanics(obs.admin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// POST /, every API call, is the mux's "/" and already clean:
		// it needs neither the mux's matching nor cleanPath.
		if r.URL.Path == "/" {
			apiHandler(w, r)
			return
		}
		// The mux would redirect a path such as "//" to its clean form,
		// which no SDK follows for a POST: outside the admin API every
		// path is the API's.
		if p := cleanPath(r.URL.Path); p != r.URL.Path && !strings.HasPrefix(p, "/_orgd/") {
			apiHandler(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})), log, internalError)
}

// cleanPath is p as ServeMux cleans it: no empty, . or .. elements, and
// a trailing slash kept.
func cleanPath(p string) string {
	np := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// allowedMethods returns the methods mux serves r's path with, for the
// Allow header of a 405: the methods that reach another handler than
// the admin API's fallback.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "/_orgd/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

type admin struct{ svc *org.Service }

// adminGuard returns the wrapper that lets a request reach an admin
// endpoint: any request when there is no token and the server is not
// strict; with a token, those that carry it; in strict mode without a
// token, none.
func adminGuard(token string, strict bool) func(http.HandlerFunc) http.HandlerFunc {
	return guardWith(token, strict, nil, func(w http.ResponseWriter, _ *http.Request, status int, msg string) {
		writeError(w, status, adminError{Error: msg})
	})
}

// guardWith is adminGuard that also lets in, with a token, the requests
// signedIn accepts (nil: none), and refuses with refuse.
func guardWith(token string, strict bool, signedIn func(*http.Request) bool, refuse func(w http.ResponseWriter, r *http.Request, status int, msg string)) func(http.HandlerFunc) http.HandlerFunc {
	return func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch {
			case token != "":
				got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
				if ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
					break
				}
				if signedIn != nil && signedIn(r) {
					break
				}
				refuse(w, r, http.StatusUnauthorized, "the admin API needs the header Authorization: Bearer <admin token>")
				return
			case strict:
				refuse(w, r, http.StatusForbidden, "the admin API is off in strict mode; start orgd with --admin-token to use it")
				return
			}
			next(w, r)
		}
	}
}

func (a *admin) health(w http.ResponseWriter, r *http.Request) {
	now, err := a.svc.Now(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, struct {
			Status string `json:"status"`
			adminError
		}{"unavailable", adminError{Error: err.Error()}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": Version, "time": unix(now)})
}

func (a *admin) reset(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.Reset(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

// clock answers the server time; a POST with {"advanceSeconds": N} first
// moves it forward by N seconds and runs the work that falls due.
func (a *admin) clock(w http.ResponseWriter, r *http.Request) {
	var now time.Time
	var err error
	if r.Method == http.MethodPost {
		var req struct {
			AdvanceSeconds *float64 `json:"advanceSeconds"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.AdvanceSeconds == nil || *req.AdvanceSeconds < 0 {
			writeError(w, http.StatusBadRequest, adminError{Error: `body must be {"advanceSeconds": N} with N >= 0`})
			return
		}
		now, err = a.svc.AdvanceClock(r.Context(), time.Duration(*req.AdvanceSeconds*float64(time.Second)))
	} else {
		now, err = a.svc.Now(r.Context())
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"time": unix(now), "iso": now.Format(time.RFC3339Nano)})
}

// registerAccount registers a standalone account's email and name, and
// with "govCloud" associates it with a GovCloud account or ends that
// association; either part may come alone.
func (a *admin) registerAccount(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccountID string `json:"accountId"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		GovCloud  *bool  `json:"govCloud"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, adminError{Error: "body must be {\"accountId\", \"email\", \"name\"} and/or {\"accountId\", \"govCloud\"}"})
		return
	}
	out := map[string]any{"accountId": req.AccountID, "email": req.Email, "name": req.Name}
	var err error
	if req.GovCloud == nil || req.Email != "" || req.Name != "" {
		err = a.svc.RegisterAccount(r.Context(), req.AccountID, req.Email, req.Name)
	}
	if err == nil && req.GovCloud != nil {
		var gov string
		gov, err = a.svc.SetGovCloud(r.Context(), req.AccountID, *req.GovCloud)
		out["govCloud"], out["govCloudAccountId"] = *req.GovCloud, gov
	}
	if err != nil {
		var e *api.Error
		if errors.As(err, &e) {
			writeError(w, http.StatusBadRequest, adminError{Error: e.Message, Type: e.Type})
			return
		}
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func unix(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// adminError is the one shape of every admin API error: what went
// wrong, and where they apply the AWS exception type and the invariant
// violations found.
type adminError struct {
	Error      string   `json:"error"`
	Type       string   `json:"__type,omitempty"`
	Violations []string `json:"violations,omitempty"`
}

func writeError(w http.ResponseWriter, status int, e adminError) { writeJSON(w, status, e) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
