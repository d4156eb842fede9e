package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

// panicky is a store that panics in every transaction while broken is
// set, as a store reading a damaged page might.
type panicky struct {
	store.Store
	broken atomic.Bool
}

func (p *panicky) View(ctx context.Context, fn func(store.Tx) error) error {
	if p.broken.Load() {
		panic("bad page")
	}
	return p.Store.View(ctx, fn)
}

func (p *panicky) Update(ctx context.Context, fn func(store.Tx) error) error {
	if p.broken.Load() {
		panic("bad page")
	}
	return p.Store.Update(ctx, fn)
}

// A panic anywhere under a handler is a 500 in the client's shape, logged
// at ERROR with its stack, and the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	st := &panicky{Store: memstore.New()}
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return base }
	svc, err := org.New(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv := httptest.NewServer(New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, log))
	defer srv.Close()
	send := func(method, path, target, body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if target != "" {
			req.Header.Set("X-Amz-Target", api.TargetPrefix+"."+target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260301/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s %s: %v (the connection dropped)", method, path, target, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s %s: %d %q is not JSON", method, path, target, resp.StatusCode, raw)
		}
		return resp, out
	}
	st.broken.Store(true)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/_orgd/state", ""},
		{"GET", "/_orgd/invariants", ""},
		{"POST", "/_orgd/reset", ""},
		{"GET", "/_orgd/clock", ""},
		{"POST", "/_orgd/accounts", `{"accountId":"222222222222","email":"a@example.com","name":"A"}`},
	} {
		resp, out := send(tc.method, tc.path, "", tc.body)
		if msg, _ := out["error"].(string); resp.StatusCode != 500 || msg == "" || strings.Contains(msg, "bad page") {
			t.Errorf("%s %s: %d %v, want 500 with an admin error that does not leak the panic", tc.method, tc.path, resp.StatusCode, out)
		}
	}
	for _, op := range []string{"ListRoots", "DescribeOrganization", "CreateOrganization"} {
		resp, out := send("POST", "/", op, "{}")
		if resp.StatusCode != 500 || out["__type"] != api.ErrService || resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: %d %v, want a ServiceException", op, resp.StatusCode, out)
		}
	}
	// STS requests get STS's InternalFailure, in XML.
	req, _ := http.NewRequest("POST", srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260301/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("STS: %v (the connection dropped)", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(raw), "<Code>InternalFailure</Code>") || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("STS: %d %s, want InternalFailure", resp.StatusCode, raw)
	}
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n < 5 || !strings.Contains(out, "bad page") || !strings.Contains(out, "goroutine ") {
		t.Errorf("%d ERROR lines; want every panic with its stack at ERROR:\n%.2000s", n, out)
	}
	if strings.Contains(out, "level=INFO") {
		t.Errorf("a panic logged at INFO:\n%.2000s", out)
	}
	// The server goes on serving.
	st.broken.Store(false)
	if resp, out := send("POST", "/", "CreateOrganization", "{}"); resp.StatusCode != 200 {
		t.Fatalf("after the panics: %d %v", resp.StatusCode, out)
	}
	if resp, out := send("GET", "/_orgd/invariants", "", ""); resp.StatusCode != 200 || out["ok"] != true {
		t.Fatalf("after the panics: %d %v", resp.StatusCode, out)
	}
}

// syncBuffer is a bytes.Buffer that the server's goroutines can log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A wrong method on an admin endpoint is a 405 that says which methods
// the endpoint takes; a path no endpoint has is a 404.
func TestAdminWrongMethod(t *testing.T) {
	h := newHandler(t)
	for _, tc := range []struct {
		method, path, allow string
	}{
		{"GET", "/_orgd/reset", "POST"},
		{"PUT", "/_orgd/clock", "GET, HEAD, POST"},
		{"DELETE", "/_orgd/state", "GET, HEAD, PUT"},
		{"GET", "/_orgd/accounts", "POST"},
		{"POST", "/_orgd/health", "GET, HEAD"},
		{"POST", "/_orgd/invariants", "GET, HEAD"},
		{"GET", "/_orgd/authorize", "POST"},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", tc.method, tc.path, w.Code, w.Header().Get("Allow"), tc.allow)
		}
		checkAdminError(t, tc.method+" "+tc.path, w.Body.Bytes())
	}
	if status, out := call(t, h, "GET", "/_orgd/nothing", "", nil); status != 404 || out["error"] == nil {
		t.Errorf("unknown endpoint: %d %v", status, out)
	}
}

// checkAdminError checks the one shape of an admin error: a non-empty
// "error" string and nothing but the optional members.
func checkAdminError(t *testing.T, what string, raw []byte) {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Errorf("%s: %q is not a JSON object", what, raw)
		return
	}
	if msg, _ := out["error"].(string); msg == "" {
		t.Errorf("%s: %s has no error message", what, raw)
	}
	for k := range out {
		switch k {
		case "error", "__type", "violations", "ok", "status":
		default:
			t.Errorf("%s: unexpected member %q in %s", what, k, raw)
		}
	}
}

// Every admin error, from the fallback, the guard and each endpoint, has
// the one shape.
func TestAdminErrorShape(t *testing.T) {
	open := newHandler(t)
	guarded := func(mode identity.Mode, token string) http.Handler {
		svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return New(svc, &identity.Resolver{DefaultAccount: "123456789012", Mode: mode}, slog.New(slog.NewTextHandler(io.Discard, nil)), WithAdminToken(token))
	}
	for _, tc := range []struct {
		name         string
		h            http.Handler
		method, path string
		body         string
		status       int
	}{
		{"no such endpoint", open, "GET", "/_orgd/nothing", "", 404},
		{"wrong method", open, "GET", "/_orgd/reset", "", 405},
		{"token missing", guarded(identity.Permissive, "s3cret"), "POST", "/_orgd/reset", "", 401},
		{"strict without token", guarded(identity.Strict, ""), "GET", "/_orgd/state", "", 403},
		{"bad clock body", open, "POST", "/_orgd/clock", "{}", 400},
		{"bad account body", open, "POST", "/_orgd/accounts", "x", 400},
		{"refused account", open, "POST", "/_orgd/accounts", `{"accountId":"1","email":"a@example.com","name":"A"}`, 400},
		{"bad state document", open, "PUT", "/_orgd/state", `{"format":"nope"}`, 400},
		{"bad authorize body", open, "POST", "/_orgd/authorize", `{"nope":1}`, 400},
		{"authorize outside an organization", open, "POST", "/_orgd/authorize", `{"account":"111111111111","action":"s3:GetObject"}`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			checkAdminError(t, tc.name, w.Body.Bytes())
		})
	}
}

// POST // is the API, as POST / is, not a redirect no SDK follows.
func TestDoubleSlashIsTheAPI(t *testing.T) {
	h := newHandler(t)
	for _, p := range []string{"//", "///", "/./", "//x/.."} {
		status, out := call(t, h, http.MethodPost, p, `{}`, map[string]string{
			"Content-Type":  "application/x-amz-json-1.1",
			"X-Amz-Target":  api.TargetPrefix + ".ListRoots",
			"Authorization": "AWS4-HMAC-SHA256 Credential=111111111111/20260301/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00",
		})
		if status != 400 || out["__type"] != api.ErrAWSOrganizationsNotInUse {
			t.Errorf("POST %s: %d %v, want the API's answer", p, status, out)
		}
	}
	// The admin API keeps its own paths.
	if status, out := call(t, h, http.MethodGet, "/_orgd/health", "", nil); status != 200 {
		t.Errorf("health: %d %v", status, out)
	}
}
