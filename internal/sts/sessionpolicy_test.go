package sts

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/identity"
)

// Session policies the tests pass and restrict callers with.
const (
	readOnly    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"}]}`
	denyAll     = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	assumeR     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","organizations:Describe*"],"Resource":"*"}]}`
	assumeOnlyR = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111111111111:role/R"}]}`
	byName      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":{"sts:RoleSessionName":"ok"}}}]}`
	bySourceIP  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	byOrg       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:GetAccessKeyInfo"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-fake000001"}}}]}`
	readOnlyARN = "arn:aws:iam::aws:policy/AWSOrganizationsReadOnlyAccess"
)

// restricted is a role session of 111111111111 limited by sets.
func restricted(sets ...identity.SessionPolicy) identity.Caller {
	p := identity.SessionPolicies(sets)
	return identity.Caller{AccountID: "111111111111", Principal: "arn:aws:sts::111111111111:assumed-role/R/s", Temporary: true, Policies: &p}
}

// The session policies each issuing action is given are kept with the
// session, and a chained session keeps those of the session that
// assumed it first.
func TestSessionPoliciesStored(t *testing.T) {
	own := "&Policy=" + url.QueryEscape(readOnly) + "&PolicyArns.member.1.arn=" + url.QueryEscape(readOnlyARN)
	ownSet := identity.SessionPolicy{Policy: readOnly, PolicyArns: []string{readOnlyARN}}
	parent := identity.SessionPolicy{Policy: assumeR}
	const role = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FR&RoleSessionName=s2"
	for _, tc := range []struct {
		name   string
		caller identity.Caller
		body   string
		want   identity.SessionPolicies
	}{
		{"AssumeRole without policies", root, role, nil},
		{"AssumeRole", root, role + own, identity.SessionPolicies{ownSet}},
		{"AssumeRole with only an ARN", root, role + "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A111111111111%3Apolicy%2Fmine", identity.SessionPolicies{{PolicyArns: []string{"arn:aws:iam::111111111111:policy/mine"}}}},
		{"GetFederationToken", alice, "Action=GetFederationToken" + stsVersion + "&Name=bob" + own, identity.SessionPolicies{ownSet}},
		{"chained, no policies of its own", restricted(parent), role, identity.SessionPolicies{parent}},
		{"chained with policies", restricted(parent), role + own, identity.SessionPolicies{parent, ownSet}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{sessions: map[string]identity.Session{}}
			if status, code, body := call(t, f, tc.caller, tc.body); status != 200 {
				t.Fatalf("%d %s: %s", status, code, body)
			}
			if len(f.sessions) != 1 {
				t.Fatalf("%d sessions stored", len(f.sessions))
			}
			for _, s := range f.sessions {
				if !reflect.DeepEqual(s.Policies, tc.want) {
					t.Fatalf("stored policies %+v, want %+v", s.Policies, tc.want)
				}
				if c := s.Caller(); (c.Policies != nil) != (tc.want != nil) {
					t.Fatalf("caller policies %v, want %v", c.Policies, tc.want)
				}
			}
		})
	}
}

// What a restricted session may call of STS: GetCallerIdentity always;
// AssumeRole (role chaining) and GetAccessKeyInfo only where its session
// policies allow them, with the refusal AWS gives.
func TestSessionPoliciesLimitSTS(t *testing.T) {
	const (
		roleR = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FR&RoleSessionName="
		roleQ = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FQ&RoleSessionName=ok"
		who   = "Action=GetCallerIdentity&Version=2011-06-15"
		key   = "Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAALICE0000000001"
	)
	set := func(p string) identity.SessionPolicy { return identity.SessionPolicy{Policy: p} }
	unknownARN := identity.SessionPolicy{PolicyArns: []string{"arn:aws:iam::111111111111:policy/unknown"}}
	principal := "arn:aws:sts::111111111111:assumed-role/R/s"
	for _, tc := range []struct {
		name    string
		caller  identity.Caller
		body    string
		status  int
		message string // a part of the refusal
	}{
		{"GetCallerIdentity under deny-all", restricted(set(denyAll)), who, 200, ""},
		{"GetCallerIdentity with an unknown ARN", restricted(unknownARN), who, 200, ""},
		{"AssumeRole under deny-all", restricted(set(denyAll)), roleR + "s2", 403,
			"User: " + principal + " is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/R with an explicit deny in a session policy"},
		{"AssumeRole under read-only", restricted(set(readOnly)), roleR + "s2", 403,
			"User: " + principal + " is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/R because no session policy allows the sts:AssumeRole action"},
		{"AssumeRole under the read-only managed policy", restricted(identity.SessionPolicy{PolicyArns: []string{readOnlyARN}}), roleR + "s2", 403, "no session policy allows"},
		{"AssumeRole with an unknown ARN", restricted(unknownARN), roleR + "s2", 403, "no session policy allows"},
		{"AssumeRole allowed", restricted(set(assumeR)), roleR + "s2", 200, ""},
		{"AssumeRole allowed, deny in a second set", restricted(set(assumeR), set(denyAll)), roleR + "s2", 403, "explicit deny"},
		{"AssumeRole allowed in one set only", restricted(set(assumeR), set(readOnly)), roleR + "s2", 403, "no session policy allows"},
		{"AssumeRole of the allowed role", restricted(set(assumeOnlyR)), roleR + "s2", 200, ""},
		{"AssumeRole of another role", restricted(set(assumeOnlyR)), roleQ, 403, "on resource: arn:aws:iam::111111111111:role/Q because"},
		{"session name condition met", restricted(set(byName)), roleR + "ok", 200, ""},
		{"session name condition not met", restricted(set(byName)), roleR + "no", 403, "no session policy allows"},
		{"condition on a key orgd cannot know", restricted(set(bySourceIP)), roleR + "ok", 403, "no session policy allows"},
		{"condition on the organization", restricted(set(byOrg)), roleR + "ok", 200, ""},
		{"GetAccessKeyInfo under deny-all", restricted(set(denyAll)), key, 403,
			"User: " + principal + " is not authorized to perform: sts:GetAccessKeyInfo with an explicit deny in a session policy"},
		{"GetAccessKeyInfo allowed", restricted(set(byOrg)), key, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{sessions: map[string]identity.Session{}}
			status, code, body := call(t, f, tc.caller, tc.body)
			if status != tc.status {
				t.Fatalf("got %d %s, want %d: %s", status, code, tc.status, body)
			}
			if tc.status == 200 {
				return
			}
			if code != "AccessDenied" || !strings.Contains(body, tc.message) {
				t.Fatalf("got %s %s, want AccessDenied %q", code, body, tc.message)
			}
			if len(f.sessions) != 0 {
				t.Fatal("a refused AssumeRole stored a session")
			}
		})
	}
}

// A chain of restricted sessions keeps every link's session policies, up
// to maxPolicySets; a call that would pass them is refused as AWS refuses
// too much policy, and one that adds none still works.
func TestSessionPolicyChainLimit(t *testing.T) {
	sets := make([]identity.SessionPolicy, maxPolicySets)
	for i := range sets {
		sets[i] = identity.SessionPolicy{Policy: assumeR}
	}
	const role = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FR&RoleSessionName=s2"
	f := &fake{sessions: map[string]identity.Session{}}
	if status, code, body := call(t, f, restricted(sets...), role+"&Policy="+url.QueryEscape(assumeR)); status != 400 || code != "PackedPolicyTooLarge" {
		t.Fatalf("got %d %s: %s", status, code, body)
	}
	if status, code, body := call(t, f, restricted(sets...), role); status != 200 {
		t.Fatalf("got %d %s: %s", status, code, body)
	}
}
