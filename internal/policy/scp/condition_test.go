package scp

import "testing"

type ctx = map[string][]string

// condHolds parses a Deny statement with the given Condition block and
// reports whether it applies to req.
func condHolds(t *testing.T, version, cond string, req Request) bool {
	t.Helper()
	content := `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":` + cond + `}}`
	if version != "" {
		content = `{"Version":"` + version + `",` + content[1:]
	}
	doc, err := Parse(TypeSCP, content)
	if err != nil {
		t.Fatalf("Parse(%s): %v", cond, err)
	}
	if req.Action == "" {
		req.Action = "s3:GetObject"
	}
	ev := newEvaluator(&req)
	return doc.Statements[0].matches(&ev) == yes
}

func TestConditionOperators(t *testing.T) {
	one := func(k, v string) Request { return Request{Context: ctx{k: {v}}} }
	none := Request{}
	cases := []struct {
		name string
		cond string
		req  Request
		want bool
	}{
		// String family.
		{"StringEquals hit", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`, one("aws:RequestedRegion", "us-east-1"), true},
		{"StringEquals case-sensitive value", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`, one("aws:RequestedRegion", "US-EAST-1"), false},
		{"StringEquals values OR", `{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, one("aws:RequestedRegion", "us-east-1"), true},
		{"StringEquals missing key", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`, none, false},
		{"StringNotEquals hit", `{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1"]}}`, one("aws:RequestedRegion", "us-east-1"), true},
		{"StringNotEquals listed value", `{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1"]}}`, one("aws:RequestedRegion", "eu-west-1"), false},
		{"StringNotEquals missing key holds", `{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}`, none, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Blue"}}`, one("aws:PrincipalTag/team", "bLUE"), true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"Blue"}}`, one("aws:PrincipalTag/team", "bLUE"), false},
		{"StringLike wildcard", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}`, Request{Principal: "arn:aws:iam::111122223333:root"}, true},
		{"StringLike question mark", `{"StringLike":{"s3:prefix":"home/?"}}`, one("s3:prefix", "home/a"), true},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"home/*"}}`, one("s3:prefix", "Home/a"), false},
		{"StringNotLike", `{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}`, Request{Principal: "arn:aws:iam::111122223333:role/dev"}, true},
		{"StringNotLike excluded", `{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}`, Request{Principal: "arn:aws:iam::111122223333:role/admin"}, false},
		// ARN family: component-wise, ArnEquals behaves as ArnLike.
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Role1*"}}`, Request{Principal: "arn:aws:iam::111122223333:role/Role1Admin"}, true},
		{"ArnEquals wildcard", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:topic"}}`, one("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{"ArnLike star stays in component", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:topic"}}`, one("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), false},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, one("aws:SourceArn", "topic"), false},
		{"ArnNotLike", `{"ArnNotLike":{"aws:PrincipalARN":["arn:aws:iam::*:role/Bypass1","arn:aws:iam::*:role/Bypass2"]}}`, Request{Principal: "arn:aws:iam::111122223333:role/Bypass2"}, false},
		{"ArnNotEquals other", `{"ArnNotEquals":{"aws:PrincipalARN":"arn:aws:iam::*:role/Bypass1"}}`, Request{Principal: "arn:aws:iam::111122223333:role/Other"}, true},
		// Bool.
		{"Bool false JSON", `{"Bool":{"aws:SecureTransport":false}}`, one("aws:SecureTransport", "false"), true},
		{"Bool case-insensitive request", `{"Bool":{"aws:SecureTransport":"true"}}`, one("aws:SecureTransport", "TRUE"), true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, one("aws:SecureTransport", "false"), false},
		{"Bool missing", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, none, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":false}}`, none, true},
		{"BoolIfExists present true", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":false}}`, one("aws:MultiFactorAuthPresent", "true"), false},
		// Null.
		{"Null true absent", `{"Null":{"aws:RequestTag/Project":"true"}}`, none, true},
		{"Null true present", `{"Null":{"aws:RequestTag/Project":"true"}}`, one("aws:RequestTag/Project", "x"), false},
		{"Null false present", `{"Null":{"aws:RequestTag/Project":"false"}}`, one("aws:RequestTag/Project", "x"), true},
		{"Null false absent", `{"Null":{"aws:RequestTag/Project":"false"}}`, none, false},
		{"Null empty list is absent", `{"Null":{"aws:TagKeys":"true"}}`, Request{Context: ctx{"aws:TagKeys": {}}}, true},
		// Numeric.
		{"NumericEquals", `{"NumericEquals":{"n:k":"10"}}`, one("n:k", "10.0"), true},
		{"NumericNotEquals", `{"NumericNotEquals":{"n:k":10}}`, one("n:k", "11"), true},
		{"NumericLessThan", `{"NumericLessThan":{"n:k":10}}`, one("n:k", "9.5"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"n:k":10}}`, one("n:k", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"n:k":10}}`, one("n:k", "10"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}`, one("aws:MultiFactorAuthAge", "3601"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"n:k":"-1"}}`, one("n:k", "-2"), false},
		{"Numeric unparsable request", `{"NumericEquals":{"n:k":1}}`, one("n:k", "one"), false},
		{"NumericNotEquals unparsable request", `{"NumericNotEquals":{"n:k":1}}`, one("n:k", "one"), true},
		// Date.
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, one("aws:CurrentTime", "2019-12-31T23:59:59Z"), true},
		{"DateLessThan after", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, one("aws:CurrentTime", "2020-01-01T00:00:01Z"), false},
		{"DateGreaterThan epoch policy", `{"DateGreaterThan":{"aws:EpochTime":"1577836800"}}`, one("aws:EpochTime", "2020-01-02"), true},
		{"DateEquals across zones", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"}}`, one("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01"}}`, one("aws:CurrentTime", "2020-01-01T00:00:00Z"), false},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01"}}`, one("aws:CurrentTime", "2020-01-01T00:00:00Z"), true},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-02"}}`, one("aws:CurrentTime", "2020-01-01T23:00:00Z"), false},
		// IP.
		{"IpAddress in", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`, one("aws:SourceIp", "203.0.113.9"), true},
		{"IpAddress out", `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, one("aws:SourceIp", "198.51.100.1"), false},
		{"IpAddress single host", `{"IpAddress":{"aws:SourceIp":"192.0.2.7"}}`, one("aws:SourceIp", "192.0.2.7"), true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, one("aws:SourceIp", "2001:db8::1"), true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, one("aws:SourceIp", "198.51.100.1"), true},
		{"NotIpAddress missing key", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, none, true},
		{"BinaryEquals", `{"BinaryEquals":{"k:bin":"QmluYXJ5"}}`, one("k:bin", "QmluYXJ5"), true},
		// IfExists on a present key is the plain operator.
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, one("ec2:InstanceType", "m5.large"), false},
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, none, true},
		{"StringNotEqualsIfExists present", `{"StringNotEqualsIfExists":{"ec2:InstanceType":"t2.micro"}}`, one("ec2:InstanceType", "m5.large"), true},
		// Case rules: key names fold, values do not.
		{"key name case-insensitive", `{"StringEquals":{"AWS:REQUESTEDREGION":"us-east-1"}}`, one("aws:requestedregion", "us-east-1"), true},
		{"derived key case-insensitive", `{"StringEquals":{"aws:principalaccount":"111122223333"}}`, Request{Account: "111122223333"}, true},
		{"context overrides derived", `{"StringEquals":{"aws:PrincipalAccount":"999999999999"}}`, Request{Account: "111122223333", Context: ctx{"aws:PrincipalAccount": {"999999999999"}}}, true},
		// Several operators and keys: all must hold.
		{"keys AND both", `{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`, Request{Principal: "arn:aws:iam::1:role/Dev", Context: ctx{"aws:RequestedRegion": {"us-east-1"}}}, true},
		{"keys AND one fails", `{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`, Request{Principal: "arn:aws:iam::1:role/Admin", Context: ctx{"aws:RequestedRegion": {"us-east-1"}}}, false},
		{"two keys in one operator", `{"StringEquals":{"a:x":"1","a:y":"2"}}`, Request{Context: ctx{"a:x": {"1"}, "a:y": {"3"}}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := condHolds(t, "2012-10-17", c.cond, c.req); got != c.want {
				t.Fatalf("condition %s = %v, want %v", c.cond, got, c.want)
			}
		})
	}
}

func TestConditionSetOperators(t *testing.T) {
	tags := func(v ...string) Request { return Request{Context: ctx{"aws:TagKeys": v}} }
	cases := []struct {
		name string
		cond string
		req  Request
		want bool
	}{
		{"ForAllValues all listed", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "team"), true},
		{"ForAllValues one unlisted", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, tags("env", "cost"), false},
		{"ForAllValues missing key holds", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, tags(), true},
		{"ForAllValues IfExists missing", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["env"]}}`, Request{}, true},
		{"ForAnyValue one listed", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, tags("cost", "env"), true},
		{"ForAnyValue none listed", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, tags("cost"), false},
		{"ForAnyValue missing key fails", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, tags(), false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["env"]}}`, Request{}, true},
		{"ForAnyValue StringNotEquals some other", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, tags("env", "cost"), true},
		{"ForAnyValue StringNotEquals only listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, tags("env"), false},
		{"ForAllValues StringNotEquals none listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("env", "cost"), true},
		{"ForAllValues StringNotEquals one listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, tags("env", "secret"), false},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}`, tags("team-a", "team-b"), true},
		{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"aws:CalledVia":["*.amazonaws.com"]}}`, Request{Context: ctx{"aws:CalledVia": {"cloudformation.amazonaws.com"}}}, true},
		// Unqualified operators on a multivalued key: a positive operator
		// needs one matching value, a negated one needs none.
		{"plain StringEquals multivalued", `{"StringEquals":{"aws:TagKeys":"env"}}`, tags("cost", "env"), true},
		{"plain StringNotEquals multivalued", `{"StringNotEquals":{"aws:TagKeys":"env"}}`, tags("cost", "env"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := condHolds(t, "2012-10-17", c.cond, c.req); got != c.want {
				t.Fatalf("condition %s = %v, want %v", c.cond, got, c.want)
			}
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	acct := Request{Account: "111122223333", Principal: "arn:aws:iam::111122223333:user/bob",
		Context: ctx{"aws:PrincipalTag/team": {"blue"}, "aws:username": {"bob*"}}}
	cases := []struct {
		name, version, cond string
		want                bool
	}{
		{"variable in StringEquals", "2012-10-17", `{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, false},
		{"variable in ArnLike", "2012-10-17", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/*"}}`, true},
		{"variable case-insensitive name", "2012-10-17", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${AWS:principalaccount}:user/*"}}`, true},
		{"variable in ArnLike other account", "2012-10-17", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalTag/team}:user/*"}}`, false},
		{"variable in ArnLike short pattern", "2012-10-17", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}"}}`, false},
		{"variable in StringEqualsIgnoreCase", "2012-10-17", `{"StringEqualsIgnoreCase":{"s3:prefix":"${aws:PrincipalTag/team}"}}`, false},
		{"2008 keeps text literal", "2008-10-17", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:user/*"}}`, false},
		{"missing variable never matches", "2012-10-17", `{"StringLike":{"aws:PrincipalArn":"*${aws:nope}*"}}`, false},
		{"missing variable default", "2012-10-17", `{"StringLike":{"aws:PrincipalArn":"*${aws:nope, 'bob'}*"}}`, true},
		{"substituted star is literal", "2012-10-17", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/${aws:username}"}}`, false},
		{"escape star literal", "2012-10-17", `{"StringLike":{"k:v":"a${*}"}}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := acct
			req.Context = ctx{"aws:PrincipalTag/team": {"blue"}, "aws:username": {"bob*"}, "s3:prefix": {"red"}, "k:v": {"ab"}}
			if got := condHolds(t, c.version, c.cond, req); got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	// The positive counterparts, so the cases above cannot pass by never
	// matching anything.
	req := acct
	req.Context = ctx{"aws:PrincipalTag/team": {"blue"}, "s3:prefix": {"blue"}, "s3:delimiter": {"BLUE"}, "k:v": {"a*"}, "aws:username": {"bob*"}}
	for _, cond := range []string{
		`{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}`,
		`{"StringLike":{"k:v":"a${*}"}}`,
		`{"StringLike":{"aws:username":"${aws:username}"}}`,
		`{"StringEqualsIgnoreCase":{"s3:delimiter":"${aws:PrincipalTag/team}"}}`,
		`{"ArnLike":{"aws:PrincipalArn":"${aws:PrincipalArn}"}}`,
	} {
		if !condHolds(t, "2012-10-17", cond, req) {
			t.Errorf("condition %s should hold", cond)
		}
	}
}
