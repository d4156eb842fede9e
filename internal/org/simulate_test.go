package org

import (
	"context"
	"fmt"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/policy/scp"
)

const (
	denyLeaveDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	denyS3Doc    = `{"Version":"2012-10-17","Statement":[{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
)

// simOrg is mgmtID's organization with SCPs and RCPs enabled, otherID in
// OU "dev" and thirdID in the root, and a deny-S3 SCP not attached yet.
func simOrg(t *testing.T) (f *fixture, root, dev, denyS3 string) {
	f = newFixture(t)
	f.newOrg(mgmtID, "")
	root = f.rootID(mgmtID)
	// A new organization has SCPs enabled; RCPs need enabling.
	must[*api.EnablePolicyTypeResponse](t)(f.svc.EnablePolicyType(as(mgmtID), &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeResourceControlPolicy}))
	dev = f.createOU(mgmtID, root, "dev")
	f.join(mgmtID, dev, api.AccountJoinedMethodInvited, otherID)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, thirdID)
	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(as(mgmtID), &api.CreatePolicyRequest{Name: "deny-s3", Type: api.PolicyTypeServiceControlPolicy, Content: denyS3Doc}))
	return f, root, dev, p.Policy.PolicySummary.Id
}

func TestSimulateDecide(t *testing.T) {
	f, root, dev, denyS3 := simOrg(t)
	ctx := context.Background()
	leave := scp.Request{Action: "organizations:LeaveOrganization", Account: otherID}
	getObject := scp.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Account: otherID}
	cases := []struct {
		name          string
		p             Proposal
		req           scp.Request
		owner         string
		rcp           bool
		now, proposed scp.Reason
		by            string
		typ           api.PolicyType
	}{
		{"nothing proposed", Proposal{}, leave, "", false, scp.ReasonAllowed, scp.ReasonAllowed, "", ""},
		{"new policy on the OU", Proposal{New: []ProposedPolicy{{Name: "deny-leave", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeaveDoc}},
			Attach: []PolicyAttachment{{Policy: "deny-leave", Target: dev}}}, leave, "", false, scp.ReasonAllowed, scp.ReasonExplicitDeny, "new:deny-leave", api.PolicyTypeServiceControlPolicy},
		{"new policy elsewhere", Proposal{New: []ProposedPolicy{{Name: "deny-leave", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeaveDoc}},
			Attach: []PolicyAttachment{{Policy: "deny-leave", Target: thirdID}}}, leave, "", false, scp.ReasonAllowed, scp.ReasonAllowed, "", ""},
		{"existing policy attached to the root", Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: root}}}, getObject, "", false, scp.ReasonAllowed, scp.ReasonExplicitDeny, denyS3, api.PolicyTypeServiceControlPolicy},
		{"management account is exempt", Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: root}}}, scp.Request{Action: "s3:GetObject", Account: mgmtID}, "", false, scp.ReasonExempt, scp.ReasonExempt, "", ""},
		{"outsiders are not subject to SCPs", Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: root}}}, scp.Request{Action: "s3:GetObject", Account: "999999999999"}, "", false, scp.ReasonExempt, scp.ReasonExempt, "", ""},
		{"detaching FullAWSAccess leaves no allow", Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: dev}}, Detach: []PolicyAttachment{{Policy: fullAWSAccessID, Target: dev}}},
			leave, "", false, scp.ReasonAllowed, scp.ReasonNoAllow, "", api.PolicyTypeServiceControlPolicy},
		{"RCP on an outsider's call to a member's resource", Proposal{New: []ProposedPolicy{{Name: "org-only", Type: api.PolicyTypeResourceControlPolicy,
			Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-none"}}}]}`}},
			Attach: []PolicyAttachment{{Policy: "org-only", Target: root}}},
			scp.Request{Action: "s3:GetObject", Account: "999999999999"}, thirdID, true, scp.ReasonAllowed, scp.ReasonExplicitDeny, "new:org-only", api.PolicyTypeResourceControlPolicy},
		{"RCPs only where the service has them", Proposal{New: []ProposedPolicy{{Name: "org-only", Type: api.PolicyTypeResourceControlPolicy,
			Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"}]}`}},
			Attach: []PolicyAttachment{{Policy: "org-only", Target: root}}},
			scp.Request{Action: "ec2:RunInstances", Account: "999999999999"}, thirdID, false, scp.ReasonExempt, scp.ReasonExempt, "", ""},
		{"changed content", Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: dev}}, Content: []PolicyContent{{Policy: denyS3, Content: denyLeaveDoc}}},
			leave, "", false, scp.ReasonAllowed, scp.ReasonExplicitDeny, denyS3, api.PolicyTypeServiceControlPolicy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, err := f.svc.Simulate(ctx, c.p)
			if err != nil {
				t.Fatal(err)
			}
			now, proposed := sim.Decide(c.req, c.owner, c.rcp)
			if now.Reason != c.now || proposed.Reason != c.proposed {
				t.Fatalf("got %v then %v (%s), want %v then %v", now.Reason, proposed.Reason, proposed.Decision, c.now, c.proposed)
			}
			if proposed.By.PolicyID != c.by || (c.typ != "" && proposed.PolicyType != c.typ) {
				t.Fatalf("decided by %s (%s), want %s (%s)", proposed.By.PolicyID, proposed.PolicyType, c.by, c.typ)
			}
		})
	}
	// Simulating changed nothing.
	out := must[*api.ListPoliciesForTargetResponse](t)(f.svc.ListPoliciesForTarget(as(mgmtID), &api.ListPoliciesForTargetRequest{TargetId: dev, Filter: api.PolicyTypeServiceControlPolicy}))
	if len(out.Policies) != 1 || out.Policies[0].Id != fullAWSAccessID {
		t.Fatalf("the OU's SCPs changed: %+v", out.Policies)
	}
}

func TestSimulateRefusesWhatTheOperationsWould(t *testing.T) {
	f, root, dev, denyS3 := simOrg(t)
	ctx := context.Background()
	newLeave := []ProposedPolicy{{Name: "deny-leave", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeaveDoc}}
	var manyNew []ProposedPolicy
	for i := range 10 {
		manyNew = append(manyNew, ProposedPolicy{Name: fmt.Sprintf("p%d", i), Type: api.PolicyTypeServiceControlPolicy, Content: denyLeaveDoc})
	}
	cases := []struct {
		name, typ, reason string
		p                 Proposal
	}{
		{"unknown policy", api.ErrPolicyNotFound, "", Proposal{Attach: []PolicyAttachment{{Policy: "p-0000000000", Target: root}}}},
		{"unknown target", api.ErrTargetNotFound, "", Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: "ou-zzzz-zzzzzzzz"}}}},
		{"name a proposed policy does not have", api.ErrPolicyNotFound, "", Proposal{New: newLeave, Attach: []PolicyAttachment{{Policy: "deny-leav", Target: root}}}},
		{"malformed new document", api.ErrMalformedPolicyDocument, "", Proposal{New: []ProposedPolicy{{Name: "x", Type: api.PolicyTypeServiceControlPolicy, Content: `{"Statement":`}}}},
		{"malformed content", api.ErrMalformedPolicyDocument, "", Proposal{Content: []PolicyContent{{Policy: denyS3, Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`}}}},
		{"AWS-managed content", api.ErrInvalidInput, string(api.InvalidInputExceptionReasonImmutablePolicy), Proposal{Content: []PolicyContent{{Policy: fullAWSAccessID, Content: denyLeaveDoc}}}},
		{"name taken", api.ErrDuplicatePolicy, "", Proposal{New: []ProposedPolicy{{Name: "deny-s3", Type: api.PolicyTypeServiceControlPolicy, Content: denyS3Doc}}}},
		{"not a control policy", api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidEnumPolicyType), Proposal{New: []ProposedPolicy{{Name: "t", Type: api.PolicyTypeTagPolicy, Content: `{}`}}}},
		{"already attached", api.ErrDuplicatePolicyAttachment, "", Proposal{Attach: []PolicyAttachment{{Policy: fullAWSAccessID, Target: dev}}}},
		{"attached twice", api.ErrDuplicatePolicyAttachment, "", Proposal{New: newLeave, Attach: []PolicyAttachment{{Policy: "deny-leave", Target: dev}, {Policy: "deny-leave", Target: dev}}}},
		{"detach what is not attached", api.ErrPolicyNotAttached, "", Proposal{Detach: []PolicyAttachment{{Policy: denyS3, Target: dev}}}},
		{"more than ten SCPs", api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded), Proposal{New: manyNew,
			Attach: func() (as []PolicyAttachment) {
				for _, p := range manyNew {
					as = append(as, PolicyAttachment{Policy: p.Name, Target: dev})
				}
				return as
			}()}},
		{"detach the last SCP", api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded), Proposal{Detach: []PolicyAttachment{{Policy: fullAWSAccessID, Target: dev}}}},
		{"detach RCPFullAWSAccess", api.ErrInvalidInput, string(api.InvalidInputExceptionReasonNonDetachablePolicy), Proposal{Detach: []PolicyAttachment{{Policy: rcpFullAWSAccessID, Target: dev}}}},
		{"unknown organization", api.ErrAWSOrganizationsNotInUse, "", Proposal{Organization: "o-zzzzzzzzzz"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Simulate(ctx, c.p)
			wantErr(t, err, c.typ, c.reason)
		})
	}
}

func TestSimulateConsolidatedBilling(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	_, err := f.svc.Simulate(context.Background(), Proposal{})
	wantErr(t, err, api.ErrPolicyTypeNotAvailableForOrganization, "")
}

func TestSimulateSCPsNotEnabled(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	must[*api.DisablePolicyTypeResponse](t)(f.svc.DisablePolicyType(as(mgmtID), &api.DisablePolicyTypeRequest{RootId: f.rootID(mgmtID), PolicyType: api.PolicyTypeServiceControlPolicy}))
	sim, err := f.svc.Simulate(context.Background(), Proposal{})
	if err != nil {
		t.Fatal(err)
	}
	now, _ := sim.Decide(scp.Request{Action: "s3:GetObject", Account: otherID}, "", true)
	if now.Reason != scp.ReasonExempt {
		t.Fatalf("without SCPs enabled nothing restricts the call, got %s", now.Decision)
	}
	_, err = f.svc.Simulate(context.Background(), Proposal{Attach: []PolicyAttachment{{Policy: fullAWSAccessID, Target: otherID}}})
	wantErr(t, err, api.ErrPolicyTypeNotEnabled, "")
}

// TestSimulateUnchanged: a request whose path the proposal does not touch
// is decided once, as now, and says so; one whose path it touches is not.
func TestSimulateUnchanged(t *testing.T) {
	f, _, dev, denyS3 := simOrg(t)
	sim, err := f.svc.Simulate(context.Background(), Proposal{Attach: []PolicyAttachment{{Policy: denyS3, Target: dev}}})
	if err != nil {
		t.Fatal(err)
	}
	if sim.Changed(denyS3) {
		t.Fatalf("Changed(%s) = %v: attaching does not change a document", denyS3, sim.Changed(denyS3))
	}
	get := scp.Request{Action: "s3:GetObject", Account: thirdID}
	if _, p := sim.Decide(get, "", false); !p.Unchanged || p.Reason != scp.ReasonAllowed {
		t.Fatalf("thirdID, in the root: %+v, want unchanged and allowed", p)
	}
	get.Account = otherID
	if _, p := sim.Decide(get, "", false); p.Unchanged || p.Reason != scp.ReasonExplicitDeny {
		t.Fatalf("otherID, under dev: %+v, want changed and denied", p)
	}
	sim, err = f.svc.Simulate(context.Background(), Proposal{Content: []PolicyContent{{Policy: denyS3, Content: denyLeaveDoc}}})
	if err != nil {
		t.Fatal(err)
	}
	if !sim.Changed(denyS3) {
		t.Fatal("new content is a change")
	}
}
