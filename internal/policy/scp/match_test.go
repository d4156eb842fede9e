package scp

import "testing"

func TestMatcher(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold       bool
		want       bool
	}{
		{"*", "", false, true},
		{"*", "anything:at:all", false, true},
		{"s3:GetObject", "s3:GetObject", false, true},
		{"s3:GetObject", "s3:getobject", false, false},
		{"s3:GetObject", "s3:getobject", true, true},
		{"s3:GetObject", "S3:GETOBJECT", true, true},
		{"s3:GetObject", "s3:GetObjects", true, false},
		{"ec2:Describe*", "ec2:DescribeInstances", true, true},
		{"ec2:Describe*", "ec2:describe", true, true},
		{"ec2:Describe*", "ec2:Describ", true, false},
		{"*Instances", "ec2:DescribeInstances", true, true},
		{"*Instances", "ec2:DescribeInstance", true, false},
		{"ec2:*Instance*", "ec2:RunInstances", true, true},
		{"ec2:*Instance*", "ec2:RunVolumes", true, false},
		{"iam:*Role*Policy", "iam:PutRolePolicy", true, true},
		{"iam:*Role*Policy", "iam:PutRolePolicyX", true, false},
		{"s3:Get?bject", "s3:GetObject", true, true},
		{"s3:Get?bject", "s3:Getbject", true, false},
		{"a?c", "aéc", false, true}, // ? is one character, not one byte
		{"a??c", "aéc", false, false},
		{"a*b*c", "abbbc", false, true},
		{"a*b*c", "acb", false, false},
		{"**", "x", false, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key", false, true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/key", false, false},
		{"arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:role/x", false, true},
	}
	for _, c := range cases {
		m := compileMatcher(c.pattern, c.fold)
		if got := m.match(c.s); got != c.want {
			t.Errorf("match(%q, %q, fold=%v) = %v, want %v (kind %d)", c.pattern, c.s, c.fold, got, c.want, m.kind)
		}
		// The general matcher must agree with every fast path.
		if got := glob(m.lit0(), c.s, c.fold, false); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// lit0 rebuilds the full pattern from a fast-path matcher.
func (m *matcher) lit0() string {
	switch m.kind {
	case matchAll:
		return "*"
	case matchPrefix:
		return m.lit + "*"
	case matchSuffix:
		return "*" + m.lit
	}
	return m.lit
}

func TestGlobEscapes(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{`a\?`, "a?", true},
		{`a\?`, "ab", false},
		{`a\\b`, `a\b`, true},
		{`x/*/\*`, "x/y/*", true},
		{`x/*/\*`, "x/y/z", false},
	}
	for _, c := range cases {
		if got := glob(c.pattern, c.s, false, true); got != c.want {
			t.Errorf("glob(%q, %q, esc) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}
