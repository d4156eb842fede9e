// Package fedtest makes identity providers for tests: an OIDC issuer
// that signs ID tokens with a key of its JWKS, and a SAML identity
// provider that signs assertions with its certificate's key.
package fedtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is an OIDC provider with one RSA signing key.
type Issuer struct {
	URL string
	Key *rsa.PrivateKey
	KID string
}

// NewIssuer returns an issuer at url with a fresh key.
func NewIssuer(t testing.TB, url string) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &Issuer{URL: url, Key: key, KID: "key-1"}
}

// JWKS is the issuer's public key set as JSON.
func (i *Issuer) JWKS(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.Key.PublicKey, KeyID: i.KID, Algorithm: string(jose.RS256), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteJWKS writes the JWKS to dir/name and returns the file name.
func (i *Issuer) WriteJWKS(t testing.TB, dir, name string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), i.JWKS(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// Claims are the standard claims of a token GitHub Actions would issue,
// valid from now for an hour, for audience aud; extra claims are added.
func (i *Issuer) Claims(sub, aud string, now time.Time) map[string]any {
	return map[string]any{
		"iss": i.URL, "sub": sub, "aud": aud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// Sign signs claims with the issuer's key under its kid.
func (i *Issuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	return SignWith(t, i.Key, i.KID, claims)
}

// SignWith signs claims with key under kid.
func SignWith(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
