package org

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

const tagType = api.PolicyTypeTagPolicy

// Tag policies of the user guide's inheritance examples.
const (
	tagPolicyA = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`
	tagPolicyB = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Sandbox"]},"enforced_for":{"@@assign":["redshift:*","dynamodb:table"]}}}}`
	tagPolicyC = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@append":["Marketing"]},"enforced_for":{"@@append":["redshift:*","dynamodb:table"]}}}}`
	tagPolicyD = `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@remove":["Development","Marketing"]},"enforced_for":{"@@remove":["redshift:*","dynamodb:table"]}}}}`
	tagPolicyE = `{"tags":{"project":{"tag_key":{"@@operators_allowed_for_child_policies":["@@none"],"@@assign":"Project"},"tag_value":{"@@operators_allowed_for_child_policies":["@@append"],"@@assign":["Maintenance","Escalations"]}}}}`
	tagPolicyF = `{"tags":{"project":{"tag_key":{"@@assign":"PROJECT"},"tag_value":{"@@append":["Escalations - research"]}}}}`
)

// tagOrg is an organization with tag policies enabled: otherID in OU
// "ou1" under the root, thirdID directly under the root.
type tagOrg struct {
	*fixture
	root, ou string
}

func newTagOrg(t *testing.T) *tagOrg {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ou := f.createOU(mgmtID, root, "ou1")
	f.join(mgmtID, ou, api.AccountJoinedMethodInvited, otherID)
	f.join(mgmtID, root, api.AccountJoinedMethodInvited, thirdID)
	must[*api.EnablePolicyTypeResponse](t)(f.svc.EnablePolicyType(as(mgmtID), &api.EnablePolicyTypeRequest{RootId: root, PolicyType: tagType}))
	return &tagOrg{fixture: f, root: root, ou: ou}
}

// attachNew creates a tag policy and attaches it to target.
func (o *tagOrg) attachNew(name, content, target string) string {
	o.t.Helper()
	p, err := o.svc.CreatePolicy(as(mgmtID), &api.CreatePolicyRequest{Name: name, Type: tagType, Content: content})
	if err != nil {
		o.t.Fatalf("CreatePolicy %s: %v", name, err)
	}
	id := p.Policy.PolicySummary.Id
	if _, err := o.svc.AttachPolicy(as(mgmtID), &api.AttachPolicyRequest{PolicyId: id, TargetId: target}); err != nil {
		o.t.Fatalf("AttachPolicy %s to %s: %v", name, target, err)
	}
	return id
}

func (o *tagOrg) effective(caller, target string) (*api.EffectivePolicy, error) {
	out, err := o.svc.DescribeEffectivePolicy(as(caller), &api.DescribeEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeTagPolicy, TargetId: target})
	if err != nil {
		return nil, err
	}
	return out.EffectivePolicy, nil
}

func (o *tagOrg) invalidAccounts(max int32) []string {
	o.t.Helper()
	var ids []string
	in := &api.ListAccountsWithInvalidEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeTagPolicy, MaxResults: max}
	for {
		out := must[*api.ListAccountsWithInvalidEffectivePolicyResponse](o.t)(o.svc.ListAccountsWithInvalidEffectivePolicy(as(mgmtID), in))
		if out.PolicyType != api.EffectivePolicyTypeTagPolicy {
			o.t.Errorf("PolicyType %q", out.PolicyType)
		}
		for _, a := range out.Accounts {
			ids = append(ids, a.Id)
		}
		if out.NextToken == "" {
			return ids
		}
		in.NextToken = out.NextToken
	}
}

func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("content is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s", want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("effective policy\n got %s\nwant %s", got, want)
	}
}

// The user guide's tag policy examples, attached through the API to the
// root, the OU and the account, and read back as the account's effective
// policy.
func TestEffectiveTagPolicyThroughService(t *testing.T) {
	type wantError struct {
		code, path string
		by         []string // policy names: the offender, then the policies it conflicts with
	}
	cases := []struct {
		name             string
		root, ou, acct   string
		want             string
		errs             []wantError
		thirdHasOwnValue bool // thirdID (under the root only) sees the root's policy alone
	}{
		{name: "assign overwrites the inherited values", root: tagPolicyA, ou: tagPolicyB,
			want: `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Sandbox"],"enforced_for":["redshift:*","dynamodb:table"]}}}`},
		{name: "root, OU and account: append then remove", root: tagPolicyA, ou: tagPolicyC, acct: tagPolicyD,
			want: `{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Support"]}}}`},
		{name: "child control locks the key", root: tagPolicyE, acct: tagPolicyF,
			want: `{"tags":{"project":{"tag_key":"Project","tag_value":["Maintenance","Escalations","Escalations - research"]}}}`,
			errs: []wantError{{effectiveCodeOperatorNotAllowed, "tags/project/tag_key", []string{"acct", "root"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newTagOrg(t)
			ids := map[string]string{}
			for _, a := range []struct{ name, content, target string }{{"root", c.root, o.root}, {"ou", c.ou, o.ou}, {"acct", c.acct, otherID}} {
				if a.content != "" {
					ids[o.attachNew(a.name, a.content, a.target)] = a.name
				}
			}
			// The management account names the account; the member asks
			// about itself by default.
			for _, q := range []struct{ caller, target string }{{mgmtID, otherID}, {otherID, ""}} {
				ep, err := o.effective(q.caller, q.target)
				if err != nil {
					t.Fatalf("DescribeEffectivePolicy as %s: %v", q.caller, err)
				}
				sameJSON(t, ep.PolicyContent, c.want)
				if ep.TargetId != otherID || ep.PolicyType != api.EffectivePolicyTypeTagPolicy || ep.LastUpdatedTimestamp.IsZero() {
					t.Errorf("as %s: %+v", q.caller, ep)
				}
			}
			out := must[*api.ListEffectivePolicyValidationErrorsResponse](t)(o.svc.ListEffectivePolicyValidationErrors(as(mgmtID),
				&api.ListEffectivePolicyValidationErrorsRequest{AccountId: otherID, PolicyType: api.EffectivePolicyTypeTagPolicy}))
			var got []wantError
			for _, e := range out.EffectivePolicyValidationErrors {
				var by []string
				for _, id := range e.ContributingPolicies {
					by = append(by, ids[id])
				}
				if e.ErrorMessage == "" {
					t.Errorf("error without a message: %+v", e)
				}
				got = append(got, wantError{e.ErrorCode, e.PathToError, by})
			}
			if !reflect.DeepEqual(got, c.errs) {
				t.Errorf("validation errors %+v, want %+v", got, c.errs)
			}
			if want := o.orgRecord(mgmtID).ID + "/" + o.root + "/" + o.ou + "/" + otherID + "/"; out.Path != want || out.AccountId != otherID || !out.EvaluationTimestamp.Equal(o.now()) {
				t.Errorf("response %+v, want Path %s", out, want)
			}
			var wantInvalid []string
			if len(c.errs) > 0 {
				wantInvalid = []string{otherID}
			}
			if got := o.invalidAccounts(0); !reflect.DeepEqual(got, wantInvalid) {
				t.Errorf("ListAccountsWithInvalidEffectivePolicy %v, want %v", got, wantInvalid)
			}
		})
	}
}

// effectiveCodeOperatorNotAllowed is the code the merge reports for an
// operator a parent forbids.
const effectiveCodeOperatorNotAllowed = "OPERATOR_NOT_ALLOWED"

func TestEffectivePolicyNotFoundAndInvalid(t *testing.T) {
	o := newTagOrg(t)
	tag := api.EffectivePolicyTypeTagPolicy
	_, err := o.effective(mgmtID, otherID)
	wantErr(t, err, api.ErrEffectivePolicyNotFound, "")
	_, err = o.svc.ListEffectivePolicyValidationErrors(as(mgmtID), &api.ListEffectivePolicyValidationErrorsRequest{AccountId: otherID, PolicyType: tag})
	wantErr(t, err, api.ErrEffectivePolicyNotFound, "")

	o.attachNew("ou", tagPolicyA, o.ou)
	must[*api.EffectivePolicy](t)(o.effective(mgmtID, otherID))
	// thirdID is not under the OU: nothing applies to it.
	_, err = o.effective(mgmtID, thirdID)
	wantErr(t, err, api.ErrEffectivePolicyNotFound, "")
	// Nor to an account for a type that is not enabled.
	_, err = o.svc.DescribeEffectivePolicy(as(mgmtID), &api.DescribeEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeBackupPolicy, TargetId: otherID})
	wantErr(t, err, api.ErrEffectivePolicyNotFound, "")
	_, err = o.svc.ListAccountsWithInvalidEffectivePolicy(as(mgmtID), &api.ListAccountsWithInvalidEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeBackupPolicy})
	wantErr(t, err, api.ErrEffectivePolicyNotFound, "")

	// Roots and OUs are not valid targets, and SCPs have no effective policy.
	_, err = o.effective(mgmtID, o.root)
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonTargetNotSupported))
	_, err = o.effective(mgmtID, o.ou)
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonTargetNotSupported))
	_, err = o.svc.DescribeEffectivePolicy(as(mgmtID), &api.DescribeEffectivePolicyRequest{PolicyType: api.EffectivePolicyType(api.PolicyTypeServiceControlPolicy)})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidEnum))

	// Accounts outside the organization.
	const outsider = "444444444444"
	_, err = o.effective(mgmtID, outsider)
	wantErr(t, err, api.ErrTargetNotFound, "")
	_, err = o.svc.ListEffectivePolicyValidationErrors(as(mgmtID), &api.ListEffectivePolicyValidationErrorsRequest{AccountId: outsider, PolicyType: tag})
	wantErr(t, err, api.ErrAccountNotFound, "")
	_, err = o.effective(outsider, "")
	wantErr(t, err, api.ErrAWSOrganizationsNotInUse, "")

	// Disabling the type takes the effective policy away.
	must[*api.DisablePolicyTypeResponse](t)(o.svc.DisablePolicyType(as(mgmtID), &api.DisablePolicyTypeRequest{RootId: o.root, PolicyType: tagType}))
	_, err = o.effective(mgmtID, otherID)
	wantErr(t, err, api.ErrEffectivePolicyNotFound, "")
}

func TestEffectivePolicyCallers(t *testing.T) {
	o := newTagOrg(t)
	o.attachNew("root", tagPolicyA, o.root)
	const da = "555555555555"
	o.join(mgmtID, o.root, api.AccountJoinedMethodInvited, da)
	o.plantDelegatedAdmin(mgmtID, da)
	cases := []struct {
		caller, target string
		err            string
	}{
		{mgmtID, otherID, ""},
		{mgmtID, mgmtID, ""},
		{mgmtID, "", ""},
		{otherID, otherID, ""},
		{otherID, "", ""},
		{otherID, thirdID, api.ErrAccessDenied},
		{otherID, mgmtID, api.ErrAccessDenied},
		// A member learns nothing of accounts that do not exist.
		{otherID, "444444444444", api.ErrAccessDenied},
		{da, otherID, ""},
		{da, "444444444444", api.ErrTargetNotFound},
	}
	for _, c := range cases {
		ep, err := o.effective(c.caller, c.target)
		if c.err != "" {
			wantErr(t, err, c.err, "")
			continue
		}
		if err != nil {
			t.Errorf("%s about %q: %v", c.caller, c.target, err)
			continue
		}
		want := c.target
		if want == "" {
			want = c.caller
		}
		if ep.TargetId != want {
			t.Errorf("%s about %q: TargetId %s", c.caller, c.target, ep.TargetId)
		}
	}
	// The listings are for the management account and delegated
	// administrators only.
	_, err := o.svc.ListAccountsWithInvalidEffectivePolicy(as(otherID), &api.ListAccountsWithInvalidEffectivePolicyRequest{PolicyType: api.EffectivePolicyTypeTagPolicy})
	wantErr(t, err, api.ErrAccessDenied, "")
	_, err = o.svc.ListEffectivePolicyValidationErrors(as(otherID), &api.ListEffectivePolicyValidationErrorsRequest{AccountId: otherID, PolicyType: api.EffectivePolicyTypeTagPolicy})
	wantErr(t, err, api.ErrAccessDenied, "")
	must[*api.ListEffectivePolicyValidationErrorsResponse](t)(o.svc.ListEffectivePolicyValidationErrors(as(da), &api.ListEffectivePolicyValidationErrorsRequest{AccountId: otherID, PolicyType: api.EffectivePolicyTypeTagPolicy}))
}

func TestEffectivePolicyLastUpdated(t *testing.T) {
	o := newTagOrg(t)
	ctx := as(mgmtID)
	p := must[*api.CreatePolicyResponse](t)(o.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "a", Type: tagType, Content: tagPolicyA}))
	id := p.Policy.PolicySummary.Id
	attached := o.advance(time.Hour)
	must[*api.Empty](t)(o.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: id, TargetId: o.root}))
	last := func() time.Time {
		t.Helper()
		return must[*api.EffectivePolicy](t)(o.effective(mgmtID, otherID)).LastUpdatedTimestamp.Time
	}
	if got := last(); !got.Equal(attached) {
		t.Errorf("after attaching: %v, want %v", got, attached)
	}
	o.advance(time.Hour)
	if got := last(); !got.Equal(attached) {
		t.Errorf("reading moved it: %v, want %v", got, attached)
	}
	updated := o.advance(time.Hour)
	must[*api.UpdatePolicyResponse](t)(o.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: id, Content: tagPolicyB}))
	if got := last(); !got.Equal(updated) {
		t.Errorf("after updating: %v, want %v", got, updated)
	}
	// The new content is what counts, not a cached parse of the old.
	sameJSON(t, must[*api.EffectivePolicy](t)(o.effective(mgmtID, otherID)).PolicyContent,
		`{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Sandbox"],"enforced_for":["redshift:*","dynamodb:table"]}}}`)
}

func TestEffectivePolicyPagination(t *testing.T) {
	o := newTagOrg(t)
	const fourth = "444444444444"
	o.join(mgmtID, o.ou, api.AccountJoinedMethodInvited, fourth)
	o.attachNew("root", tagPolicyE, o.root)
	// Two errors for otherID: an assign and a remove that the root's
	// child controls forbid.
	o.attachNew("acct", `{"tags":{"project":{"tag_key":{"@@assign":"PROJECT"},"tag_value":{"@@remove":["Maintenance"]}}}}`, otherID)
	o.attachNew("acct4", tagPolicyF, fourth)
	o.attachNew("ok", `{"tags":{"project":{"tag_value":{"@@append":["x"]}}}}`, thirdID)

	if got := o.invalidAccounts(1); !reflect.DeepEqual(got, []string{otherID, fourth}) {
		t.Errorf("invalid accounts %v", got)
	}

	in := &api.ListEffectivePolicyValidationErrorsRequest{AccountId: otherID, PolicyType: api.EffectivePolicyTypeTagPolicy, MaxResults: 1}
	var paths []string
	for pages := 1; ; pages++ {
		out := must[*api.ListEffectivePolicyValidationErrorsResponse](t)(o.svc.ListEffectivePolicyValidationErrors(as(mgmtID), in))
		if len(out.EffectivePolicyValidationErrors) != 1 {
			t.Fatalf("page %d: %d errors", pages, len(out.EffectivePolicyValidationErrors))
		}
		paths = append(paths, out.EffectivePolicyValidationErrors[0].PathToError)
		if out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if want := []string{"tags/project/tag_key", "tags/project/tag_value"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	// A token is bound to its account.
	in.AccountId = fourth
	in.NextToken = must[*api.ListEffectivePolicyValidationErrorsResponse](t)(o.svc.ListEffectivePolicyValidationErrors(as(mgmtID),
		&api.ListEffectivePolicyValidationErrorsRequest{AccountId: otherID, PolicyType: api.EffectivePolicyTypeTagPolicy, MaxResults: 1})).NextToken
	_, err := o.svc.ListEffectivePolicyValidationErrors(as(mgmtID), in)
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidNextToken))
}

// Two policies on one target that assign the same value merge in the order
// they were attached: the first attached assignment wins, whatever the
// policies' IDs.
func TestEffectivePolicyAttachmentOrder(t *testing.T) {
	const (
		red  = `{"tags":{"color":{"tag_key":{"@@assign":"Color"},"tag_value":{"@@assign":["red"]}}}}`
		blue = `{"tags":{"color":{"tag_key":{"@@assign":"Color"},"tag_value":{"@@assign":["blue"]}}}}`
	)
	for _, tc := range []struct {
		name        string
		first, then string
		want        string
	}{
		{"red first", red, blue, "red"},
		{"blue first", blue, red, "blue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newTagOrg(t)
			o.attachNew("first", tc.first, thirdID)
			o.advance(time.Second)
			o.attachNew("then", tc.then, thirdID)
			eff, err := o.effective(mgmtID, thirdID)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Tags map[string]struct {
					TagValue []string `json:"tag_value"`
				} `json:"tags"`
			}
			if err := json.Unmarshal([]byte(eff.PolicyContent), &doc); err != nil {
				t.Fatalf("%s: %v", eff.PolicyContent, err)
			}
			if got := doc.Tags["color"].TagValue; len(got) != 1 || got[0] != tc.want {
				t.Fatalf("effective %s, want tag_value [%s]", eff.PolicyContent, tc.want)
			}
		})
	}
}
