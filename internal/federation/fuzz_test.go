package federation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/federation/fedtest"
)

// FuzzVerify feeds arbitrary tokens and SAML responses to the verifiers:
// they must refuse with STS's codes, never panic, and never accept what
// the provider did not sign.
func FuzzVerify(f *testing.F) {
	iss := fedtest.NewIssuer(f, githubURL)
	idp := fedtest.NewIdP(f, "https://idp.corp.example/saml")
	dir := f.TempDir()
	c, err := federation.Load(federation.File{
		OpenIDConnectProviders: []federation.OIDCProvider{{URL: iss.URL, Audiences: []string{"sts.amazonaws.com"}, JWKSFile: iss.WriteJWKS(f, dir, "jwks.json")}},
		SAMLProviders:          []federation.SAMLProvider{{ARN: corpARN, CertificateFile: idp.WriteCertificate(f, dir, "corp.pem")}},
	}, dir)
	if err != nil {
		f.Fatal(err)
	}
	good := iss.Sign(f, iss.Claims("repo:acme/infra:ref:refs/heads/main", "sts.amazonaws.com", now.Add(-time.Minute)))
	assertion := idp.Response(f, fedtest.Assertion{Subject: "alice", Roles: []string{corpRole + "," + corpARN}, SessionName: "alice", IssuedAt: now.Add(-time.Minute)}, nil, nil)
	f.Add(good, assertion)
	f.Add(tamper(good), assertion[:len(assertion)/2])
	f.Add("a.b.c", "PHNhbWxwOlJlc3BvbnNlLz4=")
	f.Fuzz(func(t *testing.T, token, response string) {
		check := func(err error) {
			var fe *federation.Error
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("an error that is not STS-shaped: %v", err)
			}
		}
		id, err := c.VerifyWebIdentity(token, now, false)
		check(err)
		if err == nil && !id.Verified {
			t.Fatalf("accepted an unverified token in strict mode: %q", token)
		}
		_, err = c.VerifyWebIdentity(token, now, true)
		check(err)
		sid, err := c.VerifySAML(response, corpARN, now, false)
		check(err)
		if err == nil && !sid.Verified {
			t.Fatalf("accepted an unverified assertion in strict mode")
		}
		_, err = c.VerifySAML(response, "arn:aws:iam::111111111111:saml-provider/Other", now, true)
		check(err)
	})
}
