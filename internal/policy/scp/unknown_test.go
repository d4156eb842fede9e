package scp

import (
	"slices"
	"strings"
	"testing"
)

// TestUnknownKeys checks that a key the caller says it cannot know
// leaves a decision open only where the key could change it, and that
// absent keys keep IAM's absent-key rules.
func TestUnknownKeys(t *testing.T) {
	full := pol(t, "p-FullAWSAccess", fullAWSAccess)
	tagDeny := pol(t, "p-tag", `{"Version":"2012-10-17","Statement":[{"Sid":"TeamOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"data"}}}]}`)
	tagAllow := pol(t, "p-tagallow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}`)
	tagAndRegion := pol(t, "p-both", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"},"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"ops"}}}]}`)
	tagResource := pol(t, "p-res", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","NotResource":"arn:aws:s3:::team-${aws:PrincipalTag/team}/*"}]}`)
	unknown := func(k string) bool {
		k = strings.ToLower(k)
		return strings.HasPrefix(k, "aws:principaltag/") || strings.HasPrefix(k, "aws:resourcetag/")
	}
	req := func(action, region string, unk func(string) bool) Request {
		return Request{Action: action, Resource: "arn:aws:s3:::b/k", Principal: "arn:aws:iam::111122223333:role/dev", Account: "111122223333",
			Context: ctx{"aws:RequestedRegion": {region}}, Unknown: unk}
	}
	cases := []struct {
		name    string
		levels  []Level
		req     Request
		reason  Reason
		missing []string
	}{
		{"absent key: IAM's rule denies", []Level{lvl("r", full, tagDeny)}, req("s3:GetObject", "eu-west-1", nil), ReasonExplicitDeny, nil},
		{"unknown key: open", []Level{lvl("r", full, tagDeny)}, req("s3:GetObject", "eu-west-1", unknown), ReasonUndetermined, []string{"aws:PrincipalTag/team"}},
		{"statement not matching the action is not open", []Level{lvl("r", full, tagDeny)}, req("ec2:RunInstances", "eu-west-1", unknown), ReasonAllowed, nil},
		{"a known key that fails closes it", []Level{lvl("r", full, tagAndRegion)}, req("s3:GetObject", "eu-west-1", unknown), ReasonAllowed, nil},
		{"a known key that holds leaves it open", []Level{lvl("r", full, tagAndRegion)}, req("s3:GetObject", "us-west-2", unknown), ReasonUndetermined, []string{"aws:PrincipalTag/team"}},
		{"definite deny wins over an open one", []Level{lvl("r", full, tagDeny, pol(t, "p-s3", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`))}, req("s3:GetObject", "eu-west-1", unknown), ReasonExplicitDeny, nil},
		{"definite missing allow wins over an open deny", []Level{lvl("r", full, tagDeny), lvl("a", pol(t, "p-ec2", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`))}, req("s3:GetObject", "eu-west-1", unknown), ReasonNoAllow, nil},
		{"only allow at a level is open", []Level{lvl("r", full), lvl("a", tagAllow)}, req("s3:GetObject", "eu-west-1", unknown), ReasonUndetermined, []string{"aws:ResourceTag/env"}},
		{"another allow at the level closes it", []Level{lvl("r", full), lvl("a", tagAllow, full)}, req("s3:GetObject", "eu-west-1", unknown), ReasonAllowed, nil},
		{"policy variable in a resource", []Level{lvl("r", full, tagResource)}, req("s3:PutObject", "eu-west-1", unknown), ReasonUndetermined, []string{"aws:principaltag/team"}}, // variables are kept lower case
		{"keys of several statements are merged", []Level{lvl("r", full, tagDeny), lvl("a", tagAllow)}, req("s3:GetObject", "eu-west-1", unknown), ReasonUndetermined, []string{"aws:PrincipalTag/team", "aws:ResourceTag/env"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Evaluate(c.levels, c.req)
			if d.Reason != c.reason || !slices.Equal(d.MissingKeys, c.missing) {
				t.Fatalf("got %v %v (%s), want %v %v", d.Reason, d.MissingKeys, d, c.reason, c.missing)
			}
			if d.Reason == ReasonUndetermined && (d.Allowed || d.By.PolicyID == "") {
				t.Fatalf("undetermined decision must not allow and must name a statement: %+v", d)
			}
		})
	}
}
