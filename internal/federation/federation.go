// Package federation verifies the credentials that STS's unsigned
// actions carry: OpenID Connect ID tokens (AssumeRoleWithWebIdentity)
// and SAML assertions (AssumeRoleWithSAML), against the identity
// providers and role trust declared in the credentials file. orgd works
// offline, so a provider's keys come from files: a JWKS for OIDC, a PEM
// certificate for SAML.
package federation

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// File is the federation part of the credentials file:
//
//	"openIdConnectProviders": [
//	  {"url": "https://token.actions.githubusercontent.com",
//	   "audiences": ["sts.amazonaws.com"], "jwksFile": "github-jwks.json"}
//	],
//	"samlProviders": [
//	  {"arn": "arn:aws:iam::111111111111:saml-provider/Corp",
//	   "certificateFile": "corp-idp.pem"}
//	],
//	"roles": [
//	  {"arn": "arn:aws:iam::111111111111:role/ci-deploy",
//	   "maxSessionDuration": 3600,
//	   "trust": [
//	     {"provider": "token.actions.githubusercontent.com",
//	      "conditions": {"sub": ["repo:acme/infra:ref:refs/heads/main"]}},
//	     {"provider": "arn:aws:iam::111111111111:saml-provider/Corp"}
//	   ]}
//	]
//
// File names are relative to the credentials file's directory.
type File struct {
	OpenIDConnectProviders []OIDCProvider `json:"openIdConnectProviders,omitempty"`
	SAMLProviders          []SAMLProvider `json:"samlProviders,omitempty"`
	Roles                  []Role         `json:"roles,omitempty"`
}

// OIDCProvider is an OpenID Connect identity provider, as IAM's
// CreateOpenIDConnectProvider declares one.
type OIDCProvider struct {
	// URL is the issuer, the iss claim of its tokens (https://…).
	URL string `json:"url"`
	// Audiences are the client IDs (aud claims) accepted.
	Audiences []string `json:"audiences"`
	// JWKSFile is the provider's JSON Web Key Set.
	JWKSFile string `json:"jwksFile"`
}

// SAMLProvider is a SAML 2.0 identity provider.
type SAMLProvider struct {
	// ARN is arn:<partition>:iam::<account>:saml-provider/<name>, the
	// PrincipalArn of AssumeRoleWithSAML.
	ARN string `json:"arn"`
	// CertificateFile holds the PEM certificates the provider signs with.
	CertificateFile string `json:"certificateFile"`
	// Issuer, when set, must be the assertion's Issuer.
	Issuer string `json:"issuer,omitempty"`
	// Audience is the audience and recipient an assertion must name;
	// AWS's sign-in endpoint by default.
	Audience string `json:"audience,omitempty"`
}

// Role is a role that federated principals may assume.
type Role struct {
	ARN string `json:"arn"`
	// MaxSessionDuration is the longest session, in seconds (3600 to
	// 43200); 3600 when 0, as IAM has it.
	MaxSessionDuration int `json:"maxSessionDuration,omitempty"`
	// Trust lists who may assume the role.
	Trust []Trust `json:"trust"`
}

// Trust lets a provider's principals assume a role when every condition
// holds: the claim (OIDC) or attribute (SAML; "sub" is the NameID, "aud"
// the recipient, "iss" the issuer) named by each key matches one of its
// patterns, where * matches any run of characters and ? any one, as IAM's
// StringLike does.
type Trust struct {
	// Provider is an OIDC provider's URL without https:// (as in its
	// ARN) or a SAML provider's ARN.
	Provider   string              `json:"provider"`
	Conditions map[string][]string `json:"conditions,omitempty"`
}

// DefaultSAMLAudience is the audience and recipient of assertions meant
// for AWS.
const DefaultSAMLAudience = "https://signin.aws.amazon.com/saml"

// Config is the loaded federation configuration. A nil Config has no
// providers and no roles.
type Config struct {
	oidc  map[string]*oidcProvider // by issuer URL
	saml  map[string]*samlProvider // by ARN
	roles map[string]*Role         // by ARN
}

type oidcProvider struct {
	OIDCProvider
	keys jose.JSONWebKeySet
}

type samlProvider struct {
	SAMLProvider
	certs []*x509.Certificate
	// account and name are the ARN's parts, for NameQualifier.
	account, name string
}

var (
	roleARNRe = regexp.MustCompile(`^arn:[a-z][a-z0-9-]*:iam::\d{12}:role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$`)
	samlARNRe = regexp.MustCompile(`^arn:[a-z][a-z0-9-]*:iam::(\d{12}):saml-provider/([\w+=,.@-]{1,128})$`)
)

// Load checks f and reads the files it names, relative to dir.
func Load(f File, dir string) (*Config, error) {
	c := &Config{oidc: map[string]*oidcProvider{}, saml: map[string]*samlProvider{}, roles: map[string]*Role{}}
	file := func(name string) ([]byte, error) {
		if name == "" {
			return nil, fmt.Errorf("no file named")
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return os.ReadFile(name)
	}
	for i, p := range f.OpenIDConnectProviders {
		where := fmt.Sprintf("openIdConnectProviders[%d] (%s)", i, p.URL)
		if !strings.HasPrefix(p.URL, "https://") || len(p.URL) <= len("https://") {
			return nil, fmt.Errorf("%s: url must be the issuer's https:// URL", where)
		}
		if len(p.Audiences) == 0 {
			return nil, fmt.Errorf("%s: audiences must list at least one client ID", where)
		}
		b, err := file(p.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("%s: jwksFile: %w", where, err)
		}
		var keys jose.JSONWebKeySet
		if err := json.Unmarshal(b, &keys); err != nil || len(keys.Keys) == 0 {
			return nil, fmt.Errorf("%s: jwksFile %s is not a JSON Web Key Set with at least one key", where, p.JWKSFile)
		}
		for _, k := range keys.Keys {
			if !k.IsPublic() || k.KeyID == "" {
				return nil, fmt.Errorf("%s: jwksFile %s: every key must be a public key with a kid", where, p.JWKSFile)
			}
		}
		if _, dup := c.oidc[p.URL]; dup {
			return nil, fmt.Errorf("%s: the provider appears twice", where)
		}
		c.oidc[p.URL] = &oidcProvider{OIDCProvider: p, keys: keys}
	}
	for i, p := range f.SAMLProviders {
		where := fmt.Sprintf("samlProviders[%d] (%s)", i, p.ARN)
		m := samlARNRe.FindStringSubmatch(p.ARN)
		if m == nil {
			return nil, fmt.Errorf("%s: arn must be arn:<partition>:iam::<account>:saml-provider/<name>", where)
		}
		b, err := file(p.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("%s: certificateFile: %w", where, err)
		}
		var certs []*x509.Certificate
		for blk, rest := pem.Decode(b); blk != nil; blk, rest = pem.Decode(rest) {
			if blk.Type != "CERTIFICATE" {
				continue
			}
			cert, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: certificateFile %s: %w", where, p.CertificateFile, err)
			}
			certs = append(certs, cert)
		}
		if len(certs) == 0 {
			return nil, fmt.Errorf("%s: certificateFile %s has no PEM certificate", where, p.CertificateFile)
		}
		if p.Audience == "" {
			p.Audience = DefaultSAMLAudience
		}
		if _, dup := c.saml[p.ARN]; dup {
			return nil, fmt.Errorf("%s: the provider appears twice", where)
		}
		c.saml[p.ARN] = &samlProvider{SAMLProvider: p, certs: certs, account: m[1], name: m[2]}
	}
	for i, r := range f.Roles {
		where := fmt.Sprintf("roles[%d] (%s)", i, r.ARN)
		if !roleARNRe.MatchString(r.ARN) {
			return nil, fmt.Errorf("%s: arn must be arn:<partition>:iam::<account>:role/[path/]name", where)
		}
		if r.MaxSessionDuration == 0 {
			r.MaxSessionDuration = 3600
		}
		if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
			return nil, fmt.Errorf("%s: maxSessionDuration must be 3600 to 43200 seconds", where)
		}
		for j, t := range r.Trust {
			_, oidc := c.oidc["https://"+t.Provider]
			if _, saml := c.saml[t.Provider]; !oidc && !saml {
				return nil, fmt.Errorf("%s: trust[%d]: provider %q is neither an OIDC provider's URL without https:// nor a SAML provider's ARN of this file", where, j, t.Provider)
			}
			for k, pats := range t.Conditions {
				if len(pats) == 0 {
					return nil, fmt.Errorf("%s: trust[%d]: condition %q lists no values", where, j, k)
				}
			}
		}
		if _, dup := c.roles[r.ARN]; dup {
			return nil, fmt.Errorf("%s: the role appears twice", where)
		}
		c.roles[r.ARN] = &r
	}
	return c, nil
}

// RoleTrust is what the configuration says of a role.
type RoleTrust struct {
	// Known is false for a role the file does not declare.
	Known bool
	// MaxSessionDuration is the longest session in seconds.
	MaxSessionDuration int
	// Trusted reports whether the provider's principal with these
	// claims may assume the role.
	Trusted bool
}

// Trust tells whether provider's principal, with claims, may assume
// roleARN.
func (c *Config) Trust(roleARN, provider string, claims map[string][]string) RoleTrust {
	if c == nil {
		return RoleTrust{MaxSessionDuration: 3600}
	}
	r, ok := c.roles[roleARN]
	if !ok {
		return RoleTrust{MaxSessionDuration: 3600}
	}
	out := RoleTrust{Known: true, MaxSessionDuration: r.MaxSessionDuration}
	for _, t := range r.Trust {
		if t.Provider == provider && conditionsHold(t.Conditions, claims) {
			out.Trusted = true
		}
	}
	return out
}

func conditionsHold(conds map[string][]string, claims map[string][]string) bool {
	for key, pats := range conds {
		if !anyMatch(pats, claims[key]) {
			return false
		}
	}
	return true
}

func anyMatch(pats, values []string) bool {
	for _, p := range pats {
		for _, v := range values {
			if like(p, v) {
				return true
			}
		}
	}
	return false
}

// like is IAM's StringLike: * matches any run of characters, ? any one.
func like(pattern, s string) bool { return likeMatch([]rune(pattern), []rune(s)) }

// likeMatch matches iteratively, going back to the last * on a
// mismatch.
func likeMatch(p, s []rune) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
