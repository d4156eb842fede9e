package server

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// POST /_orgd/accounts with "govCloud" sets the GovCloud association
// that CreateGovCloudAccount needs, alone or with a registration.
func TestAdminGovCloud(t *testing.T) {
	h := newHandler(t)
	const mgmt = "111111111111"
	if status, out := apiCall(t, h, mgmt, "CreateOrganization", `{}`); status != 200 {
		t.Fatalf("CreateOrganization: %d %v", status, out)
	}
	create := func() (int, map[string]any) {
		return apiCall(t, h, mgmt, "CreateGovCloudAccount", `{"Email":"gov@example.com","AccountName":"Gov"}`)
	}
	if status, out := create(); status != 400 || out["Reason"] != string(api.ConstraintViolationExceptionReasonMasterAccountNotGovcloudEnabled) {
		t.Fatalf("before association: %d %v", status, out)
	}
	digits := regexp.MustCompile(`^\d{12}$`)
	for _, tc := range []struct {
		name, body string
		status     int
		gov        string // "id": a GovCloud account ID answered; "": none
		typ        string
	}{
		{"enable", `{"accountId":"111111111111","govCloud":true}`, 200, "id", ""},
		{"register and enable", `{"accountId":"222222222222","email":"g@example.com","name":"G","govCloud":true}`, 200, "id", ""},
		{"bad account ID", `{"accountId":"12","govCloud":true}`, 400, "", api.ErrInvalidInput},
		{"bad email with govCloud", `{"accountId":"333333333333","email":"bad","govCloud":true}`, 400, "", api.ErrInvalidInput},
		{"govCloud not a boolean", `{"accountId":"333333333333","govCloud":"yes"}`, 400, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := call(t, h, http.MethodPost, "/_orgd/accounts", tc.body, nil)
			if status != tc.status {
				t.Fatalf("%d %v, want %d", status, out, tc.status)
			}
			if tc.typ != "" && out["__type"] != tc.typ {
				t.Fatalf("__type %v, want %s", out["__type"], tc.typ)
			}
			if gov, _ := out["govCloudAccountId"].(string); (tc.gov == "id") != digits.MatchString(gov) {
				t.Fatalf("govCloudAccountId %v", out["govCloudAccountId"])
			}
		})
	}
	if status, out := create(); status != 200 {
		t.Fatalf("after association: %d %v", status, out)
	}
	if status, out := call(t, h, http.MethodPost, "/_orgd/accounts", `{"accountId":"111111111111","govCloud":false}`, nil); status != 200 || out["govCloudAccountId"] != "" {
		t.Fatalf("disable: %d %v", status, out)
	}
	if status, out := create(); status != 400 || out["Reason"] != string(api.ConstraintViolationExceptionReasonMasterAccountNotGovcloudEnabled) {
		t.Fatalf("after the association ended: %d %v", status, out)
	}
}
