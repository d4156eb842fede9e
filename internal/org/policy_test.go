package org

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

const denyLeave = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`

func policyIDs(ps []api.PolicySummary) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.Id)
	}
	return ids
}

func TestPolicyTypesAndDefaults(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	root := f.rootID(mgmtID)
	ctx := as(mgmtID)

	// SCPs are enabled at creation: FullAWSAccess on the root and accounts.
	for _, target := range []string{root, mgmtID, otherID} {
		got := must[*api.ListPoliciesForTargetResponse](t)(f.svc.ListPoliciesForTarget(ctx, &api.ListPoliciesForTargetRequest{TargetId: target, Filter: api.PolicyTypeServiceControlPolicy}))
		if ids := policyIDs(got.Policies); len(ids) != 1 || ids[0] != fullAWSAccessID {
			t.Errorf("%s: SCPs %v, want FullAWSAccess", target, ids)
		}
	}
	_, err := f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeServiceControlPolicy})
	wantErr(t, err, api.ErrPolicyTypeAlreadyEnabled, "")
	_, err = f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: "r-zzzz", PolicyType: api.PolicyTypeTagPolicy})
	wantErr(t, err, api.ErrRootNotFound, "")
	_, err = f.svc.DisablePolicyType(ctx, &api.DisablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeTagPolicy})
	wantErr(t, err, api.ErrPolicyTypeNotEnabled, "")

	// RCPs: enabling attaches RCPFullAWSAccess everywhere; it can't be detached.
	r := must[*api.EnablePolicyTypeResponse](t)(f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeResourceControlPolicy}))
	if len(r.Root.PolicyTypes) != 2 {
		t.Fatalf("root policy types %v", r.Root.PolicyTypes)
	}
	_, err = f.svc.DetachPolicy(ctx, &api.DetachPolicyRequest{PolicyId: rcpFullAWSAccessID, TargetId: otherID})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonNonDetachablePolicy))

	// Disabling SCPs detaches them; re-enabling attaches FullAWSAccess only.
	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "deny-leave", Description: "d", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeave}))
	must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: otherID}))
	must[*api.DisablePolicyTypeResponse](t)(f.svc.DisablePolicyType(ctx, &api.DisablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeServiceControlPolicy}))
	_, err = f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: otherID})
	wantErr(t, err, api.ErrPolicyTypeNotEnabled, "")
	must[*api.EnablePolicyTypeResponse](t)(f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeServiceControlPolicy}))
	got := must[*api.ListPoliciesForTargetResponse](t)(f.svc.ListPoliciesForTarget(ctx, &api.ListPoliciesForTargetRequest{TargetId: otherID, Filter: api.PolicyTypeServiceControlPolicy}))
	if ids := policyIDs(got.Policies); len(ids) != 1 || ids[0] != fullAWSAccessID {
		t.Errorf("after re-enable: %v", ids)
	}
}

func TestPolicyCRUDAndAttachment(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	ctx := as(mgmtID)
	scp := api.PolicyTypeServiceControlPolicy

	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "deny-leave", Description: "no leaving", Type: scp, Content: denyLeave}))
	sum := p.Policy.PolicySummary
	if !strings.HasPrefix(sum.Arn, "arn:aws:organizations::"+mgmtID+":policy/"+o.Id+"/service_control_policy/p-") || sum.AwsManaged || len(sum.Id) != 12 {
		t.Errorf("summary %+v", sum)
	}
	_, err := f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "deny-leave", Description: "", Type: scp, Content: denyLeave})
	wantErr(t, err, api.ErrDuplicatePolicy, "")
	_, err = f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "bad", Type: scp, Content: "{not json"})
	wantErr(t, err, api.ErrMalformedPolicyDocument, "")
	_, err = f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "big", Type: scp, Content: `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 10300) + `","Effect":"Deny","Action":"*","Resource":"*"}]}`})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonPolicyContentLimitExceeded))

	// Managed policies are listed, immutable and undeletable.
	list := must[*api.ListPoliciesResponse](t)(f.svc.ListPolicies(ctx, &api.ListPoliciesRequest{Filter: scp}))
	if ids := policyIDs(list.Policies); len(ids) != 2 || ids[0] != fullAWSAccessID {
		t.Errorf("ListPolicies %v", ids)
	}
	if !list.Policies[0].AwsManaged || list.Policies[0].Arn != "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess" {
		t.Errorf("FullAWSAccess %+v", list.Policies[0])
	}
	_, err = f.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: fullAWSAccessID, Name: "x"})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonImmutablePolicy))
	_, err = f.svc.DeletePolicy(ctx, &api.DeletePolicyRequest{PolicyId: fullAWSAccessID})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonImmutablePolicy))

	// Attach, duplicate, in use, detach, the SCP minimum.
	must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: sum.Id, TargetId: otherID}))
	_, err = f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: sum.Id, TargetId: otherID})
	wantErr(t, err, api.ErrDuplicatePolicyAttachment, "")
	_, err = f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: sum.Id, TargetId: thirdID})
	wantErr(t, err, api.ErrTargetNotFound, "")
	_, err = f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: "p-0000000000", TargetId: otherID})
	wantErr(t, err, api.ErrPolicyNotFound, "")
	_, err = f.svc.DeletePolicy(ctx, &api.DeletePolicyRequest{PolicyId: sum.Id})
	wantErr(t, err, api.ErrPolicyInUse, "")
	targets := must[*api.ListTargetsForPolicyResponse](t)(f.svc.ListTargetsForPolicy(ctx, &api.ListTargetsForPolicyRequest{PolicyId: sum.Id}))
	if len(targets.Targets) != 1 || targets.Targets[0].TargetId != otherID || targets.Targets[0].Type != api.TargetTypeAccount {
		t.Errorf("targets %+v", targets.Targets)
	}
	must[*api.Empty](t)(f.svc.DetachPolicy(ctx, &api.DetachPolicyRequest{PolicyId: fullAWSAccessID, TargetId: otherID}))
	_, err = f.svc.DetachPolicy(ctx, &api.DetachPolicyRequest{PolicyId: sum.Id, TargetId: otherID})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded))
	_, err = f.svc.DetachPolicy(ctx, &api.DetachPolicyRequest{PolicyId: fullAWSAccessID, TargetId: otherID})
	wantErr(t, err, api.ErrPolicyNotAttached, "")

	// At most ten SCPs on one target.
	for i := 0; i < 9; i++ {
		q := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "p" + string(rune('a'+i)), Type: scp, Content: denyLeave}))
		must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: q.Policy.PolicySummary.Id, TargetId: otherID}))
	}
	_, err = f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: fullAWSAccessID, TargetId: otherID})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded))

	// Update renames and rechecks names.
	up := must[*api.UpdatePolicyResponse](t)(f.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: sum.Id, Name: "renamed", Description: "new"}))
	if up.Policy.PolicySummary.Name != "renamed" || up.Policy.PolicySummary.Description != "new" || up.Policy.Content != denyLeave {
		t.Errorf("updated %+v", up.Policy)
	}
	_, err = f.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: sum.Id, Name: "pa"})
	wantErr(t, err, api.ErrDuplicatePolicy, "")

	// Members may not manage policies.
	_, err = f.svc.ListPolicies(as(otherID), &api.ListPoliciesRequest{Filter: scp})
	wantErr(t, err, api.ErrAccessDenied, "")
}

func TestPoliciesNeedAllFeatures(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	ctx := as(mgmtID)
	_, err := f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: f.rootID(mgmtID), PolicyType: api.PolicyTypeServiceControlPolicy})
	wantErr(t, err, api.ErrPolicyTypeNotAvailableForOrganization, "")
	_, err = f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "x", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeave})
	wantErr(t, err, api.ErrPolicyTypeNotAvailableForOrganization, "")
	_, err = f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: fullAWSAccessID, TargetId: mgmtID})
	wantErr(t, err, api.ErrPolicyTypeNotEnabled, "")
}

func TestDeleteOrganizationDropsPolicies(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	ctx := as(mgmtID)
	must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "x", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeave}))
	must[*api.Empty](t)(f.svc.DeleteOrganization(ctx, &api.Empty{}))
	n := 0
	f.svc.read(ctx, func(t *txn) error {
		for _, prefix := range []string{"policy/", "orgpolicy/", "policyname/", "attach/", "attached/"} {
			t.Scan(prefix, "", func(string, []byte) bool { n++; return true })
		}
		return nil
	})
	if n != 0 {
		t.Errorf("%d policy keys left after DeleteOrganization", n)
	}
}

// SCPs restrict a member's calls to the operations standalone accounts may
// call too, such as the handshake ones.
func TestSCPsApplyToHandshakeOperations(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, otherID)
	ctx := as(mgmtID)
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:ListHandshakesForAccount","Resource":"*"}]}`
	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "no-handshakes", Type: api.PolicyTypeServiceControlPolicy, Content: deny}))
	if _, err := f.svc.ListHandshakesForAccount(as(otherID), &api.ListHandshakesForAccountRequest{}); err != nil {
		t.Fatalf("before the SCP: %v", err)
	}
	must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: otherID}))
	_, err := f.svc.ListHandshakesForAccount(as(otherID), &api.ListHandshakesForAccountRequest{})
	wantErr(t, err, api.ErrAccessDenied, "")
	// Neither the management account nor a standalone account is restricted.
	if _, err := f.svc.ListHandshakesForAccount(ctx, &api.ListHandshakesForAccountRequest{}); err != nil {
		t.Errorf("management account: %v", err)
	}
	if _, err := f.svc.ListHandshakesForAccount(as(thirdID), &api.ListHandshakesForAccountRequest{}); err != nil {
		t.Errorf("standalone account: %v", err)
	}
}

// TestAppendNanos checks appendNanos against the fmt verb it stands in for.
func TestAppendNanos(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 1764601543123456789, math.MaxInt64, -1, math.MinInt64} {
		if got, want := string(appendNanos([]byte("x"), n)), fmt.Sprintf("x%020d", n); got != want {
			t.Errorf("appendNanos(%d) = %q, want %q", n, got, want)
		}
	}
}
