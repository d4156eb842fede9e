package org

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// delegatePolicy is a delegation policy allowing acct the actions, given
// as a JSON string or list.
func delegatePolicy(acct, actions string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Delegate","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":` + actions + `,"Resource":"*"}]}`
}

func TestResourcePolicyLifecycle(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	ctx := as(mgmtID)

	_, err := f.svc.DescribeResourcePolicy(ctx, &api.Empty{})
	wantErr(t, err, api.ErrResourcePolicyNotFound, "")
	_, err = f.svc.DeleteResourcePolicy(ctx, &api.Empty{})
	wantErr(t, err, api.ErrResourcePolicyNotFound, "")

	content := delegatePolicy(otherID, `["organizations:CreatePolicy","organizations:Describe*"]`)
	tags := []api.Tag{{Key: "team", Value: "sec"}}
	put := must[*api.PutResourcePolicyResponse](t)(f.svc.PutResourcePolicy(ctx, &api.PutResourcePolicyRequest{Content: content, Tags: tags}))
	sum := put.ResourcePolicy.ResourcePolicySummary
	if !regexp.MustCompile(`^rp-[0-9a-zA-Z_]{4,128}$`).MatchString(sum.Id) {
		t.Errorf("ID %q", sum.Id)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":resourcepolicy/" + org.Id + "/" + sum.Id; sum.Arn != want {
		t.Errorf("ARN %q, want %q", sum.Arn, want)
	}
	if put.ResourcePolicy.Content != content {
		t.Errorf("content %q", put.ResourcePolicy.Content)
	}
	desc := must[*api.DescribeResourcePolicyResponse](t)(f.svc.DescribeResourcePolicy(ctx, &api.Empty{}))
	if *desc.ResourcePolicy.ResourcePolicySummary != *sum || desc.ResourcePolicy.Content != content {
		t.Errorf("described %+v", desc.ResourcePolicy)
	}
	if got := f.allTags(mgmtID, sum.Id); len(got) != 1 || got[0] != tags[0] {
		t.Errorf("tags %v", got)
	}

	// Putting again replaces the content and keeps the ID; tags are for
	// creation only.
	content2 := delegatePolicy(otherID, `"organizations:UpdatePolicy"`)
	_, err = f.svc.PutResourcePolicy(ctx, &api.PutResourcePolicyRequest{Content: content2, Tags: tags})
	wantErr(t, err, api.ErrInvalidInput, "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED")
	put2 := must[*api.PutResourcePolicyResponse](t)(f.svc.PutResourcePolicy(ctx, &api.PutResourcePolicyRequest{Content: content2}))
	if *put2.ResourcePolicy.ResourcePolicySummary != *sum || put2.ResourcePolicy.Content != content2 {
		t.Errorf("replaced %+v", put2.ResourcePolicy)
	}
	// The policy is taggable by its ID.
	must[*api.Empty](t)(f.svc.TagResource(ctx, &api.TagResourceRequest{ResourceId: sum.Id, Tags: []api.Tag{{Key: "k", Value: "v"}}}))
	if got := f.allTags(mgmtID, sum.Id); len(got) != 2 {
		t.Errorf("tags after TagResource %v", got)
	}
	// Another organization can't see or tag it.
	f.newOrg(thirdID, "")
	_, err = f.svc.TagResource(as(thirdID), &api.TagResourceRequest{ResourceId: sum.Id, Tags: tags})
	wantErr(t, err, api.ErrTargetNotFound, "")
	_, err = f.svc.DescribeResourcePolicy(as(thirdID), &api.Empty{})
	wantErr(t, err, api.ErrResourcePolicyNotFound, "")

	must[*api.Empty](t)(f.svc.DeleteResourcePolicy(ctx, &api.Empty{}))
	_, err = f.svc.DescribeResourcePolicy(ctx, &api.Empty{})
	wantErr(t, err, api.ErrResourcePolicyNotFound, "")
	_, err = f.svc.ListTagsForResource(ctx, &api.ListTagsForResourceRequest{ResourceId: sum.Id})
	wantErr(t, err, api.ErrTargetNotFound, "")
	// A new policy is a new resource, without the old tags.
	put3 := must[*api.PutResourcePolicyResponse](t)(f.svc.PutResourcePolicy(ctx, &api.PutResourcePolicyRequest{Content: content}))
	if put3.ResourcePolicy.ResourcePolicySummary.Id == sum.Id || len(f.allTags(mgmtID, put3.ResourcePolicy.ResourcePolicySummary.Id)) != 0 {
		t.Errorf("recreated %+v", put3.ResourcePolicy.ResourcePolicySummary)
	}
}

func TestPutResourcePolicyValidation(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	f.newOrg(thirdID, "")
	const (
		jsonErr     = string(api.InvalidInputExceptionReasonInvalidResourcePolicyJson)
		principal   = string(api.InvalidInputExceptionReasonInvalidPrincipal)
		action      = string(api.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy)
		resource    = string(api.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy)
		policyType  = string(api.InvalidInputExceptionReasonUnsupportedPolicyTypeInResourcePolicy)
		okPrincipal = `"Principal":{"AWS":"` + otherID + `"}`
	)
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + body + `}]}`
	}
	full := func(principal, action, resource string) string {
		return stmt(principal + `,"Action":` + action + `,"Resource":` + resource)
	}
	withCond := func(cond string) string {
		return stmt(okPrincipal + `,"Action":"organizations:CreatePolicy","Resource":"*","Condition":` + cond)
	}
	for _, tc := range []struct {
		name, content, reason string
	}{
		// Accepted: the forms the User Guide shows.
		{"guide example", `{"Version":"2012-10-17","Statement":[{"Sid":"Fully_manage_backup_policies","Effect":"Allow","Principal":{"AWS":"` + otherID + `"},` +
			`"Action":["organizations:DescribeOrganization","organizations:ListAccounts","organizations:CreatePolicy","organizations:DescribePolicy","organizations:UpdatePolicy","organizations:DeletePolicy","organizations:AttachPolicy","organizations:DetachPolicy"],` +
			`"Resource":["arn:aws:organizations::` + mgmtID + `:root/o-abcdef/r-pqrstu","arn:aws:organizations::` + mgmtID + `:ou/o-abcdef/*","arn:aws:organizations::` + mgmtID + `:account/o-abcdef/*","arn:aws:organizations::` + mgmtID + `:organization/policy/backup_policy/*"],` +
			`"Condition":{"StringLikeIfExists":{"organizations:PolicyType":["BACKUP_POLICY"]}}}]}`, ""},
		{"single statement object", `{"Statement":{"Effect":"Deny",` + okPrincipal + `,"Action":"organizations:*","Resource":"*"}}`, ""},
		{"role principal", full(`"Principal":{"AWS":["arn:aws:iam::`+otherID+`:role/admins/PolicyAdmin"]}`, `"organizations:List*"`, `"*"`), ""},
		{"wildcard action", full(okPrincipal, `"*"`, `"*"`), ""},
		{"action case", full(okPrincipal, `"Organizations:createpolicy"`, `"*"`), ""},
		{"policy type wildcard", withCond(`{"StringLike":{"organizations:PolicyType":"TAG_*"}}`), ""},
		{"other condition key", withCond(`{"StringEquals":{"aws:PrincipalTag/team":"sec"}}`), ""},

		{"not JSON", `{"Version":`, jsonErr},
		{"not an object", `["x"]`, jsonErr},
		{"trailing data", stmt(okPrincipal+`,"Action":"organizations:CreatePolicy","Resource":"*"`) + `{}`, jsonErr},
		{"bad version", strings.Replace(full(okPrincipal, `"organizations:CreatePolicy"`, `"*"`), "2012-10-17", "2020-01-01", 1), jsonErr},
		{"no statement", `{"Version":"2012-10-17"}`, jsonErr},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, jsonErr},
		{"unknown top element", strings.Replace(full(okPrincipal, `"organizations:CreatePolicy"`, `"*"`), `"Version"`, `"Versions"`, 1), jsonErr},
		{"unknown statement element", stmt(okPrincipal + `,"Action":"organizations:CreatePolicy","Resource":"*","Extra":1`), jsonErr},
		{"bad effect", `{"Statement":[{"Effect":"allow",` + okPrincipal + `,"Action":"organizations:CreatePolicy","Resource":"*"}]}`, jsonErr},
		{"no action", stmt(okPrincipal + `,"Resource":"*"`), jsonErr},
		{"no resource", stmt(okPrincipal + `,"Action":"organizations:CreatePolicy"`), jsonErr},
		{"bad condition", withCond(`["x"]`), jsonErr},

		{"no principal", stmt(`"Action":"organizations:CreatePolicy","Resource":"*"`), principal},
		{"wildcard principal", full(`"Principal":"*"`, `"organizations:CreatePolicy"`, `"*"`), principal},
		{"wildcard AWS principal", full(`"Principal":{"AWS":"*"}`, `"organizations:CreatePolicy"`, `"*"`), principal},
		{"service principal", full(`"Principal":{"Service":"guardduty.amazonaws.com"}`, `"organizations:CreatePolicy"`, `"*"`), principal},
		{"NotPrincipal", stmt(`"NotPrincipal":{"AWS":"` + otherID + `"},"Action":"organizations:CreatePolicy","Resource":"*"`), principal},
		{"account outside the organization", full(`"Principal":{"AWS":"`+thirdID+`"}`, `"organizations:CreatePolicy"`, `"*"`), principal},
		{"unknown account", full(`"Principal":{"AWS":"arn:aws:iam::999999999999:root"}`, `"organizations:CreatePolicy"`, `"*"`), principal},
		{"malformed account", full(`"Principal":{"AWS":"12345"}`, `"organizations:CreatePolicy"`, `"*"`), principal},

		{"undelegable action", full(okPrincipal, `"organizations:CreateAccount"`, `"*"`), action},
		{"undelegable among others", full(okPrincipal, `["organizations:CreatePolicy","organizations:LeaveOrganization"]`, `"*"`), action},
		{"undelegable wildcard", full(okPrincipal, `"organizations:Invite*"`, `"*"`), action},
		{"another service", full(okPrincipal, `"s3:GetObject"`, `"*"`), action},
		{"NotAction", stmt(okPrincipal + `,"NotAction":"organizations:CreatePolicy","Resource":"*"`), action},

		{"another service's resource", full(okPrincipal, `"organizations:CreatePolicy"`, `"arn:aws:s3:::bucket"`), resource},
		{"unknown resource type", full(okPrincipal, `"organizations:CreatePolicy"`, `"arn:aws:organizations::`+mgmtID+`:widget/o-abcdef/w-1"`), resource},
		{"NotResource", stmt(okPrincipal + `,"Action":"organizations:CreatePolicy","NotResource":"*"`), resource},

		{"unknown policy type", withCond(`{"StringEquals":{"organizations:PolicyType":"NOT_A_POLICY"}}`), policyType},
		{"unknown policy type among others", withCond(`{"StringLikeIfExists":{"organizations:PolicyType":["TAG_POLICY","WIDGET_*"]}}`), policyType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: tc.content})
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, api.ErrInvalidInput, tc.reason)
		})
	}

	// Size is counted in characters.
	pad := func(n int) string {
		c := delegatePolicy(otherID, `"organizations:CreatePolicy"`)
		return c[:len(c)-1] + `,"Id":"` + strings.Repeat("é", n-len(c)-len(`,"Id":""`)) + `"}`
	}
	if c := pad(maxResourcePolicySize); len([]rune(c)) != maxResourcePolicySize {
		t.Fatalf("padded to %d", len([]rune(c)))
	}
	must[*api.PutResourcePolicyResponse](t)(f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: pad(maxResourcePolicySize)}))
	_, err := f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: pad(maxResourcePolicySize + 1)})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonMaxLengthExceeded))

	// Tags are checked as on every create.
	_, err = f.svc.DeleteResourcePolicy(as(mgmtID), &api.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: delegatePolicy(otherID, `"*"`), Tags: []api.Tag{{Key: "aws:x", Value: "v"}}})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter))
	var many []api.Tag
	for i := range 51 {
		many = append(many, api.Tag{Key: fmt.Sprint("k", i)})
	}
	_, err = f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: delegatePolicy(otherID, `"*"`), Tags: many})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded))
}

func TestResourcePolicyCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	const daID, standaloneID, cbMgmtID = "444444444444", "555555555555", "666666666666"
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, daID)
	f.register(mgmtID, daID, guardDuty)
	content := delegatePolicy(otherID, `"organizations:CreatePolicy"`)
	calls := []callerCase{
		{"PutResourcePolicy", false, func(c string) error {
			_, err := f.svc.PutResourcePolicy(as(c), &api.PutResourcePolicyRequest{Content: content})
			return err
		}},
		{"DescribeResourcePolicy", true, func(c string) error {
			_, err := f.svc.DescribeResourcePolicy(as(c), &api.Empty{})
			return err
		}},
		{"DeleteResourcePolicy", false, func(c string) error {
			_, err := f.svc.DeleteResourcePolicy(as(c), &api.Empty{})
			if err == nil {
				_, err = f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: content})
			}
			return err
		}},
	}
	must[*api.PutResourcePolicyResponse](t)(f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: content}))
	checkCallers(t, calls, standaloneID, otherID, daID)
	// Delegation needs all features.
	f.newOrg(cbMgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	_, err := f.svc.PutResourcePolicy(as(cbMgmtID), &api.PutResourcePolicyRequest{Content: `{"Statement":{"Effect":"Allow","Principal":{"AWS":"` + cbMgmtID + `"},"Action":"*","Resource":"*"}}`})
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode))
}
