// Package identity decides which account a request acts as. Today it reads
// the access key ID from the SigV4 credential scope and trusts it; signature
// verification belongs here too when it comes, so that no other package
// parses credentials.
package identity

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/orgd/orgd/internal/api"
)

// Caller is the principal a request acts as.
type Caller struct {
	AccountID   string
	AccessKeyID string
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

// Errors that AWS gives before it looks at the operation. They are not in
// the Organizations model.
const (
	ErrMissingAuthenticationToken = "MissingAuthenticationTokenException"
	ErrIncompleteSignature        = "IncompleteSignatureException"
)

var accountID = regexp.MustCompile(`^\d{12}$`)

// Resolver maps requests to callers.
type Resolver struct {
	// DefaultAccount is the account of any access key that is not itself a
	// 12-digit account ID.
	DefaultAccount string
}

// Identify returns the caller of r, or an error shaped as AWS refuses an
// unauthenticated or malformed request.
func (res *Resolver) Identify(r *http.Request) (Caller, error) {
	key, err := accessKeyID(r)
	if err != nil {
		return Caller{}, err
	}
	c := Caller{AccessKeyID: key, AccountID: res.DefaultAccount}
	if accountID.MatchString(key) {
		c.AccountID = key
	}
	return c, nil
}

// accessKeyID reads the access key from the Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...")
// or from a presigned query string (X-Amz-Credential).
func accessKeyID(r *http.Request) (string, error) {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if !strings.HasPrefix(h, "AWS4-HMAC-SHA256 ") {
			return "", &api.Error{Type: ErrIncompleteSignature, Message: "Authorization header requires the AWS4-HMAC-SHA256 algorithm."}
		}
		for _, part := range strings.Split(strings.TrimPrefix(h, "AWS4-HMAC-SHA256 "), ",") {
			part = strings.TrimSpace(part)
			if v, ok := strings.CutPrefix(part, "Credential="); ok {
				cred = v
			}
		}
		if cred == "" {
			return "", &api.Error{Type: ErrIncompleteSignature, Message: "Authorization header requires 'Credential' parameter."}
		}
	} else if v := r.URL.Query().Get("X-Amz-Credential"); v != "" {
		cred = v
	} else {
		return "", &api.Error{Type: ErrMissingAuthenticationToken, Message: "Missing Authentication Token"}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != "aws4_request" {
		return "", &api.Error{Type: ErrIncompleteSignature, Message: "Credential should be scoped to a valid region, service and aws4_request terminator."}
	}
	return parts[0], nil
}
