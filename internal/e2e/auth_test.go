package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sdktest"
)

// Keys of the strict-mode harness.
const (
	mgmtKey      = "AKIAORGDMANAGEMENT01"
	mgmtSecret   = "management-secret-key"
	aliceKey     = "AKIAORGDALICE0000001" // an IAM user of the management account
	aliceSecret  = "alice-secret-key"
	memberKey    = "AKIAORGDMEMBER000001"
	memberSecret = "member-secret-key"
	unknownKey   = "AKIAORGDUNKNOWN00001"
)

var authCredentials = []identity.Credential{
	{AccessKeyID: mgmtKey, SecretAccessKey: mgmtSecret, AccountID: mgmtID},
	{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret, Principal: "arn:aws:iam::" + mgmtID + ":user/alice"},
	{AccessKeyID: memberKey, SecretAccessKey: memberSecret, AccountID: memberID},
}

// newStrictHarness starts a server in strict mode that knows
// authCredentials.
func newStrictHarness(t testing.TB) *harness {
	t.Helper()
	creds, err := identity.NewCredentials(authCredentials...)
	if err != nil {
		t.Fatal(err)
	}
	return startHarness(t, org.DefaultConfig(), &identity.Resolver{DefaultAccount: defaultAccount, Mode: identity.Strict, Credentials: creds})
}

// awsConfig is an SDK configuration with static credentials and, unless
// retry is set, no retries.
func staticConfig(t testing.TB, key, secret, token string, retry bool) aws.Config {
	t.Helper()
	opts := []func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, token)),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	}
	if !retry {
		opts = append(opts, config.WithRetryer(sdktest.OnlyClosedConnections))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (h *harness) orgsFrom(cfg aws.Config) *organizations.Client {
	return organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(h.URL) })
}

func (h *harness) stsFrom(cfg aws.Config) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(h.URL) })
}

// Correctly signed SDK requests succeed in strict mode, for long-term keys
// and for the session keys STS issues, and act as the key's principal.
func TestStrictSDK(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	mgmt := staticConfig(t, mgmtKey, mgmtSecret, "", false)
	if _, err := h.orgsFrom(mgmt).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, secret string
		account, arn      string
		userID            string
	}{
		{"root of the management account", mgmtKey, mgmtSecret, mgmtID, "arn:aws:iam::" + mgmtID + ":root", mgmtID},
		{"IAM user", aliceKey, aliceSecret, mgmtID, "arn:aws:iam::" + mgmtID + ":user/alice", "AIDA"},
		{"standalone account", memberKey, memberSecret, memberID, "arn:aws:iam::" + memberID + ":root", memberID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := staticConfig(t, tc.key, tc.secret, "", false)
			id, err := h.stsFrom(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(id.Account) != tc.account || aws.ToString(id.Arn) != tc.arn || !strings.HasPrefix(aws.ToString(id.UserId), tc.userID) {
				t.Fatalf("GetCallerIdentity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
			}
			o, err := h.orgsFrom(cfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			if tc.account == mgmtID {
				if err != nil || aws.ToString(o.Organization.MasterAccountId) != mgmtID {
					t.Fatalf("DescribeOrganization: %v", err)
				}
			} else {
				wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
			}
		})
	}

	// A session of a role in the caller's own account.
	out, err := h.stsFrom(mgmt).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/Admin"), RoleSessionName: aws.String("sdk"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	sess := staticConfig(t, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), false)
	id, err := h.stsFrom(sess).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + mgmtID + ":assumed-role/Admin/sdk"; aws.ToString(id.Arn) != want || aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Fatalf("session GetCallerIdentity = %s %s, want %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), want, aws.ToString(out.AssumedRoleUser.AssumedRoleId))
	}
	if _, err := h.orgsFrom(sess).ListRoots(ctx(t), &organizations.ListRootsInput{}); err != nil {
		t.Fatalf("ListRoots with the session: %v", err)
	}

	// A presigned GetCallerIdentity, as Kubernetes and Vault use it.
	pre, err := sts.NewPresignClient(h.stsFrom(mgmt)).PresignGetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx(t), pre.Method, pre.URL, nil)
	for k, v := range pre.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = v
		}
	}
	status, code, msg, _ := authSend(t, req)
	if status != http.StatusOK {
		t.Fatalf("presigned %s: %d %s %s", pre.Method, status, code, msg)
	}
}

// After the server clock moves past the skew window, the SDK corrects its
// signing time from the Date header the server sends and its retry
// succeeds.
func TestStrictSDKFollowsServerClock(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	orgs := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", true))
	if _, err := orgs.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	h.advance(t, 40*time.Minute)
	if _, err := orgs.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("DescribeOrganization after the clock moved: %v", err)
	}
}

// --- tampered requests ----------------------------------------------------------

// signedReq is a request signed with the SDK's signer, to be tampered with.
type signedReq struct {
	key, secret, token string
	region, service    string
	at                 time.Time
	// target is the Organizations operation; "" makes an STS
	// GetCallerIdentity request.
	target string
	body   string
	// contentSHA adds a signed x-amz-content-sha256 header.
	contentSHA bool
}

func (s signedReq) request(t testing.TB, h *harness) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, h.URL+"/", strings.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	if s.target != "" {
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", api.TargetPrefix+"."+s.target)
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	sum := sha256.Sum256([]byte(s.body))
	hash := hex.EncodeToString(sum[:])
	if s.contentSHA {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	creds := aws.Credentials{AccessKeyID: s.key, SecretAccessKey: s.secret, SessionToken: s.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	return req
}

// send sends req and returns the status and the error code and message,
// read from a JSON or an STS XML error body.
func authSend(t testing.TB, req *http.Request) (status int, code, message, body string) {
	t.Helper()
	resp, raw := do(t, req)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		var e struct {
			Error struct{ Type, Code, Message string }
		}
		xml.Unmarshal(raw, &e)
		return resp.StatusCode, e.Error.Code, e.Error.Message, string(raw)
	}
	var e struct {
		Type    string `json:"__type"`
		Message string
	}
	json.Unmarshal(raw, &e)
	return resp.StatusCode, e.Type, e.Message, string(raw)
}

func editAuthorization(req *http.Request, from, to string) {
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), from, to, 1))
}

// editScopeDate puts date in place of the credential scope's date.
func editScopeDate(req *http.Request, date string) {
	a := req.Header.Get("Authorization")
	i := strings.Index(a, "Credential=")
	j := i + strings.Index(a[i:], "/") + 1
	k := j + strings.Index(a[j:], "/")
	req.Header.Set("Authorization", a[:j]+date+a[k:])
}

func replaceBody(req *http.Request, body string) {
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
}

var hexSignature = regexp.MustCompile(`[0-9a-f]{64}`)

// Every tampered request is refused with the error AWS gives for it, and
// no answer gives away a signature.
func TestStrictRefusesTamperedRequests(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	if _, err := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false)).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	stsMgmt := h.stsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false))
	session := func(seconds int32) *sts.AssumeRoleOutput {
		out, err := stsMgmt.AssumeRole(ctx(t), &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/Tamper"), RoleSessionName: aws.String("tamper"), DurationSeconds: aws.Int32(seconds),
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	live, short := session(3600), session(900)

	orgReq := func(at time.Time) signedReq {
		return signedReq{key: mgmtKey, secret: mgmtSecret, region: "us-east-1", service: "organizations", at: at, target: "ListRoots", body: `{"MaxResults":5}`}
	}
	stsReq := func(at time.Time) signedReq {
		return signedReq{key: mgmtKey, secret: mgmtSecret, region: "us-east-1", service: "sts", at: at, body: "Action=GetCallerIdentity&Version=2011-06-15"}
	}
	withSession := func(s signedReq, c *sts.AssumeRoleOutput) signedReq {
		s.key, s.secret, s.token = aws.ToString(c.Credentials.AccessKeyId), aws.ToString(c.Credentials.SecretAccessKey), aws.ToString(c.Credentials.SessionToken)
		return s
	}

	type tamper struct {
		name string
		// advance moves the server clock before the request is signed
		// (sign) or after it is signed and before it is sent (replay).
		advance, replay time.Duration
		build           func(now time.Time) signedReq
		mutate          func(*http.Request)
		status          int
		code            string
		msg             string // a part of the message, if it matters
	}
	sdate := func(t time.Time) string { return t.UTC().Format("20060102") }
	cases := []tamper{
		// Organizations (JSON protocol).
		{name: "changed body", build: orgReq, mutate: func(r *http.Request) { replaceBody(r, `{"MaxResults":6}`) }, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed body, content hash signed", build: func(now time.Time) signedReq { s := orgReq(now); s.contentSHA = true; return s },
			mutate: func(r *http.Request) { replaceBody(r, `{"MaxResults":6}`) }, status: 400, code: identity.ErrInvalidSignature, msg: "x-amz-content-sha256"},
		{name: "changed body and content hash", build: func(now time.Time) signedReq { s := orgReq(now); s.contentSHA = true; return s },
			mutate: func(r *http.Request) {
				replaceBody(r, `{"MaxResults":6}`)
				sum := sha256.Sum256([]byte(`{"MaxResults":6}`))
				r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			}, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed signed header", build: orgReq, mutate: func(r *http.Request) { r.Header.Set("X-Amz-Target", api.TargetPrefix+".DescribeOrganization") }, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed date by a second", build: orgReq, mutate: func(r *http.Request) {
			d, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
			r.Header.Set("X-Amz-Date", d.Add(time.Second).Format("20060102T150405Z"))
		}, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed scope date", build: orgReq, mutate: func(r *http.Request) {
			d, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
			editAuthorization(r, "/"+sdate(d)+"/", "/"+sdate(d.AddDate(0, 0, -1))+"/")
		}, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed region", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, "/us-east-1/", "/eu-west-1/") }, status: 400, code: identity.ErrInvalidSignature},
		{name: "scoped to another service", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, "/organizations/", "/sts/") }, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed key to another known key", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, mgmtKey, memberKey) }, status: 400, code: identity.ErrInvalidSignature},
		{name: "changed key to an unknown key", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, mgmtKey, unknownKey) }, status: 400, code: identity.ErrUnrecognizedClient, msg: "The security token included in the request is invalid."},
		{name: "account ID as key", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, mgmtKey, mgmtID) }, status: 400, code: identity.ErrUnrecognizedClient},
		{name: "changed signature", build: orgReq, mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(flip))
		}, status: 400, code: identity.ErrInvalidSignature},
		{name: "wrong secret", build: func(now time.Time) signedReq { s := orgReq(now); s.secret = "not-the-secret"; return s }, status: 400, code: identity.ErrInvalidSignature},
		{name: "replayed after the skew window", build: orgReq, replay: 16 * time.Minute, status: 400, code: identity.ErrInvalidSignature, msg: "Signature expired"},
		{name: "signed beyond the skew window ahead", build: func(now time.Time) signedReq { return orgReq(now.Add(16 * time.Minute)) }, status: 400, code: identity.ErrInvalidSignature, msg: "not yet current"},
		{name: "no credentials", build: orgReq, mutate: func(r *http.Request) { r.Header.Del("Authorization") }, status: 400, code: identity.ErrMissingAuthenticationToken},
		{name: "no signature", build: orgReq, mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, status: 400, code: identity.ErrIncompleteSignature},
		{name: "host not signed", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, ";host;", ";") }, status: 400, code: identity.ErrInvalidSignature, msg: "'Host' or ':authority' must be a 'SignedHeader'"},
		{name: "x-amz-date not signed", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, ";x-amz-date", "") }, status: 400, code: identity.ErrInvalidSignature, msg: "'X-Amz-Date' must be a 'SignedHeader'"},
		{name: "target not signed", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, ";x-amz-target", "") }, status: 400, code: identity.ErrInvalidSignature, msg: "'X-Amz-Target' must be a 'SignedHeader'"},
		{name: "no x-amz-date", build: orgReq, mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, status: 400, code: identity.ErrIncompleteSignature},
		{name: "scope date not eight digits", build: orgReq, mutate: func(r *http.Request) { editScopeDate(r, "2026120") }, status: 400, code: identity.ErrIncompleteSignature},
		{name: "upper-case signed header", build: orgReq, mutate: func(r *http.Request) { editAuthorization(r, ";host;", ";Host;") }, status: 400, code: identity.ErrIncompleteSignature},
		{name: "session key without its token", build: func(now time.Time) signedReq { return withSession(orgReq(now), live) },
			mutate: func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") }, status: 400, code: identity.ErrUnrecognizedClient},
		{name: "session key with another token", build: func(now time.Time) signedReq {
			s := withSession(orgReq(now), live)
			s.token = aws.ToString(short.Credentials.SessionToken)
			return s
		},
			status: 400, code: identity.ErrUnrecognizedClient},
		{name: "long-term key with a token", build: func(now time.Time) signedReq {
			s := orgReq(now)
			s.token = aws.ToString(live.Credentials.SessionToken)
			return s
		},
			status: 400, code: identity.ErrUnrecognizedClient},
		{name: "expired session token", advance: 901 * time.Second, build: func(now time.Time) signedReq { return withSession(orgReq(now), short) },
			status: 400, code: identity.ErrExpiredToken},

		// STS (query protocol).
		{name: "sts: changed body", build: stsReq, mutate: func(r *http.Request) { replaceBody(r, "Action=GetCallerIdentity&Version=2011-06-16") }, status: 403, code: "SignatureDoesNotMatch"},
		{name: "sts: changed region", build: stsReq, mutate: func(r *http.Request) { editAuthorization(r, "/us-east-1/", "/us-west-2/") }, status: 403, code: "SignatureDoesNotMatch"},
		{name: "sts: scoped to organizations", build: stsReq, mutate: func(r *http.Request) { editAuthorization(r, "/sts/", "/organizations/") }, status: 403, code: "SignatureDoesNotMatch"},
		{name: "sts: unknown key", build: stsReq, mutate: func(r *http.Request) { editAuthorization(r, mgmtKey, unknownKey) }, status: 403, code: "InvalidClientTokenId"},
		{name: "sts: replayed after the skew window", build: stsReq, replay: 16 * time.Minute, status: 403, code: "SignatureDoesNotMatch", msg: "Signature expired"},
		{name: "sts: no credentials", build: stsReq, mutate: func(r *http.Request) { r.Header.Del("Authorization") }, status: 403, code: "MissingAuthenticationToken"},
		{name: "sts: content type not signed", build: stsReq, mutate: func(r *http.Request) { editAuthorization(r, "content-type;", "") }, status: 403, code: "SignatureDoesNotMatch", msg: "'Content-Type' must be a 'SignedHeader'"},
		{name: "sts: malformed authorization", build: stsReq, mutate: func(r *http.Request) { editAuthorization(r, "Credential=", "Credentials=") }, status: 400, code: "IncompleteSignature"},
		{name: "sts: expired session token", advance: 901 * time.Second, build: func(now time.Time) signedReq { return withSession(stsReq(now), short) }, status: 403, code: "ExpiredToken"},
		{name: "sts: presigned, changed query", build: nil, status: 403, code: "SignatureDoesNotMatch"},
		{name: "sts: presigned, past X-Amz-Expires", build: nil, replay: 2 * time.Minute, status: 403, code: "SignatureDoesNotMatch", msg: "Signature expired"},
	}

	// Cases run in order: some move the server clock, which only goes
	// forward, so each signs at the server time it finds.
	refused := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.advance > 0 {
				h.advance(t, tc.advance)
			}
			now := h.now(t)
			var req *http.Request
			if tc.build == nil {
				req = presignedCallerIdentity(t, h, now, tc.replay == 0)
			} else {
				good := tc.build(now)
				req = good.request(t, h)
				if tc.mutate != nil {
					tc.mutate(req)
				}
			}
			if tc.replay > 0 {
				h.advance(t, tc.replay)
			}
			status, code, msg, body := authSend(t, req)
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %d %s %q, want %d %s %q", status, code, msg, tc.status, tc.code, tc.msg)
			}
			if hexSignature.MatchString(body) {
				t.Fatalf("the answer gives away a signature: %s", body)
			}
			refused++
		})
	}
	t.Logf("%d of %d tampered requests refused as AWS refuses them", refused, len(cases))
	if refused != len(cases) {
		t.Fatalf("only %d of %d tampered requests were refused correctly", refused, len(cases))
	}
}

// presignedCallerIdentity presigns a GET GetCallerIdentity that expires
// in a minute; unless intact, its query is changed after signing.
func presignedCallerIdentity(t testing.TB, h *harness, at time.Time, tamper bool) *http.Request {
	t.Helper()
	q := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}, "X-Amz-Expires": {"60"}}
	req, err := http.NewRequestWithContext(ctx(t), http.MethodGet, h.URL+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	uri, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: mgmtKey, SecretAccessKey: mgmtSecret},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	if tamper {
		uri = strings.Replace(uri, "X-Amz-Expires=60", "X-Amz-Expires=61", 1)
	}
	out, err := http.NewRequestWithContext(ctx(t), http.MethodGet, uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// --- AWS CLI ----------------------------------------------------------------------

// The AWS CLI signs with botocore, not the Go SDK; strict mode accepts
// its requests, including a profile that assumes a role in a member
// account through orgd's STS.
func TestStrictAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not on PATH")
	}
	h := newStrictHarness(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	credFile := filepath.Join(dir, "credentials")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(credFile, "[mgmt]\naws_access_key_id = "+mgmtKey+"\naws_secret_access_key = "+mgmtSecret+"\n")
	write(cfgFile, "[profile mgmt]\nregion = us-east-1\nendpoint_url = "+h.URL+"\n\n"+
		"[profile vend]\nrole_arn = arn:aws:iam::"+mgmtID+":role/OrgdCLI\nsource_profile = mgmt\nrole_session_name = cli\nregion = us-east-1\nendpoint_url = "+h.URL+"\n")
	aws := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx(t), "aws", append(args, "--output", "json")...)
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+credFile,
			"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=",
			"AWS_ENDPOINT_URL=", "AWS_CA_BUNDLE=", "AWS_PAGER=",
			// The CLI caches assumed-role credentials under ~/.aws/cli/cache.
			"HOME="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // in the output
		fail bool
	}{
		{"create organization", []string{"organizations", "create-organization", "--profile", "mgmt"}, `"MasterAccountId": "` + mgmtID + `"`, false},
		{"describe organization", []string{"organizations", "describe-organization", "--profile", "mgmt"}, `"MasterAccountId": "` + mgmtID + `"`, false},
		{"caller identity", []string{"sts", "get-caller-identity", "--profile", "mgmt"}, `"Arn": "arn:aws:iam::` + mgmtID + `:root"`, false},
		{"assume role", []string{"sts", "assume-role", "--profile", "mgmt", "--role-arn", "arn:aws:iam::" + mgmtID + ":role/OrgdCLI", "--role-session-name", "cli-test"}, `"AccessKeyId": "ASIA`, false},
		{"role profile", []string{"sts", "get-caller-identity", "--profile", "vend"}, `"Arn": "arn:aws:sts::` + mgmtID + `:assumed-role/OrgdCLI/cli"`, false},
		{"role profile calls organizations", []string{"organizations", "list-roots", "--profile", "vend"}, `"Roots"`, false},
		{"wrong secret", []string{"organizations", "describe-organization", "--profile", "mgmt", "--region", "us-east-1"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "wrong secret" {
				write(credFile, "[mgmt]\naws_access_key_id = "+mgmtKey+"\naws_secret_access_key = wrong\n")
				tc.want, tc.fail = "InvalidSignatureException", true
			}
			out, err := aws(t, tc.args...)
			if (err != nil) != tc.fail || !strings.Contains(out, tc.want) {
				t.Fatalf("aws %s: %v\n%s\nwant %q", strings.Join(tc.args, " "), err, out, tc.want)
			}
		})
	}
}
