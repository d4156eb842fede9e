package e2e

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/beevik/etree"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/federation/fedtest"
	"github.com/orgd/orgd/internal/identity"
)

const (
	corpProvider = "arn:aws:iam::" + mgmtID + ":saml-provider/Corp"
	adminsRole   = "arn:aws:iam::" + mgmtID + ":role/org-admins"
)

func corpFederation(t testing.TB, idp *fedtest.IdP) func(dir string) federation.File {
	return func(dir string) federation.File {
		return federation.File{
			SAMLProviders: []federation.SAMLProvider{{ARN: corpProvider, CertificateFile: idp.WriteCertificate(t, dir, "corp.pem"), Issuer: idp.EntityID}},
			Roles:         []federation.Role{{ARN: adminsRole, MaxSessionDuration: 7200, Trust: []federation.Trust{{Provider: corpProvider}}}},
		}
	}
}

// A user of the corporate IdP signs in with a SAML assertion and gets
// management-account credentials of the role its Role attribute names;
// every assertion that is not exactly right is refused with STS's error.
func TestStrictAssumeRoleWithSAML(t *testing.T) {
	t.Parallel()
	idp := fedtest.NewIdP(t, "https://idp.corp.example/saml")
	h := federatedHarness(t, identity.Strict, corpFederation(t, idp))
	if _, err := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false)).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	assertion := func(edit func(*fedtest.Assertion)) fedtest.Assertion {
		a := fedtest.Assertion{Subject: "alice@corp.example", Roles: []string{adminsRole + "," + corpProvider}, SessionName: "alice", IssuedAt: h.now(t).Add(-time.Second)}
		if edit != nil {
			edit(&a)
		}
		return a
	}
	assume := func(t *testing.T, response, role string) (*sts.AssumeRoleWithSAMLOutput, error) {
		return h.anonymousSTS(t).AssumeRoleWithSAML(ctx(t), &sts.AssumeRoleWithSAMLInput{
			RoleArn: aws.String(role), PrincipalArn: aws.String(corpProvider), SAMLAssertion: aws.String(response), DurationSeconds: aws.Int32(3600),
		})
	}

	t.Run("signed assertion", func(t *testing.T) {
		out, err := assume(t, idp.Response(t, assertion(nil), nil, nil), adminsRole)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Subject) != "alice@corp.example" || aws.ToString(out.SubjectType) != "persistent" || aws.ToString(out.Issuer) != idp.EntityID ||
			aws.ToString(out.Audience) != federation.DefaultSAMLAudience || aws.ToString(out.NameQualifier) == "" ||
			aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+mgmtID+":assumed-role/org-admins/alice" {
			t.Fatalf("got %+v", out)
		}
		cfg := staticConfig(t, aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken), false)
		if _, err := h.orgsFrom(cfg).ListAccounts(ctx(t), &organizations.ListAccountsInput{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("signed response", func(t *testing.T) {
		if _, err := assume(t, idp.Response(t, assertion(func(a *fedtest.Assertion) { a.SignResponse = true }), nil, nil), adminsRole); err != nil {
			t.Fatal(err)
		}
	})

	other := fedtest.NewIdP(t, idp.EntityID)
	for _, tc := range []struct {
		name     string
		response string
		role     string
		code     string
	}{
		{name: "expired", response: idp.Response(t, assertion(func(a *fedtest.Assertion) { a.IssuedAt = h.now(t).Add(-2 * time.Hour) }), nil, nil), code: "ExpiredTokenException"},
		{name: "future-dated", response: idp.Response(t, assertion(func(a *fedtest.Assertion) { a.IssuedAt = h.now(t).Add(time.Hour) }), nil, nil), code: "InvalidIdentityToken"},
		{name: "wrong audience", response: idp.Response(t, assertion(func(a *fedtest.Assertion) { a.Audience = "https://app.example" }), nil, nil), code: "InvalidIdentityToken"},
		{name: "wrong recipient", response: idp.Response(t, assertion(func(a *fedtest.Assertion) {
			a.Recipient = "https://app.example"
			a.Audience = federation.DefaultSAMLAudience
		}), nil, nil), code: "InvalidIdentityToken"},
		{name: "wrongly signed", response: other.Response(t, assertion(nil), nil, nil), code: "InvalidIdentityToken"},
		{name: "changed after signing", response: idp.Response(t, assertion(nil), nil, func(d *etree.Document) { d.FindElement("//saml:NameID").SetText("mallory") }), code: "InvalidIdentityToken"},
		{name: "malformed", response: "PHNhbWw+", code: "InvalidIdentityToken"},
		{name: "authentication failed", response: idp.Response(t, assertion(func(a *fedtest.Assertion) { a.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder" }), nil, nil), code: "IDPRejectedClaim"},
		{name: "role not in the assertion", response: idp.Response(t, assertion(nil), nil, nil), role: "arn:aws:iam::" + mgmtID + ":role/other", code: "AccessDenied"},
		{name: "role in the assertion but not trusting the provider", role: "arn:aws:iam::" + mgmtID + ":role/other", code: "AccessDenied",
			response: idp.Response(t, assertion(func(a *fedtest.Assertion) {
				a.Roles = []string{"arn:aws:iam::" + mgmtID + ":role/other," + corpProvider}
			}), nil, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role := adminsRole
			if tc.role != "" {
				role = tc.role
			}
			out, err := assume(t, tc.response, role)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("got %+v %v, want %s", out, err, tc.code)
			}
			switch tc.code {
			case "ExpiredTokenException":
				var e *ststypes.ExpiredTokenException
				if !errors.As(err, &e) {
					t.Fatalf("%v is not the SDK's ExpiredTokenException", err)
				}
			case "IDPRejectedClaim":
				var e *ststypes.IDPRejectedClaimException
				if !errors.As(err, &e) {
					t.Fatalf("%v is not the SDK's IDPRejectedClaimException", err)
				}
			}
		})
	}
}
