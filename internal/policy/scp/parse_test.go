package scp

import (
	"errors"
	"strings"
	"testing"
)

const fullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

const rcpFullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`

// Documented SCP and RCP examples from the Organizations user guide; each
// must parse, and the statement count guards against silently dropping
// part of a document.
func TestParseDocumentedExamples(t *testing.T) {
	cases := []struct {
		name, typ, content string
		statements         int
	}{
		{"FullAWSAccess", TypeSCP, fullAWSAccess, 1},
		{"statement as object without Version", TypeSCP, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, 1},
		{"allow all deny ec2", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`, 2},
		{"sid", TypeSCP, `{"Statement":{"Sid":"AllowsAllActions","Effect":"Allow","Action":"*","Resource":"*"}}`, 1},
		{"deny with condition", TypeSCP, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringNotEquals":{"ec2:InstanceType":"t2.micro"}}}}`, 1},
		{"allow list", TypeSCP, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ec2:DescribeInstances","ec2:DescribeImages","ec2:RunInstances","ec2:TerminateInstances"],"Resource":"*"}}`, 1},
		{"deny services", TypeSCP, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["iam:*","ec2:*","rds:*"],"Resource":"*"}}`, 1},
		{"NotAction region", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Sid":"LimitActionsInRegion","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-west-1"}}}]}`, 1},
		{"allow with condition (full IAM language)", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Sid":"AllowServicesForSpecificPrincipal","Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/specific-role"]}}}]}`, 1},
		{"allow with ARN and NotResource", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}]}`, 1},
		{"wildcard mid action", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*Instance*","Resource":"*"}]}`, 1},
		{"deny role changes", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAccessWithException","Effect":"Deny","Action":["iam:AttachRolePolicy","iam:DeleteRole"],"Resource":["arn:aws:iam::*:role/name-of-role-to-deny"],"Condition":{"StringNotLike":{"aws:PrincipalARN":"arn:aws:iam::*:role/name-of-admin-role-to-allow"}}}]}`, 1},
		{"MFA with JSON boolean", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["ec2:StopInstances","ec2:TerminateInstances"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":false}}}]}`, 1},
		{"2008 version", TypeSCP, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, 1},
		{"numbers in conditions", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}}]}`, 1},
		{"RCP deny", TypeRCP, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:PutBucketPublicAccessBlock","Resource":"*"}}`, 1},
		{"RCP secure transport", TypeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`, 1},
		{"RCP NotResource", TypeRCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","NotResource":"arn:aws:iam::*:role/ok"}]}`, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Parse(c.typ, c.content)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(doc.Statements) != c.statements {
				t.Fatalf("got %d statements, want %d", len(doc.Statements), c.statements)
			}
			for i, st := range doc.Statements {
				if st.Index != i || st.Effect == 0 {
					t.Errorf("statement %d: index %d effect %v", i, st.Index, st.Effect)
				}
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	doc, err := Parse(TypeSCP, `{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]},"Bool":{"aws:SecureTransport":true}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	st := doc.Statements[0]
	if doc.Version != "2012-10-17" || st.Sid != "A1" || st.Effect != Deny || len(st.NotAction) != 2 || st.Action != nil || st.Resource[0] != "*" {
		t.Fatalf("unexpected statement: %+v", st)
	}
	if len(st.Condition) != 2 {
		t.Fatalf("conditions: %+v", st.Condition)
	}
	// Conditions come out sorted by operator so explanations are stable.
	if st.Condition[0].Operator != "Bool" || st.Condition[0].Values[0] != "true" ||
		st.Condition[1].Operator != "StringEquals" || len(st.Condition[1].Values) != 2 {
		t.Fatalf("conditions: %+v", st.Condition)
	}
}

func TestParseMalformed(t *testing.T) {
	cases := []struct {
		name, typ, content, want string
	}{
		{"bad JSON", TypeSCP, `{"Statement": [`, "not valid JSON"},
		{"not an object", TypeSCP, `["Statement"]`, "single JSON object"},
		{"two objects", TypeSCP, fullAWSAccess + fullAWSAccess, "single JSON object"},
		{"empty", TypeSCP, ``, "not valid JSON"},
		{"duplicate key", TypeSCP, `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, "duplicate key"},
		{"unknown top-level field", TypeSCP, `{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, `unsupported policy element "Id"`},
		{"lower-case element", TypeSCP, `{"statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "unsupported policy element"},
		{"bad version", TypeSCP, `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "unsupported Version"},
		{"version not string", TypeSCP, `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version must be a string"},
		{"no statement", TypeSCP, `{"Version":"2012-10-17"}`, "no Statement"},
		{"empty statement array", TypeSCP, `{"Statement":[]}`, "must not be empty"},
		{"statement string", TypeSCP, `{"Statement":"x"}`, "object or an array"},
		{"statement array of strings", TypeSCP, `{"Statement":["x"]}`, "must be an object"},
		{"bad effect", TypeSCP, `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, "Effect must be Allow or Deny"},
		{"missing effect", TypeSCP, `{"Statement":{"Action":"*","Resource":"*"}}`, "Effect is required"},
		{"missing action", TypeSCP, `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "Action or NotAction is required"},
		{"action and notaction", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","NotAction":"s3:*","Resource":"*"}}`, "mutually exclusive"},
		{"empty action list", TypeSCP, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "non-empty array"},
		{"action not string", TypeSCP, `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, "non-empty array"},
		{"action without service", TypeSCP, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, "service:action"},
		{"action empty name", TypeSCP, `{"Statement":{"Effect":"Allow","Action":"s3:","Resource":"*"}}`, "service:action"},
		{"missing resource", TypeSCP, `{"Statement":{"Effect":"Allow","Action":"*"}}`, "Resource or NotResource is required"},
		{"resource and notresource", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","NotResource":"*"}}`, "mutually exclusive"},
		{"resource not ARN", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"bucket"}}`, "must be \"*\" or an ARN"},
		{"Principal in SCP", TypeSCP, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`, "SCPs do not support Principal"},
		{"NotPrincipal in SCP", TypeSCP, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"*","Resource":"*"}}`, "NotPrincipal"},
		{"unknown statement field", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Extra":1}}`, `unsupported element "Extra"`},
		{"bad sid", TypeSCP, `{"Statement":{"Sid":"has space","Effect":"Deny","Action":"*","Resource":"*"}}`, "Sid"},
		{"duplicate sid", TypeSCP, `{"Statement":[{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}`, "duplicate Sid"},
		{"unknown operator", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEqual":{"a:b":"c"}}}}`, "unknown condition operator"},
		{"unknown qualifier", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"a:b":"c"}}}}`, "set qualifier"},
		{"NullIfExists", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}}`, "not valid"},
		{"condition not object", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":["x"]}}`, "Condition must be an object"},
		{"condition value object", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":{"c":1}}}}}`, "values must be"},
		{"condition empty values", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":[]}}}}`, "values must be"},
		{"numeric not number", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a:b":"ten"}}}}`, "not a number"},
		{"date not date", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"yesterday"}}}}`, "not a date"},
		{"bool not bool", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, "not true or false"},
		{"ip not ip", TypeSCP, `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}}`, "not an IP"},
		{"unterminated variable", TypeSCP, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}}`, "unterminated"},
		{"RCP without principal", TypeRCP, `{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`, "require Principal"},
		{"RCP named principal", TypeRCP, `{"Statement":{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}}`, `must be "*"`},
		{"RCP allow", TypeRCP, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, "only support the Deny"},
		{"RCP NotAction", TypeRCP, `{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:*","Resource":"*"}}`, "NotAction"},
		{"RCP star action", TypeRCP, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`, "must name a service"},
		{"RCP NotPrincipal", TypeRCP, `{"Statement":{"Effect":"Deny","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}`, "NotPrincipal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.typ, c.content)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse error = %v, want *ValidationError", err)
			}
			if !strings.Contains(ve.Message, c.want) {
				t.Fatalf("message %q does not mention %q", ve.Message, c.want)
			}
		})
	}
}

func TestParseAWSManaged(t *testing.T) {
	if _, err := Parse(TypeRCP, rcpFullAWSAccess); err == nil {
		t.Fatal("customer RCP with Allow and Action * accepted")
	}
	doc, err := ParseAWSManaged(TypeRCP, rcpFullAWSAccess)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Statements[0].Effect != Allow || doc.Statements[0].Principal != "*" {
		t.Fatalf("got %+v", doc.Statements[0])
	}
	// The relaxation is only for what AWS-managed policies need.
	if _, err := ParseAWSManaged(TypeRCP, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`); err == nil {
		t.Fatal("AWS-managed RCP without Principal accepted")
	}
}

func TestParseUnsupportedType(t *testing.T) {
	_, err := Parse("TAG_POLICY", fullAWSAccess)
	var ve *ValidationError
	if err == nil || errors.As(err, &ve) {
		t.Fatalf("error = %v; want a non-validation error", err)
	}
}

func TestSize(t *testing.T) {
	cases := []struct {
		content string
		want    int
	}{
		{`{}`, 2},
		{"{ \n\t}", 5}, // whitespace counts: the API stores text as sent
		{`{"Sid":"é"}`, 11},
		{fullAWSAccess, len(fullAWSAccess)},
	}
	for _, c := range cases {
		if got := Size(c.content); got != c.want {
			t.Errorf("Size(%q) = %d, want %d", c.content, got, c.want)
		}
	}
	// A document padded past the quota still parses: the limit is the
	// caller's ConstraintViolation, not a grammar error.
	padded := fullAWSAccess[:len(fullAWSAccess)-1] + strings.Repeat(" ", 20000) + "}"
	if _, err := Parse(TypeSCP, padded); err != nil {
		t.Fatalf("padded document: %v", err)
	}
}

// A session policy is an identity policy: it may carry Id, which SCPs and
// RCPs may not, and names no Principal; it parses as TypeSession.
func TestParseSessionPolicy(t *testing.T) {
	withID := `{"Version":"2012-10-17","Id":"ci-scope","Statement":[{"Effect":"Allow","Action":"organizations:Describe*","Resource":"*"}]}`
	doc, err := ParseSessionPolicy(withID)
	if err != nil || doc.PolicyType != TypeSession || len(doc.Statements) != 1 {
		t.Fatalf("ParseSessionPolicy = %+v, %v", doc, err)
	}
	for _, typ := range []string{TypeSCP, TypeRCP} {
		if _, err := Parse(typ, withID); err == nil || !strings.Contains(err.Error(), `"Id"`) {
			t.Errorf("%s with Id: %v", typ, err)
		}
	}
	_, err = ParseSessionPolicy(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Message, "session policy must not name a Principal") {
		t.Errorf("Principal: %v", err)
	}
	if _, err := ParseSessionPolicy(`{"Id":["x"],"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`); err == nil {
		t.Error("an Id that is no string parses")
	}
}
