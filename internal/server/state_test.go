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
	"testing"
	"time"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

// newHandlerOn serves a service over st, so that a test can reach under it.
func newHandlerOn(t *testing.T, st store.Store) http.Handler {
	t.Helper()
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return base }
	svc, err := org.New(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// send sends one request and returns the status and the raw body.
func send(h http.Handler, method, path string, body []byte) (int, []byte) {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

func TestStateExportImport(t *testing.T) {
	st := memstore.New()
	h := newHandlerOn(t, st)
	mgmt := "111111111111"
	if status, out := apiCall(t, h, mgmt, "CreateOrganization", `{}`); status != 200 {
		t.Fatalf("CreateOrganization: %d %v", status, out)
	}
	_, roots := apiCall(t, h, mgmt, "ListRoots", `{}`)
	root := roots["Roots"].([]any)[0].(map[string]any)["Id"].(string)
	status, out := apiCall(t, h, mgmt, "CreateOrganizationalUnit", `{"ParentId":"`+root+`","Name":"Apps"}`)
	if status != 200 {
		t.Fatalf("CreateOrganizationalUnit: %d %v", status, out)
	}
	ouID := out["OrganizationalUnit"].(map[string]any)["Id"].(string)

	status, doc := send(h, http.MethodGet, "/_orgd/state", nil)
	if status != 200 {
		t.Fatalf("GET /_orgd/state: %d %s", status, doc)
	}
	var parsed struct {
		Format     string
		Version    int
		ExportedAt float64
		Records    []struct {
			Key   string
			Value json.RawMessage
		}
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if parsed.Format != "orgd-state" || parsed.Version != 1 || parsed.ExportedAt != float64(base.Unix()) {
		t.Fatalf("header %+v", parsed)
	}
	if !bytes.Contains(doc, []byte(`"key":"ou/`+ouID+`"`)) {
		t.Fatalf("the export lacks the OU:\n%s", doc)
	}
	if status, body := send(h, http.MethodGet, "/_orgd/invariants", nil); status != 200 || strings.TrimSpace(string(body)) != `{"ok":true}` {
		t.Fatalf("GET /_orgd/invariants: %d %s", status, body)
	}

	// A bad document is a 400 and changes nothing.
	bad := bytes.Replace(doc, []byte(`"version":1`), []byte(`"version":9`), 1)
	if status, body := send(h, http.MethodPut, "/_orgd/state", bad); status != 400 || !strings.Contains(string(body), "version 9 is not supported") {
		t.Fatalf("PUT of version 9: %d %s", status, body)
	}
	broken := bytes.Replace(doc, []byte(`"OUs":1`), []byte(`"OUs":3`), 1)
	status, body := send(h, http.MethodPut, "/_orgd/state", broken)
	var refusal struct {
		Error      string
		Violations []string
	}
	if err := json.Unmarshal(body, &refusal); err != nil || status != 400 || len(refusal.Violations) != 1 || !strings.Contains(refusal.Violations[0], "counter OUs is 3") {
		t.Fatalf("PUT of a broken state: %d %s", status, body)
	}
	if _, again := send(h, http.MethodGet, "/_orgd/state", nil); !bytes.Equal(doc, again) {
		t.Fatal("a refused import changed the state")
	}

	// Reset, import, and the organization is back as it was.
	if status, _ := call(t, h, http.MethodPost, "/_orgd/reset", "", nil); status != 200 {
		t.Fatal("reset")
	}
	if status, _ := apiCall(t, h, mgmt, "DescribeOrganization", `{}`); status == 200 {
		t.Fatal("the organization survived the reset")
	}
	if status, body := send(h, http.MethodPut, "/_orgd/state", doc); status != 200 {
		t.Fatalf("PUT /_orgd/state: %d %s", status, body)
	}
	if status, out := apiCall(t, h, mgmt, "DescribeOrganizationalUnit", `{"OrganizationalUnitId":"`+ouID+`"}`); status != 200 {
		t.Fatalf("DescribeOrganizationalUnit after import: %d %v", status, out)
	}
	if _, again := send(h, http.MethodGet, "/_orgd/state", nil); !bytes.Equal(doc, again) {
		t.Fatalf("export after import differs:\n%s\nvs\n%s", doc, again)
	}

	// A state broken under the server is reported as such.
	err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Delete("ou/" + ouID) })
	if err != nil {
		t.Fatal(err)
	}
	status, body = send(h, http.MethodGet, "/_orgd/invariants", nil)
	var report struct {
		OK         bool
		Violations []string
	}
	if err := json.Unmarshal(body, &report); err != nil || status != 500 || report.OK || len(report.Violations) == 0 {
		t.Fatalf("GET /_orgd/invariants on a broken state: %d %s", status, body)
	}
	checkAdminError(t, "GET /_orgd/invariants on a broken state", body)
}

// GET /_orgd/state leaves STS sessions out unless ?sessions=include asks
// for them; any other value is refused.
func TestStateExportSessions(t *testing.T) {
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return base }
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sess := identity.Session{AccessKeyID: "ASIASTATETEST0000001", SecretAccessKey: "state-test-secret", SessionToken: "state-test-token",
		Expiration: base.Add(time.Hour), AccountID: "111111111111", RoleName: "R", RoleARN: "arn:aws:iam::111111111111:role/R",
		SessionName: "s", Principal: "arn:aws:sts::111111111111:assumed-role/R/s", Source: "arn:aws:iam::111111111111:root"}
	if err := svc.PutSession(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		status int
		secret bool
	}{
		{"/_orgd/state", 200, false},
		{"/_orgd/state?sessions=omit", 200, false},
		{"/_orgd/state?sessions=include", 200, true},
		{"/_orgd/state?sessions=yes", 400, false},
	} {
		status, body := send(h, http.MethodGet, tc.path, nil)
		if status != tc.status {
			t.Errorf("GET %s: %d %s", tc.path, status, body)
			continue
		}
		for _, s := range []string{sess.SecretAccessKey, sess.SessionToken} {
			if got := bytes.Contains(body, []byte(s)); got != tc.secret {
				t.Errorf("GET %s: holds %q: %v, want %v", tc.path, s, got, tc.secret)
			}
		}
		if status == 400 && !strings.Contains(string(body), `"error":"sessions must be include or omit`) {
			t.Errorf("GET %s: %s", tc.path, body)
		}
	}
}
