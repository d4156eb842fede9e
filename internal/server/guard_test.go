package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store/memstore"
)

func TestAdminGuard(t *testing.T) {
	build := func(t *testing.T, mode identity.Mode, token string) http.Handler {
		svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		ids := &identity.Resolver{DefaultAccount: "123456789012", Mode: mode}
		return New(svc, ids, slog.New(slog.NewTextHandler(io.Discard, nil)), WithAdminToken(token))
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	for _, tc := range []struct {
		name   string
		mode   identity.Mode
		token  string
		header map[string]string
		want   int
	}{
		{"permissive, no token: open", identity.Permissive, "", nil, http.StatusOK},
		{"token required, none sent", identity.Permissive, "s3cret", nil, http.StatusUnauthorized},
		{"token required, wrong one", identity.Permissive, "s3cret", bearer("guess"), http.StatusUnauthorized},
		{"token required, not bearer", identity.Permissive, "s3cret", map[string]string{"Authorization": "s3cret"}, http.StatusUnauthorized},
		{"token required, right one", identity.Permissive, "s3cret", bearer("s3cret"), http.StatusOK},
		{"strict without a token: off", identity.Strict, "", bearer("anything"), http.StatusForbidden},
		{"strict with a token", identity.Strict, "s3cret", bearer("s3cret"), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := build(t, tc.mode, tc.token)
			for _, ep := range []struct{ method, path, body string }{
				{"GET", "/_orgd/clock", ""},
				{"POST", "/_orgd/clock", `{"advanceSeconds": 1}`},
				{"POST", "/_orgd/reset", ""},
				{"POST", "/moto-api/reset", ""},
				{"GET", "/_orgd/state", ""},
				{"GET", "/_orgd/invariants", ""},
			} {
				if code, body := call(t, h, ep.method, ep.path, ep.body, tc.header); code != tc.want {
					t.Errorf("%s %s: %d %v, want %d", ep.method, ep.path, code, body, tc.want)
				}
			}
			// Health answers everyone: load balancers and scripts wait on it.
			if code, _ := call(t, h, "GET", "/_orgd/health", "", nil); code != http.StatusOK {
				t.Errorf("health: %d", code)
			}
		})
	}
}
