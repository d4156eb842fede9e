package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// mustAPI calls an operation and fails the test unless it succeeds.
func mustAPI(t *testing.T, h http.Handler, account, op string, body any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	status, out := apiCall(t, h, account, op, string(b))
	if status != http.StatusOK {
		t.Fatalf("%s as %s: %d %v", op, account, status, out)
	}
	return out
}

func TestAuthorize(t *testing.T) {
	const mgmt, member, standalone = "111111111111", "222222222222", "333333333333"
	h := newHandler(t)
	mustAPI(t, h, mgmt, "CreateOrganization", map[string]any{"FeatureSet": "ALL"})
	inv := mustAPI(t, h, mgmt, "InviteAccountToOrganization", map[string]any{"Target": map[string]string{"Id": member, "Type": "ACCOUNT"}})
	mustAPI(t, h, member, "AcceptHandshake", map[string]any{"HandshakeId": inv["Handshake"].(map[string]any)["Id"]})
	policy := func(name, content string) string {
		out := mustAPI(t, h, mgmt, "CreatePolicy", map[string]any{"Name": name, "Description": "", "Type": "SERVICE_CONTROL_POLICY", "Content": content})
		id := out["Policy"].(map[string]any)["PolicySummary"].(map[string]any)["Id"].(string)
		mustAPI(t, h, mgmt, "AttachPolicy", map[string]any{"PolicyId": id, "TargetId": member})
		return id
	}
	denyLeave := policy("deny-leave", `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`)
	denyRegion := policy("deny-eu", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`)

	type result struct {
		Allowed     bool   `json:"allowed"`
		Decision    string `json:"decision"`
		Explanation string `json:"explanation"`
		DecidedBy   *struct {
			TargetID, PolicyID, Sid string
		} `json:"decidedBy"`
		AllowedBy []struct{ TargetID, PolicyID string } `json:"allowedBy"`
		Levels    []struct {
			TargetID string   `json:"targetId"`
			Policies []string `json:"policies"`
		} `json:"levels"`
	}
	ask := func(body string) (int, result, map[string]any) {
		t.Helper()
		status, raw := call(t, h, http.MethodPost, "/_orgd/authorize", body, nil)
		b, _ := json.Marshal(raw)
		var r result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return status, r, raw
	}

	for _, tc := range []struct {
		name, body string
		allowed    bool
		decision   string
		decidedBy  string // policy that denied
	}{
		{"deny wins", `{"account":"` + member + `","action":"organizations:LeaveOrganization"}`, false, "EXPLICIT_DENY", denyLeave},
		{"action matching ignores case", `{"account":"` + member + `","action":"Organizations:leaveorganization"}`, false, "EXPLICIT_DENY", denyLeave},
		{"FullAWSAccess allows the rest", `{"account":"` + member + `","action":"organizations:DescribeOrganization"}`, true, "ALLOWED", ""},
		{"context as a string", `{"account":"` + member + `","action":"ec2:RunInstances","context":{"aws:RequestedRegion":"eu-west-1"}}`, false, "EXPLICIT_DENY", denyRegion},
		{"context as a list", `{"account":"` + member + `","action":"ec2:RunInstances","context":{"aws:RequestedRegion":["us-east-1"]}}`, true, "ALLOWED", ""},
		{"the management account is exempt", `{"account":"` + mgmt + `","action":"organizations:LeaveOrganization"}`, true, "EXEMPT", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, r, raw := ask(tc.body)
			if status != http.StatusOK || r.Allowed != tc.allowed || r.Decision != tc.decision || r.Explanation == "" {
				t.Fatalf("%d %v", status, raw)
			}
			if tc.decidedBy != "" && (r.DecidedBy == nil || r.DecidedBy.PolicyID != tc.decidedBy || r.DecidedBy.TargetID != member) {
				t.Fatalf("decidedBy %+v, want %s on %s", r.DecidedBy, tc.decidedBy, member)
			}
			if tc.decision == "ALLOWED" && len(r.AllowedBy) != 2 {
				// One allowing statement per level: the root and the account.
				t.Fatalf("allowedBy %+v", r.AllowedBy)
			}
		})
	}

	// The levels list the member's path and what is attached there.
	_, r, _ := ask(`{"account":"` + member + `","action":"s3:GetObject"}`)
	if len(r.Levels) != 2 || r.Levels[1].TargetID != member || len(r.Levels[1].Policies) != 3 || len(r.Levels[0].Policies) != 1 {
		t.Fatalf("levels %+v", r.Levels)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		typ        string
	}{
		{"not JSON", `account=1`, 400, ""},
		{"unknown field", `{"acount":"` + member + `","action":"s3:GetObject"}`, 400, ""},
		{"bad context value", `{"account":"` + member + `","action":"s3:GetObject","context":{"k":1}}`, 400, ""},
		{"bad account", `{"account":"1234","action":"s3:GetObject"}`, 400, api.ErrInvalidInput},
		{"bad action", `{"account":"` + member + `","action":"GetObject"}`, 400, api.ErrInvalidInput},
		{"account in no organization", `{"account":"` + standalone + `","action":"s3:GetObject"}`, 404, api.ErrAWSOrganizationsNotInUse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, raw := ask(tc.body)
			if status != tc.status || raw["error"] == nil || raw["error"] == "" {
				t.Fatalf("%d %v, want %d with an error", status, raw, tc.status)
			}
			if tc.typ != "" && raw["__type"] != tc.typ {
				t.Fatalf("__type %v, want %s", raw["__type"], tc.typ)
			}
		})
	}
	if status, raw := call(t, h, http.MethodGet, "/_orgd/authorize", "", nil); status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d %v", status, raw)
	}
}
