package sts

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"time"

	"github.com/orgd/orgd/internal/pattern"
)

type assumeRoleWithSAMLResult struct {
	Credentials      credentials
	AssumedRoleUser  assumedRoleUser
	PackedPolicySize *int `xml:",omitempty"`
	Subject          string
	SubjectType      string
	Issuer           string
	Audience         string
	NameQualifier    string
}

type assumeRoleWithSAMLResponse struct {
	XMLName  xml.Name                 `xml:"AssumeRoleWithSAMLResponse"`
	Xmlns    string                   `xml:"xmlns,attr"`
	Result   assumeRoleWithSAMLResult `xml:"AssumeRoleWithSAMLResult"`
	Metadata responseMetadata         `xml:"ResponseMetadata"`
}

const (
	minAssertionChars = 4
	maxAssertionChars = 100000
)

var samlProviderARNRe = pattern.MustCompile(`^arn:[a-z][a-z0-9-]*:iam::\d{12}:saml-provider/[\w+=,.@-]{1,128}$`)

// assumeRoleWithSAML trades a SAML assertion of a configured provider
// for a session of a role that the assertion's Role attribute pairs with
// the provider and whose trust names it. Permissive mode also takes the
// assertion of a provider it does not know (unsigned checks only) and a
// role the file does not declare, and logs what it did not check.
func (h *Handler) assumeRoleWithSAML(ctx context.Context, p url.Values, now time.Time) (*assumeRoleWithSAMLResult, error) {
	principal, assertion := p.Get("PrincipalArn"), p.Get("SAMLAssertion")
	if principal == "" {
		return nil, validation("PrincipalArn is required.")
	}
	if !samlProviderARNRe.MatchString(principal) {
		return nil, validation("PrincipalArn %q is not the ARN of a SAML provider (arn:<partition>:iam::<account>:saml-provider/<name>).", principal)
	}
	if assertion == "" {
		return nil, validation("SAMLAssertion is required.")
	}
	if len(assertion) < minAssertionChars || len(assertion) > maxAssertionChars {
		return nil, validation("SAMLAssertion must be %d to %d characters long.", minAssertionChars, maxAssertionChars)
	}
	if p.Get("RoleArn") == "" {
		return nil, validation("RoleArn is required.")
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
	id, err := h.Federation.VerifySAML(assertion, principal, now, !h.Strict)
	if err != nil {
		return nil, tokenError(err)
	}
	if !id.Verified {
		h.log().Warn("permissive mode: SAML assertion accepted without checking its signature or issuer: the SAML provider is not configured",
			"provider", principal, "issuer", id.Issuer, "subject", id.Subject)
	}
	r, err := parseRoleRequest(p, id.SessionName)
	if err != nil {
		return nil, err
	}
	denied := &stsError{http.StatusForbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML"}
	listed := false
	for _, role := range id.Roles {
		listed = listed || role == r.arn
	}
	if !listed {
		return nil, denied
	}
	if err := h.trusted(r, principal, id.Attributes, "sts:AssumeRoleWithSAML"); err != nil {
		return nil, err
	}
	if !id.SessionNotOnOrAfter.IsZero() {
		// The session ends with the IdP's session at the latest.
		if left := int(id.SessionNotOnOrAfter.Sub(now) / time.Second); left < r.duration {
			r.duration = left
		}
	}
	creds, user, err := h.roleSession(ctx, r, principal, "", policies, now)
	if err != nil {
		return nil, err
	}
	return &assumeRoleWithSAMLResult{
		Credentials: creds, AssumedRoleUser: user, PackedPolicySize: packed,
		Subject: id.Subject, SubjectType: id.SubjectType, Issuer: id.Issuer, Audience: id.Audience, NameQualifier: id.NameQualifier,
	}, nil
}
