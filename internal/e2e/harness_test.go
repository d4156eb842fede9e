package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sdktest"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

// Accounts the tests act as. Each harness has its own store, so tests may
// reuse them freely.
const (
	mgmtID       = "111111111111"
	memberID     = "222222222222"
	standaloneID = "333333333333"
	otherID      = "444444444444"
	// defaultAccount is the account of access keys that are not account IDs.
	defaultAccount = "123456789012"
)

// harness is one orgd server on a loopback port over a fresh memory store.
type harness struct {
	URL string
	Svc *org.Service
	// requests counts the HTTP requests the server received.
	requests atomic.Int64
}

// newHarness starts a server for the test; configure may change the
// service configuration (quotas, delays, compatibility switches).
func newHarness(t testing.TB, configure ...func(*org.Config)) *harness {
	t.Helper()
	cfg := org.DefaultConfig()
	for _, c := range configure {
		c(&cfg)
	}
	return startHarness(t, cfg, &identity.Resolver{DefaultAccount: defaultAccount})
}

// startHarness serves a service with configuration cfg over a fresh memory
// store, identifying callers with resolver.
func startHarness(t testing.TB, cfg org.Config, resolver *identity.Resolver) *harness {
	t.Helper()
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{Svc: svc}
	h.serve(t, server.New(svc, resolver, testLog(t), server.WithAdminToken(adminToken)))
	return h
}

// adminToken guards every test server's admin API; h.admin sends it.
const adminToken = "e2e-admin-token"

// serve serves handler on a loopback port until the test ends, counting
// the requests in h.requests; h.URL is its address.
func (h *harness) serve(t testing.TB, handler http.Handler) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
}

// testLog is a server log for the test: discarded, or in the test's log
// at debug level with -v.
func testLog(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testWriter sends the server's log to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// client returns an SDK client that acts as accountID: the access key is
// the account ID, as orgd maps it. Retries are off so that every call is
// one request and errors surface at once.
func (h *harness) client(t testing.TB, accountID string) *organizations.Client {
	t.Helper()
	return h.clientWithKey(t, accountID, "secret-"+accountID)
}

// clientWithKey returns an SDK client signing with the given key pair.
func (h *harness) clientWithKey(t testing.TB, accessKey, secret string) *organizations.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(accessKey, secret, "")),
		config.WithRetryer(sdktest.OnlyClosedConnections),
		// Keep the developer's ~/.aws out of the tests.
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return organizations.NewFromConfig(cfg, func(o *organizations.Options) {
		o.BaseEndpoint = aws.String(h.URL)
	})
}

// ctx is the context of SDK calls: bounded, so a hung server fails the
// test instead of the whole run.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// --- admin API ----------------------------------------------------------------

// admin calls the admin API and decodes its JSON answer into out (if not
// nil). It fails the test unless the status is 200.
func (h *harness) admin(t testing.TB, method, path string, body, out any) {
	t.Helper()
	if status := h.adminStatus(t, method, path, body, out); status != http.StatusOK {
		t.Fatalf("%s %s: status %d", method, path, status)
	}
}

// adminStatus calls the admin API and returns the status.
func (h *harness) adminStatus(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, h.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, raw := do(t, req)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// do sends req and returns the response with its whole body, failing the
// test unless the round trip succeeds.
func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// clock is the admin API's answer about the server time.
type clock struct {
	Time float64 `json:"time"`
	ISO  string  `json:"iso"`
}

func (c clock) At() time.Time { return time.UnixMilli(int64(c.Time * 1000)).UTC() }

// now returns the server time.
func (h *harness) now(t testing.TB) time.Time {
	t.Helper()
	var c clock
	h.admin(t, http.MethodGet, "/_orgd/clock", nil, &c)
	return c.At()
}

// advance moves the server clock forward by d, running the work that falls
// due (account creation, closure, handshake expiry), and returns the new
// server time.
func (h *harness) advance(t testing.TB, d time.Duration) time.Time {
	t.Helper()
	var c clock
	h.admin(t, http.MethodPost, "/_orgd/clock", map[string]float64{"advanceSeconds": d.Seconds()}, &c)
	return c.At()
}

// registerAccount gives a standalone account an email and a name, so that
// it can be invited by email and shows them once it joins.
func (h *harness) registerAccount(t testing.TB, id, email, name string) {
	t.Helper()
	h.admin(t, http.MethodPost, "/_orgd/accounts", map[string]string{"accountId": id, "email": email, "name": name}, nil)
}

// reset wipes the server's state.
func (h *harness) reset(t testing.TB) {
	t.Helper()
	h.admin(t, http.MethodPost, "/_orgd/reset", nil, nil)
}

// --- callers ------------------------------------------------------------------

// world is the three kinds of caller of section 6 of the spec.
type world struct {
	Org *types.Organization
	// Mgmt is the management account's client.
	Mgmt *organizations.Client
	// Member is a member account's client; nil when the world was built
	// without members.
	Member *organizations.Client
	// Standalone belongs to no organization.
	Standalone *organizations.Client
}

// newOrg creates an organization managed by mgmt.
func (h *harness) newOrg(t testing.TB, mgmt string, fs types.OrganizationFeatureSet) *types.Organization {
	t.Helper()
	out, err := h.client(t, mgmt).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: fs})
	if err != nil {
		t.Fatalf("CreateOrganization as %s: %v", mgmt, err)
	}
	return out.Organization
}

// world creates an organization with all features managed by mgmtID.
// With withMember, memberID is invited and joins; the test is skipped
// while orgd does not serve invitations yet.
func (h *harness) world(t testing.TB, withMember bool) world {
	t.Helper()
	w := world{
		Org:        h.newOrg(t, mgmtID, types.OrganizationFeatureSetAll),
		Mgmt:       h.client(t, mgmtID),
		Standalone: h.client(t, standaloneID),
	}
	if withMember {
		h.join(t, mgmtID, memberID)
		w.Member = h.client(t, memberID)
	}
	return w
}

// join makes account a member of mgmt's organization the way AWS has an
// existing account join: an invitation that the account accepts.
func (h *harness) join(t testing.TB, mgmt, account string) {
	t.Helper()
	inv, err := h.client(t, mgmt).InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Id: aws.String(account), Type: types.HandshakePartyTypeAccount},
	})
	skipIfNotImplemented(t, err)
	if err != nil {
		t.Fatalf("InviteAccountToOrganization %s: %v", account, err)
	}
	_, err = h.client(t, account).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id})
	skipIfNotImplemented(t, err)
	if err != nil {
		t.Fatalf("AcceptHandshake as %s: %v", account, err)
	}
}

// skipIfNotImplemented skips a test that needs an operation orgd does not
// serve yet, so that tests can be written ahead of the domain.
func skipIfNotImplemented(t testing.TB, err error) {
	t.Helper()
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == api.ErrNotImplemented {
		t.Skipf("orgd does not serve this yet: %s", ae.ErrorMessage())
	}
}

// --- errors -------------------------------------------------------------------

// wantAPIError fails the test unless err is the API exception code with
// the given Reason ("" for exceptions without one, or none expected), as
// the SDK decoded it. A model exception must decode into its typed error:
// a __type the SDK cannot match would come back as a generic error.
func wantAPIError(t testing.TB, err error, code, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s(%s)", code, reason)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got %s: %s, want %s(%s)", ae.ErrorCode(), ae.ErrorMessage(), code, reason)
	}
	if ae.ErrorMessage() == "" {
		t.Errorf("%s without a message", code)
	}
	if _, model := api.Exceptions[code]; model {
		var generic *smithy.GenericAPIError
		if errors.As(err, &generic) {
			t.Fatalf("%s decoded as a generic error, not the model's type", code)
		}
	}
	if got := reasonOf(err); got != reason {
		t.Fatalf("%s Reason %q, want %q (%s)", code, got, reason, ae.ErrorMessage())
	}
}

// reasonOf returns the Reason of the exceptions that carry one.
func reasonOf(err error) string {
	var (
		ii  *types.InvalidInputException
		cv  *types.ConstraintViolationException
		hcv *types.HandshakeConstraintViolationException
		adf *types.AccessDeniedForDependencyException
	)
	switch {
	case errors.As(err, &ii):
		return string(ii.Reason)
	case errors.As(err, &cv):
		return string(cv.Reason)
	case errors.As(err, &hcv):
		return string(hcv.Reason)
	case errors.As(err, &adf):
		return string(adf.Reason)
	}
	return ""
}

// raw posts body to the API as operation op with the given headers, for
// what the SDK would never send. It returns the status, headers and body.
func (h *harness) raw(t testing.TB, op, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", api.TargetPrefix+"."+op)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, raw := do(t, req)
	var out map[string]any
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&out); err != nil {
		t.Fatalf("%s: body is not a JSON object: %v", op, err)
	}
	return resp.StatusCode, resp.Header, out
}
