// Package identity decides who a request acts as: it parses the SigV4
// credentials of every request, verifies their signature in strict mode,
// and maps the access key to an account and principal. It is the one
// package that parses credentials.
package identity

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// Caller is the principal a request acts as.
type Caller struct {
	AccountID   string
	AccessKeyID string
	// Principal is the ARN the request acts as: the account's root
	// (arn:aws:iam::<acct>:root), an IAM user or role, or an STS session
	// (arn:aws:sts::<acct>:assumed-role/<role>/<session>). Empty only for
	// callers built outside this package; see PrincipalOf.
	Principal string
	// Temporary marks credentials that STS issued.
	Temporary bool
	// Region is the region of the request's credential scope: the region
	// it was signed for, which SCPs see as aws:RequestedRegion.
	Region string
	// Policies are the session policies that limit a session's requests;
	// nil for every caller but a session issued with some. A pointer keeps
	// Caller small and comparable.
	Policies *SessionPolicies
}

type ctxKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the caller carried by ctx.
func FromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(ctxKey{}).(Caller)
	return c, ok
}

// Errors that AWS gives before it looks at the operation, under their AWS
// JSON protocol names. They are not in the Organizations model.
const (
	ErrMissingAuthenticationToken = "MissingAuthenticationTokenException"
	ErrIncompleteSignature        = "IncompleteSignatureException"
	ErrUnrecognizedClient         = "UnrecognizedClientException"
	ErrInvalidSignature           = "InvalidSignatureException"
	ErrExpiredToken               = "ExpiredTokenException"
	// ErrRequestTooLarge is the wire protocol's error for a body too large
	// to verify.
	ErrRequestTooLarge = "RequestEntityTooLargeException"
)

// Signing names of the services orgd serves: a request must be scoped to
// the service whose endpoint it calls.
const (
	ServiceOrganizations = "organizations"
	ServiceSTS           = "sts"
)

// Mode is how far Identify trusts a request.
type Mode string

const (
	// Permissive trusts any access key: a known key maps to its account,
	// a 12-digit key to that account, any other to the default account.
	// Signatures are not checked. The zero Mode is Permissive.
	Permissive Mode = "permissive"
	// Strict accepts only known keys and STS session keys, with a valid
	// SigV4 signature.
	Strict Mode = "strict"
)

// ParseMode parses the --auth flag.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Permissive, "":
		return Permissive, nil
	case Strict:
		return Strict, nil
	}
	return "", fmt.Errorf("auth mode %q: want permissive or strict", s)
}

// IsAccountID reports whether s is twelve ASCII digits: an account ID.
// Every permissive request asks, so no regular expression.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Resolver maps requests to callers.
type Resolver struct {
	// DefaultAccount is the account of any access key that is neither
	// known nor a 12-digit account ID (permissive mode).
	DefaultAccount string
	// Mode is Permissive when empty.
	Mode Mode
	// Credentials are the long-term access keys orgd knows; nil for none.
	Credentials *Credentials
	// Sessions finds the temporary credentials STS issued; nil for none.
	Sessions SessionSource
	// Now is the server clock that signatures and sessions are checked
	// against; nil means the wall clock.
	Now func(context.Context) (time.Time, error)
	// Partition is the ARN partition of principals; "" means "aws".
	Partition string
	// MaxBodyBytes bounds the body strict mode reads to verify its hash;
	// 0 means the wire limit, MaxBodyBytes (1 MiB).
	MaxBodyBytes int64
}

// With returns a copy of res that uses now and sessions where res has
// none, so that a server can bind its clock and session store late.
func (res *Resolver) With(now func(context.Context) (time.Time, error), sessions SessionSource) *Resolver {
	c := *res
	if c.Now == nil {
		c.Now = now
	}
	if c.Sessions == nil {
		c.Sessions = sessions
	}
	return &c
}

// Strict reports whether res verifies signatures.
func (res *Resolver) Strict() bool { return res.Mode == Strict }

// Identify returns the caller of an Organizations request, or an error
// shaped as AWS refuses an unauthenticated, malformed or forged request.
func (res *Resolver) Identify(r *http.Request) (Caller, error) {
	return res.IdentifyService(r, ServiceOrganizations)
}

// IdentifyService is Identify for a request to the endpoint of service,
// the signing name its credential scope must carry in strict mode.
func (res *Resolver) IdentifyService(r *http.Request, service string) (Caller, error) {
	if res.Strict() {
		c, err := res.verify(r, service)
		if err != nil {
			return Caller{}, err
		}
		_, c.Region = CredentialScope(r)
		return c, nil
	}
	// The permissive parser reads the credential CredentialScope would,
	// so the region comes from the same parse.
	key, region, err := accessKeyID(r)
	if err != nil {
		return Caller{}, err
	}
	c, err := res.permissive(r, key)
	if err != nil {
		return Caller{}, err
	}
	c.Region = region
	return c, nil
}

// permissive maps the access key of a request to its caller in
// permissive mode.
func (res *Resolver) permissive(r *http.Request, key string) (Caller, error) {
	if c, ok := res.Credentials.Lookup(key); ok {
		return c.caller(), nil
	}
	if isSessionKey(key) && res.Sessions != nil {
		s, ok, err := res.Sessions.Session(r.Context(), key)
		if err != nil {
			return Caller{}, err
		}
		if ok {
			// Permissive mode checks no signature, but a session still
			// ends when STS said it would.
			now, err := res.now(r.Context())
			if err != nil {
				return Caller{}, err
			}
			if !now.Before(s.Expiration) {
				return Caller{}, errExpiredToken()
			}
			return s.Caller(), nil
		}
	}
	c := Caller{AccessKeyID: key, AccountID: res.DefaultAccount}
	if IsAccountID(key) {
		c.AccountID = key
	}
	c.Principal = RootARN(res.partition(), c.AccountID)
	return c, nil
}

// AccountOfKey returns the account an access key acts in, as
// GetAccessKeyInfo shows it: a key of the credentials file its account, a
// session key its session's; in permissive mode any other key the
// account permissive mode maps it to. A key strict mode does not know
// has none.
func (res *Resolver) AccountOfKey(ctx context.Context, key string) (string, bool, error) {
	if c, ok := res.Credentials.Lookup(key); ok {
		return c.AccountID, true, nil
	}
	if isSessionKey(key) && res.Sessions != nil {
		s, ok, err := res.Sessions.Session(ctx, key)
		if err != nil || ok {
			return s.AccountID, ok, err
		}
	}
	if res.Strict() {
		return "", false, nil
	}
	if IsAccountID(key) {
		return key, true, nil
	}
	return res.DefaultAccount, true, nil
}

func (res *Resolver) partition() string {
	if res.Partition == "" {
		return "aws"
	}
	return res.Partition
}

func (res *Resolver) now(ctx context.Context) (time.Time, error) {
	if res.Now == nil {
		return time.Now().UTC(), nil
	}
	return res.Now(ctx)
}

// RootARN is the principal of an account's root user.
func RootARN(partition, account string) string {
	return "arn:" + partition + ":iam::" + account + ":root"
}

// PrincipalOf returns c's principal, the account root when c carries none.
func PrincipalOf(c Caller, partition string) string {
	if c.Principal != "" {
		return c.Principal
	}
	return RootARN(partition, c.AccountID)
}

// CredentialScope returns the access key ID and region a request's SigV4
// credential names, "" for each it does not. It verifies nothing: it is for
// requests already identified (the signed region) or refused (the key a log
// names).
func CredentialScope(r *http.Request) (accessKeyID, region string) {
	cred := ""
	if r.URL.RawQuery != "" {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if h := r.Header.Get("Authorization"); h != "" {
		cred = ""
		for part := range strings.SplitSeq(strings.TrimPrefix(h, "AWS4-HMAC-SHA256 "), ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
			}
		}
	}
	parts, ok := credentialParts(cred)
	if !ok {
		// Not a credential: whatever it is, a log must not repeat it.
		return "", ""
	}
	return parts[0], parts[2]
}

// credentialParts splits a SigV4 credential, "AKID/date/region/service/
// aws4_request", at its slashes without allocating; ok is false unless
// it has five parts.
func credentialParts(cred string) (parts [5]string, ok bool) {
	for i := range 4 {
		var found bool
		if parts[i], cred, found = strings.Cut(cred, "/"); !found {
			return parts, false
		}
	}
	parts[4] = cred
	return parts, !strings.Contains(cred, "/")
}

// accessKeyID reads the access key from the Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...")
// or from a presigned query string (X-Amz-Credential), and the region
// the credential is scoped to. It is permissive mode's parser: it checks
// only what it needs to find the key.
func accessKeyID(r *http.Request) (key, region string, err error) {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if !strings.HasPrefix(h, "AWS4-HMAC-SHA256 ") {
			return "", "", &api.Error{Type: ErrIncompleteSignature, Message: "Authorization header requires the AWS4-HMAC-SHA256 algorithm."}
		}
		for part := range strings.SplitSeq(strings.TrimPrefix(h, "AWS4-HMAC-SHA256 "), ",") {
			part = strings.TrimSpace(part)
			if v, ok := strings.CutPrefix(part, "Credential="); ok {
				cred = v
			}
		}
		if cred == "" {
			return "", "", &api.Error{Type: ErrIncompleteSignature, Message: "Authorization header requires 'Credential' parameter."}
		}
	} else if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		cred = v
	} else {
		return "", "", errMissingToken()
	}
	parts, ok := credentialParts(cred)
	if !ok || parts[0] == "" || parts[4] != "aws4_request" {
		return "", "", &api.Error{Type: ErrIncompleteSignature, Message: "Credential should be scoped to a valid region, service and aws4_request terminator."}
	}
	return parts[0], parts[2], nil
}

func errMissingToken() error {
	return &api.Error{Type: ErrMissingAuthenticationToken, Message: "Missing Authentication Token"}
}

// The unknown-key message is the one AWS sends, which tools match on.
func errUnrecognized() error {
	return &api.Error{Type: ErrUnrecognizedClient, Message: "The security token included in the request is invalid."}
}

func errExpiredToken() error {
	return &api.Error{Type: ErrExpiredToken, Message: "The security token included in the request has expired."}
}
