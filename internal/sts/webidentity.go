package sts

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/orgd/orgd/internal/federation"
)

type assumeRoleWithWebIdentityResult struct {
	Credentials                 credentials
	SubjectFromWebIdentityToken string
	AssumedRoleUser             assumedRoleUser
	PackedPolicySize            *int   `xml:",omitempty"`
	Provider                    string `xml:",omitempty"`
	Audience                    string `xml:",omitempty"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName  xml.Name                        `xml:"AssumeRoleWithWebIdentityResponse"`
	Xmlns    string                          `xml:"xmlns,attr"`
	Result   assumeRoleWithWebIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	Metadata responseMetadata                `xml:"ResponseMetadata"`
}

const (
	minTokenChars = 4
	maxTokenChars = 20000
)

// assumeRoleWithWebIdentity trades an OIDC ID token for a session of a
// role that trusts its provider. In strict mode the token must come from
// a configured provider and the role must be declared with a trust that
// the token's claims satisfy; permissive mode also takes a token from a
// provider it does not know, and a role the file does not declare, and
// logs what it did not check.
func (h *Handler) assumeRoleWithWebIdentity(ctx context.Context, p url.Values, now time.Time) (*assumeRoleWithWebIdentityResult, error) {
	r, err := parseRoleRequest(p, "")
	if err != nil {
		return nil, err
	}
	token := p.Get("WebIdentityToken")
	if token == "" {
		return nil, validation("WebIdentityToken is required.")
	}
	if len(token) < minTokenChars || len(token) > maxTokenChars {
		return nil, validation("WebIdentityToken must be %d to %d characters long.", minTokenChars, maxTokenChars)
	}
	if v := p.Get("ProviderId"); v != "" && (len(v) < 4 || len(v) > 2048) {
		return nil, validation("ProviderId must be 4 to 2048 characters long.")
	}
	packed, own, err := sessionPolicies(p)
	if err != nil {
		return nil, err
	}
	// Unsigned: no caller, so nothing to chain from.
	policies, err := chain(nil, own)
	if err != nil {
		return nil, err
	}
	id, err := h.Federation.VerifyWebIdentity(token, now, !h.Strict)
	if err != nil {
		return nil, tokenError(err)
	}
	if !id.Verified {
		h.log().Warn("permissive mode: web identity token accepted without checking its signature, issuer or audience: no OpenID Connect provider is configured for its issuer",
			"issuer", id.Issuer, "subject", id.Subject, "role", r.arn)
	}
	claims := id.Claims
	claims["sub"], claims["iss"] = []string{id.Subject}, []string{id.Issuer}
	if err := h.trusted(r, id.Provider, claims, "sts:AssumeRoleWithWebIdentity"); err != nil {
		return nil, err
	}
	providerARN := "arn:" + r.partition + ":iam::" + r.account + ":oidc-provider/" + id.Provider
	creds, user, err := h.roleSession(ctx, r, providerARN, "", policies, now)
	if err != nil {
		return nil, err
	}
	return &assumeRoleWithWebIdentityResult{
		Credentials: creds, SubjectFromWebIdentityToken: id.Subject, AssumedRoleUser: user,
		PackedPolicySize: packed, Provider: id.Issuer, Audience: id.Audience,
	}, nil
}

// trusted decides whether the principal provider vouches for, with
// claims, may assume r's role for r's duration.
func (h *Handler) trusted(r *roleRequest, provider string, claims map[string][]string, action string) error {
	denied := &stsError{http.StatusForbidden, "AccessDenied", "Not authorized to perform " + action}
	if r.partition != h.partition() {
		return denied
	}
	t := h.Federation.Trust(r.arn, provider, claims)
	switch {
	case t.Known && !t.Trusted:
		return denied
	case !t.Known && h.Strict:
		return denied
	case !t.Known:
		h.log().Warn("permissive mode: role not declared in the credentials file; its trust was not checked", "role", r.arn, "provider", provider, "action", action)
	}
	if r.duration > t.MaxSessionDuration {
		return validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return nil
}

// tokenError maps federation's refusals to STS errors with the statuses
// of the STS model.
func tokenError(err error) error {
	var fe *federation.Error
	if !errors.As(err, &fe) {
		return err
	}
	status := http.StatusBadRequest
	if fe.Code == federation.CodeIDPRejectedClaim {
		status = http.StatusForbidden
	}
	return &stsError{status, fe.Code, fe.Message}
}
