package org

import (
	"testing"

	"github.com/orgd/orgd/internal/api"
)

func TestResourceARN(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ou := f.createOU(mgmtID, root, "ou1")
	f.join(mgmtID, ou, api.AccountJoinedMethodInvited, otherID)
	hs := f.invite(mgmtID, &api.HandshakeParty{Id: thirdID, Type: api.HandshakePartyTypeAccount})
	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(as(mgmtID), &api.CreatePolicyRequest{Name: "d", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeave}))

	prefix := "arn:aws:organizations::" + mgmtID + ":"
	acctARN := prefix + "account/" + o.Id + "/" + otherID
	ouARN := prefix + "ou/" + o.Id + "/" + ou
	rootARN := prefix + "root/" + o.Id + "/" + root
	policyARN := p.Policy.PolicySummary.Arn
	cases := []struct {
		op   string
		in   any
		want string
	}{
		{"DescribeAccount", &api.DescribeAccountRequest{AccountId: otherID}, acctARN},
		{"MoveAccount", &api.MoveAccountRequest{AccountId: otherID, SourceParentId: ou, DestinationParentId: root}, acctARN},
		{"CloseAccount", &api.CloseAccountRequest{AccountId: otherID}, acctARN},
		{"RemoveAccountFromOrganization", &api.RemoveAccountFromOrganizationRequest{AccountId: otherID}, acctARN},
		{"RegisterDelegatedAdministrator", &api.RegisterDelegatedAdministratorRequest{AccountId: otherID}, acctARN},
		{"ListDelegatedServicesForAccount", &api.ListDelegatedServicesForAccountRequest{AccountId: otherID}, acctARN},
		{"DescribeEffectivePolicy", &api.DescribeEffectivePolicyRequest{TargetId: otherID}, acctARN},
		// Without a target the caller asks about itself.
		{"DescribeEffectivePolicy", &api.DescribeEffectivePolicyRequest{}, prefix + "account/" + o.Id + "/" + mgmtID},
		{"InviteAccountToOrganization", &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: otherID, Type: api.HandshakePartyTypeAccount}}, acctARN},
		{"InviteAccountToOrganization", &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: "a@example.com", Type: api.HandshakePartyTypeEmail}}, ""},
		{"TagResource", &api.TagResourceRequest{ResourceId: ou}, ouARN},
		{"UntagResource", &api.UntagResourceRequest{ResourceId: root}, rootARN},
		{"ListTagsForResource", &api.ListTagsForResourceRequest{ResourceId: p.Policy.PolicySummary.Id}, policyARN},
		{"CreateOrganizationalUnit", &api.CreateOrganizationalUnitRequest{ParentId: ou}, ouARN},
		{"DeleteOrganizationalUnit", &api.DeleteOrganizationalUnitRequest{OrganizationalUnitId: ou}, ouARN},
		{"ListChildren", &api.ListChildrenRequest{ParentId: root}, rootARN},
		{"ListParents", &api.ListParentsRequest{ChildId: otherID}, acctARN},
		{"ListPoliciesForTarget", &api.ListPoliciesForTargetRequest{TargetId: ou}, ouARN},
		{"EnablePolicyType", &api.EnablePolicyTypeRequest{RootId: root}, rootARN},
		{"AttachPolicy", &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: otherID}, policyARN},
		{"DescribePolicy", &api.DescribePolicyRequest{PolicyId: fullAWSAccessID}, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"},
		{"DescribePolicy", &api.DescribePolicyRequest{PolicyId: "p-0000000000"}, ""},
		{"DescribeHandshake", &api.DescribeHandshakeRequest{HandshakeId: hs.Id}, hs.Arn},
		{"AcceptHandshake", &api.AcceptHandshakeRequest{HandshakeId: hs.Id}, hs.Arn},
		{"DescribeHandshake", &api.DescribeHandshakeRequest{HandshakeId: "h-0000000000"}, ""},
		{"ListAccounts", &api.ListAccountsRequest{}, ""},
		{"LeaveOrganization", nil, ""},
	}
	err := f.svc.read(as(mgmtID), func(tx *txn) error {
		c, err := tx.caller("DescribeOrganization", nil)
		if err != nil {
			return err
		}
		for _, tc := range cases {
			got, err := resourceARN(tx, c, tc.op, tc.in)
			if err != nil {
				return err
			}
			if got != tc.want {
				t.Errorf("%s %+v: %q, want %q", tc.op, tc.in, got, tc.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// SCPs that name resources restrict the calls on those resources only.
func TestSCPResourcePatterns(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ou1 := f.createOU(mgmtID, root, "ou1")
	ou2 := f.createOU(mgmtID, root, "ou2")
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, otherID)
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, thirdID)
	f.plantDelegatedAdmin(mgmtID, otherID)
	ctx := as(mgmtID)
	must[*api.EnablePolicyTypeResponse](t)(f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeTagPolicy}))
	tp := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "t", Type: api.PolicyTypeTagPolicy, Content: tagPolicyA}))
	must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: tp.Policy.PolicySummary.Id, TargetId: root}))

	arn := "arn:aws:organizations::" + mgmtID + ":"
	deny := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Deny","Action":"organizations:DescribeOrganizationalUnit","Resource":"` + arn + `ou/` + o.Id + `/` + ou1 + `"},` +
		`{"Effect":"Deny","Action":"organizations:DescribePolicy","Resource":"arn:aws:organizations::*:policy/*/tag_policy/*"},` +
		`{"Effect":"Deny","Action":"organizations:ListChildren","Resource":"` + arn + `root/*"},` +
		`{"Effect":"Deny","Action":"organizations:ListRoots","Resource":"` + arn + `root/*"},` +
		`{"Effect":"Deny","Action":"organizations:DescribeEffectivePolicy","Resource":"` + arn + `account/*/` + thirdID + `"}]}`
	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "by-resource", Type: api.PolicyTypeServiceControlPolicy, Content: deny}))
	must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: otherID}))

	da := as(otherID)
	cases := []struct {
		name   string
		call   func() error
		denied bool
	}{
		{"the named OU", func() error {
			_, err := f.svc.DescribeOrganizationalUnit(da, &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: ou1})
			return err
		}, true},
		{"another OU", func() error {
			_, err := f.svc.DescribeOrganizationalUnit(da, &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: ou2})
			return err
		}, false},
		{"a tag policy", func() error {
			_, err := f.svc.DescribePolicy(da, &api.DescribePolicyRequest{PolicyId: tp.Policy.PolicySummary.Id})
			return err
		}, true},
		{"an SCP", func() error {
			_, err := f.svc.DescribePolicy(da, &api.DescribePolicyRequest{PolicyId: p.Policy.PolicySummary.Id})
			return err
		}, false},
		{"the root's children", func() error {
			_, err := f.svc.ListChildren(da, &api.ListChildrenRequest{ParentId: root, ChildType: api.ChildTypeOrganizationalUnit})
			return err
		}, true},
		{"an OU's children", func() error {
			_, err := f.svc.ListChildren(da, &api.ListChildrenRequest{ParentId: ou1, ChildType: api.ChildTypeOrganizationalUnit})
			return err
		}, false},
		// ListRoots takes no resource, so a statement naming one never
		// matches it.
		{"an action without a resource", func() error {
			_, err := f.svc.ListRoots(da, &api.ListRootsRequest{})
			return err
		}, false},
		{"the effective policy of the named account", func() error {
			_, err := f.svc.DescribeEffectivePolicy(da, &api.DescribeEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeTagPolicy, TargetId: thirdID})
			return err
		}, true},
		{"its own effective policy", func() error {
			_, err := f.svc.DescribeEffectivePolicy(da, &api.DescribeEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeTagPolicy})
			return err
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if c.denied {
				wantErr(t, err, api.ErrAccessDenied, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Compiled policies are cached; a changed policy must be seen at once.
func TestAuthorizeSeesPolicyUpdates(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	ctx := as(mgmtID)
	p := must[*api.CreatePolicyResponse](t)(f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "d", Type: api.PolicyTypeServiceControlPolicy, Content: denyLeave}))
	id := p.Policy.PolicySummary.Id
	must[*api.Empty](t)(f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: id, TargetId: otherID}))
	req := AuthorizeRequest{Account: otherID, Action: "organizations:LeaveOrganization"}
	decide := func() *AuthorizeResult {
		t.Helper()
		return must[*AuthorizeResult](t)(f.svc.Authorize(ctx, req))
	}
	if r := decide(); r.Allowed || r.DecidedBy == nil || r.DecidedBy.PolicyName != "d" {
		t.Fatalf("before the update: %+v", r)
	}
	must[*api.UpdatePolicyResponse](t)(f.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: id, Name: "renamed"}))
	if r := decide(); r.Allowed || r.DecidedBy == nil || r.DecidedBy.PolicyName != "renamed" {
		t.Fatalf("after renaming: %+v", r)
	}
	must[*api.UpdatePolicyResponse](t)(f.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: id,
		Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`}))
	if r := decide(); !r.Allowed {
		t.Fatalf("after changing the content: %+v", r)
	}
}
