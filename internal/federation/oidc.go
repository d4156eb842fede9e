package federation

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Error is a refusal of a token or assertion, with STS's error code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// STS's error codes for tokens and assertions.
const (
	CodeInvalidIdentityToken = "InvalidIdentityToken"
	CodeExpiredToken         = "ExpiredTokenException"
	CodeIDPRejectedClaim     = "IDPRejectedClaim"
)

func invalid(format string, args ...any) error {
	return &Error{CodeInvalidIdentityToken, fmt.Sprintf(format, args...)}
}

// WebIdentity is what a verified ID token says.
type WebIdentity struct {
	// Issuer is the iss claim; Provider the provider's name in its ARN
	// (the issuer without https://).
	Issuer, Provider string
	Subject          string
	// Audience is the aud claim the provider accepted (the first, when
	// the provider is not configured).
	Audience string
	// Claims are the token's string and string-list claims, for trust
	// conditions.
	Claims map[string][]string
	// Verified is false when the token's signature, issuer and audience
	// were not checked (permissive mode, provider not configured).
	Verified bool
}

// signingAlgorithms are those OIDC providers sign ID tokens with.
var signingAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// VerifyWebIdentity checks an ID token: its signature against the JWKS
// of the provider its issuer names, its audience against the provider's,
// and its expiry, not-before and issued-at times against now. With
// unverified (permissive mode), a token whose issuer is no configured
// provider is parsed and its times checked, but its signature and
// audience are not; WebIdentity.Verified says so.
func (c *Config) VerifyWebIdentity(token string, now time.Time, unverified bool) (*WebIdentity, error) {
	tok, err := jwt.ParseSigned(token, signingAlgorithms)
	if err != nil {
		return nil, invalid("The web identity token is not a signed JWT (JWS compact serialization with an asymmetric algorithm).")
	}
	var claims jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return nil, invalid("The web identity token's claims are not valid JSON claims.")
	}
	var p *oidcProvider
	if c != nil {
		p = c.oidc[claims.Issuer]
	}
	if p == nil && !unverified {
		return nil, invalid("No OpenIDConnect provider found in your account for %s", claims.Issuer)
	}
	raw := map[string]any{}
	if p != nil {
		if err := tok.Claims(p.keys, &claims, &raw); err != nil {
			if errors.Is(err, jose.ErrJWKSKidNotFound) {
				return nil, invalid("The web identity token's key ID (kid) is not in the JWKS of %s.", p.URL)
			}
			return nil, invalid("The web identity token's signature does not verify with the keys of %s.", p.URL)
		}
	} else if err := tok.UnsafeClaimsWithoutVerification(&raw); err != nil {
		return nil, invalid("The web identity token's claims are not valid JSON claims.")
	}
	if claims.Expiry == nil {
		return nil, invalid("The web identity token has no expiry (exp).")
	}
	if claims.Subject == "" {
		return nil, invalid("The web identity token has no subject (sub).")
	}
	expected := jwt.Expected{Time: now}
	if p != nil {
		expected.Issuer, expected.AnyAudience = p.URL, p.Audiences
	}
	// No leeway: orgd's clock is the one STS goes by.
	switch err := claims.ValidateWithLeeway(expected, 0); {
	case errors.Is(err, jwt.ErrExpired):
		return nil, &Error{CodeExpiredToken, fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), claims.Expiry.Time().Unix())}
	case errors.Is(err, jwt.ErrNotValidYet):
		return nil, invalid("The web identity token is not valid before %s (nbf); the server time is %s.", claims.NotBefore.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, invalid("The web identity token was issued in the future (iat %s); the server time is %s.", claims.IssuedAt.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrInvalidAudience):
		return nil, invalid("Incorrect token audience")
	case err != nil:
		return nil, invalid("The web identity token is not valid: %v", strings.TrimPrefix(err.Error(), "go-jose/go-jose/jwt: "))
	}
	id := &WebIdentity{
		Issuer:   claims.Issuer,
		Provider: strings.TrimPrefix(claims.Issuer, "https://"),
		Subject:  claims.Subject,
		Claims:   stringClaims(raw),
		Verified: p != nil,
	}
	if len(claims.Audience) > 0 {
		id.Audience = claims.Audience[0]
	}
	if p != nil {
		for _, a := range claims.Audience {
			if contains(p.Audiences, a) {
				id.Audience = a
				break
			}
		}
	}
	return id, nil
}

// stringClaims keeps the claims that trust conditions can match: strings
// and lists of strings.
func stringClaims(raw map[string]any) map[string][]string {
	out := map[string][]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = []string{v}
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					out[k] = append(out[k], s)
				}
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
