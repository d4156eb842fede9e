package scp

import (
	"fmt"
	"strings"
	"testing"
)

func mustParse(t testing.TB, typ, content string) *Document {
	t.Helper()
	doc, err := Parse(typ, content)
	if err != nil {
		doc, err = ParseAWSManaged(typ, content)
	}
	if err != nil {
		t.Fatalf("Parse(%s): %v", content, err)
	}
	return doc
}

// pol builds an attached SCP named after its ID.
func pol(t testing.TB, id, content string) Policy {
	return Policy{ID: id, Name: "name-" + id, Doc: mustParse(t, TypeSCP, content)}
}

func lvl(id string, ps ...Policy) Level {
	return Level{TargetID: id, TargetName: "t-" + id, Policies: ps}
}

const (
	denyEC2    = `{"Version":"2012-10-17","Statement":{"Sid":"NoEC2","Effect":"Deny","Action":"ec2:*","Resource":"*"}}`
	allowS3    = `{"Version":"2012-10-17","Statement":{"Sid":"OnlyS3","Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	allowEC2S3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	denyRegion = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllOutsideEU","Effect":"Deny","NotAction":["cloudfront:*","iam:*","route53:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1"]}}}]}`
	denyRole   = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAccessToAdminRole","Effect":"Deny","Action":["iam:AttachRolePolicy","iam:DeleteRole","iam:PutRolePolicy"],"Resource":["arn:aws:iam::*:role/role-to-deny"]}]}`
	denyExcept = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllExceptListed","Effect":"Deny","NotAction":["s3:*","cloudwatch:*"],"Resource":"*"}]}`
	denyBucket = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::public-*","arn:aws:s3:::public-*/*"]}]}`
	denyOwnPfx = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","NotResource":"arn:aws:s3:::shared/${aws:PrincipalAccount}/*"}]}`
)

func TestEvaluate(t *testing.T) {
	full := pol(t, "p-FullAWSAccess", fullAWSAccess)
	req := func(action, resource string) Request {
		return Request{Action: action, Resource: resource, Principal: "arn:aws:iam::111122223333:role/dev", Account: "111122223333",
			Context: ctx{"aws:RequestedRegion": {"eu-west-1"}}}
	}
	cases := []struct {
		name    string
		levels  []Level
		req     Request
		allowed bool
		reason  Reason
		by      string // policy ID (deny) or target ID (no allow)
		sid     string
	}{
		{"FullAWSAccess everywhere", []Level{lvl("r-root", full), lvl("ou-a", full), lvl("111122223333", full)},
			req("ec2:RunInstances", ""), true, ReasonAllowed, "", ""},
		{"deny beats allow at same level", []Level{lvl("r-root", full), lvl("ou-a", full, pol(t, "p-deny", denyEC2)), lvl("111122223333", full)},
			req("ec2:RunInstances", ""), false, ReasonExplicitDeny, "p-deny", "NoEC2"},
		{"deny on account beats allows above", []Level{lvl("r-root", full), lvl("111122223333", full, pol(t, "p-deny", denyEC2))},
			req("EC2:runinstances", ""), false, ReasonExplicitDeny, "p-deny", "NoEC2"},
		{"deny unrelated action", []Level{lvl("r-root", full), lvl("111122223333", full, pol(t, "p-deny", denyEC2))},
			req("s3:GetObject", ""), true, ReasonAllowed, "", ""},
		{"allow missing at one OU", []Level{lvl("r-root", full), lvl("ou-a", pol(t, "p-s3", allowS3)), lvl("111122223333", full)},
			req("ec2:RunInstances", ""), false, ReasonNoAllow, "ou-a", ""},
		{"allow list satisfied on every level", []Level{lvl("r-root", full), lvl("ou-a", pol(t, "p-s3", allowS3)), lvl("111122223333", pol(t, "p-both", allowEC2S3))},
			req("s3:PutObject", ""), true, ReasonAllowed, "", ""},
		{"allow at account only is not enough", []Level{lvl("r-root", pol(t, "p-s3", allowS3)), lvl("111122223333", full)},
			req("ec2:RunInstances", ""), false, ReasonNoAllow, "r-root", ""},
		{"level with no policies", []Level{lvl("r-root", full), lvl("ou-empty"), lvl("111122223333", full)},
			req("s3:GetObject", ""), false, ReasonNoAllow, "ou-empty", ""},
		{"no levels", nil, req("s3:GetObject", ""), false, ReasonNoAllow, "", ""},
		{"NotAction deny-all-except listed", []Level{lvl("r-root", full, pol(t, "p-except", denyExcept))},
			req("ec2:RunInstances", ""), false, ReasonExplicitDeny, "p-except", "DenyAllExceptListed"},
		{"NotAction deny-all-except exempt action", []Level{lvl("r-root", full, pol(t, "p-except", denyExcept))},
			req("cloudwatch:PutMetricData", ""), true, ReasonAllowed, "", ""},
		{"region deny outside EU", []Level{lvl("r-root", full, pol(t, "p-region", denyRegion))},
			Request{Action: "ec2:RunInstances", Context: ctx{"aws:RequestedRegion": {"us-east-1"}}}, false, ReasonExplicitDeny, "p-region", "DenyAllOutsideEU"},
		{"region deny inside EU", []Level{lvl("r-root", full, pol(t, "p-region", denyRegion))},
			req("ec2:RunInstances", ""), true, ReasonAllowed, "", ""},
		{"region deny global service", []Level{lvl("r-root", full, pol(t, "p-region", denyRegion))},
			Request{Action: "iam:CreateRole", Context: ctx{"aws:RequestedRegion": {"us-east-1"}}}, true, ReasonAllowed, "", ""},
		{"resource ARN wildcard match", []Level{lvl("r-root", full, pol(t, "p-role", denyRole))},
			req("iam:DeleteRole", "arn:aws:iam::111122223333:role/role-to-deny"), false, ReasonExplicitDeny, "p-role", "DenyAccessToAdminRole"},
		{"resource ARN case-sensitive", []Level{lvl("r-root", full, pol(t, "p-role", denyRole))},
			req("iam:DeleteRole", "arn:aws:iam::111122223333:role/Role-To-Deny"), true, ReasonAllowed, "", ""},
		{"resource ARN other role", []Level{lvl("r-root", full, pol(t, "p-role", denyRole))},
			req("iam:DeleteRole", "arn:aws:iam::111122223333:role/other"), true, ReasonAllowed, "", ""},
		{"resourceless action vs ARN deny", []Level{lvl("r-root", full, pol(t, "p-role", denyRole))},
			req("iam:DeleteRole", ""), true, ReasonAllowed, "", ""},
		{"NotResource exempts public buckets", []Level{lvl("r-root", full, pol(t, "p-b", denyBucket))},
			req("s3:GetObject", "arn:aws:s3:::public-web/index.html"), true, ReasonAllowed, "", ""},
		{"NotResource denies the rest", []Level{lvl("r-root", full, pol(t, "p-b", denyBucket))},
			req("s3:GetObject", "arn:aws:s3:::private/key"), false, ReasonExplicitDeny, "p-b", ""},
		{"variable in resource own prefix", []Level{lvl("r-root", full, pol(t, "p-own", denyOwnPfx))},
			req("s3:PutObject", "arn:aws:s3:::shared/111122223333/f"), true, ReasonAllowed, "", ""},
		{"variable in resource other prefix", []Level{lvl("r-root", full, pol(t, "p-own", denyOwnPfx))},
			req("s3:PutObject", "arn:aws:s3:::shared/444455556666/f"), false, ReasonExplicitDeny, "p-own", ""},
		{"management account exempt", []Level{lvl("r-root", pol(t, "p-deny", denyEC2))},
			Request{Action: "ec2:RunInstances", ManagementAccount: true}, true, ReasonExempt, "", ""},
		{"service-linked role exempt", []Level{lvl("r-root", pol(t, "p-deny", denyEC2))},
			Request{Action: "ec2:RunInstances", ServiceLinkedRole: true}, true, ReasonExempt, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Evaluate(c.levels, c.req)
			if d.Allowed != c.allowed || d.Reason != c.reason {
				t.Fatalf("got %v/%v (%s), want %v/%v", d.Allowed, d.Reason, d, c.allowed, c.reason)
			}
			switch c.reason {
			case ReasonExplicitDeny:
				if d.By.PolicyID != c.by || d.By.Sid != c.sid || d.By.PolicyName != "name-"+c.by {
					t.Fatalf("denied by %+v, want %s/%s", d.By, c.by, c.sid)
				}
			case ReasonNoAllow:
				if d.By.TargetID != c.by || d.By.PolicyID != "" {
					t.Fatalf("no allow at %+v, want %s", d.By, c.by)
				}
			case ReasonAllowed:
				if len(d.AllowedBy) != len(c.levels) {
					t.Fatalf("AllowedBy %+v for %d levels", d.AllowedBy, len(c.levels))
				}
				for i, r := range d.AllowedBy {
					if r.Level != i || r.TargetID != c.levels[i].TargetID || r.PolicyID == "" {
						t.Fatalf("AllowedBy[%d] = %+v", i, r)
					}
				}
			}
		})
	}
}

// The explanation names the statement that allowed at each level, not
// just the policy: the second statement of p-both allows s3.
func TestEvaluateExplains(t *testing.T) {
	levels := []Level{
		lvl("r-root", pol(t, "p-s3", allowS3)),
		lvl("ou-a", pol(t, "p-deny", denyEC2), pol(t, "p-both", allowEC2S3)),
	}
	d := Evaluate(levels, Request{Action: "s3:ListBucket"})
	if !d.Allowed {
		t.Fatalf("denied: %s", d)
	}
	want := []StatementRef{
		{Level: 0, TargetID: "r-root", TargetName: "t-r-root", PolicyID: "p-s3", PolicyName: "name-p-s3", Statement: 0, Sid: "OnlyS3"},
		{Level: 1, TargetID: "ou-a", TargetName: "t-ou-a", PolicyID: "p-both", PolicyName: "name-p-both", Statement: 1, Sid: "S3"},
	}
	for i := range want {
		if d.AllowedBy[i] != want[i] {
			t.Errorf("AllowedBy[%d] = %+v, want %+v", i, d.AllowedBy[i], want[i])
		}
	}
	if s := d.String(); !strings.Contains(s, "ou-a by p-both statement 1 (S3)") {
		t.Errorf("String() = %q", s)
	}
	d = Evaluate(levels, Request{Action: "ec2:RunInstances"})
	if s := d.String(); !strings.Contains(s, "explicit deny in policy p-deny") || !strings.Contains(s, "attached to ou-a") {
		t.Errorf("String() = %q", s)
	}
	d = Evaluate(levels, Request{Action: "sqs:SendMessage"})
	if s := d.String(); !strings.Contains(s, "no policy attached to r-root") {
		t.Errorf("String() = %q", s)
	}
}

func TestStringers(t *testing.T) {
	cases := map[string]string{
		Allow.String(): "Allow", Deny.String(): "Deny", Effect(0).String(): "?",
		ReasonAllowed.String(): "allowed", ReasonExplicitDeny.String(): "explicit deny",
		ReasonNoAllow.String(): "no allow at level", ReasonExempt.String(): "exempt", Reason(0).String(): "?",
		(&ValidationError{Message: "m"}).Error(): "m",
		Decision{Reason: ReasonExempt}.String():  "allowed: caller is exempt from these policies",
		Decision{}.String():                      "undecided",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// A non-ASCII action folds the same way on both sides.
func TestNonASCIIAction(t *testing.T) {
	levels := []Level{lvl("r", pol(t, "p", `{"Statement":{"Effect":"Allow","Action":"svc:ÖffneTür","Resource":"*"}}`))}
	for action, want := range map[string]bool{"svc:öffnetür": true, "SVC:ÖFFNETÜR": true, "svc:offnetur": false} {
		if d := Evaluate(levels, Request{Action: action}); d.Allowed != want {
			t.Errorf("%s: %s", action, d)
		}
	}
}

func TestEvaluateRCP(t *testing.T) {
	full := Policy{ID: "p-RCPFullAWSAccess", Doc: mustParse(t, TypeRCP, rcpFullAWSAccess)}
	tls := Policy{ID: "p-tls", Doc: mustParse(t, TypeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`)}
	levels := []Level{lvl("r-root", full), lvl("123456789012", full, tls)}
	cases := []struct {
		ctx  ctx
		want bool
	}{
		{ctx{"aws:SecureTransport": {"false"}}, false},
		{ctx{"aws:SecureTransport": {"true"}}, true},
		{nil, false}, // BoolIfExists: an absent key counts as a match
	}
	for _, c := range cases {
		d := Evaluate(levels, Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: c.ctx})
		if d.Allowed != c.want {
			t.Errorf("context %v: %s", c.ctx, d)
		}
	}
}

// benchLevels builds root + 5 OUs + account, each with ten policies of a
// few statements that use action and resource wildcards and a condition.
func benchLevels(b testing.TB) []Level {
	var levels []Level
	for l := 0; l < 7; l++ {
		var ps []Policy
		for p := 0; p < 10; p++ {
			content := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Sid":"Allow%[1]d","Effect":"Allow","Action":["s3:*","ec2:Describe*","dynamodb:*Item","lambda:Invoke?unction"],"Resource":"*"},
{"Sid":"DenyRegion%[1]d","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}},
{"Sid":"DenyRole%[1]d","Effect":"Deny","Action":["iam:*Role*","iam:Put*Policy"],"Resource":"arn:aws:iam::*:role/protected-%[1]d-*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}}},
{"Sid":"DenyBucket%[1]d","Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::locked-%[1]d/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`, l*10+p)
			ps = append(ps, pol(b, fmt.Sprintf("p-%d-%d", l, p), content))
		}
		levels = append(levels, Level{TargetID: fmt.Sprintf("t-%d", l), Policies: ps})
	}
	return levels
}

var benchReq = Request{
	Action:    "S3:GetObject",
	Resource:  "arn:aws:s3:::data-bucket/reports/2024/q1.csv",
	Principal: "arn:aws:iam::111122223333:role/analyst",
	Account:   "111122223333",
	Context: ctx{
		"aws:RequestedRegion":        {"eu-west-1"},
		"aws:MultiFactorAuthPresent": {"true"},
		"aws:SecureTransport":        {"true"},
	},
}

func TestBenchScenario(t *testing.T) {
	levels := benchLevels(t)
	if d := Evaluate(levels, benchReq); !d.Allowed || len(d.AllowedBy) != 7 {
		t.Fatalf("bench request: %s", d)
	}
	r := benchReq
	r.Context = ctx{"aws:RequestedRegion": {"us-east-1"}}
	if d := Evaluate(levels, r); d.Allowed || d.By.Sid != "DenyRegion0" {
		t.Fatalf("out-of-region request: %s", d)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	levels := benchLevels(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := Evaluate(levels, benchReq); !d.Allowed {
			b.Fatal(d)
		}
	}
}
