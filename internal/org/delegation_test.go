package org

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// delegationFixture is an organization with two delegated administrators
// (otherID, thirdID) and a plain member, and the policy writes each may
// try, as functions of the caller's context.
type delegationFixture struct {
	*fixture
	member string
	writes map[string]func(ctx context.Context) error
}

func newDelegationFixture(t *testing.T) *delegationFixture {
	f := &delegationFixture{fixture: newFixture(t), member: "444444444444"}
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID, f.member)
	f.register(mgmtID, otherID, cloudTrail)
	f.register(mgmtID, thirdID, cloudTrail)
	root := f.rootID(mgmtID)
	n := 0
	// newPolicy makes a fresh SCP as the management account, so that each
	// write has its own target state.
	newPolicy := func() string {
		n++
		out, err := f.svc.CreatePolicy(as(mgmtID), &api.CreatePolicyRequest{Name: fmt.Sprint("setup", n), Content: denyLeave, Type: api.PolicyTypeServiceControlPolicy})
		if err != nil {
			t.Fatalf("CreatePolicy: %v", err)
		}
		return out.Policy.PolicySummary.Id
	}
	f.writes = map[string]func(ctx context.Context) error{
		"CreatePolicy": func(ctx context.Context) error {
			n++
			_, err := f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: fmt.Sprint("delegated", n), Content: denyLeave, Type: api.PolicyTypeServiceControlPolicy})
			return err
		},
		"UpdatePolicy": func(ctx context.Context) error {
			n++
			_, err := f.svc.UpdatePolicy(ctx, &api.UpdatePolicyRequest{PolicyId: newPolicy(), Name: fmt.Sprint("renamed", n)})
			return err
		},
		"DeletePolicy": func(ctx context.Context) error {
			_, err := f.svc.DeletePolicy(ctx, &api.DeletePolicyRequest{PolicyId: newPolicy()})
			return err
		},
		"AttachPolicy": func(ctx context.Context) error {
			id := newPolicy()
			_, err := f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: id, TargetId: root})
			if err == nil {
				// Keep the root under its attachment quota.
				f.svc.DetachPolicy(as(mgmtID), &api.DetachPolicyRequest{PolicyId: id, TargetId: root})
			}
			return err
		},
		"DetachPolicy": func(ctx context.Context) error {
			id := newPolicy()
			if _, err := f.svc.AttachPolicy(as(mgmtID), &api.AttachPolicyRequest{PolicyId: id, TargetId: root}); err != nil {
				t.Fatalf("AttachPolicy: %v", err)
			}
			_, err := f.svc.DetachPolicy(ctx, &api.DetachPolicyRequest{PolicyId: id, TargetId: root})
			if err != nil {
				f.svc.DetachPolicy(as(mgmtID), &api.DetachPolicyRequest{PolicyId: id, TargetId: root})
			}
			return err
		},
		"EnablePolicyType": func(ctx context.Context) error {
			f.svc.DisablePolicyType(as(mgmtID), &api.DisablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeTagPolicy})
			_, err := f.svc.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeTagPolicy})
			return err
		},
		"DisablePolicyType": func(ctx context.Context) error {
			f.svc.EnablePolicyType(as(mgmtID), &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeTagPolicy})
			_, err := f.svc.DisablePolicyType(ctx, &api.DisablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeTagPolicy})
			return err
		},
		"TagResource": func(ctx context.Context) error {
			_, err := f.svc.TagResource(ctx, &api.TagResourceRequest{ResourceId: root, Tags: []api.Tag{{Key: "k", Value: "v"}}})
			return err
		},
		"UntagResource": func(ctx context.Context) error {
			_, err := f.svc.UntagResource(ctx, &api.UntagResourceRequest{ResourceId: root, TagKeys: []string{"k"}})
			return err
		},
	}
	if len(f.writes) != len(delegatedWrites) {
		t.Fatalf("the fixture tries %d writes, delegation gates %d", len(f.writes), len(delegatedWrites))
	}
	return f
}

func (f *delegationFixture) putPolicy(content string) {
	f.t.Helper()
	if _, err := f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{Content: content}); err != nil {
		f.t.Fatalf("PutResourcePolicy: %v", err)
	}
}

// expect checks which writes ctx may make: the ones in allowed, and only those.
func (f *delegationFixture) expect(t *testing.T, who string, ctx context.Context, allowed ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, op := range allowed {
		ok[op] = true
	}
	for op, call := range f.writes {
		err := call(ctx)
		if ok[op] && err != nil {
			t.Errorf("%s %s: %v", who, op, err)
		}
		if !ok[op] {
			var e *api.Error
			if err == nil || !errorAs(err, &e) || e.Type != api.ErrAccessDenied {
				t.Errorf("%s %s: got %v, want AccessDeniedException", who, op, err)
			}
		}
	}
}

func errorAs(err error, e **api.Error) bool {
	x, ok := err.(*api.Error)
	*e = x
	return ok
}

var allWrites = []string{"AttachPolicy", "CreatePolicy", "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "TagResource", "UntagResource", "UpdatePolicy"}

func TestDelegatedPolicyWrites(t *testing.T) {
	f := newDelegationFixture(t)
	da, otherDA, member := as(otherID), as(thirdID), as(f.member)

	// Without a delegation policy a delegated administrator only reads.
	f.expect(t, "delegated administrator", da)
	for name, read := range map[string]func() error{
		"ListPolicies": func() error {
			_, err := f.svc.ListPolicies(da, &api.ListPoliciesRequest{Filter: api.PolicyTypeServiceControlPolicy})
			return err
		},
		"ListTagsForResource": func() error {
			_, err := f.svc.ListTagsForResource(da, &api.ListTagsForResourceRequest{ResourceId: f.rootID(mgmtID)})
			return err
		},
	} {
		if err := read(); err != nil {
			t.Errorf("delegated administrator %s: %v", name, err)
		}
	}
	f.expect(t, "management account", as(mgmtID), allWrites...)

	for _, tc := range []struct {
		name    string
		actions string
		allowed []string
	}{
		{"one action", `"organizations:CreatePolicy"`, []string{"CreatePolicy"}},
		{"a list", `["organizations:AttachPolicy","organizations:DetachPolicy"]`, []string{"AttachPolicy", "DetachPolicy"}},
		{"a wildcard", `"organizations:*Policy"`, []string{"AttachPolicy", "CreatePolicy", "DeletePolicy", "DetachPolicy", "UpdatePolicy"}},
		{"action names ignore case", `"ORGANIZATIONS:tagresource"`, []string{"TagResource"}},
		{"reads only", `"organizations:List*"`, nil},
		{"everything", `"organizations:*"`, allWrites},
		{"star", `"*"`, allWrites},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.putPolicy(delegatePolicy(otherID, tc.actions))
			f.expect(t, "granted delegated administrator", da, tc.allowed...)
			f.expect(t, "other delegated administrator", otherDA)
			// A member the policy names is still no delegated administrator.
			f.putPolicy(delegatePolicy(f.member, tc.actions))
			f.expect(t, "member", member)
		})
	}

	// The account ID names the account as its root ARN does.
	f.putPolicy(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["` + otherID + `","` + thirdID + `"]},"Action":"organizations:UpdatePolicy","Resource":"*"}]}`)
	f.expect(t, "delegated administrator", da, "UpdatePolicy")
	f.expect(t, "other delegated administrator", otherDA, "UpdatePolicy")

	// An explicit Deny wins over an Allow; it never binds the management account.
	f.putPolicy(`{"Statement":[
		{"Effect":"Allow","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:*","Resource":"*"},
		{"Effect":"Deny","Principal":{"AWS":["` + otherID + `","` + mgmtID + `"]},"Action":["organizations:Delete*","organizations:Untag*"],"Resource":"*"}]}`)
	f.expect(t, "delegated administrator", da, "AttachPolicy", "CreatePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "TagResource", "UpdatePolicy")
	f.expect(t, "management account", as(mgmtID), allWrites...)

	// Deleting the policy takes the grants away.
	must[*api.Empty](t)(f.svc.DeleteResourcePolicy(as(mgmtID), &api.Empty{}))
	f.expect(t, "delegated administrator", da)
}

func TestDelegatedPolicyRolePrincipal(t *testing.T) {
	f := newDelegationFixture(t)
	f.putPolicy(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + otherID + `:role/team/PolicyAdmin"},"Action":"organizations:CreatePolicy","Resource":"*"}]}`)
	acting := func(principal string) context.Context {
		return identity.NewContext(context.Background(), identity.Caller{AccountID: otherID, AccessKeyID: "AKIA", Principal: principal})
	}
	f.expect(t, "the role", acting("arn:aws:iam::"+otherID+":role/team/PolicyAdmin"), "CreatePolicy")
	f.expect(t, "a session of the role", acting("arn:aws:sts::"+otherID+":assumed-role/PolicyAdmin/alice"), "CreatePolicy")
	f.expect(t, "another role", acting("arn:aws:sts::"+otherID+":assumed-role/Other/alice"))
	f.expect(t, "the account root", as(otherID))
}

// grants evaluates a delegation policy against one check as IAM would,
// and never lets what orgd cannot evaluate grant.
func TestDelegationGrants(t *testing.T) {
	const who = "arn:aws:iam::" + otherID + ":root"
	const (
		scpARN    = "arn:aws:organizations::" + mgmtID + ":policy/o-exampleorg/service_control_policy/p-examplescp"
		backupARN = "arn:aws:organizations::" + mgmtID + ":policy/o-exampleorg/backup_policy/p-examplebak"
		newBackup = "arn:aws:organizations::" + mgmtID + ":policy/o-exampleorg/backup_policy/"
		rootARN   = "arn:aws:organizations::" + mgmtID + ":root/o-exampleorg/r-ab12"
	)
	stmt := func(effect, resource, cond string) string {
		s := `{"Effect":"` + effect + `","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:CreatePolicy","Resource":` + resource
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + `}`
	}
	allow := func(cond string) string { return stmt("Allow", `"*"`, cond) }
	deny := func(cond string) string { return stmt("Deny", `"*"`, cond) }
	typed := func(pt api.PolicyType, res string) delegationCheck {
		return delegationCheck{Action: "organizations:CreatePolicy", Resource: res, Context: map[string][]string{condPolicyType: {string(pt)}}}
	}
	backup, scp := typed(api.PolicyTypeBackupPolicy, backupARN), typed(api.PolicyTypeServiceControlPolicy, scpARN)
	unknownType := delegationCheck{Action: "organizations:CreatePolicy", Resource: backupARN, Unknown: []string{condPolicyType}}
	noType := delegationCheck{Action: "organizations:CreatePolicy", Resource: rootARN}
	creating := typed(api.PolicyTypeBackupPolicy, newBackup)
	creating.Partial = true
	missing := typed(api.PolicyTypeBackupPolicy, "")
	tagged := func(k, v string) delegationCheck {
		ck := typed(api.PolicyTypeBackupPolicy, backupARN)
		ck.Context["aws:resourcetag/"+k] = []string{v}
		return ck
	}
	backupOnly := `{"StringLikeIfExists":{"organizations:PolicyType":["BACKUP_*"]}}`
	for _, tc := range []struct {
		name  string
		stmts string
		check delegationCheck
		allow bool
	}{
		{"allow matching type", allow(backupOnly), backup, true},
		{"allow other type", allow(backupOnly), scp, false},
		{"allow, type unknown", allow(backupOnly), unknownType, false},
		{"allow IfExists, no type in the request", allow(backupOnly), noType, true},
		{"allow StringEquals, no type in the request", allow(`{"StringEquals":{"organizations:PolicyType":"BACKUP_POLICY"}}`), noType, false},
		{"allow StringEquals", allow(`{"StringEquals":{"organizations:PolicyType":"BACKUP_POLICY"}}`), backup, true},
		{"allow StringEquals, other type", allow(`{"StringEquals":{"organizations:PolicyType":"BACKUP_POLICY"}}`), scp, false},
		{"allow StringNotEquals", allow(`{"StringNotEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}`), scp, false},
		{"allow StringNotEquals, other type", allow(`{"StringNotEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}`), backup, true},
		{"allow StringNotEquals, type unknown", allow(`{"StringNotEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}`), unknownType, false},
		{"allow ForAnyValue", allow(`{"ForAnyValue:StringEquals":{"organizations:PolicyType":"BACKUP_POLICY"}}`), backup, true},
		{"allow an unknown key", allow(`{"StringEquals":{"aws:PrincipalTag/team":"sec"}}`), backup, false},
		{"allow a negated unknown key", allow(`{"StringNotEquals":{"aws:PrincipalTag/team":"sec"}}`), backup, false},
		{"allow IfExists on an unknown key", allow(`{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}`), backup, false},
		{"allow Null on an unknown key", allow(`{"Null":{"aws:SourceIp":"true"}}`), backup, false},
		{"allow an unknown variable", allow(`{"StringNotEquals":{"aws:ResourceTag/owner":"${aws:PrincipalTag/team}"}}`), backup, false},
		{"allow a known variable", allow(`{"StringEquals":{"aws:ResourceTag/owner":"${aws:PrincipalAccount}"}}`), func() delegationCheck {
			ck := tagged("owner", otherID)
			ck.Context["aws:principalaccount"] = []string{otherID}
			return ck
		}(), true},
		{"allow an unknown and a failing key", allow(`{"StringEquals":{"aws:PrincipalTag/team":"sec","organizations:PolicyType":"TAG_POLICY"}}`), backup, false},
		{"allow a documented key the request lacks", allow(`{"StringEquals":{"organizations:ServicePrincipal":"sso.amazonaws.com"}}`), backup, false},
		{"allow IfExists on a documented key the request lacks", allow(`{"StringEqualsIfExists":{"organizations:ServicePrincipal":"sso.amazonaws.com"}}`), backup, true},
		{"allow resource tag", allow(`{"StringEquals":{"aws:ResourceTag/owner":"delegate"}}`), tagged("owner", "delegate"), true},
		{"allow resource tag, other value", allow(`{"StringEquals":{"aws:ResourceTag/owner":"delegate"}}`), tagged("owner", "mgmt"), false},
		{"allow resource tag, key in other case", allow(`{"StringEquals":{"aws:ResourceTag/OWNER":"delegate"}}`), tagged("owner", "delegate"), true},
		{"allow resource tag, untagged", allow(`{"StringEquals":{"aws:ResourceTag/owner":"delegate"}}`), backup, false},
		{"allow resource tag, tags unknown", allow(`{"StringNotEquals":{"aws:ResourceTag/owner":"mgmt"}}`), func() delegationCheck {
			ck := typed(api.PolicyTypeBackupPolicy, "")
			ck.Unknown = []string{"aws:resourcetag/"}
			return ck
		}(), false},
		{"allow principal ARN", allow(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/team/*"}}`), func() delegationCheck {
			ck := typed(api.PolicyTypeBackupPolicy, backupARN)
			ck.Context["aws:principalarn"] = []string{"arn:aws:iam::" + otherID + ":role/team/Admin"}
			return ck
		}(), true},
		{"allow principal ARN, other role", allow(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/team/*"}}`), func() delegationCheck {
			ck := typed(api.PolicyTypeBackupPolicy, backupARN)
			ck.Context["aws:principalarn"] = []string{"arn:aws:iam::" + otherID + ":role/Admin"}
			return ck
		}(), false},
		{"allow principal ARN, unknown", allow(`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/blocked/*"}}`), func() delegationCheck {
			ck := typed(api.PolicyTypeBackupPolicy, backupARN)
			ck.Unknown = []string{"aws:principalarn"}
			return ck
		}(), false},
		{"deny matching type", allow(``) + `,` + deny(backupOnly), backup, false},
		{"deny other type", allow(``) + `,` + deny(backupOnly), scp, true},
		{"deny, type unknown", allow(``) + `,` + deny(backupOnly), unknownType, false},
		{"deny an unknown key", allow(``) + `,` + deny(`{"Bool":{"aws:SecureTransport":"false"}}`), backup, false},
		{"deny a documented key the request lacks", allow(``) + `,` + deny(`{"StringEquals":{"organizations:ServicePrincipal":"sso.amazonaws.com"}}`), backup, true},
		{"resource of the type", stmt("Allow", `"arn:aws:organizations::*:policy/*/backup_policy/*"`, ``), backup, true},
		{"resource of another type", stmt("Allow", `"arn:aws:organizations::*:policy/*/backup_policy/*"`, ``), scp, false},
		{"resource list", stmt("Allow", `["`+rootARN+`","`+scpARN+`"]`, ``), scp, true},
		{"resource, being created", stmt("Allow", `"arn:aws:organizations::`+mgmtID+`:policy/o-exampleorg/backup_policy/*"`, ``), creating, true},
		{"resource, being created, other type", stmt("Allow", `"arn:aws:organizations::`+mgmtID+`:policy/o-exampleorg/service_control_policy/*"`, ``), creating, false},
		{"resource, being created, one ID", stmt("Allow", `"`+backupARN+`"`, ``), creating, false},
		{"resource, being created, deny naming another policy", allow(``) + `,` + stmt("Deny", `"`+backupARN+`"`, ``), creating, true},
		{"resource, being created, deny of the type", allow(``) + `,` + stmt("Deny", `"arn:aws:organizations::*:policy/*/backup_policy/*"`, ``), creating, false},
		{"resource, being created, deny of another type", allow(``) + `,` + stmt("Deny", `"arn:aws:organizations::*:policy/*/service_control_policy/*"`, ``), creating, true},
		{"resource, being created, deny elsewhere", allow(``) + `,` + stmt("Deny", `"`+rootARN+`"`, ``), creating, true},
		{"resource that does not exist", stmt("Allow", `"`+backupARN+`"`, ``), missing, false},
		{"resource that does not exist, star", stmt("Allow", `"*"`, ``), missing, true},
		{"resource ARNs are case-sensitive", stmt("Allow", `"`+strings.Replace(backupARN, "p-examplebak", "p-EXAMPLEBAK", 1)+`"`, ``), backup, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parseDelegationPolicy(`{"Version":"2012-10-17","Statement":[` + strings.ReplaceAll(tc.stmts, `,"Condition":}`, `}`) + `]}`)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := doc.allows(otherID, who, []delegationCheck{tc.check}); got != tc.allow {
				t.Errorf("allows = %v, want %v", got, tc.allow)
			}
		})
	}
}

func TestResourceMatch(t *testing.T) {
	const arn = "arn:aws:organizations::111111111111:policy/o-a/backup_policy/"
	for _, tc := range []struct {
		pattern string
		partial bool
		want    tri
	}{
		{"*", true, triTrue},
		{arn + "*", true, triTrue},
		{arn + "p-*", true, triTrue},
		{"arn:aws:organizations::*:policy/*", true, triTrue},
		{"arn:aws:organizations::*:policy/*/backup_policy/*", true, triTrue},
		// Another policy's ID, or another kind of resource.
		{arn + "p-abc", true, triFalse},
		{arn + "p-?bc*", true, triFalse},
		{"arn:aws:organizations::111111111111:root/*", true, triFalse},
		{"arn:aws:organizations::*:policy/*/service_control_policy/*", true, triFalse},
		{"arn:aws:organizations::111111111111:policy/o-a/backup_policy", true, triFalse},
		// Some new IDs would match, others not.
		{arn + "p-a*", true, triUnknown},
		{arn + "p-abc", false, triFalse},
		{arn + "*", false, triTrue},
	} {
		if got := resourceMatch(tc.pattern, delegationCheck{Resource: arn, Partial: tc.partial}); got != tc.want {
			t.Errorf("resourceMatch(%q, partial %v) = %v, want %v", tc.pattern, tc.partial, got, tc.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abcd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*policy", "organizations:createpolicy", true},
		{"organizations:*policy*", "organizations:attachpolicy", true},
		{"organizations:list*", "organizations:describepolicy", false},
		{"**a", "bba", true},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}
