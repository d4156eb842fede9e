package identity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/pattern"
)

// Strict mode's limits, as AWS has them.
const (
	algorithm     = "AWS4-HMAC-SHA256"
	amzDateFormat = "20060102T150405Z"
	// MaxSkew is how far a request's X-Amz-Date may be from the server
	// clock.
	MaxSkew = 15 * time.Minute
	// maxPresignExpires bounds X-Amz-Expires (seven days).
	maxPresignExpires = 7 * 24 * 60 * 60
	unsignedPayload   = "UNSIGNED-PAYLOAD"
	// MaxBodyBytes is the wire limit on a request body, and the most
	// strict mode reads before a signature is verified.
	MaxBodyBytes = 1 << 20
)

// sigv4 is what a request says of its own signature.
type sigv4 struct {
	presigned     bool
	key           string
	scopeDate     string
	region        string
	service       string
	signedHeaders []string
	signature     string
	date          time.Time
	token         string
	expires       int // X-Amz-Expires of a presigned request; 0 when absent
}

var (
	scopeDateRe = pattern.MustCompile(`^\d{8}$`)
	headerName  = pattern.MustCompile(`^[a-z0-9!#$%&'*+.^_` + "`" + `|~-]+$`)
)

// verify is Identify in strict mode: it checks the request's SigV4
// signature against the secret of its access key, the server clock and,
// for session keys, the session token.
func (res *Resolver) verify(r *http.Request, service string) (Caller, error) {
	a, err := parseSigV4(r)
	if err != nil {
		return Caller{}, err
	}
	if err := checkSignedHeaders(r, a); err != nil {
		return Caller{}, err
	}
	if a.service != service {
		return Caller{}, errSignature(fmt.Sprintf("Credential should be scoped to the service %q of this endpoint, not %q.", service, a.service))
	}
	if a.scopeDate != a.date.Format("20060102") {
		return Caller{}, errSignature(fmt.Sprintf("The credential scope date %s is not the date of X-Amz-Date %s.", a.scopeDate, a.date.Format(amzDateFormat)))
	}
	now, err := res.now(r.Context())
	if err != nil {
		return Caller{}, err
	}
	if err := checkTime(a, now); err != nil {
		return Caller{}, err
	}
	secret, caller, err := res.secret(r.Context(), a, now)
	if err != nil {
		return Caller{}, err
	}
	body, err := res.readBody(r)
	if err != nil {
		return Caller{}, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" && !a.presigned && v != hash {
		return Caller{}, errSignature("The x-amz-content-sha256 header is not the SHA-256 of the request body.")
	}
	if ok, err := signatureMatches(r, a, secret, hash); err != nil || ok {
		return caller, err
	}
	// A presigned URL may leave its payload out of the signature, but
	// then it may carry none: a body no signature covers would let
	// whoever holds the URL choose the operation's input.
	if a.presigned {
		ok, err := signatureMatches(r, a, secret, unsignedPayload)
		if err != nil {
			return Caller{}, err
		}
		if ok && len(body) == 0 {
			return caller, nil
		}
		if ok {
			return Caller{}, errSignature("The request is presigned with UNSIGNED-PAYLOAD, so its body is not covered by the signature; such a request must have no body.")
		}
	}
	return Caller{}, errSignature("The request signature does not match the one computed with the secret key of its access key. Check the secret key and the signing method.")
}

// signatureMatches reports whether a's signature is the one secret
// computes for r with the payload hash payloadHash.
func signatureMatches(r *http.Request, a *sigv4, secret, payloadHash string) (bool, error) {
	want, err := expectedSignature(r, a, secret, payloadHash)
	if err != nil {
		return false, err
	}
	return hmac.Equal([]byte(want), []byte(a.signature)), nil
}

// parseSigV4 reads the signature fields of a request from its
// Authorization header or, failing that, its presigned query string.
func parseSigV4(r *http.Request) (*sigv4, error) {
	a := &sigv4{}
	var cred, signed, date string
	if h := r.Header.Get("Authorization"); h != "" {
		rest, ok := strings.CutPrefix(h, algorithm+" ")
		if !ok {
			return nil, errIncomplete("The Authorization header must use the " + algorithm + " algorithm.")
		}
		fields := map[string]string{}
		for _, part := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || k == "" {
				return nil, errIncomplete(fmt.Sprintf("The Authorization header has %q, which is not a key=value pair.", strings.TrimSpace(part)))
			}
			if _, dup := fields[k]; dup {
				return nil, errIncomplete("The Authorization header has " + k + " twice.")
			}
			fields[k] = v
		}
		for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
			if fields[k] == "" {
				return nil, errIncomplete("The Authorization header needs a " + k + " parameter.")
			}
		}
		cred, signed, a.signature = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
		date = r.Header.Get("X-Amz-Date")
		if date == "" {
			return nil, errIncomplete("A signed request needs an X-Amz-Date header.")
		}
		a.token = r.Header.Get("X-Amz-Security-Token")
	} else {
		q := r.URL.Query()
		if !q.Has("X-Amz-Credential") && !q.Has("X-Amz-Signature") {
			return nil, errMissingToken()
		}
		a.presigned = true
		if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
			return nil, errIncomplete("X-Amz-Algorithm must be " + algorithm + ".")
		}
		for _, k := range []string{"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"} {
			if q.Get(k) == "" {
				return nil, errIncomplete("A presigned request needs the " + k + " query parameter.")
			}
		}
		cred, signed, a.signature, date = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		a.token = q.Get("X-Amz-Security-Token")
		if v := q.Get("X-Amz-Expires"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxPresignExpires {
				return nil, errIncomplete(fmt.Sprintf("X-Amz-Expires must be a number of seconds from 1 to %d.", maxPresignExpires))
			}
			a.expires = n
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" || !scopeDateRe.MatchString(parts[1]) || parts[2] == "" || parts[3] == "" || parts[4] != "aws4_request" {
		return nil, errIncomplete("The Credential must be <access key>/<yyyymmdd>/<region>/<service>/aws4_request.")
	}
	a.key, a.scopeDate, a.region, a.service = parts[0], parts[1], parts[2], parts[3]
	t, err := time.Parse(amzDateFormat, date)
	if err != nil {
		return nil, errIncomplete(fmt.Sprintf("X-Amz-Date %q is not in the form yyyymmddThhmmssZ.", date))
	}
	a.date = t
	a.signedHeaders = strings.Split(signed, ";")
	for _, h := range a.signedHeaders {
		if !headerName.MatchString(h) {
			return nil, errIncomplete(fmt.Sprintf("SignedHeaders has %q, which is not a lower-case header name.", h))
		}
	}
	return a, nil
}

// checkSignedHeaders refuses a request that carries a header SigV4
// requires to be signed without signing it: host always, and every
// x-amz-* header and content-type that is present. Otherwise a captured
// request could be replayed with another X-Amz-Target, that is another
// operation, and a presigned URL that signs only host would act as a
// bearer token for any operation.
func checkSignedHeaders(r *http.Request, a *sigv4) error {
	signed := make(map[string]bool, len(a.signedHeaders))
	for _, h := range a.signedHeaders {
		signed[h] = true
	}
	if !signed["host"] {
		return errSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	var unsigned []string
	for name := range r.Header {
		if h := strings.ToLower(name); (strings.HasPrefix(h, "x-amz-") || h == "content-type") && !signed[h] {
			unsigned = append(unsigned, name)
		}
	}
	if len(unsigned) == 0 {
		return nil
	}
	// Name the same header every time: the x-amz-* ones first, since
	// X-Amz-Target chooses the operation.
	sort.Slice(unsigned, func(i, j int) bool {
		ai, aj := strings.HasPrefix(strings.ToLower(unsigned[i]), "x-amz-"), strings.HasPrefix(strings.ToLower(unsigned[j]), "x-amz-")
		if ai != aj {
			return ai
		}
		return unsigned[i] < unsigned[j]
	})
	return errSignature(fmt.Sprintf("'%s' must be a 'SignedHeader' in the AWS Authorization.", unsigned[0]))
}

// checkTime refuses a request signed too far from the server clock, or a
// presigned one past its X-Amz-Expires.
func checkTime(a *sigv4, now time.Time) error {
	const f = amzDateFormat
	if a.date.After(now.Add(MaxSkew)) {
		return errSignature(fmt.Sprintf("Signature not yet current: X-Amz-Date %s is more than 15 minutes after the server time %s.", a.date.Format(f), now.UTC().Format(f)))
	}
	if a.presigned && a.expires > 0 {
		if end := a.date.Add(time.Duration(a.expires) * time.Second); now.After(end) {
			return errSignature(fmt.Sprintf("Signature expired: the presigned request was valid until %s; the server time is %s.", end.Format(f), now.UTC().Format(f)))
		}
		return nil
	}
	if a.date.Before(now.Add(-MaxSkew)) {
		return errSignature(fmt.Sprintf("Signature expired: X-Amz-Date %s is more than 15 minutes before the server time %s.", a.date.Format(f), now.UTC().Format(f)))
	}
	return nil
}

// secret returns the secret key a's access key signs with, and the caller
// it stands for.
func (res *Resolver) secret(ctx context.Context, a *sigv4, now time.Time) (string, Caller, error) {
	if c, ok := res.Credentials.Lookup(a.key); ok {
		if a.token != "" {
			// A long-term key has no session token.
			return "", Caller{}, errUnrecognized()
		}
		return c.SecretAccessKey, c.caller(), nil
	}
	if !isSessionKey(a.key) || res.Sessions == nil {
		return "", Caller{}, errUnrecognized()
	}
	s, ok, err := res.Sessions.Session(ctx, a.key)
	if err != nil {
		return "", Caller{}, err
	}
	if !ok || a.token == "" || subtle.ConstantTimeCompare([]byte(a.token), []byte(s.SessionToken)) != 1 {
		return "", Caller{}, errUnrecognized()
	}
	if !now.Before(s.Expiration) {
		return "", Caller{}, errExpiredToken()
	}
	return s.SecretAccessKey, s.Caller(), nil
}

// readBody reads the body whose hash the signature covers and puts it
// back for the handler.
func (res *Resolver) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	max := res.MaxBodyBytes
	if max <= 0 {
		max = MaxBodyBytes
	}
	if r.ContentLength > max {
		// Refused unread: the signature cannot be checked before the
		// body is, and a bogus signature must not cost memory.
		return nil, errTooLarge(max)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, &api.Error{Type: ErrIncompleteSignature, Message: "Could not read the request body."}
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if int64(len(body)) > max {
		return nil, errTooLarge(max)
	}
	return body, nil
}

func errTooLarge(max int64) error {
	return &api.Error{Type: ErrRequestTooLarge, Message: fmt.Sprintf("Request body exceeds %d bytes.", max)}
}

// expectedSignature signs a copy of r that has only what a says was
// signed, with the same key, date and scope, using the SDK's signer, and
// returns the signature it computes.
func expectedSignature(r *http.Request, a *sigv4, secret, payloadHash string) (string, error) {
	cp := &http.Request{
		Method: r.Method,
		// No scheme: the signer then keeps the host exactly as sent.
		URL:    &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath},
		Host:   r.Host,
		Header: http.Header{},
	}
	if a.presigned {
		q := r.URL.Query()
		q.Del("X-Amz-Signature")
		cp.URL.RawQuery = q.Encode()
	} else {
		cp.URL.RawQuery = r.URL.RawQuery
	}
	for _, h := range a.signedHeaders {
		switch h {
		case "host":
			// The signer takes it from cp.Host.
		case "x-amz-date":
			if a.presigned {
				cp.Header["X-Amz-Date"] = r.Header.Values(h)
			}
			// Otherwise the signer writes it from the signing time.
		case "content-length":
			// The signer writes it from ContentLength.
			n, err := strconv.ParseInt(r.Header.Get(h), 10, 64)
			if err != nil {
				n = r.ContentLength
			}
			cp.ContentLength = n
		default:
			if v := r.Header.Values(h); len(v) > 0 {
				cp.Header[http.CanonicalHeaderKey(h)] = v
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: a.key, SecretAccessKey: secret}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		// The token, when signed, is copied as an ordinary header or
		// query parameter; the signer must not add one of its own.
		o.DisableSessionToken = true
		o.DisableHeaderHoisting = true
	})
	if a.presigned {
		uri, _, err := signer.PresignHTTP(context.Background(), creds, cp, payloadHash, a.service, a.region, a.date)
		if err != nil {
			return "", err
		}
		u, err := url.Parse(uri)
		if err != nil {
			return "", err
		}
		return u.Query().Get("X-Amz-Signature"), nil
	}
	if err := signer.SignHTTP(context.Background(), creds, cp, payloadHash, a.service, a.region, a.date); err != nil {
		return "", err
	}
	_, sig, _ := strings.Cut(cp.Header.Get("Authorization"), "Signature=")
	return sig, nil
}

func errIncomplete(msg string) error {
	return &api.Error{Type: ErrIncompleteSignature, Message: msg}
}

func errSignature(msg string) error {
	return &api.Error{Type: ErrInvalidSignature, Message: msg}
}
