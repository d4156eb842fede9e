package federation

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// SAML namespaces and the attributes AWS reads.
const (
	nsProtocol         = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion        = "urn:oasis:names:tc:SAML:2.0:assertion"
	statusSuccess      = "urn:oasis:names:tc:SAML:2.0:status:Success"
	bearer             = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	nameIDFormatPrefix = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
	// AttrRole holds "role ARN,provider ARN" pairs.
	AttrRole = "https://aws.amazon.com/SAML/Attributes/Role"
	// AttrRoleSessionName is the session's name.
	AttrRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	// awsAudienceURN is the other audience AWS accepts.
	awsAudienceURN = "urn:amazon:webservices"
)

// SAMLIdentity is what a verified assertion says.
type SAMLIdentity struct {
	Issuer, Subject, SubjectType string
	// Audience is the recipient the assertion was meant for.
	Audience string
	// NameQualifier is AWS's hash of the issuer, the provider's account
	// and its name.
	NameQualifier string
	// Roles are the role ARNs the Role attribute pairs with the provider.
	Roles []string
	// SessionName is the RoleSessionName attribute.
	SessionName string
	// SessionNotOnOrAfter, when not zero, ends the session at the
	// latest.
	SessionNotOnOrAfter time.Time
	// Attributes are the assertion's attributes by name, with sub, aud
	// and iss, for trust conditions.
	Attributes map[string][]string
	// Verified is false when the signature was not checked (permissive
	// mode, provider not configured).
	Verified bool
}

// VerifySAML checks a base64 SAML response for the provider
// principalARN: its status, the signature of the response or of its one
// assertion against the provider's certificates, the issuer, the
// audience and bearer recipient, and the validity times against now;
// and returns the assertion's identity. Only the signed element is read,
// so nothing outside the signature can add to it. With unverified
// (permissive mode), an assertion for a provider that is not configured
// is read without checking its signature; SAMLIdentity.Verified says so.
func (c *Config) VerifySAML(encoded, principalARN string, now time.Time, unverified bool) (*SAMLIdentity, error) {
	var p *samlProvider
	if c != nil {
		p = c.saml[principalARN]
	}
	if p == nil && !unverified {
		return nil, invalid("Specified provider doesn't exist")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encoded), ""))
	if err != nil {
		return nil, invalid("Invalid base64 SAMLResponse")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, invalid("The SAML response is not well-formed XML.")
	}
	resp := doc.Root()
	if resp.Tag != "Response" || resp.NamespaceURI() != nsProtocol {
		return nil, invalid("The SAML response's root element is not a SAML 2.0 protocol Response.")
	}
	if code := child(child(resp, nsProtocol, "Status"), nsProtocol, "StatusCode"); code == nil || code.SelectAttrValue("Value", "") != statusSuccess {
		return nil, &Error{CodeIDPRejectedClaim, "The identity provider reported that authentication failed: the SAML response's status is not Success."}
	}
	id := &SAMLIdentity{Verified: p != nil}
	audience := DefaultSAMLAudience
	if p != nil {
		audience = p.Audience
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: p.certs})
		ctx.Clock = dsig.NewFakeClockAt(now)
		if child(resp, dsig.Namespace, "Signature") != nil {
			if resp, err = ctx.Validate(resp); err != nil {
				return nil, invalid("The SAML response's signature does not verify with the certificates of %s.", principalARN)
			}
		}
	}
	assertions := children(resp, nsAssertion, "Assertion")
	if len(children(resp, nsAssertion, "EncryptedAssertion")) > 0 {
		return nil, invalid("Encrypted SAML assertions are not supported.")
	}
	if len(assertions) != 1 {
		return nil, invalid("The SAML response must hold exactly one Assertion; it holds %d.", len(assertions))
	}
	a := assertions[0]
	if p != nil && child(doc.Root(), dsig.Namespace, "Signature") == nil {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: p.certs})
		ctx.Clock = dsig.NewFakeClockAt(now)
		if child(a, dsig.Namespace, "Signature") == nil {
			return nil, invalid("Neither the SAML response nor its assertion is signed.")
		}
		if a, err = ctx.Validate(a); err != nil {
			return nil, invalid("The SAML assertion's signature does not verify with the certificates of %s.", principalARN)
		}
	}

	id.Issuer = text(child(a, nsAssertion, "Issuer"))
	if p != nil && p.Issuer != "" && id.Issuer != p.Issuer {
		return nil, invalid("The SAML assertion's issuer %q is not %s's, %q.", id.Issuer, principalARN, p.Issuer)
	}
	subject := child(a, nsAssertion, "Subject")
	nameID := child(subject, nsAssertion, "NameID")
	id.Subject = text(nameID)
	if id.Subject == "" {
		return nil, invalid("The SAML assertion has no Subject NameID.")
	}
	id.SubjectType = strings.TrimPrefix(nameID.SelectAttrValue("Format", ""), nameIDFormatPrefix)
	if id.SubjectType == "" {
		id.SubjectType = "unspecified"
	}
	if err := checkBearer(subject, audience, now, id); err != nil {
		return nil, err
	}
	if err := checkConditions(child(a, nsAssertion, "Conditions"), audience, now); err != nil {
		return nil, err
	}
	if authn := child(a, nsAssertion, "AuthnStatement"); authn != nil {
		if v := authn.SelectAttrValue("SessionNotOnOrAfter", ""); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, invalid("SessionNotOnOrAfter %q is not a SAML time.", v)
			}
			if !now.Before(t) {
				return nil, &Error{CodeExpiredToken, "The SAML assertion's session ended at " + v + "."}
			}
			id.SessionNotOnOrAfter = t
		}
	}
	id.Attributes = attributes(a)
	for _, pair := range id.Attributes[AttrRole] {
		first, second, ok := strings.Cut(strings.TrimSpace(pair), ",")
		first, second = strings.TrimSpace(first), strings.TrimSpace(second)
		switch {
		case !ok:
		case second == principalARN && roleARNRe.MatchString(first):
			id.Roles = append(id.Roles, first)
		case first == principalARN && roleARNRe.MatchString(second):
			id.Roles = append(id.Roles, second)
		}
	}
	if names := id.Attributes[AttrRoleSessionName]; len(names) > 0 {
		id.SessionName = names[0]
	}
	if id.SessionName == "" {
		return nil, invalid("The SAML assertion has no %s attribute.", AttrRoleSessionName)
	}
	account, name := "", ""
	if m := samlARNRe.FindStringSubmatch(principalARN); m != nil {
		account, name = m[1], m[2]
	}
	sum := sha1.Sum([]byte(id.Issuer + account + "/" + name))
	id.NameQualifier = base64.StdEncoding.EncodeToString(sum[:])
	id.Attributes["sub"], id.Attributes["aud"], id.Attributes["iss"] = []string{id.Subject}, []string{id.Audience}, []string{id.Issuer}
	return id, nil
}

// checkBearer finds the bearer confirmation meant for audience, valid
// at now, and takes its recipient.
func checkBearer(subject *etree.Element, audience string, now time.Time, id *SAMLIdentity) error {
	var expired bool
	for _, sc := range children(subject, nsAssertion, "SubjectConfirmation") {
		data := child(sc, nsAssertion, "SubjectConfirmationData")
		if sc.SelectAttrValue("Method", "") != bearer || data == nil {
			continue
		}
		if data.SelectAttrValue("Recipient", "") != audience {
			continue
		}
		end, err := time.Parse(time.RFC3339, data.SelectAttrValue("NotOnOrAfter", ""))
		if err != nil {
			return invalid("The bearer SubjectConfirmationData has no NotOnOrAfter time.")
		}
		if !now.Before(end) {
			expired = true
			continue
		}
		id.Audience = audience
		return nil
	}
	if expired {
		return &Error{CodeExpiredToken, "The SAML assertion's bearer confirmation has expired."}
	}
	return invalid("The SAML assertion has no bearer SubjectConfirmation whose Recipient is %s.", audience)
}

// checkConditions holds the assertion to its validity times and its
// audience restriction.
func checkConditions(conds *etree.Element, audience string, now time.Time) error {
	if conds == nil {
		return invalid("The SAML assertion has no Conditions.")
	}
	if v := conds.SelectAttrValue("NotBefore", ""); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return invalid("NotBefore %q is not a SAML time.", v)
		}
		if now.Before(t) {
			return invalid("The SAML assertion is not valid before %s; the server time is %s.", v, now.UTC().Format(time.RFC3339))
		}
	}
	v := conds.SelectAttrValue("NotOnOrAfter", "")
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return invalid("The SAML assertion's Conditions have no NotOnOrAfter time.")
	}
	if !now.Before(t) {
		return &Error{CodeExpiredToken, fmt.Sprintf("The SAML assertion expired at %s; the server time is %s.", v, now.UTC().Format(time.RFC3339))}
	}
	restrictions := children(conds, nsAssertion, "AudienceRestriction")
	if len(restrictions) == 0 {
		return invalid("The SAML assertion has no AudienceRestriction.")
	}
	// Every restriction must admit the audience.
	for _, r := range restrictions {
		ok := false
		for _, a := range children(r, nsAssertion, "Audience") {
			if s := text(a); s == audience || s == awsAudienceURN && audience == DefaultSAMLAudience {
				ok = true
			}
		}
		if !ok {
			return invalid("The SAML assertion's audience is not %s.", audience)
		}
	}
	return nil
}

func attributes(a *etree.Element) map[string][]string {
	out := map[string][]string{}
	for _, st := range children(a, nsAssertion, "AttributeStatement") {
		for _, attr := range children(st, nsAssertion, "Attribute") {
			name := attr.SelectAttrValue("Name", "")
			for _, v := range children(attr, nsAssertion, "AttributeValue") {
				out[name] = append(out[name], text(v))
			}
		}
	}
	return out
}

func children(el *etree.Element, ns, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	if cs := children(el, ns, tag); len(cs) == 1 {
		return cs[0]
	}
	return nil
}

func text(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}
