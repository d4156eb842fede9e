package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
	"github.com/orgd/orgd/internal/throttle"
)

// scrape reads /_orgd/metrics and returns each sample by its name and
// labels as the text format writes them, e.g.
// orgd_requests_total{operation="ListRoots",outcome="ok"}.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/_orgd/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("metrics: %d %s", w.Code, w.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetrics(t *testing.T) {
	m := metrics.New()
	svc, err := org.New(context.Background(), m.Store(memstore.New()), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.OnConflictRetry(nil) })
	h := New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil)),
		WithMetrics(m), WithThrottle(throttle.New()))
	const mgmt, member, other = "111111111111", "222222222222", "333333333333"
	must := func(account, op, body string) map[string]any {
		t.Helper()
		status, out := apiCall(t, h, account, op, body)
		if status != 200 {
			t.Fatalf("%s as %s: %d %v", op, account, status, out)
		}
		return out
	}

	before := scrape(t, h)
	for _, name := range []string{"go_goroutines", "orgd_organizations", "orgd_accounts", "orgd_migrations_in_progress",
		`orgd_open_handshakes{action="INVITE"}`, "orgd_store_serialization_retries_total"} {
		if _, ok := before[name]; !ok {
			t.Errorf("no %s before any request", name)
		}
	}
	if before["orgd_organizations"] != 0 || before[`orgd_open_handshakes{action="INVITE"}`] != 0 {
		t.Fatalf("an empty server counts %v organizations", before["orgd_organizations"])
	}

	if status, _ := apiCall(t, h, "444444444444", "DescribeOrganization", `{}`); status != 400 {
		t.Fatalf("DescribeOrganization outside an organization: %d", status)
	}
	must(mgmt, "CreateOrganization", `{}`)
	root := must(mgmt, "ListRoots", `{}`)["Roots"].([]any)[0].(map[string]any)["Id"].(string)
	must(mgmt, "ListRoots", `{}`) // answered from the answer kept of the first
	hs := must(mgmt, "InviteAccountToOrganization", `{"Target":{"Id":"`+member+`","Type":"ACCOUNT"}}`)["Handshake"].(map[string]any)["Id"].(string)
	s := scrape(t, h)
	for name, want := range map[string]float64{
		`orgd_requests_total{operation="CreateOrganization",outcome="ok"}`:                                  1,
		`orgd_requests_total{operation="DescribeOrganization",outcome="AWSOrganizationsNotInUseException"}`: 1,
		`orgd_request_duration_seconds_count{operation="CreateOrganization"}`:                               1,
		`orgd_requests_total{operation="ListRoots",outcome="ok"}`:                                           2,
		`orgd_kept_answers_total{operation="ListRoots"}`:                                                    1,
		"orgd_organizations":                                 1,
		"orgd_accounts":                                      1,
		`orgd_open_handshakes{action="INVITE"}`:              1,
		`orgd_open_handshakes{action="ENABLE_ALL_FEATURES"}`: 0,
	} {
		if s[name] != want {
			t.Errorf("%s = %v, want %v", name, s[name], want)
		}
	}
	if s[`orgd_store_transaction_duration_seconds_count{kind="update"}`] <= before[`orgd_store_transaction_duration_seconds_count{kind="update"}`] {
		t.Errorf("store updates not counted: %v", s[`orgd_store_transaction_duration_seconds_count{kind="update"}`])
	}

	// The member joins; SCPs decide its calls.
	must(member, "AcceptHandshake", `{"HandshakeId":"`+hs+`"}`)
	must(member, "DescribeOrganization", `{}`)
	p := must(mgmt, "CreatePolicy", `{"Name":"deny-describe","Description":"d","Type":"SERVICE_CONTROL_POLICY","Content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"organizations:DescribeOrganization\",\"Resource\":\"*\"}]}"}`)
	must(mgmt, "AttachPolicy", `{"PolicyId":"`+p["Policy"].(map[string]any)["PolicySummary"].(map[string]any)["Id"].(string)+`","TargetId":"`+root+`"}`)
	if status, out := apiCall(t, h, member, "DescribeOrganization", `{}`); status != 400 || out["__type"] != api.ErrAccessDenied {
		t.Fatalf("denied DescribeOrganization: %d %v", status, out)
	}
	// Another organization starts migrating to all features.
	must(other, "CreateOrganization", `{"FeatureSet":"CONSOLIDATED_BILLING"}`)
	must(other, "EnableAllFeatures", `{}`)
	// CreateOrganization's burst is 1: the next call in a row is throttled.
	if status, out := apiCall(t, h, other, "CreateOrganization", `{}`); status != 400 || out["__type"] != api.ErrTooManyRequests {
		t.Fatalf("second CreateOrganization: %d %v", status, out)
	}
	store.ConflictRetried() // what pgstore calls when it runs a transaction again

	s = scrape(t, h)
	for name, want := range map[string]float64{
		"orgd_organizations":                                                                     2,
		"orgd_accounts":                                                                          3,
		`orgd_open_handshakes{action="INVITE"}`:                                                  0,
		`orgd_open_handshakes{action="ENABLE_ALL_FEATURES"}`:                                     1,
		"orgd_migrations_in_progress":                                                            1,
		`orgd_scp_decisions_total{result="ALLOWED"}`:                                             1,
		`orgd_scp_decisions_total{result="EXPLICIT_DENY"}`:                                       1,
		`orgd_throttled_requests_total{operation="CreateOrganization"}`:                          1,
		`orgd_requests_total{operation="CreateOrganization",outcome="TooManyRequestsException"}`: 1,
		`orgd_requests_total{operation="DescribeOrganization",outcome="AccessDeniedException"}`:  1,
		"orgd_store_serialization_retries_total":                                                 1,
	} {
		if s[name] != want {
			t.Errorf("%s = %v, want %v", name, s[name], want)
		}
	}
}

func TestMetricsGuard(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   identity.Mode
		token  string
		open   bool
		remote string
		header string
		want   int
	}{
		{"permissive, no token: open", identity.Permissive, "", false, "192.0.2.1:1234", "", 200},
		{"token, none sent", identity.Permissive, "s3cret", false, "192.0.2.1:1234", "", 401},
		{"token, none sent from loopback", identity.Permissive, "s3cret", false, "127.0.0.1:1234", "", 401},
		{"token sent", identity.Permissive, "s3cret", false, "192.0.2.1:1234", "Bearer s3cret", 200},
		{"open: loopback without token", identity.Permissive, "s3cret", true, "127.0.0.1:1234", "", 200},
		{"open: IPv6 loopback", identity.Permissive, "s3cret", true, "[::1]:1234", "", 200},
		{"open: another host still needs the token", identity.Permissive, "s3cret", true, "192.0.2.1:1234", "", 401},
		{"open: a wrong token from afar", identity.Permissive, "s3cret", true, "10.0.0.1:1234", "Bearer guess", 401},
		{"strict without token: off", identity.Strict, "", false, "127.0.0.1:1234", "", 403},
		{"strict, open: loopback", identity.Strict, "", true, "127.0.0.1:1234", "", 200},
		{"strict, open: another host", identity.Strict, "", true, "192.0.2.1:1234", "", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			h := New(svc, &identity.Resolver{DefaultAccount: "123456789012", Mode: tc.mode}, slog.New(slog.NewTextHandler(io.Discard, nil)),
				WithAdminToken(tc.token), WithMetricsOpen(tc.open))
			r := httptest.NewRequest(http.MethodGet, "/_orgd/metrics", nil)
			r.RemoteAddr = tc.remote
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == 200 && !strings.Contains(w.Body.String(), "orgd_organizations 0") {
				t.Fatalf("no metrics: %s", w.Body)
			}
			// --metrics-open opens nothing else.
			r = httptest.NewRequest(http.MethodGet, "/_orgd/state", nil)
			r.RemoteAddr = tc.remote
			w = httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tc.token != "" || tc.mode == identity.Strict {
				if w.Code == 200 {
					t.Fatalf("the state was served without the token")
				}
			}
		})
	}
}

// logLines decodes the JSON lines a test logger wrote.
func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	b.Reset()
	return out
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, log)

	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", api.TargetPrefix+".CreateOrganization")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260301/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00")
	r.RemoteAddr = "192.0.2.7:5555"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	lines := logLines(t, &buf)
	if len(lines) != 1 {
		t.Fatalf("%d lines for one request: %v", len(lines), lines)
	}
	l := lines[0]
	for k, want := range map[string]any{
		"level": "INFO", "msg": "request", "op": "CreateOrganization", "account": "111111111111",
		"principal": "arn:aws:iam::111111111111:root", "status": float64(200), "remote": "192.0.2.7:5555",
		"request_id": w.Header().Get("x-amzn-RequestId"),
	} {
		if l[k] != want {
			t.Errorf("%s = %v, want %v", k, l[k], want)
		}
	}
	if _, ok := l["latency"]; !ok || l["exception"] != nil {
		t.Errorf("latency %v, exception %v", l["latency"], l["exception"])
	}

	apiCall(t, h, "111111111111", "CreateOrganization", `{}`)
	if l := logLines(t, &buf)[0]; l["exception"] != api.ErrAlreadyInOrganization || l["status"] != float64(400) {
		t.Errorf("failed request logged as %v", l)
	}

	// Admin calls: one line each; health only at debug.
	call(t, h, http.MethodGet, "/_orgd/health", "", nil)
	call(t, h, http.MethodPost, "/_orgd/clock", `{"advanceSeconds": 1}`, nil)
	call(t, h, http.MethodPost, "/_orgd/reset", "", nil)
	call(t, h, http.MethodPost, "/moto-api/reset", "", nil)
	lines = logLines(t, &buf)
	var got []string
	for _, l := range lines {
		got = append(got, l["msg"].(string)+" "+l["method"].(string)+" "+l["path"].(string)+" "+strconv.Itoa(int(l["status"].(float64))))
	}
	if want := []string{"admin POST /_orgd/clock 200", "admin POST /_orgd/reset 200", "admin POST /moto-api/reset 200"}; strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("admin lines %q, want %q", got, want)
	}
}

func TestRequestLogStrictAuthFailure(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return base }
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	const key, secret = "AKIAORGDLOGTEST00001", "log-test-secret-key"
	creds, err := identity.NewCredentials(identity.Credential{AccessKeyID: key, SecretAccessKey: secret, AccountID: "111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	h := New(svc, &identity.Resolver{Mode: identity.Strict, Credentials: creds}, log)
	const signature = "deadbeefcafe0123456789"
	for _, tc := range []struct{ name, target, auth, token, exception string }{
		{"bad signature", api.TargetPrefix + ".ListRoots",
			"AWS4-HMAC-SHA256 Credential=" + key + "/20260301/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + signature, "", identity.ErrInvalidSignature},
		{"unknown session key", api.TargetPrefix + ".ListRoots",
			"AWS4-HMAC-SHA256 Credential=ASIAUNKNOWNKEY000001/20260301/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target, Signature=" + signature, "session-token-never-logged", identity.ErrUnrecognizedClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
			r.Header.Set("X-Amz-Target", tc.target)
			r.Header.Set("Authorization", tc.auth)
			r.Header.Set("X-Amz-Date", "20260301T120000Z")
			if tc.token != "" {
				r.Header.Set("X-Amz-Security-Token", tc.token)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			raw := buf.String()
			lines := logLines(t, &buf)
			if len(lines) != 1 {
				t.Fatalf("lines %v", lines)
			}
			l := lines[0]
			wantKey, _ := identity.CredentialScope(r)
			if l["level"] != "WARN" || l["msg"] != "authentication failed" || l["access_key_id"] != wantKey || l["exception"] != tc.exception || l["reason"] == "" {
				t.Fatalf("logged %v", l)
			}
			for _, never := range []string{secret, signature, "session-token-never-logged"} {
				if strings.Contains(raw, never) {
					t.Fatalf("the log has %q: %s", never, raw)
				}
			}
		})
	}
}

func TestMotoReset(t *testing.T) {
	h := newHandler(t)
	if status, out := apiCall(t, h, "111111111111", "CreateOrganization", `{}`); status != 200 {
		t.Fatalf("%d %v", status, out)
	}
	if status, out := call(t, h, http.MethodPost, "/moto-api/reset", "", nil); status != 200 {
		t.Fatalf("%d %v", status, out)
	}
	if status, out := apiCall(t, h, "111111111111", "DescribeOrganization", `{}`); status != 400 || out["__type"] != api.ErrAWSOrganizationsNotInUse {
		t.Fatalf("after reset: %d %v", status, out)
	}
}
