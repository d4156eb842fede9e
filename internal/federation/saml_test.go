package federation_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/federation/fedtest"
)

const (
	corpARN  = "arn:aws:iam::111111111111:saml-provider/Corp"
	corpRole = "arn:aws:iam::111111111111:role/admins"
)

func samlConfig(t *testing.T, idp *fedtest.IdP) *federation.Config {
	t.Helper()
	dir := t.TempDir()
	c, err := federation.Load(federation.File{
		SAMLProviders: []federation.SAMLProvider{{ARN: corpARN, CertificateFile: idp.WriteCertificate(t, dir, "corp.pem"), Issuer: idp.EntityID}},
		Roles:         []federation.Role{{ARN: corpRole, Trust: []federation.Trust{{Provider: corpARN}}}},
	}, dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifySAML(t *testing.T) {
	idp := fedtest.NewIdP(t, "https://idp.corp.example/saml")
	c := samlConfig(t, idp)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := fedtest.Assertion{Subject: "alice@corp.example", Roles: []string{corpRole + "," + corpARN}, SessionName: "alice", IssuedAt: now.Add(-time.Minute)}
	with := func(edit func(*fedtest.Assertion)) fedtest.Assertion {
		a := good
		edit(&a)
		return a
	}
	setText := func(path, value string) func(*etree.Document) {
		return func(d *etree.Document) { d.FindElement(path).SetText(value) }
	}
	for _, tc := range []struct {
		name       string
		response   string
		principal  string
		permissive bool
		code       string
		message    string
	}{
		{name: "signed assertion", response: idp.Response(t, good, nil, nil)},
		{name: "signed response", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.SignResponse = true }), nil, nil)},
		{name: "role pair in the other order", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.Roles = []string{corpARN + "," + corpRole} }), nil, nil)},
		{name: "AWS's audience URN", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.Audience = "urn:amazon:webservices" }), nil, nil)},
		{name: "expired", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.IssuedAt = now.Add(-2 * time.Hour) }), nil, nil), code: federation.CodeExpiredToken},
		{name: "future-dated", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.IssuedAt = now.Add(time.Hour) }), nil, nil), code: federation.CodeInvalidIdentityToken, message: "not valid before"},
		{name: "wrong audience", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.Audience = "https://other.example" }), nil, nil), code: federation.CodeInvalidIdentityToken, message: "audience"},
		{name: "wrong recipient", response: idp.Response(t, with(func(a *fedtest.Assertion) {
			a.Recipient = "https://other.example"
			a.Audience = federation.DefaultSAMLAudience
		}), nil, nil), code: federation.CodeInvalidIdentityToken, message: "Recipient"},
		{name: "signed by another key", response: idp.Response(t, good, other, nil), code: federation.CodeInvalidIdentityToken, message: "signature"},
		{name: "changed after signing", response: idp.Response(t, good, nil, setText("//saml:NameID", "mallory@corp.example")), code: federation.CodeInvalidIdentityToken, message: "signature"},
		{name: "role added after signing", response: idp.Response(t, good, nil, func(d *etree.Document) {
			d.FindElement("//saml:AttributeValue").SetText("arn:aws:iam::111111111111:role/root," + corpARN)
		}), code: federation.CodeInvalidIdentityToken, message: "signature"},
		{name: "second, unsigned assertion", response: idp.Response(t, good, nil, func(d *etree.Document) {
			a := d.FindElement("//saml:Assertion").Copy()
			a.RemoveChildAt(1)
			d.Root().AddChild(a)
		}), code: federation.CodeInvalidIdentityToken, message: "exactly one Assertion"},
		{name: "signature removed", response: idp.Response(t, good, nil, func(d *etree.Document) {
			s := d.FindElement("//ds:Signature")
			s.Parent().RemoveChild(s)
		}), code: federation.CodeInvalidIdentityToken, message: "signed"},
		{name: "authentication failed", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.Status = "urn:oasis:names:tc:SAML:2.0:status:Requester" }), nil, nil), code: federation.CodeIDPRejectedClaim},
		{name: "no session name", response: idp.Response(t, with(func(a *fedtest.Assertion) { a.SessionName = "" }), nil, nil), code: federation.CodeInvalidIdentityToken, message: "RoleSessionName"},
		{name: "unknown provider", principal: "arn:aws:iam::111111111111:saml-provider/Other", response: idp.Response(t, good, nil, nil), code: federation.CodeInvalidIdentityToken, message: "Specified provider doesn't exist"},
		{name: "not base64", response: "%%%", code: federation.CodeInvalidIdentityToken, message: "base64"},
		{name: "not XML", response: base64.StdEncoding.EncodeToString([]byte("<a")), code: federation.CodeInvalidIdentityToken, message: "XML"},
		{name: "not a response", response: base64.StdEncoding.EncodeToString([]byte("<a/>")), code: federation.CodeInvalidIdentityToken, message: "Response"},
		{name: "permissive, unknown provider", permissive: true, principal: "arn:aws:iam::111111111111:saml-provider/Other", response: idp.Response(t, with(func(a *fedtest.Assertion) {
			a.Roles = []string{corpRole + ",arn:aws:iam::111111111111:saml-provider/Other"}
		}), other, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			principal := corpARN
			if tc.principal != "" {
				principal = tc.principal
			}
			id, err := c.VerifySAML(tc.response, principal, now, tc.permissive)
			if tc.code != "" {
				var fe *federation.Error
				if !errors.As(err, &fe) || fe.Code != tc.code || !strings.Contains(fe.Message, tc.message) {
					t.Fatalf("got %v, want %s %q", err, tc.code, tc.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != "alice@corp.example" || id.SubjectType != "persistent" || id.Issuer != idp.EntityID || id.SessionName != "alice" ||
				len(id.Roles) != 1 || id.Roles[0] != corpRole || id.Audience != federation.DefaultSAMLAudience || id.Verified == tc.permissive {
				t.Fatalf("got %+v", id)
			}
			name := principal[strings.LastIndex(principal, "/"):]
			sum := sha1.Sum([]byte(idp.EntityID + "111111111111" + name))
			if id.NameQualifier != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Fatalf("NameQualifier %s", id.NameQualifier)
			}
		})
	}
}
