package e2e

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/wire"
)

// A request without SigV4 credentials is refused before anything else.
func TestUnsignedRequestRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	status, header, body := h.raw(t, "ListRoots", "{}", nil)
	if status != http.StatusBadRequest || body["__type"] != identity.ErrMissingAuthenticationToken {
		t.Fatalf("got %d %v", status, body)
	}
	if header.Get("x-amzn-RequestId") == "" || header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("headers %v", header)
	}
	// Even CreateOrganization, which any account may call, needs a caller.
	status, _, body = h.raw(t, "CreateOrganization", "{}", nil)
	if status != http.StatusBadRequest || body["__type"] != identity.ErrMissingAuthenticationToken {
		t.Fatalf("got %d %v", status, body)
	}
	// And nothing was created by the refused request.
	_, err := h.client(t, defaultAccount).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
}

// An operation orgd does not serve comes back through the SDK as an API
// error naming it, with status 501, in one request.
func TestUnimplementedOperationThroughSDK(t *testing.T) {
	t.Parallel()
	h := &harness{}
	h.serve(t, &wire.Server{
		Handler:  api.Unimplemented{},
		Identify: (&identity.Resolver{DefaultAccount: defaultAccount}).Identify,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})

	_, err := h.client(t, mgmtID).ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	wantAPIError(t, err, api.ErrNotImplemented, "")
	var ae smithy.APIError
	errors.As(err, &ae)
	if !strings.Contains(ae.ErrorMessage(), "ListAccounts") {
		t.Errorf("message %q does not name the operation", ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotImplemented || re.ServiceRequestID() == "" {
		t.Errorf("response error %v", err)
	}
	if n := h.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// The SDK finds the request ID of successful calls and of errors.
func TestRequestID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	out, err := h.client(t, mgmtID).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || id == "" {
		t.Errorf("no request ID in the result")
	}
	_, err = h.client(t, standaloneID).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Errorf("no request ID in error %v", err)
	}
}

// The harness's own helpers: every test built on them relies on these.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	var health struct {
		Status  string  `json:"status"`
		Version string  `json:"version"`
		Time    float64 `json:"time"`
	}
	h.admin(t, http.MethodGet, "/_orgd/health", nil, &health)
	if health.Status != "ok" || health.Version == "" || health.Time == 0 {
		t.Errorf("health %+v", health)
	}

	before := h.now(t)
	after := h.advance(t, 36*time.Hour)
	if d := after.Sub(before); d < 36*time.Hour || d > 36*time.Hour+time.Minute {
		t.Errorf("advanced by %v, want 36h", d)
	}
	if now := h.now(t); now.Before(after) {
		t.Errorf("clock went back to %v after %v", now, after)
	}
	if st := h.adminStatus(t, http.MethodPost, "/_orgd/clock", map[string]int{"advanceSeconds": -1}, nil); st != http.StatusBadRequest {
		t.Errorf("negative advance: %d", st)
	}

	// A registered account's email is what the organization reports.
	h.registerAccount(t, mgmtID, "boss@example.com", "Boss")
	o := h.newOrg(t, mgmtID, "")
	if got := *o.MasterAccountEmail; got != "boss@example.com" {
		t.Errorf("MasterAccountEmail %s", got)
	}
	if st := h.adminStatus(t, http.MethodPost, "/_orgd/accounts", map[string]string{"accountId": "12", "email": "x@y.zz", "name": "n"}, nil); st != http.StatusBadRequest {
		t.Errorf("bad account ID registered: %d", st)
	}

	// Reset forgets the organization.
	h.reset(t)
	_, err := h.client(t, mgmtID).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")

	if st := h.adminStatus(t, http.MethodGet, "/_orgd/nothing", nil, nil); st != http.StatusNotFound {
		t.Errorf("unknown admin endpoint: %d", st)
	}
}
