package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store/memstore"
)

// base is the fixed base clock of the tests' service.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newHandler(t *testing.T) http.Handler {
	t.Helper()
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return base }
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// call sends one request and decodes the JSON answer.
func call(t *testing.T, h http.Handler, method, path, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object", method, path, w.Body.String())
	}
	return w.Code, out
}

// apiCall calls an Organizations operation as account.
func apiCall(t *testing.T, h http.Handler, account, op, body string) (int, map[string]any) {
	t.Helper()
	return call(t, h, http.MethodPost, "/", body, map[string]string{
		"Content-Type":  "application/x-amz-json-1.1",
		"X-Amz-Target":  api.TargetPrefix + "." + op,
		"Authorization": "AWS4-HMAC-SHA256 Credential=" + account + "/20260301/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00",
	})
}

func TestHealth(t *testing.T) {
	h := newHandler(t)
	status, out := call(t, h, http.MethodGet, "/_orgd/health", "", nil)
	if status != 200 || out["status"] != "ok" || out["version"] != Version {
		t.Fatalf("%d %v", status, out)
	}
	if out["time"] != float64(base.Unix()) {
		t.Fatalf("time %v, want %d", out["time"], base.Unix())
	}
}

func TestClock(t *testing.T) {
	h := newHandler(t)
	status, out := call(t, h, http.MethodGet, "/_orgd/clock", "", nil)
	if status != 200 || out["time"] != float64(base.Unix()) || out["iso"] != "2026-03-01T12:00:00Z" {
		t.Fatalf("%d %v", status, out)
	}
	status, out = call(t, h, http.MethodPost, "/_orgd/clock", `{"advanceSeconds":90.5}`, nil)
	if want := float64(base.Unix()) + 90.5; status != 200 || out["time"] != want {
		t.Fatalf("%d %v, want time %v", status, out, want)
	}
	// The clock stays where it was moved, and moves on from there.
	call(t, h, http.MethodPost, "/_orgd/clock", `{"advanceSeconds":0}`, nil)
	_, out = call(t, h, http.MethodPost, "/_orgd/clock", `{"advanceSeconds":3600}`, nil)
	if want := float64(base.Unix()) + 3690.5; out["time"] != want {
		t.Fatalf("time %v, want %v", out["time"], want)
	}
	for _, body := range []string{``, `{}`, `{"advanceSeconds":-1}`, `{"advanceSeconds":"60"}`, `60`, `{"advanceSeconds":}`} {
		if status, out := call(t, h, http.MethodPost, "/_orgd/clock", body, nil); status != 400 || out["error"] == nil {
			t.Errorf("body %q: %d %v", body, status, out)
		}
	}
	// Refused moves left the clock alone.
	if _, out := call(t, h, http.MethodGet, "/_orgd/clock", "", nil); out["time"] != float64(base.Unix())+3690.5 {
		t.Fatalf("time %v", out["time"])
	}
}

func TestRegisterAccount(t *testing.T) {
	h := newHandler(t)
	for _, tc := range []struct {
		name, body string
		status     int
		typ        string
	}{
		{"valid", `{"accountId":"111111111111","email":"boss@example.com","name":"Boss"}`, 200, ""},
		{"re-register same account", `{"accountId":"111111111111","email":"boss2@example.com","name":"Boss"}`, 200, ""},
		{"bad account ID", `{"accountId":"1111","email":"a@example.com","name":"A"}`, 400, api.ErrInvalidInput},
		{"bad email", `{"accountId":"222222222222","email":"nobody","name":"A"}`, 400, api.ErrInvalidInput},
		{"empty name", `{"accountId":"222222222222","email":"a@example.com","name":""}`, 400, api.ErrInvalidInput},
		{"email of another account", `{"accountId":"222222222222","email":"boss2@example.com","name":"A"}`, 400, api.ErrDuplicateAccount},
		{"not JSON", `accountId=1`, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call(t, h, http.MethodPost, "/_orgd/accounts", tc.body, nil)
			if status != tc.status {
				t.Fatalf("%d %v, want %d", status, out, tc.status)
			}
			if tc.typ != "" && out["__type"] != tc.typ {
				t.Fatalf("__type %v, want %s", out["__type"], tc.typ)
			}
			if status != 200 && out["error"] == nil {
				t.Fatalf("no error text: %v", out)
			}
		})
	}
	// The organization reports the registered email of its management account.
	status, out := apiCall(t, h, "111111111111", "CreateOrganization", `{}`)
	if status != 200 {
		t.Fatalf("%d %v", status, out)
	}
	if got := out["Organization"].(map[string]any)["MasterAccountEmail"]; got != "boss2@example.com" {
		t.Fatalf("MasterAccountEmail %v", got)
	}
}

func TestReset(t *testing.T) {
	h := newHandler(t)
	if status, out := apiCall(t, h, "111111111111", "CreateOrganization", `{}`); status != 200 {
		t.Fatalf("%d %v", status, out)
	}
	call(t, h, http.MethodPost, "/_orgd/clock", `{"advanceSeconds":100}`, nil)
	if status, out := call(t, h, http.MethodPost, "/_orgd/reset", "", nil); status != 200 || out["status"] != "reset" {
		t.Fatalf("%d %v", status, out)
	}
	if status, out := apiCall(t, h, "111111111111", "DescribeOrganization", `{}`); status != 400 || out["__type"] != api.ErrAWSOrganizationsNotInUse {
		t.Fatalf("after reset: %d %v", status, out)
	}
	// The clock is state too.
	if _, out := call(t, h, http.MethodGet, "/_orgd/clock", "", nil); out["time"] != float64(base.Unix()) {
		t.Fatalf("clock after reset %v", out["time"])
	}
	// The former management account is free to start again.
	if status, out := apiCall(t, h, "111111111111", "CreateOrganization", `{}`); status != 200 {
		t.Fatalf("%d %v", status, out)
	}
}

func TestRouting(t *testing.T) {
	h := newHandler(t)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/_orgd/nothing", 404},
		{http.MethodPost, "/_orgd/health/x", 404},
		{http.MethodGet, "/_orgd/reset", 405},
		{http.MethodDelete, "/_orgd/accounts", 405},
	} {
		status, out := call(t, h, tc.method, tc.path, "", nil)
		if status != tc.status || out["error"] == nil {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, status, out)
		}
	}
	// Everything else is the Organizations API.
	status, out := apiCall(t, h, "111111111111", "ListRoots", `{}`)
	if status != 400 || out["__type"] != api.ErrAWSOrganizationsNotInUse {
		t.Fatalf("%d %v", status, out)
	}
	status, out = call(t, h, http.MethodPost, "/", `{}`, map[string]string{"X-Amz-Target": api.TargetPrefix + ".ListRoots"})
	if status != 400 || out["__type"] != identity.ErrMissingAuthenticationToken {
		t.Fatalf("unsigned: %d %v", status, out)
	}
}
