package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store/memstore"
)

const (
	impactMember = "222222222222"
	leaveEvent   = `{"eventVersion":"1.10","userIdentity":{"type":"Root","arn":"arn:aws:iam::222222222222:root","accountId":"222222222222"},"eventSource":"organizations.amazonaws.com","eventName":"LeaveOrganization","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","recipientAccountId":"222222222222","eventID":"e-1","tlsDetails":{"tlsVersion":"TLSv1.3"}}`
	listEvent    = `{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::222222222222:user/bob","accountId":"222222222222","userName":"bob"},"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","recipientAccountId":"222222222222","eventID":"e-2"}`
	denyLeaveDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
)

// impactOrg creates an organization with impactMember in the root and
// returns the root's ID.
func impactOrg(t *testing.T, h http.Handler, featureSet string) string {
	t.Helper()
	mustAPI(t, h, "111111111111", "CreateOrganization", map[string]any{"FeatureSet": featureSet})
	inv := mustAPI(t, h, "111111111111", "InviteAccountToOrganization", map[string]any{"Target": map[string]string{"Id": impactMember, "Type": "ACCOUNT"}})
	mustAPI(t, h, impactMember, "AcceptHandshake", map[string]any{"HandshakeId": inv["Handshake"].(map[string]any)["Id"]})
	roots := mustAPI(t, h, "111111111111", "ListRoots", map[string]any{})
	return roots["Roots"].([]any)[0].(map[string]any)["Id"].(string)
}

func proposalLine(t *testing.T, p org.Proposal) string {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func TestImpact(t *testing.T) {
	h := newHandler(t)
	if status, out := call(t, h, http.MethodGet, "/_orgd/impact", "", nil); status != http.StatusNotFound || out["error"] == nil {
		t.Fatalf("GET before any replay: %d %v, want 404 with an error", status, out)
	}
	root := impactOrg(t, h, "ALL")
	denyLeave := org.Proposal{New: []org.ProposedPolicy{{Name: "deny-leave", Type: "SERVICE_CONTROL_POLICY", Content: denyLeaveDoc}},
		Attach: []org.PolicyAttachment{{Policy: "deny-leave", Target: root}}}
	// Another call like the first: a copy of it (its eventID) would be
	// counted once.
	anotherLeave := strings.Replace(leaveEvent, `"eventID":"e-1"`, `"eventID":"e-3"`, 1)
	body := proposalLine(t, denyLeave) + `{"orgdFile":"a.json"}` + "\n" + `{"Records":[` + leaveEvent + `,` + listEvent + `]}` + "\n" +
		`{"orgdFile":"b.json"}` + "\n" + `{"Events":[{"CloudTrailEvent":` + jsonString(anotherLeave) + `}],"NextToken":"x"}`
	status, out := call(t, h, http.MethodPost, "/_orgd/impact", body, nil)
	if status != http.StatusOK {
		t.Fatalf("%d %v", status, out)
	}
	var rep struct {
		Summary     map[string]int `json:"summary"`
		NewlyDenied []struct {
			Account, Principal, Action, PolicyID, PolicyName, Target string
			Count, Statement                                         int
		} `json:"newlyDenied"`
		Undetermined []any  `json:"undetermined"`
		GeneratedAt  string `json:"generatedAt"`
	}
	remarshal(t, out, &rep)
	if rep.Summary["events"] != 3 || rep.Summary["newlyDenied"] != 2 || rep.Summary["stillAllowed"] != 1 || rep.Summary["files"] != 2 {
		t.Fatalf("summary %v", rep.Summary)
	}
	if len(rep.NewlyDenied) != 1 || rep.NewlyDenied[0].Count != 2 || rep.NewlyDenied[0].PolicyID != "new:deny-leave" || rep.NewlyDenied[0].Target != root ||
		rep.NewlyDenied[0].Principal != "arn:aws:iam::222222222222:root" || rep.NewlyDenied[0].Action != "organizations:LeaveOrganization" {
		t.Fatalf("newlyDenied %+v", rep.NewlyDenied)
	}
	if rep.Undetermined == nil || rep.GeneratedAt == "" {
		t.Fatalf("undetermined must be a list and generatedAt set: %v", out)
	}
	// The console reads the last report.
	status, last := call(t, h, http.MethodGet, "/_orgd/impact", "", nil)
	if status != http.StatusOK || last["generatedAt"] != out["generatedAt"] || last["summary"].(map[string]any)["newlyDenied"] != float64(2) {
		t.Fatalf("GET after a replay: %d %v", status, last)
	}
	// Nothing was applied.
	pols := mustAPI(t, h, "111111111111", "ListPoliciesForTarget", map[string]any{"TargetId": root, "Filter": "SERVICE_CONTROL_POLICY"})
	if n := len(pols["Policies"].([]any)); n != 1 {
		t.Fatalf("the root has %d SCPs after a replay, want FullAWSAccess alone", n)
	}
}

func TestImpactBadInput(t *testing.T) {
	h := newHandler(t)
	root := impactOrg(t, h, "ALL")
	ok := proposalLine(t, org.Proposal{})
	records := `{"Records":[` + listEvent + `]}`
	for _, tc := range []struct {
		name, body string
		status     int
		typ        string // __type
		message    string // in error
	}{
		{"empty body", "", http.StatusBadRequest, "", "the body is empty"},
		{"proposal not JSON", "nope\n" + records, http.StatusBadRequest, "", "body must be one line of JSON"},
		{"misspelt proposal field", `{"attatch":[]}` + "\n" + records, http.StatusBadRequest, "", "unknown field"},
		{"malformed policy", proposalLine(t, org.Proposal{New: []org.ProposedPolicy{{Name: "x", Type: "SERVICE_CONTROL_POLICY", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny"}]}`}}}) + records,
			http.StatusBadRequest, "MalformedPolicyDocumentException", ""},
		{"unknown target", proposalLine(t, org.Proposal{Attach: []org.PolicyAttachment{{Policy: "p-FullAWSAccess", Target: "ou-zzzz-zzzzzzzz"}}}) + records, http.StatusBadRequest, "TargetNotFoundException", ""},
		{"unknown policy", proposalLine(t, org.Proposal{Detach: []org.PolicyAttachment{{Policy: "p-0123456789", Target: root}}}) + records, http.StatusBadRequest, "PolicyNotFoundException", ""},
		{"malformed record", ok + `{"orgdFile":"trail/x.json"}` + "\n" + `{"Records":[` + listEvent + `,{"eventSource":]}`, http.StatusBadRequest, "", "trail/x.json: record 2: not valid JSON"},
		{"not CloudTrail", ok + `{"digestStartTime":"x"}`, http.StatusBadRequest, "", "request body: at byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call(t, h, http.MethodPost, "/_orgd/impact", tc.body, nil)
			msg, _ := out["error"].(string)
			if status != tc.status || out["__type"] != nilIfEmpty(tc.typ) || !strings.Contains(msg, tc.message) || msg == "" {
				t.Fatalf("%d %v, want %d %s %q", status, out, tc.status, tc.typ, tc.message)
			}
		})
	}
	// Unknown shapes are counted, not fatal.
	status, out := call(t, h, http.MethodPost, "/_orgd/impact", ok+`{"Records":[{"eventVersion":"1.10"},`+listEvent+`]}`, nil)
	if status != http.StatusOK || out["summary"].(map[string]any)["unknownShape"] != float64(1) {
		t.Fatalf("%d %v", status, out)
	}
}

func TestImpactConsolidatedBilling(t *testing.T) {
	h := newHandler(t)
	impactOrg(t, h, "CONSOLIDATED_BILLING")
	status, out := call(t, h, http.MethodPost, "/_orgd/impact", "{}\n"+`{"Records":[`+listEvent+`]}`, nil)
	if status != http.StatusBadRequest || out["__type"] != "PolicyTypeNotAvailableForOrganizationException" || !strings.Contains(out["error"].(string), "consolidated billing") {
		t.Fatalf("%d %v", status, out)
	}
}

func TestImpactNoOrganization(t *testing.T) {
	h := newHandler(t)
	status, out := call(t, h, http.MethodPost, "/_orgd/impact", "{}\n", nil)
	if status != http.StatusNotFound || out["__type"] != "AWSOrganizationsNotInUseException" {
		t.Fatalf("%d %v", status, out)
	}
}

// TestImpactGuarded checks both endpoints from the attacker's side: no
// token, a wrong one, strict mode without one.
func TestImpactGuarded(t *testing.T) {
	build := func(mode identity.Mode, token string) http.Handler {
		svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return New(svc, &identity.Resolver{DefaultAccount: "123456789012", Mode: mode}, slog.New(slog.NewTextHandler(io.Discard, nil)), WithAdminToken(token))
	}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		header map[string]string
		want   int
	}{
		{"no token sent", build(identity.Permissive, "s3cret"), nil, http.StatusUnauthorized},
		{"wrong token", build(identity.Permissive, "s3cret"), map[string]string{"Authorization": "Bearer guess"}, http.StatusUnauthorized},
		{"strict without a token", build(identity.Strict, ""), map[string]string{"Authorization": "Bearer anything"}, http.StatusForbidden},
		{"right token reaches it", build(identity.Permissive, "s3cret"), map[string]string{"Authorization": "Bearer s3cret"}, http.StatusNotFound}, // no organization, no report
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{http.MethodPost, http.MethodGet} {
				if status, out := call(t, tc.h, method, "/_orgd/impact", "{}\n", tc.header); status != tc.want {
					t.Fatalf("%s: %d %v, want %d", method, status, out, tc.want)
				}
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
