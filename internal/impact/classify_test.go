package impact

import (
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
)

// TestUndecidedNowIsAllowed: a policy in force that tests a key CloudTrail
// does not record cannot make every call undetermined; the call
// succeeded on AWS, so what is in force allowed it.
func TestUndecidedNowIsAllowed(t *testing.T) {
	svc := testOrg(t)
	id := ids(t, svc)
	mg := as(mgmtAcct)
	p := must[*api.CreatePolicyResponse](t)(svc.CreatePolicy(mg, &api.CreatePolicyRequest{Name: "storage-team-deletes", Type: api.PolicyTypeServiceControlPolicy, Content: teamTagSCP}))
	must[*api.Empty](t)(svc.AttachPolicy(mg, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: id["Root"]}))

	rep := replayFixtures(t, svc, org.Proposal{})
	if s := rep.Summary; s.Undetermined != 0 || s.NewlyDenied != 0 || s.StillDenied != 0 || s.StillAllowed != 23 {
		t.Fatalf("with nothing proposed: %+v", s)
	}
	// Changing that policy to one it can decide is decided.
	rep = replayFixtures(t, svc, org.Proposal{Content: []org.PolicyContent{{Policy: p.Policy.PolicySummary.Id, Content: denyLeaveSCP}}})
	if s := rep.Summary; s.Undetermined != 0 || s.NewlyDenied != 1 {
		t.Fatalf("with the content changed: %+v", s)
	}
}

// TestRCPOnCrossAccountCalls: an RCP on the root that keeps a member's
// resources to the organization denies the calls from outside it, made
// by a role session or by an account CloudTrail names only by its ID,
// and not the member's own.
func TestRCPOnCrossAccountCalls(t *testing.T) {
	svc := testOrg(t)
	id := ids(t, svc)
	orgOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"OrgOnly","Effect":"Deny","Principal":"*","Action":["s3:*","kms:*"],"Resource":"*",` +
		`"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + rep0(t, svc).Organization + `"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`
	rep := replayFixtures(t, svc, org.Proposal{New: []org.ProposedPolicy{{Name: "org-only", Type: api.PolicyTypeResourceControlPolicy, Content: orgOnly}},
		Attach: []org.PolicyAttachment{{Policy: "org-only", Target: id["Root"]}}})
	got := map[string]string{}
	for _, g := range rep.NewlyDenied {
		got[g.Account+" "+g.Action] = g.PolicyType + " " + g.PolicyID
	}
	want := map[string]string{
		"999999999999 s3:GetObject": "RESOURCE_CONTROL_POLICY new:org-only",
		"999999999999 kms:Decrypt":  "RESOURCE_CONTROL_POLICY new:org-only",
	}
	if len(got) != len(want) {
		t.Fatalf("newly denied %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("newly denied %v, want %v", got, want)
		}
	}
}

// rep0 replays the fixtures with nothing proposed.
func rep0(t *testing.T, svc *org.Service) *Report {
	return replayFixtures(t, svc, org.Proposal{})
}
