package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// stub answers a few operations in fixed ways and records what the
// handler was given; the rest are NotImplemented.
type stub struct {
	api.Unimplemented
	mu     sync.Mutex
	caller identity.Caller
	in     any
}

func (s *stub) record(ctx context.Context, in any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caller, _ = identity.FromContext(ctx)
	s.in = in
}

func (s *stub) ListAccounts(ctx context.Context, in *api.ListAccountsRequest) (*api.ListAccountsResponse, error) {
	s.record(ctx, in)
	return &api.ListAccountsResponse{Accounts: []api.Account{}}, nil
}

func (s *stub) InviteAccountToOrganization(ctx context.Context, in *api.InviteAccountToOrganizationRequest) (*api.InviteAccountToOrganizationResponse, error) {
	s.record(ctx, in)
	return &api.InviteAccountToOrganizationResponse{}, nil
}

func (s *stub) InviteOrganizationToTransferResponsibility(ctx context.Context, in *api.InviteOrganizationToTransferResponsibilityRequest) (*api.InviteOrganizationToTransferResponsibilityResponse, error) {
	s.record(ctx, in)
	return &api.InviteOrganizationToTransferResponsibilityResponse{}, nil
}

// DescribeCreateAccountStatus answers a status with optional members left
// out and a timestamp with milliseconds.
func (s *stub) DescribeCreateAccountStatus(ctx context.Context, in *api.DescribeCreateAccountStatusRequest) (*api.DescribeCreateAccountStatusResponse, error) {
	s.record(ctx, in)
	return &api.DescribeCreateAccountStatusResponse{CreateAccountStatus: &api.CreateAccountStatus{
		Id:                 in.CreateAccountRequestId,
		State:              api.CreateAccountStateInProgress,
		RequestedTimestamp: api.NewTime(time.UnixMilli(1700000000123)),
	}}, nil
}

func (s *stub) DeleteOrganization(ctx context.Context, in *api.Empty) (*api.Empty, error) {
	s.record(ctx, in)
	return &api.Empty{}, nil
}

func (s *stub) ListRoots(context.Context, *api.ListRootsRequest) (*api.ListRootsResponse, error) {
	panic("handler bug")
}

func (s *stub) ListChildren(context.Context, *api.ListChildrenRequest) (*api.ListChildrenResponse, error) {
	return nil, errors.New("disk on fire at /var/lib/orgd")
}

func (s *stub) ListParents(context.Context, *api.ListParentsRequest) (*api.ListParentsResponse, error) {
	return nil, api.NewTooManyRequests("slow down")
}

func (s *stub) CreateAccount(context.Context, *api.CreateAccountRequest) (*api.CreateAccountResponse, error) {
	return nil, api.NewConstraintViolation(api.ConstraintViolationExceptionReasonAccountNumberLimitExceeded, "too many accounts")
}

const (
	mgmt   = "111111111111"
	target = "AWSOrganizationsV20161128."
)

func authFor(key string) string {
	return "AWS4-HMAC-SHA256 Credential=" + key + "/20240101/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00"
}

func newServer(h api.Handler) *Server {
	return &Server{
		Handler:  h,
		Identify: (&identity.Resolver{DefaultAccount: "123456789012"}).Identify,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

type req struct {
	method string // POST unless set
	op     string // X-Amz-Target is target+op unless rawTarget is set
	body   string
	// rawTarget, when set, is the whole X-Amz-Target header ("-" for none).
	rawTarget string
	auth      string // Authorization; authFor(mgmt) unless set ("-" for none)
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, s http.Handler, r req) resp {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	hr := httptest.NewRequest(r.method, "/", strings.NewReader(r.body))
	switch r.rawTarget {
	case "":
		hr.Header.Set("X-Amz-Target", target+r.op)
	case "-":
	default:
		hr.Header.Set("X-Amz-Target", r.rawTarget)
	}
	switch r.auth {
	case "":
		hr.Header.Set("Authorization", authFor(mgmt))
	case "-":
	default:
		hr.Header.Set("Authorization", r.auth)
	}
	hr.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, hr)
	out := resp{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if err := json.Unmarshal(w.Body.Bytes(), &out.body); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", out.raw, err)
	}
	return out
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkEnvelope holds for every response, success or error.
func checkEnvelope(t *testing.T, r resp) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type %q", ct)
	}
	if id := r.header.Get("x-amzn-RequestId"); !uuidRe.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q is not a UUID", id)
	}
}

// wantError checks an error response: status, __type, Reason, and that the
// body has nothing but the members the SDKs read.
func wantError(t *testing.T, r resp, status int, typ, reason string) {
	t.Helper()
	checkEnvelope(t, r)
	if r.status != status || r.body["__type"] != typ {
		t.Fatalf("got %d %s, want %d %s", r.status, r.raw, status, typ)
	}
	if got, _ := r.body["Reason"].(string); got != reason {
		t.Fatalf("Reason %q, want %q (%s)", got, reason, r.raw)
	}
	if msg, _ := r.body["Message"].(string); msg == "" {
		t.Errorf("no Message: %s", r.raw)
	}
	for k := range r.body {
		switch k {
		case "__type", "Message", "Reason":
		case "Type":
			if typ != api.ErrTooManyRequests {
				t.Errorf("unexpected member Type in %s", r.raw)
			}
		default:
			t.Errorf("unexpected member %s in %s", k, r.raw)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	s := newServer(&stub{})
	for _, tc := range []struct {
		name   string
		r      req
		status int
		typ    string
	}{
		{"no target", req{rawTarget: "-", body: "{}"}, 400, ErrUnknownOperation},
		{"unknown operation", req{op: "ListEverything", body: "{}"}, 400, ErrUnknownOperation},
		{"wrong prefix", req{rawTarget: "DynamoDB_20120810.ListTables", body: "{}"}, 400, ErrUnknownOperation},
		{"target without dot", req{rawTarget: "ListRoots", body: "{}"}, 400, ErrUnknownOperation},
		{"operation name is case sensitive", req{op: "listroots", body: "{}"}, 400, ErrUnknownOperation},
		{"GET", req{method: http.MethodGet, op: "ListAccounts"}, 400, ErrUnknownOperation},
		{"PUT", req{method: http.MethodPut, op: "ListAccounts", body: "{}"}, 400, ErrUnknownOperation},
		{"missing credentials", req{op: "ListAccounts", body: "{}", auth: "-"}, 400, identity.ErrMissingAuthenticationToken},
		{"malformed credentials", req{op: "ListAccounts", body: "{}", auth: "Basic Zm9vOmJhcg=="}, 400, identity.ErrIncompleteSignature},
		{"malformed JSON", req{op: "ListAccounts", body: `{"MaxResults":`}, 400, ErrSerialization},
		{"not JSON", req{op: "ListAccounts", body: `MaxResults=5`}, 400, ErrSerialization},
		{"array", req{op: "ListAccounts", body: `[]`}, 400, ErrSerialization},
		{"string", req{op: "ListAccounts", body: `"{}"`}, 400, ErrSerialization},
		{"null", req{op: "ListAccounts", body: `null`}, 400, ErrSerialization},
		{"trailing data", req{op: "ListAccounts", body: `{}x`}, 400, ErrSerialization},
		{"two objects", req{op: "ListAccounts", body: `{} {}`}, 400, ErrSerialization},
		{"wrong member type", req{op: "ListAccounts", body: `{"MaxResults":"5"}`}, 400, ErrSerialization},
		{"fractional integer", req{op: "ListAccounts", body: `{"MaxResults":5.5}`}, 400, ErrSerialization},
		{"object for string", req{op: "DescribeAccount", body: `{"AccountId":{"Id":"111111111111"}}`}, 400, ErrSerialization},
		{"string for structure", req{op: "InviteAccountToOrganization", body: `{"Target":"222222222222"}`}, 400, ErrSerialization},
		{"string for list", req{op: "InviteAccountToOrganization", body: `{"Target":{"Id":"222222222222","Type":"ACCOUNT"},"Tags":"a=b"}`}, 400, ErrSerialization},
		{"unimplemented operation", req{op: "CloseAccount", body: `{"AccountId":"222222222222"}`}, 501, api.ErrNotImplemented},
		{"panicking handler", req{op: "ListRoots", body: `{}`}, 500, api.ErrService},
		{"plain error from handler", req{op: "ListChildren", body: `{"ParentId":"r-abcd","ChildType":"ACCOUNT"}`}, 500, api.ErrService},
		{"throttled", req{op: "ListParents", body: `{"ChildId":"222222222222"}`}, 400, api.ErrTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, do(t, s, tc.r), tc.status, tc.typ, "")
		})
	}
}

// What the caller is told must not leak the service's internals, and an
// unimplemented operation is named so that the gap is obvious.
func TestErrorMessages(t *testing.T) {
	s := newServer(&stub{})
	r := do(t, s, req{op: "ListChildren", body: `{"ParentId":"r-abcd","ChildType":"ACCOUNT"}`})
	if msg := r.body["Message"].(string); strings.Contains(msg, "disk") {
		t.Errorf("internal error leaked: %q", msg)
	}
	r = do(t, s, req{op: "ListRoots", body: `{}`})
	if msg := r.body["Message"].(string); strings.Contains(msg, "handler bug") {
		t.Errorf("panic leaked: %q", msg)
	}
	r = do(t, s, req{op: "CloseAccount", body: `{"AccountId":"222222222222"}`})
	if msg := r.body["Message"].(string); !strings.Contains(msg, "CloseAccount") {
		t.Errorf("NotImplemented message %q does not name the operation", msg)
	}
	r = do(t, s, req{op: "ListParents", body: `{"ChildId":"222222222222"}`})
	if r.body["Type"] != "Organizations" {
		t.Errorf("TooManyRequestsException without Type: %s", r.raw)
	}
	r = do(t, s, req{op: "CreateAccount", body: `{"Email":"a@b.cd","AccountName":"x"}`})
	wantError(t, r, 400, api.ErrConstraintViolation, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
}

func TestOversizedBody(t *testing.T) {
	s := newServer(&stub{})
	s.MaxBodyBytes = 64
	ok := `{"NextToken":"` + strings.Repeat("a", 64-len(`{"NextToken":""}`)) + `"}`
	if len(ok) != 64 {
		t.Fatalf("test body is %d bytes", len(ok))
	}
	checkEnvelope(t, do(t, s, req{op: "ListAccounts", body: ok}))
	if r := do(t, s, req{op: "ListAccounts", body: ok}); r.status != 200 {
		t.Fatalf("body of exactly the limit refused: %d %s", r.status, r.raw)
	}
	big := ok[:len(ok)-2] + `a"}`
	wantError(t, do(t, s, req{op: "ListAccounts", body: big}), 413, ErrRequestEntityTooLarge, "")

	// The default limit is 1 MiB.
	s.MaxBodyBytes = 0
	huge := `{"NextToken":"` + strings.Repeat("a", int(DefaultMaxBodyBytes)) + `"}`
	wantError(t, do(t, s, req{op: "ListAccounts", body: huge}), 413, ErrRequestEntityTooLarge, "")
}

func TestValidationErrors(t *testing.T) {
	s := newServer(&stub{})
	for _, tc := range []struct {
		name, op, body, reason string
	}{
		{"required", "DescribeAccount", `{}`, "INPUT_REQUIRED"},
		{"required null", "DescribeAccount", `{"AccountId":null}`, "INPUT_REQUIRED"},
		{"nested required", "InviteAccountToOrganization", `{"Target":{"Id":"222222222222"}}`, "INPUT_REQUIRED"},
		{"min length", "CreateOrganizationalUnit", `{"ParentId":"r-abcd","Name":""}`, "MIN_LENGTH_EXCEEDED"},
		{"max length", "DescribeAccount", `{"AccountId":"1234567890123"}`, "MAX_LENGTH_EXCEEDED"},
		{"max length of notes", "InviteAccountToOrganization", `{"Target":{"Id":"222222222222","Type":"ACCOUNT"},"Notes":"` + strings.Repeat("n", 1025) + `"}`, "MAX_LENGTH_EXCEEDED"},
		{"pattern", "DescribeAccount", `{"AccountId":"abcdefghijkl"}`, "INVALID_PATTERN"},
		{"pattern in list element", "InviteAccountToOrganization", `{"Target":{"Id":"222222222222","Type":"ACCOUNT"},"Tags":[{"Key":"ok","Value":"v"},{"Key":"bad*","Value":"v"}]}`, "INVALID_PATTERN"},
		{"enum", "CreateOrganization", `{"FeatureSet":"FULL"}`, "INVALID_ENUM"},
		{"nested enum", "InviteAccountToOrganization", `{"Target":{"Id":"222222222222","Type":"USER"}}`, "INVALID_ENUM"},
		{"list element enum", "ListCreateAccountStatus", `{"States":["SUCCEEDED","DONE"]}`, "INVALID_ENUM"},
		{"MaxResults 0", "ListRoots", `{"MaxResults":0}`, "MIN_VALUE_EXCEEDED"},
		{"MaxResults 21", "ListRoots", `{"MaxResults":21}`, "MAX_VALUE_EXCEEDED"},
		{"MaxResults 21 on ListAccounts", "ListAccounts", `{"MaxResults":21}`, "MAX_VALUE_EXCEEDED"},
		{"policy target", "AttachPolicy", `{"PolicyId":"p-12345678","TargetId":"bogus"}`, "INVALID_PATTERN_TARGET_ID"},
		{"policy target with junk", "AttachPolicy", `{"PolicyId":"p-12345678","TargetId":"123456789012 "}`, "INVALID_PATTERN_TARGET_ID"},
		{"taggable resource", "TagResource", `{"ResourceId":"o-abcdefghij","Tags":[]}`, "INVALID_PATTERN_TARGET_ID"},
		{"policy type", "ListPolicies", `{"Filter":"SERVICE_CONTROL"}`, "INVALID_ENUM_POLICY_TYPE"},
		{"policy type of a root", "EnablePolicyType", `{"RootId":"r-abcd","PolicyType":"scp"}`, "INVALID_ENUM_POLICY_TYPE"},
		// Wrong type is a SerializationException, but a valid member
		// before it in model order is reported first.
		{"first violation in model order", "InviteAccountToOrganization", `{"Notes":"` + strings.Repeat("n", 1025) + `","Target":{"Id":"","Type":"ACCOUNT"}}`, "MIN_LENGTH_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, req{op: tc.op, body: tc.body})
			wantError(t, r, 400, api.ErrInvalidInput, tc.reason)
			msg := r.body["Message"].(string)
			if tc.reason == "INVALID_PATTERN" {
				// AWS's own text, which names no value.
				if msg != "You provided a value that does not match the required pattern." {
					t.Errorf("message %q", msg)
				}
				return
			}
			if !strings.Contains(msg, "Value at '") {
				t.Errorf("message %q does not say where", msg)
			}
		})
	}
}

// Validation messages quote the model's own constraint: its pattern as
// the model writes it, its enum values comma-separated.
func TestValidationMessages(t *testing.T) {
	s := newServer(&stub{})
	for _, tc := range []struct {
		op, body, want string
	}{
		{"CreateOrganization", `{"FeatureSet":"FULL"}`,
			"1 validation error detected: Value at 'FeatureSet' failed to satisfy constraint: Member must satisfy enum value set: [ALL, CONSOLIDATED_BILLING]"},
		{"AttachPolicy", `{"PolicyId":"p-12345678","TargetId":"bogus"}`,
			"1 validation error detected: Value at 'TargetId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(r-[0-9a-z]{4,32})|(\\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$"},
		{"ListPolicies", `{"Filter":"SERVICE_CONTROL"}`,
			"1 validation error detected: Value at 'Filter' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, TAG_POLICY, BACKUP_POLICY, AISERVICES_OPT_OUT_POLICY, CHATBOT_POLICY, DECLARATIVE_POLICY_EC2, SECURITYHUB_POLICY, INSPECTOR_POLICY, UPGRADE_ROLLOUT_POLICY, BEDROCK_POLICY, S3_POLICY, NETWORK_SECURITY_DIRECTOR_POLICY]"},
		{"DescribeAccount", `{"AccountId":"1234567890123"}`,
			"1 validation error detected: Value at 'AccountId' failed to satisfy constraint: Member must have length less than or equal to 12"},
		{"DescribeAccount", `{}`,
			"1 validation error detected: Value at 'AccountId' failed to satisfy constraint: Member must not be null"},
	} {
		r := do(t, s, req{op: tc.op, body: tc.body})
		if msg, _ := r.body["Message"].(string); msg != tc.want {
			t.Errorf("%s %s: message\n%q, want\n%q", tc.op, tc.body, msg, tc.want)
		}
	}
}

func TestSuccess(t *testing.T) {
	st := &stub{}
	s := newServer(st)

	t.Run("absent members omitted, timestamps as numbers", func(t *testing.T) {
		r := do(t, s, req{op: "DescribeCreateAccountStatus", body: `{"CreateAccountRequestId":"car-abcdefgh"}`})
		checkEnvelope(t, r)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		want := `{"CreateAccountStatus":{"Id":"car-abcdefgh","State":"IN_PROGRESS","RequestedTimestamp":1700000000.123}}`
		if r.raw != want {
			t.Fatalf("body\n got %s\nwant %s", r.raw, want)
		}
	})

	t.Run("input and caller reach the handler", func(t *testing.T) {
		r := do(t, s, req{op: "ListAccounts", body: `{"MaxResults":20,"NextToken":"tok"}`, auth: authFor("222222222222")})
		checkEnvelope(t, r)
		if r.status != 200 || r.raw != `{"Accounts":[]}` {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		in := st.in.(*api.ListAccountsRequest)
		if in.MaxResults != 20 || in.NextToken != "tok" || st.caller.AccountID != "222222222222" {
			t.Fatalf("handler got %+v as %+v", in, st.caller)
		}
	})

	t.Run("nested input", func(t *testing.T) {
		do(t, s, req{op: "InviteAccountToOrganization", body: `{"Target":{"Id":"a@b.cd","Type":"EMAIL"},"Notes":"hi","Tags":[{"Key":"k","Value":""}]}`})
		in := st.in.(*api.InviteAccountToOrganizationRequest)
		if in.Target == nil || in.Target.Id != "a@b.cd" || in.Target.Type != "EMAIL" || in.Notes != "hi" || len(in.Tags) != 1 || in.Tags[0].Key != "k" {
			t.Fatalf("handler got %+v", in)
		}
	})

	t.Run("fractional timestamp input", func(t *testing.T) {
		r := do(t, s, req{op: "InviteOrganizationToTransferResponsibility", body: `{"Type":"BILLING","Target":{"Id":"222222222222","Type":"ACCOUNT"},"SourceName":"x","StartTimestamp":1700000000.5}`})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		in := st.in.(*api.InviteOrganizationToTransferResponsibilityRequest)
		if got := in.StartTimestamp.UnixMilli(); got != 1700000000500 {
			t.Fatalf("StartTimestamp %d ms", got)
		}
	})

	// Member names are case-sensitive: a member spelt otherwise is unknown
	// and ignored, never decoded into the input unvalidated.
	t.Run("case-folded member ignored", func(t *testing.T) {
		r := do(t, s, req{op: "ListAccounts", body: `{"maxresults":500,"nextToken":"x"}`})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if in := st.in.(*api.ListAccountsRequest); in.MaxResults != 0 || in.NextToken != "" {
			t.Fatalf("handler got %+v", in)
		}
	})

	// Beside the exact name too, and inside a list's structures: the
	// exact member is decoded, the other never.
	t.Run("case-folded member beside the exact one ignored", func(t *testing.T) {
		r := do(t, s, req{op: "ListAccounts", body: `{"MaxResults":5,"maxresults":500}`})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if in := st.in.(*api.ListAccountsRequest); in.MaxResults != 5 {
			t.Fatalf("handler got MaxResults %d, want 5", in.MaxResults)
		}
		r = do(t, s, req{op: "InviteAccountToOrganization", body: `{"Target":{"Id":"a@b.cd","Type":"EMAIL"},"Tags":[{"Key":"k","Value":"v","value":"unvalidated"}]}`})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if in := st.in.(*api.InviteAccountToOrganizationRequest); len(in.Tags) != 1 || in.Tags[0].Value != "v" {
			t.Fatalf("handler got tags %+v, want one with value v", in.Tags)
		}
	})

	t.Run("unit output and empty body", func(t *testing.T) {
		for _, body := range []string{"", "{}", " \n"} {
			r := do(t, s, req{op: "DeleteOrganization", body: body})
			checkEnvelope(t, r)
			if r.status != 200 || r.raw != "{}" {
				t.Fatalf("body %q: %d %s", body, r.status, r.raw)
			}
		}
	})

	t.Run("request IDs differ", func(t *testing.T) {
		a := do(t, s, req{op: "DeleteOrganization", body: "{}"}).header.Get("x-amzn-RequestId")
		b := do(t, s, req{op: "DeleteOrganization", body: "{}"}).header.Get("x-amzn-RequestId")
		if a == b {
			t.Fatalf("same request ID %s twice", a)
		}
	})
}

// Every model operation is routed: an unimplemented one answers
// NotImplemented, never UnknownOperation.
func TestEveryOperationRouted(t *testing.T) {
	s := newServer(api.Unimplemented{})
	for name := range api.Operations {
		r := do(t, s, req{op: name, body: validBodies[name]})
		if r.body["__type"] == api.ErrInvalidInput {
			t.Errorf("%s: seed body refused: %s", name, r.raw)
			continue
		}
		wantError(t, r, 501, api.ErrNotImplemented, "")
		if !strings.Contains(r.body["Message"].(string), name) {
			t.Errorf("%s: message %s", name, r.raw)
		}
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		want int
	}{
		{api.ErrInvalidInput, 400},
		{api.ErrAccessDenied, 400},
		{api.ErrAWSOrganizationsNotInUse, 400},
		{api.ErrTooManyRequests, 400},
		{api.ErrService, 500},
		{ErrInternalFailure, 500},
		{ErrRequestEntityTooLarge, 413},
		{api.ErrNotImplemented, 501},
		{identity.ErrMissingAuthenticationToken, 400},
	} {
		if got := Status(&api.Error{Type: tc.typ}); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.typ, got, tc.want)
		}
	}
}

// A client that goes away mid-request gets nothing written.
func TestCanceledRequest(t *testing.T) {
	s := newServer(cancelled{})
	w := httptest.NewRecorder()
	hr := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte("{}")))
	hr.Header.Set("X-Amz-Target", target+"ListRoots")
	hr.Header.Set("Authorization", authFor(mgmt))
	s.ServeHTTP(w, hr)
	if w.Body.Len() != 0 {
		t.Fatalf("wrote %q", w.Body.String())
	}
}

type cancelled struct{ api.Unimplemented }

func (cancelled) ListRoots(context.Context, *api.ListRootsRequest) (*api.ListRootsResponse, error) {
	return nil, context.Canceled
}

// TestNewRequestIDIsUUIDv4 checks the form AWS's request IDs have: a
// random (version 4, RFC 4122 variant) UUID, never the same twice.
func TestNewRequestIDIsUUIDv4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		if !re.MatchString(id) {
			t.Fatalf("request ID %q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("request ID %q twice", id)
		}
		seen[id] = true
	}
}

// requestIDKey is the header name net/http would store requestIDHeader
// under, so that writing the map directly changes nothing on the wire.
func TestRequestIDKeyCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey(requestIDHeader); got != requestIDKey {
		t.Fatalf("canonical %q, key %q", got, requestIDKey)
	}
}
