package federation_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/federation/fedtest"
)

const (
	githubURL = "https://token.actions.githubusercontent.com"
	ciRole    = "arn:aws:iam::111111111111:role/ci"
)

var now = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func githubConfig(t *testing.T, iss *fedtest.Issuer) *federation.Config {
	t.Helper()
	dir := t.TempDir()
	c, err := federation.Load(federation.File{
		OpenIDConnectProviders: []federation.OIDCProvider{{URL: iss.URL, Audiences: []string{"sts.amazonaws.com"}, JWKSFile: iss.WriteJWKS(t, dir, "jwks.json")}},
		Roles: []federation.Role{{ARN: ciRole, MaxSessionDuration: 7200, Trust: []federation.Trust{{
			Provider:   "token.actions.githubusercontent.com",
			Conditions: map[string][]string{"sub": {"repo:acme/infra:ref:refs/heads/main", "repo:acme/deploy:*"}},
		}}}},
	}, dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyWebIdentity(t *testing.T) {
	iss := fedtest.NewIssuer(t, githubURL)
	c := githubConfig(t, iss)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	claims := func(edit func(map[string]any)) map[string]any {
		m := iss.Claims("repo:acme/infra:ref:refs/heads/main", "sts.amazonaws.com", now.Add(-time.Minute))
		m["repository"] = "acme/infra"
		if edit != nil {
			edit(m)
		}
		return m
	}
	hs256 := func() string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, (&jose.SignerOptions{}).WithHeader("kid", iss.KID))
		tok, _ := jwt.Signed(s).Claims(claims(nil)).Serialize()
		return tok
	}
	for _, tc := range []struct {
		name       string
		token      string
		permissive bool
		code       string
		message    string
	}{
		{name: "valid", token: iss.Sign(t, claims(nil))},
		{name: "audience in a list", token: iss.Sign(t, claims(func(m map[string]any) { m["aud"] = []string{"other", "sts.amazonaws.com"} }))},
		{name: "expired", token: iss.Sign(t, claims(func(m map[string]any) { m["exp"] = now.Add(-time.Second).Unix() })), code: federation.CodeExpiredToken, message: "Token expired"},
		{name: "not yet valid", token: iss.Sign(t, claims(func(m map[string]any) { m["nbf"] = now.Add(time.Minute).Unix() })), code: federation.CodeInvalidIdentityToken, message: "not valid before"},
		{name: "issued in the future", token: iss.Sign(t, claims(func(m map[string]any) { m["iat"] = now.Add(time.Minute).Unix() })), code: federation.CodeInvalidIdentityToken, message: "issued in the future"},
		{name: "wrong audience", token: iss.Sign(t, claims(func(m map[string]any) { m["aud"] = "someone-else" })), code: federation.CodeInvalidIdentityToken, message: "Incorrect token audience"},
		{name: "unknown issuer", token: iss.Sign(t, claims(func(m map[string]any) { m["iss"] = "https://gitlab.example.com" })), code: federation.CodeInvalidIdentityToken, message: "No OpenIDConnect provider found in your account for https://gitlab.example.com"},
		{name: "signed by another key under the same kid", token: fedtest.SignWith(t, other, iss.KID, claims(nil)), code: federation.CodeInvalidIdentityToken, message: "signature"},
		{name: "unknown kid", token: fedtest.SignWith(t, iss.Key, "key-2", claims(nil)), code: federation.CodeInvalidIdentityToken, message: "kid"},
		{name: "symmetric algorithm", token: hs256(), code: federation.CodeInvalidIdentityToken, message: "not a signed JWT"},
		{name: "changed payload", token: tamper(iss.Sign(t, claims(nil))), code: federation.CodeInvalidIdentityToken},
		{name: "malformed", token: "not.a.jwt", code: federation.CodeInvalidIdentityToken, message: "not a signed JWT"},
		{name: "no expiry", token: iss.Sign(t, claims(func(m map[string]any) { delete(m, "exp") })), code: federation.CodeInvalidIdentityToken, message: "exp"},
		{name: "no subject", token: iss.Sign(t, claims(func(m map[string]any) { delete(m, "sub") })), code: federation.CodeInvalidIdentityToken, message: "sub"},
		{name: "permissive, unknown issuer", permissive: true, token: fedtest.SignWith(t, other, "k", claims(func(m map[string]any) { m["iss"] = "https://gitlab.example.com" }))},
		{name: "permissive, unknown issuer, expired", permissive: true, code: federation.CodeExpiredToken,
			token: fedtest.SignWith(t, other, "k", claims(func(m map[string]any) {
				m["iss"] = "https://gitlab.example.com"
				m["exp"] = now.Add(-time.Second).Unix()
			}))},
		{name: "permissive, configured issuer, bad signature", permissive: true, token: fedtest.SignWith(t, other, iss.KID, claims(nil)), code: federation.CodeInvalidIdentityToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := c.VerifyWebIdentity(tc.token, now, tc.permissive)
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
			if id.Verified == tc.permissive || id.Subject != "repo:acme/infra:ref:refs/heads/main" || id.Claims["repository"][0] != "acme/infra" {
				t.Fatalf("got %+v", id)
			}
			if !tc.permissive && (id.Provider != "token.actions.githubusercontent.com" || id.Audience != "sts.amazonaws.com") {
				t.Fatalf("got %+v", id)
			}
		})
	}
}

// tamper changes one character of a token's payload.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	b := []byte(parts[1])
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}

func TestTrust(t *testing.T) {
	c := githubConfig(t, fedtest.NewIssuer(t, githubURL))
	const gh = "token.actions.githubusercontent.com"
	for _, tc := range []struct {
		name, role, provider, sub string
		known, trusted            bool
	}{
		{"exact subject", ciRole, gh, "repo:acme/infra:ref:refs/heads/main", true, true},
		{"wildcard subject", ciRole, gh, "repo:acme/deploy:environment:prod", true, true},
		{"other branch", ciRole, gh, "repo:acme/infra:ref:refs/heads/dev", true, false},
		{"other repository", ciRole, gh, "repo:evil/infra:ref:refs/heads/main", true, false},
		{"prefix is no match", ciRole, gh, "repo:acme/infra:ref:refs/heads/main2", true, false},
		{"other provider", ciRole, "gitlab.example.com", "repo:acme/infra:ref:refs/heads/main", true, false},
		{"undeclared role", "arn:aws:iam::111111111111:role/other", gh, "repo:acme/infra:ref:refs/heads/main", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Trust(tc.role, tc.provider, map[string][]string{"sub": {tc.sub}})
			if got.Known != tc.known || got.Trusted != tc.trusted {
				t.Fatalf("got %+v", got)
			}
			if tc.known && got.MaxSessionDuration != 7200 {
				t.Fatalf("max duration %d", got.MaxSessionDuration)
			}
		})
	}
	if got := c.Trust(ciRole, gh, map[string][]string{}); got.Trusted {
		t.Fatal("trusted without the claim its condition names")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	iss := fedtest.NewIssuer(t, githubURL)
	jwks := iss.WriteJWKS(t, dir, "jwks.json")
	os.WriteFile(filepath.Join(dir, "empty.json"), []byte(`{"keys":[]}`), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("no pem"), 0o600)
	good := federation.OIDCProvider{URL: githubURL, Audiences: []string{"sts.amazonaws.com"}, JWKSFile: jwks}
	for _, tc := range []struct {
		name string
		f    federation.File
		want string
	}{
		{"http issuer", federation.File{OpenIDConnectProviders: []federation.OIDCProvider{{URL: "http://x", Audiences: []string{"a"}, JWKSFile: jwks}}}, "https://"},
		{"no audiences", federation.File{OpenIDConnectProviders: []federation.OIDCProvider{{URL: githubURL, JWKSFile: jwks}}}, "audiences"},
		{"missing JWKS", federation.File{OpenIDConnectProviders: []federation.OIDCProvider{{URL: githubURL, Audiences: []string{"a"}, JWKSFile: "nope.json"}}}, "jwksFile"},
		{"empty JWKS", federation.File{OpenIDConnectProviders: []federation.OIDCProvider{{URL: githubURL, Audiences: []string{"a"}, JWKSFile: "empty.json"}}}, "at least one key"},
		{"twice", federation.File{OpenIDConnectProviders: []federation.OIDCProvider{good, good}}, "twice"},
		{"bad SAML ARN", federation.File{SAMLProviders: []federation.SAMLProvider{{ARN: "arn:aws:iam::1:saml-provider/x", CertificateFile: "bad.pem"}}}, "saml-provider"},
		{"no certificate", federation.File{SAMLProviders: []federation.SAMLProvider{{ARN: "arn:aws:iam::111111111111:saml-provider/x", CertificateFile: "bad.pem"}}}, "no PEM certificate"},
		{"bad role ARN", federation.File{Roles: []federation.Role{{ARN: "arn:aws:iam::111111111111:user/x"}}}, "role/"},
		{"short max duration", federation.File{Roles: []federation.Role{{ARN: ciRole, MaxSessionDuration: 900}}}, "maxSessionDuration"},
		{"unknown provider in trust", federation.File{OpenIDConnectProviders: []federation.OIDCProvider{good}, Roles: []federation.Role{{ARN: ciRole, Trust: []federation.Trust{{Provider: githubURL}}}}}, "neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := federation.Load(tc.f, dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
