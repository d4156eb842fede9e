package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/pattern"
)

const (
	testKey     = "AKIATESTKEY000000001"
	testSecret  = "test-secret"
	otherKey    = "AKIATESTKEY000000002"
	otherSecret = "other-secret"
	sessKey     = "ASIATESTSESSION00001"
	sessSecret  = "session-secret"
	sessToken   = "session-token"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeSessions is a SessionSource over a map.
type fakeSessions map[string]Session

func (f fakeSessions) Session(_ context.Context, key string) (Session, bool, error) {
	s, ok := f[key]
	return s, ok, nil
}

func strictResolver(t testing.TB, now time.Time) *Resolver {
	t.Helper()
	creds, err := NewCredentials(
		Credential{AccessKeyID: testKey, SecretAccessKey: testSecret, AccountID: "111111111111"},
		Credential{AccessKeyID: otherKey, SecretAccessKey: otherSecret, Principal: "arn:aws:iam::222222222222:user/bob"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return &Resolver{
		Mode:        Strict,
		Credentials: creds,
		Sessions: fakeSessions{sessKey: {
			AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: sessToken, Expiration: testNow.Add(time.Hour),
			AccountID: "333333333333", RoleName: "R", SessionName: "s", Principal: "arn:aws:sts::333333333333:assumed-role/R/s",
		}},
		Now: func(context.Context) (time.Time, error) { return now, nil },
	}
}

// request describes a request to sign.
type request struct {
	key, secret, token string
	service, region    string
	at                 time.Time
	body               string
	presign            bool
	expires            string // X-Amz-Expires of a presigned request
	contentSHA         bool   // sign the body's hash in x-amz-content-sha256
	// bare signs a request with no headers but host; the headers of the
	// request are added after signing, unsigned.
	bare bool
	// payload is the payload hash to sign; "" means the body's.
	payload string
}

func defaults() request {
	return request{key: testKey, secret: testSecret, service: ServiceOrganizations, region: "us-east-1", at: testNow, body: `{"MaxResults":5}`}
}

func (q request) build(t testing.TB) *http.Request {
	t.Helper()
	target := "http://orgd.test:4599/"
	if q.expires != "" {
		target += "?X-Amz-Expires=" + q.expires
	}
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(q.body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.ListRoots")
	sum := sha256.Sum256([]byte(q.body))
	if q.contentSHA {
		h := hex.EncodeToString(sum[:])
		if q.payload != "" {
			h = q.payload
		}
		r.Header.Set("X-Amz-Content-Sha256", h)
	}
	creds := aws.Credentials{AccessKeyID: q.key, SecretAccessKey: q.secret, SessionToken: q.token}
	// Sign a client-side request, as an SDK does, then hand the server
	// what arrives.
	c, _ := http.NewRequest(r.Method, r.URL.String(), strings.NewReader(q.body))
	c.Header = r.Header.Clone()
	if q.bare {
		c.Header = http.Header{}
	}
	payload := hex.EncodeToString(sum[:])
	if q.payload != "" {
		payload = q.payload
	}
	if q.presign {
		uri, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, c, payload, q.service, q.region, q.at)
		if err != nil {
			t.Fatal(err)
		}
		unsigned := r.Header
		r = httptest.NewRequest(http.MethodPost, uri, strings.NewReader(q.body))
		for k, v := range hdr {
			if k != "Host" {
				r.Header[k] = v
			}
		}
		if q.bare {
			r.Header = unsigned
		}
		return r
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, c, payload, q.service, q.region, q.at); err != nil {
		t.Fatal(err)
	}
	if q.bare {
		for k, v := range r.Header {
			c.Header[k] = v
		}
	}
	r.Header = c.Header
	r.Host = c.URL.Host
	return r
}

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     func(request) request
		mutate  func(*http.Request)
		now     time.Duration // server time minus signing time
		errType string
		errMsg  string
		account string
		temp    bool
	}{
		{name: "header signature", account: "111111111111"},
		{name: "another region", req: func(q request) request { q.region = "ap-southeast-2"; return q }, account: "111111111111"},
		{name: "IAM user key", req: func(q request) request { q.key, q.secret = otherKey, otherSecret; return q }, account: "222222222222"},
		{name: "session", req: func(q request) request { q.key, q.secret, q.token = sessKey, sessSecret, sessToken; return q }, account: "333333333333", temp: true},
		{name: "presigned", req: func(q request) request { q.presign = true; return q }, account: "111111111111"},
		{name: "presigned session", req: func(q request) request {
			q.presign, q.key, q.secret, q.token = true, sessKey, sessSecret, sessToken
			return q
		}, account: "333333333333", temp: true},
		{name: "14 minutes late", now: 14 * time.Minute, account: "111111111111"},
		{name: "14 minutes early", now: -14 * time.Minute, account: "111111111111"},
		{name: "content hash header signed", req: func(q request) request { q.contentSHA = true; return q }, account: "111111111111"},

		{name: "16 minutes late", now: 16 * time.Minute, errType: ErrInvalidSignature, errMsg: "Signature expired"},
		{name: "16 minutes early", now: -16 * time.Minute, errType: ErrInvalidSignature, errMsg: "not yet current"},
		{name: "presigned past its expiry", req: func(q request) request { q.presign, q.expires = true, "60"; return q }, now: 61 * time.Second, errType: ErrInvalidSignature, errMsg: "Signature expired"},
		{name: "presigned within its expiry", req: func(q request) request { q.presign, q.expires = true, "3600"; return q }, now: 59 * time.Minute, account: "111111111111"},
		{name: "session past its expiry", req: func(q request) request {
			q.key, q.secret, q.token, q.at = sessKey, sessSecret, sessToken, testNow.Add(time.Hour)
			return q
		}, now: time.Hour, errType: ErrExpiredToken},
		{name: "changed body", mutate: func(r *http.Request) { setBody(r, `{"MaxResults":6}`) }, errType: ErrInvalidSignature},
		{name: "content hash of another body", req: func(q request) request { q.contentSHA, q.payload = true, strings.Repeat("0", 64); return q },
			errType: ErrInvalidSignature, errMsg: "x-amz-content-sha256"},
		{name: "changed header", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.ListAccounts") }, errType: ErrInvalidSignature},
		{name: "changed host", mutate: func(r *http.Request) { r.Host = "evil.test:4599" }, errType: ErrInvalidSignature},
		{name: "changed query", mutate: func(r *http.Request) { r.URL.RawQuery = "x=1" }, errType: ErrInvalidSignature},
		{name: "changed date", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", testNow.Add(time.Second).Format(amzDateFormat)) }, errType: ErrInvalidSignature},
		{name: "scope date not the request date", mutate: func(r *http.Request) { replaceAuth(r, "/20260304/", "/20260303/") }, errType: ErrInvalidSignature, errMsg: "scope date"},
		{name: "changed region", mutate: func(r *http.Request) { replaceAuth(r, "/us-east-1/", "/us-west-2/") }, errType: ErrInvalidSignature},
		{name: "scoped to sts", req: func(q request) request { q.service = ServiceSTS; return q }, errType: ErrInvalidSignature, errMsg: "organizations"},
		{name: "another known key", mutate: func(r *http.Request) { replaceAuth(r, testKey, otherKey) }, errType: ErrInvalidSignature},
		{name: "unknown key", mutate: func(r *http.Request) { replaceAuth(r, testKey, "AKIAUNKNOWN000000001") }, errType: ErrUnrecognizedClient},
		{name: "wrong secret", req: func(q request) request { q.secret = "nope"; return q }, errType: ErrInvalidSignature},
		{name: "changed signature", mutate: func(r *http.Request) { replaceAuth(r, "Signature=", "Signature=0") }, errType: ErrInvalidSignature},
		{name: "uppercase signature", mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
		}, errType: ErrInvalidSignature},
		{name: "session without token", req: func(q request) request { q.key, q.secret = sessKey, sessSecret; return q }, errType: ErrUnrecognizedClient},
		{name: "session with a wrong token", req: func(q request) request { q.key, q.secret, q.token = sessKey, sessSecret, "other"; return q }, errType: ErrUnrecognizedClient},
		{name: "unknown session", req: func(q request) request {
			q.key, q.secret, q.token = "ASIAUNKNOWN000000001", sessSecret, sessToken
			return q
		}, errType: ErrUnrecognizedClient},
		{name: "long-term key with a token", req: func(q request) request { q.token = sessToken; return q }, errType: ErrUnrecognizedClient},
		{name: "session token not signed", req: func(q request) request { q.key, q.secret, q.token = sessKey, sessSecret, sessToken; return q },
			mutate: func(r *http.Request) { replaceAuth(r, ";x-amz-security-token", "") }, errType: ErrInvalidSignature},
		{name: "presigned, changed query", req: func(q request) request { q.presign = true; return q },
			mutate: func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "us-east-1", "us-east-2", 1) }, errType: ErrInvalidSignature},
		{name: "presigned, bad expiry", req: func(q request) request { q.presign, q.expires = true, "604801"; return q }, errType: ErrIncompleteSignature},

		{name: "no credentials", mutate: func(r *http.Request) { r.Header.Del("Authorization") }, errType: ErrMissingAuthenticationToken},
		{name: "other algorithm", mutate: func(r *http.Request) { replaceAuth(r, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256") }, errType: ErrIncompleteSignature},
		{name: "no signature", mutate: func(r *http.Request) { replaceAuth(r, "Signature=", "Sig=") }, errType: ErrIncompleteSignature},
		{name: "no signed headers", mutate: func(r *http.Request) { replaceAuth(r, "SignedHeaders=", "Signed=") }, errType: ErrIncompleteSignature},
		{name: "pair without equals", mutate: func(r *http.Request) { replaceAuth(r, ", Signature=", ", junk, Signature=") }, errType: ErrIncompleteSignature},
		{name: "short scope", mutate: func(r *http.Request) { replaceAuth(r, "/aws4_request", "") }, errType: ErrIncompleteSignature},
		{name: "scope date of seven digits", mutate: func(r *http.Request) { replaceAuth(r, "/20260304/", "/2026034/") }, errType: ErrIncompleteSignature},
		{name: "scope date of nine digits", mutate: func(r *http.Request) { replaceAuth(r, "/20260304/", "/202603041/") }, errType: ErrIncompleteSignature},
		{name: "scope date with a letter", mutate: func(r *http.Request) { replaceAuth(r, "/20260304/", "/2026030x/") }, errType: ErrIncompleteSignature},
		{name: "signed header with a space", mutate: func(r *http.Request) { replaceAuth(r, ";host;", ";ho st;") }, errType: ErrIncompleteSignature},
		{name: "host not signed", mutate: func(r *http.Request) { replaceAuth(r, ";host;", ";") }, errType: ErrInvalidSignature, errMsg: "'Host' or ':authority' must be a 'SignedHeader'"},
		{name: "x-amz-date not signed", mutate: func(r *http.Request) { replaceAuth(r, ";x-amz-date", "") }, errType: ErrInvalidSignature, errMsg: "'X-Amz-Date' must be a 'SignedHeader'"},

		// Every x-amz-* header and content-type present must be signed.
		{name: "target not signed", mutate: func(r *http.Request) { replaceAuth(r, ";x-amz-target", "") }, errType: ErrInvalidSignature, errMsg: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "content type not signed", mutate: func(r *http.Request) { replaceAuth(r, "content-type;", "") }, errType: ErrInvalidSignature, errMsg: "'Content-Type' must be a 'SignedHeader'"},
		{name: "unsigned x-amz header added", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Anything", "1") }, errType: ErrInvalidSignature, errMsg: "'X-Amz-Anything' must be a 'SignedHeader'"},
		{name: "unsigned x-amzn header added", mutate: func(r *http.Request) { r.Header.Set("X-Amzn-Trace-Id", "1") }, account: "111111111111"},
		{name: "unsigned user agent added", mutate: func(r *http.Request) { r.Header.Set("User-Agent", "x") }, account: "111111111111"},
		{name: "only host signed, target sent", req: func(q request) request { q.bare = true; return q }, errType: ErrInvalidSignature, errMsg: "'X-Amz-Target' must be"},
		{name: "presigned, only host signed, target sent", req: func(q request) request { q.presign, q.bare = true, true; return q }, errType: ErrInvalidSignature, errMsg: "must be a 'SignedHeader'"},
		{name: "presigned, only host signed, target unsigned", req: func(q request) request { q.presign, q.bare = true, true; return q },
			mutate: func(r *http.Request) { r.Header.Del("Content-Type") }, errType: ErrInvalidSignature, errMsg: "'X-Amz-Target' must be"},
		{name: "presigned, target sent unsigned", req: func(q request) request { q.presign = true; return q },
			mutate: func(r *http.Request) { r.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128.DeleteOrganization") }, errType: ErrInvalidSignature, errMsg: "'X-Amz-Target' must be"},
		{name: "presigned unsigned payload, no body", req: func(q request) request { q.presign, q.payload, q.body = true, unsignedPayload, ""; return q }, account: "111111111111"},
		{name: "presigned unsigned payload with a body", req: func(q request) request { q.presign, q.payload = true, unsignedPayload; return q },
			errType: ErrInvalidSignature, errMsg: "UNSIGNED-PAYLOAD"},
		{name: "no x-amz-date", mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, errType: ErrIncompleteSignature},
		{name: "bad x-amz-date", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-03-04T05:06:07Z") }, errType: ErrIncompleteSignature},
		{name: "upper-case signed header", mutate: func(r *http.Request) { replaceAuth(r, ";host;", ";Host;") }, errType: ErrIncompleteSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := defaults()
			if tc.req != nil {
				q = tc.req(q)
			}
			r := q.build(t)
			if tc.mutate != nil {
				tc.mutate(r)
			}
			res := strictResolver(t, testNow.Add(tc.now))
			c, err := res.Identify(r)
			if tc.errType != "" {
				var e *api.Error
				if !errors.As(err, &e) || e.Type != tc.errType || !strings.Contains(e.Message, tc.errMsg) {
					t.Fatalf("got %v, want %s containing %q", err, tc.errType, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AccountID != tc.account || c.Temporary != tc.temp || c.Principal == "" {
				t.Fatalf("got %+v, want account %s temporary %v", c, tc.account, tc.temp)
			}
		})
	}
}

// The handler after Identify reads the body that strict mode read to
// hash.
func TestVerifyKeepsBody(t *testing.T) {
	q := defaults()
	r := q.build(t)
	if _, err := strictResolver(t, testNow).Identify(r); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil || string(b) != q.body {
		t.Fatalf("body %q %v", b, err)
	}
}

// A body larger than the limit cannot be verified and is refused.
func TestVerifyBodyLimit(t *testing.T) {
	q := defaults()
	q.body = `{"x":"` + strings.Repeat("a", 100) + `"}`
	res := strictResolver(t, testNow)
	res.MaxBodyBytes = 50
	_, err := res.Identify(q.build(t))
	var e *api.Error
	if !errors.As(err, &e) || e.Type != ErrRequestTooLarge {
		t.Fatalf("got %v", err)
	}
}

// countingReader is an endless body that counts what is read of it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

// Before a signature is verified, strict mode reads at most the wire
// limit and one byte of a body, and nothing of a body whose
// Content-Length is over the limit: a bogus signature on a known key
// costs no more than 1 MiB.
func TestVerifyReadsAtMostTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		contentLength int64
		maxRead       int64
	}{
		{"chunked body", -1, MaxBodyBytes + 1},
		{"declared length over the limit", 8 << 20, 0},
		{"declared length one over the limit", MaxBodyBytes + 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := defaults().build(t)
			body := &countingReader{}
			r.Body = io.NopCloser(body)
			r.ContentLength = tc.contentLength
			_, err := strictResolver(t, testNow).Identify(r)
			var e *api.Error
			if !errors.As(err, &e) || e.Type != ErrRequestTooLarge {
				t.Fatalf("got %v, want %s", err, ErrRequestTooLarge)
			}
			if body.n > tc.maxRead {
				t.Fatalf("read %d bytes of the body, want at most %d", body.n, tc.maxRead)
			}
		})
	}
}

// The scope must name the endpoint's service.
func TestIdentifyService(t *testing.T) {
	q := defaults()
	q.service = ServiceSTS
	c, err := strictResolver(t, testNow).IdentifyService(q.build(t), ServiceSTS)
	if err != nil || c.AccountID != "111111111111" {
		t.Fatalf("got %+v %v", c, err)
	}
}

func replaceAuth(r *http.Request, from, to string) {
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), from, to, 1))
}

func setBody(r *http.Request, body string) {
	r.Body = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)).Body
	r.ContentLength = int64(len(body))
}

// The patterns a signature check meets on every request are scanned.
func TestPatternsScanned(t *testing.T) {
	for name, p := range map[string]*pattern.Pattern{"scopeDate": scopeDateRe, "headerName": headerName, "accessKeyID": accessKeyIDRe} {
		if !p.Scanned() {
			t.Errorf("%s: %s is left to regexp", name, p)
		}
	}
}
