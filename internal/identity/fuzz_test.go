package identity

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// FuzzVerify changes a correctly signed request as an attacker may, in
// its operation, body, headers, Authorization header and query string,
// and checks that strict mode never accepts a request whose operation
// or body differs from what was signed, or that carries an x-amz-* or
// content-type header that is not signed; and that it never panics or
// fails with anything but an AWS-shaped error.
func FuzzVerify(f *testing.F) {
	const target = "AWSOrganizationsV20161128.ListRoots"
	f.Add(false, target, `{"MaxResults":5}`, "", "", "", "")
	f.Add(false, "AWSOrganizationsV20161128.DeleteOrganization", `{"MaxResults":5}`, "", "", "", "")
	f.Add(false, target, `{"MaxResults":6}`, "", "", "", "")
	f.Add(false, target, `{"MaxResults":5}`, "X-Amz-Anything", "1", "", "")
	f.Add(false, target, `{"MaxResults":5}`, "Content-Type", "application/x-www-form-urlencoded", "", "")
	f.Add(false, target, `{"MaxResults":5}`, "", "", ";x-amz-target", "")
	f.Add(false, target, `{"MaxResults":5}`, "", "", ";host", "")
	f.Add(false, target, `{"MaxResults":5}`, "", "", "Signature=", "x=1")
	f.Add(true, target, `{"MaxResults":5}`, "", "", "", "")
	f.Add(true, target, "", "", "", "", "X-Amz-SignedHeaders=host")
	f.Add(true, "AWSOrganizationsV20161128.DeleteOrganization", `{}`, "X-Amz-Security-Token", "t", "", "X-Amz-Expires=604800")
	f.Fuzz(func(t *testing.T, presign bool, tgt, body, name, value, authCut, query string) {
		q := defaults()
		q.presign = presign
		r := q.build(t)
		original := r.Header.Get("Authorization")
		r.Header.Set("X-Amz-Target", tgt)
		setBody(r, body)
		name = http.CanonicalHeaderKey(name)
		if name != "" && name != "Host" && headerName.MatchString(strings.ToLower(name)) {
			r.Header.Add(name, value)
		}
		if authCut != "" {
			r.Header.Set("Authorization", strings.Replace(original, authCut, "", 1))
		}
		if query != "" {
			if r.URL.RawQuery != "" {
				r.URL.RawQuery += "&"
			}
			r.URL.RawQuery += query
		}
		c, err := strictResolver(t, testNow).Identify(r)
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("an error that is not AWS-shaped: %v", err)
			}
			return
		}
		if c.AccountID != "111111111111" {
			t.Fatalf("accepted as %+v", c)
		}
		// Whatever the signer signs, SDKs sign the target and the body:
		// a request with either changed is a forgery.
		if tgt != target || body != q.body {
			t.Fatalf("accepted a changed request: target %q body %q", tgt, body)
		}
		a, err := parseSigV4(r)
		if err != nil {
			t.Fatalf("accepted a request whose signature does not parse: %v", err)
		}
		if err := checkSignedHeaders(r, a); err != nil {
			t.Fatalf("accepted a request with an unsigned header: %v", err)
		}
	})
}
