package e2e

// The delegation policy's boundary, from the delegated administrator's
// side: conditions and resources narrow what it grants, and what orgd
// cannot evaluate never grants (issue 10, item 1).

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// bndBackup is a valid backup policy.
const bndBackup = `{"plans":{"Daily":{"regions":{"@@assign":["us-east-1"]},"rules":{"Daily":{"schedule_expression":{"@@assign":"cron(0 5 ? * * *)"},"target_backup_vault_name":{"@@assign":"Default"}}}}}}`

// bndDenyAll is the service control policy an attacker would attach to the
// root to lock every member out.
const bndDenyAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`

// bndWorld is a dlgWorld with backup policies enabled, a service control
// policy the management account made, and helpers to act as the
// delegated administrator.
type bndWorld struct {
	*dlgWorld
	t       *testing.T
	OrgID   string
	MgmtSCP string
	n       int
}

func newBndWorld(t *testing.T) *bndWorld {
	t.Helper()
	w := &bndWorld{dlgWorld: newDlgWorld(t), t: t}
	org, err := w.Mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	w.OrgID = aws.ToString(org.Organization.Id)
	if _, err := w.Mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(w.Root), PolicyType: types.PolicyTypeBackupPolicy}); err != nil {
		t.Fatal(err)
	}
	w.MgmtSCP = w.create(w.Mgmt, types.PolicyTypeServiceControlPolicy, bndDenyAll, nil)
	return w
}

func (w *bndWorld) put(content string) {
	w.t.Helper()
	if _, err := w.Mgmt.PutResourcePolicy(ctx(w.t), &organizations.PutResourcePolicyInput{Content: aws.String(content)}); err != nil {
		w.t.Fatalf("PutResourcePolicy: %v", err)
	}
}

// grant is a delegation policy of one Allow statement for the delegated
// administrator; resource and condition are JSON.
func (w *bndWorld) grant(actions, resource, condition string) string {
	st := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + otherID + `:root"},"Action":` + actions + `,"Resource":` + resource
	if condition != "" {
		st += `,"Condition":` + condition
	}
	return `{"Version":"2012-10-17","Statement":[` + st + `}]}`
}

func (w *bndWorld) createErr(c *organizations.Client, typ types.PolicyType, content string, tags []types.Tag) (string, error) {
	w.n++
	out, err := c.CreatePolicy(ctx(w.t), &organizations.CreatePolicyInput{Name: aws.String(fmt.Sprint("p", w.n)), Description: aws.String("d"), Content: aws.String(content), Type: typ, Tags: tags})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Policy.PolicySummary.Id), nil
}

func (w *bndWorld) create(c *organizations.Client, typ types.PolicyType, content string, tags []types.Tag) string {
	w.t.Helper()
	id, err := w.createErr(c, typ, content, tags)
	if err != nil {
		w.t.Fatalf("CreatePolicy %s: %v", typ, err)
	}
	return id
}

func (w *bndWorld) attach(c *organizations.Client, policy, target string) error {
	_, err := c.AttachPolicy(ctx(w.t), &organizations.AttachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)})
	return err
}

func (w *bndWorld) detach(c *organizations.Client, policy, target string) error {
	_, err := c.DetachPolicy(ctx(w.t), &organizations.DetachPolicyInput{PolicyId: aws.String(policy), TargetId: aws.String(target)})
	return err
}

// attached lists the policies of a type attached to target.
func (w *bndWorld) attached(target string, typ types.PolicyType) []string {
	w.t.Helper()
	out, err := w.Mgmt.ListPoliciesForTarget(ctx(w.t), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: typ})
	if err != nil {
		w.t.Fatal(err)
	}
	ids := []string{}
	for _, p := range out.Policies {
		ids = append(ids, aws.ToString(p.Id))
	}
	slices.Sort(ids)
	return ids
}

// policyNames lists the names of the organization's policies of a type.
func (w *bndWorld) policyNames(typ types.PolicyType) []string {
	w.t.Helper()
	out, err := w.Mgmt.ListPolicies(ctx(w.t), &organizations.ListPoliciesInput{Filter: typ})
	if err != nil {
		w.t.Fatal(err)
	}
	var names []string
	for _, p := range out.Policies {
		names = append(names, aws.ToString(p.Name))
	}
	slices.Sort(names)
	return names
}

// With CreatePolicy, AttachPolicy and DetachPolicy delegated only for
// BACKUP_POLICY, the delegated administrator can neither create a service
// control policy, nor attach one the management account made, nor detach
// FullAWSAccess; backup policies it manages freely.
func TestDelegationPolicyTypeIsEnforced(t *testing.T) {
	t.Parallel()
	for _, cond := range []string{
		`{"StringEquals":{"organizations:PolicyType":"BACKUP_POLICY"}}`,
		// The User Guide's own example.
		`{"StringLikeIfExists":{"organizations:PolicyType":["BACKUP_*"]}}`,
	} {
		t.Run(cond, func(t *testing.T) {
			t.Parallel()
			w := newBndWorld(t)
			w.put(w.grant(`["organizations:CreatePolicy","organizations:AttachPolicy","organizations:DetachPolicy"]`, `"*"`, cond))
			scpsBefore := w.policyNames(types.PolicyTypeServiceControlPolicy)

			_, err := w.createErr(w.DA, types.PolicyTypeServiceControlPolicy, bndDenyAll, nil)
			wantAPIError(t, err, "AccessDeniedException", "")
			if got := w.policyNames(types.PolicyTypeServiceControlPolicy); !slices.Equal(got, scpsBefore) {
				t.Errorf("service control policies after the refused create: %v, want %v", got, scpsBefore)
			}

			wantAPIError(t, w.attach(w.DA, w.MgmtSCP, w.Root), "AccessDeniedException", "")
			wantAPIError(t, w.attach(w.DA, w.MgmtSCP, memberID), "AccessDeniedException", "")
			if got := w.attached(w.Root, types.PolicyTypeServiceControlPolicy); !slices.Equal(got, []string{"p-FullAWSAccess"}) {
				t.Fatalf("SCPs on the root after the refused attach: %v", got)
			}

			// With a second SCP on the root, detaching FullAWSAccess would
			// succeed if it were allowed.
			if err := w.attach(w.Mgmt, w.create(w.Mgmt, types.PolicyTypeServiceControlPolicy, dlgSCP, nil), w.Root); err != nil {
				t.Fatal(err)
			}
			wantAPIError(t, w.detach(w.DA, "p-FullAWSAccess", w.Root), "AccessDeniedException", "")
			if got := w.attached(w.Root, types.PolicyTypeServiceControlPolicy); !slices.Contains(got, "p-FullAWSAccess") {
				t.Fatalf("FullAWSAccess detached from the root: %v", got)
			}

			backup := w.create(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
			if err := w.attach(w.DA, backup, w.Root); err != nil {
				t.Fatalf("AttachPolicy BACKUP_POLICY: %v", err)
			}
			if err := w.attach(w.DA, backup, memberID); err != nil {
				t.Fatalf("AttachPolicy BACKUP_POLICY to an account: %v", err)
			}
			if got := w.attached(w.Root, types.PolicyTypeBackupPolicy); !slices.Equal(got, []string{backup}) {
				t.Errorf("backup policies on the root: %v", got)
			}
			if err := w.detach(w.DA, backup, w.Root); err != nil {
				t.Fatalf("DetachPolicy BACKUP_POLICY: %v", err)
			}
			// The management account's backup policy is as delegated.
			mgmtBackup := w.create(w.Mgmt, types.PolicyTypeBackupPolicy, bndBackup, nil)
			if err := w.attach(w.DA, mgmtBackup, w.Root); err != nil {
				t.Fatalf("AttachPolicy of the management account's backup policy: %v", err)
			}
			// Not granted at all: UpdatePolicy and DeletePolicy, whatever the type.
			_, err = w.DA.UpdatePolicy(ctx(t), &organizations.UpdatePolicyInput{PolicyId: aws.String(backup), Name: aws.String("renamed")})
			wantAPIError(t, err, "AccessDeniedException", "")
			_, err = w.DA.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(backup)})
			wantAPIError(t, err, "AccessDeniedException", "")
		})
	}
}

// The policy types a delegated administrator may enable and disable in the
// root are those the condition names.
func TestDelegationPolicyTypeEnableDisable(t *testing.T) {
	t.Parallel()
	w := newBndWorld(t)
	w.put(w.grant(`["organizations:EnablePolicyType","organizations:DisablePolicyType"]`, `"*"`,
		`{"StringEquals":{"organizations:PolicyType":["BACKUP_POLICY","TAG_POLICY"]}}`))
	enable := func(pt types.PolicyType) error {
		_, err := w.DA.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(w.Root), PolicyType: pt})
		return err
	}
	disable := func(pt types.PolicyType) error {
		_, err := w.DA.DisablePolicyType(ctx(t), &organizations.DisablePolicyTypeInput{RootId: aws.String(w.Root), PolicyType: pt})
		return err
	}
	wantAPIError(t, disable(types.PolicyTypeServiceControlPolicy), "AccessDeniedException", "")
	wantAPIError(t, enable(types.PolicyTypeResourceControlPolicy), "AccessDeniedException", "")
	if err := enable(types.PolicyTypeTagPolicy); err != nil {
		t.Fatalf("EnablePolicyType TAG_POLICY: %v", err)
	}
	if err := disable(types.PolicyTypeBackupPolicy); err != nil {
		t.Fatalf("DisablePolicyType BACKUP_POLICY: %v", err)
	}
	roots, err := w.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var enabled []string
	for _, pt := range roots.Roots[0].PolicyTypes {
		enabled = append(enabled, string(pt.Type))
	}
	slices.Sort(enabled)
	if want := []string{"SERVICE_CONTROL_POLICY", "TAG_POLICY"}; !slices.Equal(enabled, want) {
		t.Errorf("enabled policy types %v, want %v", enabled, want)
	}
}

// Resource ARNs narrow a grant as the User Guide's examples use them: to
// the policies of one type, and to one target.
func TestDelegationPolicyResources(t *testing.T) {
	t.Parallel()
	w := newBndWorld(t)
	arn := func(resource string) string {
		return `"arn:aws:organizations::` + mgmtID + `:` + resource + `"`
	}
	w.put(w.grant(`["organizations:CreatePolicy","organizations:AttachPolicy","organizations:DetachPolicy","organizations:DeletePolicy"]`,
		`[`+arn("policy/"+w.OrgID+"/backup_policy/*")+`,`+arn("account/"+w.OrgID+"/"+memberID)+`]`, ""))

	_, err := w.createErr(w.DA, types.PolicyTypeServiceControlPolicy, bndDenyAll, nil)
	wantAPIError(t, err, "AccessDeniedException", "")
	backup := w.create(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
	if err := w.attach(w.DA, backup, memberID); err != nil {
		t.Fatalf("AttachPolicy to the named account: %v", err)
	}
	// The root is not among the resources.
	wantAPIError(t, w.attach(w.DA, backup, w.Root), "AccessDeniedException", "")
	// Nor is the management account's SCP, even on the named account.
	wantAPIError(t, w.attach(w.DA, w.MgmtSCP, memberID), "AccessDeniedException", "")
	_, err = w.DA.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(w.MgmtSCP)})
	wantAPIError(t, err, "AccessDeniedException", "")
	if err := w.detach(w.DA, backup, memberID); err != nil {
		t.Fatalf("DetachPolicy from the named account: %v", err)
	}
	if _, err := w.DA.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(backup)}); err != nil {
		t.Fatalf("DeletePolicy of a backup policy: %v", err)
	}
}

// Tag conditions see the request's tags and the resource's, and tags given
// to CreatePolicy need TagResource too.
func TestDelegationPolicyTags(t *testing.T) {
	t.Parallel()
	w := newBndWorld(t)
	tag := func(k, v string) []types.Tag { return []types.Tag{{Key: aws.String(k), Value: aws.String(v)}} }
	tagResource := func(id string, tags []types.Tag) error {
		_, err := w.DA.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: tags})
		return err
	}
	untag := func(id string, keys ...string) error {
		_, err := w.DA.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: keys})
		return err
	}
	w.put(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:CreatePolicy","Resource":"*"},` +
		`{"Effect":"Allow","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:TagResource","Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:RequestTag/team":"backup"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},` +
		`{"Effect":"Allow","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:UntagResource","Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:ResourceTag/owner":"delegate"}}}]}`)

	if err := tagResource(memberID, tag("team", "backup")); err != nil {
		t.Fatalf("TagResource team=backup: %v", err)
	}
	wantAPIError(t, tagResource(memberID, tag("team", "security")), "AccessDeniedException", "")
	wantAPIError(t, tagResource(memberID, append(tag("team", "backup"), tag("owner", "delegate")...)), "AccessDeniedException", "")
	if tags, err := dlgTags(t, w.Mgmt, memberID); err != nil || !slices.Equal(tags, []string{"team=backup"}) {
		t.Fatalf("tags %v %v", tags, err)
	}

	// Untagging needs the resource's own owner=delegate tag.
	wantAPIError(t, untag(memberID, "team"), "AccessDeniedException", "")
	if _, err := w.Mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(memberID), Tags: tag("owner", "delegate")}); err != nil {
		t.Fatal(err)
	}
	if err := untag(memberID, "team"); err != nil {
		t.Fatalf("UntagResource of a resource tagged owner=delegate: %v", err)
	}

	// Tags on create are a TagResource too.
	if _, err := w.createErr(w.DA, types.PolicyTypeBackupPolicy, bndBackup, tag("team", "security")); err == nil {
		t.Fatal("CreatePolicy with tags TagResource does not allow: no error")
	} else {
		wantAPIError(t, err, "AccessDeniedException", "")
	}
	w.create(w.DA, types.PolicyTypeBackupPolicy, bndBackup, tag("team", "backup"))
	w.create(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
}

// Conditions orgd cannot evaluate never grant, and always deny.
func TestDelegationUnknownConditionsDeny(t *testing.T) {
	t.Parallel()
	w := newBndWorld(t)
	allowAll := `{"Effect":"Allow","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:*","Resource":"*"}`
	for _, tc := range []struct{ name, policy string }{
		{"allow on a key orgd does not know", w.grant(`"organizations:CreatePolicy"`, `"*"`, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`)},
		{"allow on a negated unknown key", w.grant(`"organizations:CreatePolicy"`, `"*"`, `{"StringNotEquals":{"aws:PrincipalTag/team":"nobody"}}`)},
		{"allow with an unknown policy variable", w.grant(`"organizations:CreatePolicy"`, `"*"`, `{"StringNotEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}`)},
		{"deny on a key orgd does not know", `{"Version":"2012-10-17","Statement":[` + allowAll + `,` +
			`{"Effect":"Deny","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:CreatePolicy","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.put(tc.policy)
			_, err := w.createErr(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
			wantAPIError(t, err, "AccessDeniedException", "")
		})
	}
	// A key AWS documents for Organizations that no policy write carries
	// is absent, as IAM treats it.
	w.put(w.grant(`"organizations:CreatePolicy"`, `"*"`, `{"StringEqualsIfExists":{"organizations:ServicePrincipal":"sso.amazonaws.com"}}`))
	w.create(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
	w.put(w.grant(`"organizations:CreatePolicy"`, `"*"`, `{"StringEquals":{"organizations:ServicePrincipal":"sso.amazonaws.com"}}`))
	_, err := w.createErr(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
	wantAPIError(t, err, "AccessDeniedException", "")
	// The principal's account and organization are known.
	w.put(w.grant(`"organizations:CreatePolicy"`, `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"`+w.OrgID+`","aws:PrincipalAccount":"`+otherID+`"}}`))
	w.create(w.DA, types.PolicyTypeBackupPolicy, bndBackup, nil)
	// A policy that does not exist has no known type: a type condition
	// refuses.
	w.put(w.grant(`"organizations:DeletePolicy"`, `"*"`, `{"StringEquals":{"organizations:PolicyType":"BACKUP_POLICY"}}`))
	_, err = w.DA.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String("p-" + strings.Repeat("0", 10))})
	wantAPIError(t, err, "AccessDeniedException", "")
}

// aws:PrincipalArn is the role a session assumed, path included, as AWS
// sets it: a delegation to the account narrowed to one role grants that
// role's sessions only.
func TestDelegationPrincipalArnCondition(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::" + memberID + ":role/team/PolicyAdmin"
	_, memberRoot, session, create := newRoleDelegation(t,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+memberID+`"},"Action":"organizations:CreatePolicy","Resource":"*",`+
			`"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/team/*"}}}]}`)
	if err := create(session(role), "ByTeamRole"); err != nil {
		t.Fatalf("CreatePolicy as a session of a role under team/: %v", err)
	}
	wantAPIError(t, create(session("arn:aws:iam::"+memberID+":role/PolicyAdmin"), "ByOtherPath"), "AccessDeniedException", "")
	wantAPIError(t, create(memberRoot, "ByRoot"), "AccessDeniedException", "")
}
