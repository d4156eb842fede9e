package scp

import (
	"reflect"
	"testing"
)

// FuzzParseEvaluate feeds policy documents anyone may send to CreatePolicy
// or UpdatePolicy through Parse, and each document that parses through
// Evaluate: bad input must be an error with a message, never a panic,
// and evaluating the same request twice must decide the same.
func FuzzParseEvaluate(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Sid":"x","Effect":"Deny","NotAction":["s3:*","ec2:Run*"],"Resource":"arn:aws:s3:::b/*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:Leave*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalArn":["arn:aws:iam::*:role/Admin"]},"Bool":{"aws:SecureTransport":"false"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:RequestedRegion":["eu-*"]},"Null":{"aws:MultiFactorAuthAge":"true"},"NumericLessThan":{"aws:EpochTime":"1700000000"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:ResourceOrgID":"${aws:PrincipalOrgID}"}}}]}`,
		`{}`, `[]`, `null`, `{"Statement":[{}]}`,
	} {
		f.Add(s, "SERVICE_CONTROL_POLICY", "organizations:CreateAccount", "arn:aws:organizations::111111111111:account/o-x/222222222222")
		f.Add(s, "RESOURCE_CONTROL_POLICY", "s3:GetObject", "arn:aws:s3:::bucket/key")
	}
	f.Fuzz(func(t *testing.T, content, policyType, action, resource string) {
		if _, err := ParseSessionPolicy(content); err != nil && err.Error() == "" {
			t.Fatalf("ParseSessionPolicy(%q) failed with an empty message", content)
		}
		doc, err := Parse(policyType, content)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q) failed with an empty message", content)
			}
			return
		}
		if doc == nil {
			t.Fatalf("Parse(%q) = nil, nil", content)
		}
		levels := []Level{{TargetID: "r-abcd", Policies: []Policy{{ID: "p-1", Name: "one", Doc: doc}}}}
		req := Request{
			Action:    action,
			Resource:  resource,
			Principal: "arn:aws:iam::222222222222:role/Dev",
			Account:   "222222222222",
			Context: map[string][]string{
				"aws:SourceIp":        {"10.1.2.3"},
				"aws:RequestedRegion": {"eu-west-1"},
				"aws:EpochTime":       {"1690000000"},
				"aws:SecureTransport": {"true"},
			},
		}
		if a, b := Evaluate(levels, req), Evaluate(levels, req); !reflect.DeepEqual(a, b) {
			t.Fatalf("Evaluate decided %+v, then %+v", a, b)
		}
		req.Unknown = func(string) bool { return true }
		_ = Evaluate(levels, req)
	})
}
