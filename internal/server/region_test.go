package server

import (
	"net/http"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// SCPs see the region a request was signed for as aws:RequestedRegion.
func TestSCPRequestedRegion(t *testing.T) {
	h := newHandler(t)
	const mgmt, member = "111111111111", "222222222222"
	signed := func(account, region, op, body string) (int, map[string]any) {
		t.Helper()
		return call(t, h, http.MethodPost, "/", body, map[string]string{
			"Content-Type":  "application/x-amz-json-1.1",
			"X-Amz-Target":  api.TargetPrefix + "." + op,
			"Authorization": "AWS4-HMAC-SHA256 Credential=" + account + "/20260301/" + region + "/organizations/aws4_request, SignedHeaders=host, Signature=00",
		})
	}
	must := func(account, op, body string) map[string]any {
		t.Helper()
		status, out := apiCall(t, h, account, op, body)
		if status != 200 {
			t.Fatalf("%s: %d %v", op, status, out)
		}
		return out
	}
	must(mgmt, "CreateOrganization", `{}`)
	root := must(mgmt, "ListRoots", `{}`)["Roots"].([]any)[0].(map[string]any)["Id"].(string)
	hs := must(mgmt, "InviteAccountToOrganization", `{"Target":{"Id":"`+member+`","Type":"ACCOUNT"}}`)["Handshake"].(map[string]any)["Id"].(string)
	must(member, "AcceptHandshake", `{"HandshakeId":"`+hs+`"}`)
	p := must(mgmt, "CreatePolicy", `{"Name":"eu-only","Description":"d","Type":"SERVICE_CONTROL_POLICY","Content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:RequestedRegion\":\"eu-west-1\"}}}]}"}`)
	must(mgmt, "AttachPolicy", `{"PolicyId":"`+p["Policy"].(map[string]any)["PolicySummary"].(map[string]any)["Id"].(string)+`","TargetId":"`+root+`"}`)
	for _, tc := range []struct {
		region string
		status int
	}{{"eu-west-1", 200}, {"us-east-1", 400}, {"eu-central-1", 400}} {
		status, out := signed(member, tc.region, "DescribeOrganization", `{}`)
		if status != tc.status || (status == 400 && out["__type"] != api.ErrAccessDenied) {
			t.Errorf("signed for %s: %d %v, want %d", tc.region, status, out, tc.status)
		}
	}
}
