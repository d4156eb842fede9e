package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

const (
	polDenyLeave = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	polSCP       = types.PolicyTypeServiceControlPolicy
	polTag       = types.PolicyTypeTagPolicy
)

func polRoot(t testing.TB, c *organizations.Client) string {
	t.Helper()
	out, err := c.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil || len(out.Roots) != 1 {
		t.Fatalf("ListRoots: %v", err)
	}
	return aws.ToString(out.Roots[0].Id)
}

// polCreate creates a policy and returns its ID.
func polCreate(t testing.TB, c *organizations.Client, name string, typ types.PolicyType, content string, tags ...types.Tag) string {
	t.Helper()
	out, err := c.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(""), Type: typ, Content: aws.String(content), Tags: tags})
	if err != nil {
		t.Fatalf("CreatePolicy %s: %v", name, err)
	}
	return aws.ToString(out.Policy.PolicySummary.Id)
}

func polAttach(t testing.TB, c *organizations.Client, policy, target string) {
	t.Helper()
	if _, err := c.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)}); err != nil {
		t.Fatalf("AttachPolicy %s to %s: %v", policy, target, err)
	}
}

func polEnable(t testing.TB, c *organizations.Client, root string, typ types.PolicyType) {
	t.Helper()
	if _, err := c.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: typ}); err != nil {
		t.Fatalf("EnablePolicyType %s: %v", typ, err)
	}
}

// polMigrate takes mgmt's consolidated-billing organization to all
// features: every invited member approves, then the management account
// finalizes.
func polMigrate(t testing.TB, h *harness, mgmt *organizations.Client, members ...string) {
	t.Helper()
	parent, err := mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	if err != nil {
		t.Fatalf("EnableAllFeatures: %v", err)
	}
	for _, m := range members {
		c := h.client(t, m)
		hs, err := c.ListHandshakesForAccount(ctx(t), &organizations.ListHandshakesForAccountInput{
			Filter: &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}})
		if err != nil || len(hs.Handshakes) != 1 {
			t.Fatalf("%s approval handshakes: %v %v", m, hs, err)
		}
		if _, err := c.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: hs.Handshakes[0].Id}); err != nil {
			t.Fatalf("%s approves: %v", m, err)
		}
	}
	if _, err := mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: parent.Handshake.Id}); err != nil {
		t.Fatalf("finalizing: %v", err)
	}
}

// A deny-leave SCP on an OU keeps its members in the organization, and
// only them; the decision endpoint agrees with the enforcement.
func TestSCPDeniesLeaving(t *testing.T) {
	t.Parallel()
	for _, migrated := range []bool{false, true} {
		name := "created with all features"
		if migrated {
			name = "migrated from consolidated billing"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			mgmt := h.client(t, mgmtID)
			fs := types.OrganizationFeatureSetAll
			if migrated {
				fs = types.OrganizationFeatureSetConsolidatedBilling
			}
			h.newOrg(t, mgmtID, fs)
			h.join(t, mgmtID, memberID)
			h.join(t, mgmtID, otherID)
			root := polRoot(t, mgmt)
			if migrated {
				polMigrate(t, h, mgmt, memberID, otherID)
				// Finishing the migration leaves SCPs to be enabled.
				r, err := mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
				if err != nil || len(r.Roots[0].PolicyTypes) != 0 {
					t.Fatalf("root after migration: %+v %v", r, err)
				}
				polEnable(t, mgmt, root, polSCP)
			}
			ou, err := mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("Locked")})
			if err != nil {
				t.Fatal(err)
			}
			ouID := aws.ToString(ou.OrganizationalUnit.Id)
			if _, err := mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(memberID), SourceParentId: aws.String(root), DestinationParentId: aws.String(ouID)}); err != nil {
				t.Fatal(err)
			}
			deny := polCreate(t, mgmt, "deny-leave", polSCP, polDenyLeave)
			polAttach(t, mgmt, deny, ouID)

			var decision struct {
				Allowed   bool   `json:"allowed"`
				Decision  string `json:"decision"`
				DecidedBy struct {
					TargetID string `json:"targetId"`
					PolicyID string `json:"policyId"`
				} `json:"decidedBy"`
			}
			h.admin(t, http.MethodPost, "/_orgd/authorize", map[string]string{"account": memberID, "action": "organizations:LeaveOrganization"}, &decision)
			if decision.Allowed || decision.Decision != "EXPLICIT_DENY" || decision.DecidedBy.PolicyID != deny || decision.DecidedBy.TargetID != ouID {
				t.Errorf("decision endpoint: %+v", decision)
			}

			_, err = h.client(t, memberID).LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{})
			wantAPIError(t, err, "AccessDeniedException", "")
			if _, err := h.client(t, otherID).LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{}); err != nil {
				t.Fatalf("a member outside the OU may leave: %v", err)
			}
			// Detaching the SCP lifts the restriction.
			if _, err := mgmt.DetachPolicy(ctx(t), &organizations.DetachPolicyInput{PolicyId: aws.String(deny), TargetId: aws.String(ouID)}); err != nil {
				t.Fatal(err)
			}
			if _, err := h.client(t, memberID).LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{}); err != nil {
				t.Fatalf("leaving after the detach: %v", err)
			}
		})
	}
}

// Every exception and reason of the policy operations, as the SDK decodes
// them.
func TestPolicyErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mgmt := h.client(t, mgmtID)
	h.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	h.join(t, mgmtID, memberID)
	root := polRoot(t, mgmt)
	c := ctx(t)

	_, err := mgmt.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: polSCP})
	wantAPIError(t, err, "PolicyTypeAlreadyEnabledException", "")
	_, err = mgmt.DisablePolicyType(c, &organizations.DisablePolicyTypeInput{RootId: aws.String(root), PolicyType: polTag})
	wantAPIError(t, err, "PolicyTypeNotEnabledException", "")
	tagID := polCreate(t, mgmt, "tags", polTag, `{"tags":{"team":{"tag_key":{"@@assign":"Team"}}}}`)
	_, err = mgmt.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(tagID), TargetId: aws.String(root)})
	wantAPIError(t, err, "PolicyTypeNotEnabledException", "")

	_, err = mgmt.UpdatePolicy(c, &organizations.UpdatePolicyInput{PolicyId: aws.String("p-FullAWSAccess"), Name: aws.String("mine")})
	wantAPIError(t, err, "InvalidInputException", "IMMUTABLE_POLICY")
	_, err = mgmt.DeletePolicy(c, &organizations.DeletePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	wantAPIError(t, err, "InvalidInputException", "IMMUTABLE_POLICY")
	polEnable(t, mgmt, root, types.PolicyTypeResourceControlPolicy)
	_, err = mgmt.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String("p-RCPFullAWSAccess"), TargetId: aws.String(root)})
	wantAPIError(t, err, "InvalidInputException", "NON_DETACHABLE_POLICY")

	deny := polCreate(t, mgmt, "deny-leave", polSCP, polDenyLeave)
	_, err = mgmt.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String("deny-leave"), Description: aws.String(""), Type: polSCP, Content: aws.String(polDenyLeave)})
	wantAPIError(t, err, "DuplicatePolicyException", "")
	polAttach(t, mgmt, deny, memberID)
	_, err = mgmt.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(deny), TargetId: aws.String(memberID)})
	wantAPIError(t, err, "DuplicatePolicyAttachmentException", "")
	_, err = mgmt.DeletePolicy(c, &organizations.DeletePolicyInput{PolicyId: aws.String(deny)})
	wantAPIError(t, err, "PolicyInUseException", "")
	_, err = mgmt.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String(deny), TargetId: aws.String(root)})
	wantAPIError(t, err, "PolicyNotAttachedException", "")
	_, err = mgmt.DescribePolicy(c, &organizations.DescribePolicyInput{PolicyId: aws.String("p-0000000000")})
	wantAPIError(t, err, "PolicyNotFoundException", "")
	_, err = mgmt.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(deny), TargetId: aws.String("999999999999")})
	wantAPIError(t, err, "TargetNotFoundException", "")
	_, err = mgmt.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String("bad"), Description: aws.String(""), Type: polSCP, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)})
	wantAPIError(t, err, "MalformedPolicyDocumentException", "")
	big := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 10300) + `","Effect":"Deny","Action":"*","Resource":"*"}]}`
	_, err = mgmt.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String("big"), Description: aws.String(""), Type: polSCP, Content: aws.String(big)})
	wantAPIError(t, err, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")

	// The member now has FullAWSAccess and deny-leave; eight more make
	// ten, the most a target may have.
	for i := 0; i < 8; i++ {
		polAttach(t, mgmt, polCreate(t, mgmt, "extra"+string(rune('a'+i)), polSCP, polDenyLeave), memberID)
	}
	_, err = mgmt.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(polCreate(t, mgmt, "eleventh", polSCP, polDenyLeave)), TargetId: aws.String(memberID)})
	wantAPIError(t, err, "ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	// The root has FullAWSAccess only, and must keep an SCP.
	_, err = mgmt.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(root)})
	wantAPIError(t, err, "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")

	// Policies of a consolidated-billing organization are not available.
	h.newOrg(t, otherID, types.OrganizationFeatureSetConsolidatedBilling)
	cb := h.client(t, otherID)
	_, err = cb.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(polRoot(t, cb)), PolicyType: polSCP})
	wantAPIError(t, err, "PolicyTypeNotAvailableForOrganizationException", "")
}

func polTags(t testing.TB, c *organizations.Client, id string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", id, err)
	}
	m := map[string]string{}
	for _, tag := range out.Tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

func TestPolicyTags(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mgmt := h.client(t, mgmtID)
	h.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	id := polCreate(t, mgmt, "tagged", polSCP, polDenyLeave, types.Tag{Key: aws.String("team"), Value: aws.String("security")})
	if got := polTags(t, mgmt, id); len(got) != 1 || got["team"] != "security" {
		t.Fatalf("tags at creation %v", got)
	}
	if _, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if got := polTags(t, mgmt, id); len(got) != 1 || got["env"] != "prod" {
		t.Fatalf("tags after tagging and untagging %v", got)
	}
	// AWS-managed policies cannot be tagged.
	_, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String("p-FullAWSAccess"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "TargetNotFoundException", "")
}

// The user guide's tag policy example on the root, an OU and an account,
// read back as the account's effective policy.
func TestEffectiveTagPolicy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mgmt := h.client(t, mgmtID)
	h.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	h.join(t, mgmtID, memberID)
	h.join(t, mgmtID, otherID)
	root := polRoot(t, mgmt)
	member := h.client(t, memberID)
	c := ctx(t)

	_, err := member.DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy})
	wantAPIError(t, err, "EffectivePolicyNotFoundException", "")

	polEnable(t, mgmt, root, polTag)
	ou, err := mgmt.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("OU1")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	if _, err := mgmt.MoveAccount(c, &organizations.MoveAccountInput{AccountId: aws.String(memberID), SourceParentId: aws.String(root), DestinationParentId: aws.String(ouID)}); err != nil {
		t.Fatal(err)
	}
	polAttach(t, mgmt, polCreate(t, mgmt, "A", polTag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`), root)
	polAttach(t, mgmt, polCreate(t, mgmt, "C", polTag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@append":["Marketing"]},"enforced_for":{"@@append":["redshift:*","dynamodb:table"]}}}}`), ouID)
	polAttach(t, mgmt, polCreate(t, mgmt, "D", polTag, `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@remove":["Development","Marketing"]},"enforced_for":{"@@remove":["redshift:*","dynamodb:table"]}}}}`), memberID)
	want := map[string]any{"tags": map[string]any{"costcenter": map[string]any{"tag_key": "CostCenter", "tag_value": []any{"Support"}}}}
	for _, q := range []struct {
		who    string
		c      *organizations.Client
		target *string
	}{{"the member itself", member, nil}, {"the management account", mgmt, aws.String(memberID)}} {
		out, err := q.c.DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy, TargetId: q.target})
		if err != nil {
			t.Fatalf("%s: %v", q.who, err)
		}
		ep := out.EffectivePolicy
		var got any
		if err := json.Unmarshal([]byte(aws.ToString(ep.PolicyContent)), &got); err != nil {
			t.Fatalf("%s: content %q", q.who, aws.ToString(ep.PolicyContent))
		}
		if b1, _ := json.Marshal(got); string(b1) != mustJSON(t, want) {
			t.Errorf("%s: effective policy %s", q.who, b1)
		}
		if aws.ToString(ep.TargetId) != memberID || ep.PolicyType != types.EffectivePolicyTypeTagPolicy || ep.LastUpdatedTimestamp == nil {
			t.Errorf("%s: %+v", q.who, ep)
		}
	}
	_, err = member.DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy, TargetId: aws.String(otherID)})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = mgmt.DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy, TargetId: aws.String(ouID)})
	wantAPIError(t, err, "InvalidInputException", "TARGET_NOT_SUPPORTED")

	// A child policy the root forbids shows up as a validation error.
	polAttach(t, mgmt, polCreate(t, mgmt, "locked", polTag, `{"tags":{"project":{"tag_key":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"Project"}}}}`), root)
	bad := polCreate(t, mgmt, "rename", polTag, `{"tags":{"project":{"tag_key":{"@@assign":"PROJECT"}}}}`)
	polAttach(t, mgmt, bad, otherID)
	inv, err := mgmt.ListAccountsWithInvalidEffectivePolicy(c, &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy})
	if err != nil || len(inv.Accounts) != 1 || aws.ToString(inv.Accounts[0].Id) != otherID {
		t.Fatalf("ListAccountsWithInvalidEffectivePolicy: %+v %v", inv, err)
	}
	ve, err := mgmt.ListEffectivePolicyValidationErrors(c, &organizations.ListEffectivePolicyValidationErrorsInput{AccountId: aws.String(otherID), PolicyType: types.EffectivePolicyTypeTagPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if len(ve.EffectivePolicyValidationErrors) != 1 || ve.EvaluationTimestamp == nil || !strings.HasSuffix(aws.ToString(ve.Path), "/"+root+"/"+otherID+"/") {
		t.Fatalf("validation errors %+v", ve)
	}
	e := ve.EffectivePolicyValidationErrors[0]
	if aws.ToString(e.ErrorCode) != "OPERATOR_NOT_ALLOWED" || aws.ToString(e.PathToError) != "tags/project/tag_key" || len(e.ContributingPolicies) == 0 || e.ContributingPolicies[0] != bad {
		t.Errorf("error %+v", e)
	}
	_, err = mgmt.ListEffectivePolicyValidationErrors(c, &organizations.ListEffectivePolicyValidationErrorsInput{AccountId: aws.String(standaloneID), PolicyType: types.EffectivePolicyTypeTagPolicy})
	wantAPIError(t, err, "AccountNotFoundException", "")
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
