package sessionpolicy

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/scp"
)

const (
	root = "arn:aws:organizations::111111111111:root/o-aaaaaaaaaa/r-abcd"
	ou   = "arn:aws:organizations::111111111111:ou/o-aaaaaaaaaa/ou-abcd-11111111"

	readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"}]}`
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// allowButCreate allows everything but writing OUs, a Deny winning
	// over the Allow of the same policy.
	allowButCreate = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:*OrganizationalUnit","Resource":"*"}]}`
	notRoot        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","NotResource":"arn:aws:organizations::*:root/*"}]}`
	inOrg          = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-aaaaaaaaaa"}}}]}`
	fromCorpIP     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	denyOutsideIP  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	byRegion       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`
	ownAccount     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:organizations::${aws:PrincipalAccount}:*"}]}`

	arnReadOnly = "arn:aws:iam::aws:policy/AWSOrganizationsReadOnlyAccess"
	arnFull     = "arn:aws:iam::aws:policy/AWSOrganizationsFullAccess"
	arnAdmin    = "arn:aws:iam::aws:policy/AdministratorAccess"
	arnPower    = "arn:aws:iam::aws:policy/PowerUserAccess"
)

func inline(p string) identity.SessionPolicy { return identity.SessionPolicy{Policy: p} }

func arns(a ...string) identity.SessionPolicy { return identity.SessionPolicy{PolicyArns: a} }

func TestEvaluate(t *testing.T) {
	describe := scp.Request{Action: "organizations:DescribeOrganization"}
	createOU := scp.Request{Action: "organizations:CreateOrganizationalUnit", Resource: root}
	createUnder := func(parent string) scp.Request {
		return scp.Request{Action: "organizations:CreateOrganizationalUnit", Resource: parent}
	}
	assume := scp.Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/R"}
	listAccounts := scp.Request{Action: "organizations:ListAccounts"}
	withCtx := func(r scp.Request, kv ...string) scp.Request {
		r.Context = map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			r.Context[kv[i]] = []string{kv[i+1]}
		}
		return r
	}
	for _, tc := range []struct {
		name string
		sets identity.SessionPolicies
		req  scp.Request
		want scp.Reason
	}{
		{"read-only allows a read", identity.SessionPolicies{inline(readOnly)}, describe, scp.ReasonAllowed},
		{"read-only refuses a write", identity.SessionPolicies{inline(readOnly)}, createOU, scp.ReasonNoAllow},
		{"read-only refuses STS", identity.SessionPolicies{inline(readOnly)}, assume, scp.ReasonNoAllow},
		{"deny wins over allow", identity.SessionPolicies{inline(allowButCreate)}, createOU, scp.ReasonExplicitDeny},
		{"deny leaves the rest", identity.SessionPolicies{inline(allowButCreate)}, describe, scp.ReasonAllowed},
		{"management account is not exempt", identity.SessionPolicies{inline(readOnly)}, scp.Request{Action: createOU.Action, Resource: root, ManagementAccount: true}, scp.ReasonNoAllow},
		{"service-linked role is not exempt", identity.SessionPolicies{inline(readOnly)}, scp.Request{Action: createOU.Action, Resource: root, ServiceLinkedRole: true}, scp.ReasonNoAllow},
		{"no sets allow nothing", nil, describe, scp.ReasonNoAllow},
		{"an empty set allows nothing", identity.SessionPolicies{{}}, describe, scp.ReasonNoAllow},
		{"a policy of no statements allows nothing", identity.SessionPolicies{inline(`{"Version":"2012-10-17","Statement":[]}`)}, describe, scp.ReasonNoAllow},

		{"NotResource: under an OU", identity.SessionPolicies{inline(notRoot)}, createUnder(ou), scp.ReasonAllowed},
		{"NotResource: under the root", identity.SessionPolicies{inline(notRoot)}, createUnder(root), scp.ReasonNoAllow},
		{"policy variable", identity.SessionPolicies{inline(ownAccount)}, scp.Request{Action: createOU.Action, Resource: root, Account: "111111111111"}, scp.ReasonAllowed},
		{"policy variable, other account", identity.SessionPolicies{inline(ownAccount)}, scp.Request{Action: createOU.Action, Resource: root, Account: "222222222222"}, scp.ReasonNoAllow},

		{"unknown ARN alone allows nothing", identity.SessionPolicies{arns("arn:aws:iam::111111111111:policy/mine")}, describe, scp.ReasonNoAllow},
		{"unknown AWS managed ARN allows nothing", identity.SessionPolicies{arns("arn:aws:iam::aws:policy/ReadOnlyAccess")}, describe, scp.ReasonNoAllow},
		{"managed ARN of another partition", identity.SessionPolicies{arns("arn:aws-cn:iam::aws:policy/AdministratorAccess")}, describe, scp.ReasonNoAllow},
		{"unknown ARN beside an inline policy", identity.SessionPolicies{{Policy: readOnly, PolicyArns: []string{"arn:aws:iam::111111111111:policy/mine"}}}, describe, scp.ReasonAllowed},
		{"AWSOrganizationsReadOnlyAccess reads", identity.SessionPolicies{arns(arnReadOnly)}, listAccounts, scp.ReasonAllowed},
		{"AWSOrganizationsReadOnlyAccess writes not", identity.SessionPolicies{arns(arnReadOnly)}, createOU, scp.ReasonNoAllow},
		{"AWSOrganizationsFullAccess writes", identity.SessionPolicies{arns(arnFull)}, createOU, scp.ReasonAllowed},
		{"AWSOrganizationsFullAccess is not STS", identity.SessionPolicies{arns(arnFull)}, assume, scp.ReasonNoAllow},
		{"AdministratorAccess", identity.SessionPolicies{arns(arnAdmin)}, assume, scp.ReasonAllowed},
		{"PowerUserAccess assumes roles", identity.SessionPolicies{arns(arnPower)}, assume, scp.ReasonAllowed},
		{"PowerUserAccess describes the organization", identity.SessionPolicies{arns(arnPower)}, describe, scp.ReasonAllowed},
		{"PowerUserAccess lists no accounts", identity.SessionPolicies{arns(arnPower)}, listAccounts, scp.ReasonNoAllow},
		{"inline and managed policies add up", identity.SessionPolicies{{Policy: readOnly, PolicyArns: []string{arnFull}}}, createOU, scp.ReasonAllowed},

		{"chain: every set must allow", identity.SessionPolicies{inline(readOnly), inline(allowAll)}, createOU, scp.ReasonNoAllow},
		{"chain: both allow", identity.SessionPolicies{inline(readOnly), inline(allowAll)}, describe, scp.ReasonAllowed},
		{"chain: a deny in any set", identity.SessionPolicies{inline(allowAll), inline(allowButCreate)}, createOU, scp.ReasonExplicitDeny},

		{"organization condition met", identity.SessionPolicies{inline(inOrg)}, withCtx(describe, "aws:PrincipalOrgID", "o-aaaaaaaaaa"), scp.ReasonAllowed},
		{"organization condition, other organization", identity.SessionPolicies{inline(inOrg)}, withCtx(describe, "aws:PrincipalOrgID", "o-bbbbbbbbbb"), scp.ReasonNoAllow},
		{"organization condition, standalone account", identity.SessionPolicies{inline(inOrg)}, describe, scp.ReasonNoAllow},
		{"region condition met", identity.SessionPolicies{inline(byRegion)}, withCtx(describe, "aws:RequestedRegion", "us-east-1"), scp.ReasonAllowed},
		{"region unknown", identity.SessionPolicies{inline(byRegion)}, describe, scp.ReasonUndetermined},
		{"allow on a key orgd cannot know", identity.SessionPolicies{inline(fromCorpIP)}, describe, scp.ReasonUndetermined},
		{"deny on a key orgd cannot know", identity.SessionPolicies{inline(denyOutsideIP)}, describe, scp.ReasonUndetermined},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate("aws", tc.sets, tc.req)
			if d.Reason != tc.want || d.Allowed != (tc.want == scp.ReasonAllowed) {
				t.Fatalf("got %v (allowed %v), want %v", d.Reason, d.Allowed, tc.want)
			}
		})
	}
}

// Every AWS managed policy orgd knows parses, under its own ARN in any
// partition the server has, and nothing else is one.
func TestManaged(t *testing.T) {
	for name := range managedDocuments {
		for _, partition := range []string{"aws", "aws-us-gov"} {
			if Managed(partition, "arn:"+partition+":iam::aws:policy/"+name) == nil {
				t.Errorf("%s in %s: not known", name, partition)
			}
		}
		if Managed("", "arn:aws:iam::aws:policy/"+name) == nil {
			t.Errorf("%s: the empty partition is not aws", name)
		}
	}
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::111111111111:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/job-function/AdministratorAccess",
		"arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/administratoraccess",
		"AdministratorAccess",
		"",
	} {
		if Managed("aws", arn) != nil {
			t.Errorf("%q is known", arn)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		ok           bool
	}{
		{"read-only", readOnly, true},
		{"with an Id", `{"Version":"2012-10-17","Id":"ci","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, true},
		{"NotAction and NotResource", `{"Statement":{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::x/*"}}`, true},
		{"no statement", `{}`, false},
		{"an empty Statement", `{"Version":"2012-10-17","Statement":[]}`, true},
		{"a principal", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, false},
		{"an Id that is no string", `{"Id":1,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, false},
		{"an unknown element", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Extra":1}`, false},
		{"no resource", `{"Statement":{"Effect":"Allow","Action":"*"}}`, false},
		{"not JSON", `{`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.policy)
			var ve *scp.ValidationError
			if (err == nil) != tc.ok || err != nil && !errors.As(err, &ve) {
				t.Fatalf("Check = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// The cache hands back one compiled document per text and stays bounded.
func TestCompileCache(t *testing.T) {
	a, err := compile(readOnly)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := compile(readOnly); a != b {
		t.Fatal("the same text compiled twice")
	}
	for i := range 2 * cacheSize {
		if _, err := compile(fmt.Sprintf(`{"Statement":{"Sid":"S%d","Effect":"Allow","Action":"*","Resource":"*"}}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	cache.Lock()
	n := len(cache.docs)
	cache.Unlock()
	if n > cacheSize {
		t.Fatalf("%d cached documents, more than %d", n, cacheSize)
	}
}

// Evaluating a restricted session's request is cheap once its policy is
// compiled: no parse on the request path.
func BenchmarkEvaluate(b *testing.B) {
	sets := identity.SessionPolicies{{Policy: readOnly, PolicyArns: []string{arnReadOnly}}}
	req := scp.Request{Action: "organizations:DescribeOrganization", Principal: "arn:aws:sts::111111111111:assumed-role/R/s", Account: "111111111111",
		Context: map[string][]string{"aws:PrincipalOrgID": {"o-aaaaaaaaaa"}}}
	b.ReportAllocs()
	for b.Loop() {
		if !Evaluate("aws", sets, req).Allowed {
			b.Fatal("refused")
		}
	}
}
