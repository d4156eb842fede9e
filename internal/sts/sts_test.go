package sts

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/pattern"
)

var now = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// fake is a Service that lets the management account 111111111111 into
// 222222222222 and keeps sessions in a map.
type fake struct {
	sessions map[string]identity.Session
	taken    int // PutSession calls to refuse as duplicates
}

func (f *fake) Now(context.Context) (time.Time, error) { return now, nil }

func (f *fake) CanAssumeRole(_ context.Context, c identity.Caller, account, _ string) (bool, error) {
	return c.AccountID == account || c.AccountID == "111111111111" && account == "222222222222", nil
}

func (f *fake) OrganizationOf(_ context.Context, account string) (string, error) {
	if account == "111111111111" || account == "222222222222" {
		return "o-fake000001", nil
	}
	return "", nil
}

func (f *fake) PutSession(_ context.Context, s identity.Session) error {
	if f.taken > 0 {
		f.taken--
		return identity.ErrSessionExists
	}
	f.sessions[s.AccessKeyID] = s
	return nil
}

// handler answers as caller, or refuses with authErr.
func handler(f *fake, caller identity.Caller, authErr error) *Handler {
	return &Handler{Service: f, Identify: func(*http.Request) (identity.Caller, error) { return caller, authErr }}
}

func post(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  func() *http.Request
		want bool
	}{
		{"form post with Action", func() *http.Request { return post("Action=GetCallerIdentity&Version=2011-06-15") }, true},
		{"form post without Action", func() *http.Request { return post("Version=2011-06-15") }, false},
		{"GET with Action", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/?Action=GetCallerIdentity", nil) }, true},
		{"JSON post", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Action":"x"}`))
			r.Header.Set("Content-Type", "application/x-amz-json-1.1")
			return r
		}, false},
		{"form content type, JSON body", func() *http.Request { return post(`{}`) }, false},
		{"GET without Action", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			var before string
			if r.Body != nil {
				b, _ := io.ReadAll(r.Body)
				before = string(b)
				r.Body = io.NopCloser(strings.NewReader(before))
			}
			if got := Match(r); got != tc.want {
				t.Fatalf("Match = %v, want %v", got, tc.want)
			}
			// Whatever Match read, the handler still reads.
			if r.Body != nil {
				after, _ := io.ReadAll(r.Body)
				if string(after) != before {
					t.Fatalf("body %q after Match, want %q", after, before)
				}
			}
		})
	}
}

// errorXML is the error document STS sends.
type errorXML struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct{ Type, Code, Message string }
	Request string `xml:"RequestId"`
}

func TestErrors(t *testing.T) {
	mgmt := identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:root"}
	// ok has a one-character session name; ok + "1" is a valid request.
	const ok = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR&RoleSessionName=s"
	for _, tc := range []struct {
		name    string
		body    string
		caller  identity.Caller
		authErr error
		status  int
		code    string
		typ     string
		message string
	}{
		{"unknown key", ok, mgmt, &api.Error{Type: identity.ErrUnrecognizedClient, Message: "m"}, 403, "InvalidClientTokenId", "Sender", "m"},
		{"bad signature", ok, mgmt, &api.Error{Type: identity.ErrInvalidSignature, Message: "m"}, 403, "SignatureDoesNotMatch", "Sender", "m"},
		{"malformed signature", ok, mgmt, &api.Error{Type: identity.ErrIncompleteSignature, Message: "m"}, 400, "IncompleteSignature", "Sender", "m"},
		{"no credentials", ok, mgmt, &api.Error{Type: identity.ErrMissingAuthenticationToken, Message: "m"}, 403, "MissingAuthenticationToken", "Sender", "m"},
		{"expired token", ok, mgmt, &api.Error{Type: identity.ErrExpiredToken, Message: "m"}, 403, "ExpiredToken", "Sender", "m"},
		{"store failure", ok, mgmt, io.ErrUnexpectedEOF, 500, "InternalFailure", "Receiver", "internal error"},
		{"wrong version", "Action=GetCallerIdentity&Version=2011-06-16", mgmt, nil, 400, "InvalidAction", "Sender", "2011-06-16"},
		{"no version", "Action=GetCallerIdentity", mgmt, nil, 400, "InvalidAction", "Sender", ""},
		{"unknown action", "Action=GetEverything&Version=2011-06-15", mgmt, nil, 400, "InvalidAction", "Sender", "GetEverything"},
		{"unimplemented action", "Action=GetWebIdentityToken&Version=2011-06-15", mgmt, nil, 501, api.ErrNotImplemented, "Receiver", "GetWebIdentityToken"},
		{"no role", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s", mgmt, nil, 400, "ValidationError", "Sender", "RoleArn"},
		{"no session name", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR", mgmt, nil, 400, "ValidationError", "Sender", "RoleSessionName"},
		{"short ARN", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn", mgmt, nil, 400, "ValidationError", "Sender", "RoleArn"},
		{"one-character session name", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR", mgmt, nil, 400, "ValidationError", "Sender", "RoleSessionName"},
		{"duration not a number", ok + "1&DurationSeconds=1h", mgmt, nil, 400, "ValidationError", "Sender", "DurationSeconds"},
		{"bad external ID", ok + "1&ExternalId=a", mgmt, nil, 400, "ValidationError", "Sender", "ExternalId"},
		{"bad token code", ok + "1&TokenCode=12345", mgmt, nil, 400, "ValidationError", "Sender", "TokenCode"},
		{"seven-digit token code", ok + "1&TokenCode=1234567", mgmt, nil, 400, "ValidationError", "Sender", "TokenCode"},
		{"eight-character serial", ok + "1&SerialNumber=12345678&TokenCode=123456", mgmt, nil, 400, "ValidationError", "Sender", "SerialNumber"},
		{"serial with a space", ok + "1&SerialNumber=arn%3Aaws%3Aiam%3A%3A111111111111%3Amfa%2Fa+b&TokenCode=123456", mgmt, nil, 400, "ValidationError", "Sender", "SerialNumber"},
		{"257-character serial", ok + "1&SerialNumber=" + strings.Repeat("s", 257) + "&TokenCode=123456", mgmt, nil, 400, "ValidationError", "Sender", "SerialNumber"},
		{"session name with a bad character", ok + "1%21", mgmt, nil, 400, "ValidationError", "Sender", "RoleSessionName"},
		{"65-character session name", ok + strings.Repeat("1", 64), mgmt, nil, 400, "ValidationError", "Sender", "RoleSessionName"},
		{"external ID with a space", ok + "1&ExternalId=a+b", mgmt, nil, 400, "ValidationError", "Sender", "ExternalId"},
		{"reserved source identity", ok + "1&SourceIdentity=aws:me", mgmt, nil, 400, "ValidationError", "Sender", "SourceIdentity"},
		{"ten policy ARNs", ok + "1" + policyArns(10), mgmt, nil, 200, "", "", ""},
		{"eleven policy ARNs", ok + "1" + policyArns(11), mgmt, nil, 400, "ValidationError", "Sender", "PolicyArns"},
		{"session policy", ok + "1&Policy=" + url.QueryEscape(readOnly), mgmt, nil, 200, "", "", ""},
		{"session policy without a statement", ok + "1&Policy=%7B%7D", mgmt, nil, 400, "MalformedPolicyDocument", "Sender", "Statement"},
		{"session policy naming a principal", ok + "1&Policy=" + url.QueryEscape(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`), mgmt, nil, 400, "MalformedPolicyDocument", "Sender", "Principal"},
		{"bad tag", ok + "1&Tags.member.1.Key=a%21&Tags.member.1.Value=b", mgmt, nil, 400, "ValidationError", "Sender", "Tag"},
		{"128-character tag key", ok + "1&Tags.member.1.Key=" + strings.Repeat("k", 128) + "&Tags.member.1.Value=b", mgmt, nil, 200, "", "", ""},
		{"129-character tag key", ok + "1&Tags.member.1.Key=" + strings.Repeat("k", 129) + "&Tags.member.1.Value=b", mgmt, nil, 400, "ValidationError", "Sender", "Tag"},
		{"257-character tag value", ok + "1&Tags.member.1.Key=k&Tags.member.1.Value=" + strings.Repeat("v", 257), mgmt, nil, 400, "ValidationError", "Sender", "Tag"},
		{"chained session too long", ok + "1&DurationSeconds=3601", identity.Caller{AccountID: "111111111111", Principal: "arn:aws:sts::111111111111:assumed-role/R/s", Temporary: true}, nil, 400, "ValidationError", "Sender", "DurationSeconds"},
		{"not allowed", "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A333333333333%3Arole%2FR", mgmt, nil, 403, "AccessDenied", "Sender",
			"User: arn:aws:iam::111111111111:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/R"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			handler(&fake{sessions: map[string]identity.Session{}}, tc.caller, tc.authErr).ServeHTTP(w, post(tc.body))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.code == "" {
				return
			}
			var e errorXML
			if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("%v: %s", err, w.Body)
			}
			if e.Error.Code != tc.code || e.Error.Type != tc.typ || !strings.Contains(e.Error.Message, tc.message) || e.Request != w.Header().Get("x-amzn-RequestId") || e.Request == "" {
				t.Fatalf("got %+v, want %s %s %q", e, tc.code, tc.typ, tc.message)
			}
			if !strings.Contains(w.Body.String(), `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>`) || w.Header().Get("Content-Type") != "text/xml" {
				t.Fatalf("error document %s", w.Body)
			}
		})
	}
}

// policyArns is the form encoding of n managed session policies.
func policyArns(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "&PolicyArns.member.%d.arn=arn%%3Aaws%%3Aiam%%3A%%3Aaws%%3Apolicy%%2FP%d", i, i)
	}
	return b.String()
}

func TestGetCallerIdentity(t *testing.T) {
	for _, tc := range []struct {
		name          string
		caller        identity.Caller
		arn, user, id string
	}{
		{"root", identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:root"}, "arn:aws:iam::111111111111:root", "111111111111", "111111111111"},
		{"session", identity.Caller{AccountID: "222222222222", Principal: "arn:aws:sts::222222222222:assumed-role/R/s", Temporary: true},
			"arn:aws:sts::222222222222:assumed-role/R/s", identity.RoleID("aws", "222222222222", "R") + ":s", "222222222222"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			handler(&fake{}, tc.caller, nil).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?Action=GetCallerIdentity&Version=2011-06-15", nil))
			var out struct {
				XMLName xml.Name                              `xml:"GetCallerIdentityResponse"`
				Result  struct{ Arn, UserId, Account string } `xml:"GetCallerIdentityResult"`
				Meta    struct{ RequestId string }            `xml:"ResponseMetadata"`
			}
			if err := xml.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != 200 {
				t.Fatalf("%d %v: %s", w.Code, err, w.Body)
			}
			if out.Result.Arn != tc.arn || out.Result.UserId != tc.user || out.Result.Account != tc.id || out.Meta.RequestId == "" {
				t.Fatalf("got %+v", out)
			}
			if d := w.Header().Get("Date"); d != now.Format(http.TimeFormat) {
				t.Fatalf("Date %q, want the server clock", d)
			}
		})
	}
}

func TestAssumeRole(t *testing.T) {
	f := &fake{sessions: map[string]identity.Session{}, taken: 1}
	mgmt := identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:user/ops"}
	w := httptest.NewRecorder()
	handler(f, mgmt, nil).ServeHTTP(w, post("Action=AssumeRole&Version=2011-06-15&RoleSessionName=vend&DurationSeconds=900&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fteam%2FAdmin"))
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var out assumeRoleResponse
	if err := xml.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	c := out.Result.Credentials
	if !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(c.AccessKeyId) || len(c.SecretAccessKey) != 40 || len(c.SessionToken) < 100 {
		t.Fatalf("credentials %+v", c)
	}
	if want := now.Add(900 * time.Second).Format(time.RFC3339); c.Expiration != want {
		t.Fatalf("Expiration %s, want %s", c.Expiration, want)
	}
	u := out.Result.AssumedRoleUser
	if u.Arn != "arn:aws:sts::222222222222:assumed-role/Admin/vend" || u.AssumedRoleId != identity.RoleID("aws", "222222222222", "Admin")+":vend" {
		t.Fatalf("user %+v", u)
	}
	s, ok := f.sessions[c.AccessKeyId]
	if !ok || s.SessionToken != c.SessionToken || s.SecretAccessKey != c.SecretAccessKey || s.AccountID != "222222222222" ||
		s.RoleARN != "arn:aws:iam::222222222222:role/team/Admin" || s.Principal != u.Arn || s.Source != mgmt.Principal || !s.Expiration.Equal(now.Add(900*time.Second)) {
		t.Fatalf("stored %+v", s)
	}
	if out.Result.PackedPolicySize != nil {
		t.Fatal("PackedPolicySize without policies")
	}
}

// A parameter given twice, in the query string and the body or twice in
// one of them, is refused before it can change what a signed request
// does.
func TestParametersGivenOnce(t *testing.T) {
	const assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR"
	mgmt := identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:root"}
	for _, tc := range []struct {
		name, query, body string
		status            int
		code, message     string
	}{
		{"action in both", "Action=GetCallerIdentity&Version=2011-06-15", assume, 400, "InvalidParameterCombination", "Action is given both in the query string and in the body"},
		{"version in both", "Version=2011-06-15", assume, 400, "InvalidParameterCombination", "Version"},
		{"action twice in the body", "", assume + "&Action=GetCallerIdentity", 400, "InvalidParameterCombination", "Action is given 2 times in the body"},
		{"action twice in the query", "Action=GetCallerIdentity&Action=AssumeRole&Version=2011-06-15", "", 400, "InvalidParameterCombination", "the query string"},
		{"split between query and body", "Action=GetCallerIdentity", "Version=2011-06-15", 200, "", ""},
		{"all in the query", "Action=GetCallerIdentity&Version=2011-06-15", "", 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.body)
			r.URL.RawQuery = tc.query
			f := &fake{sessions: map[string]identity.Session{}}
			w := httptest.NewRecorder()
			handler(f, mgmt, nil).ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if len(f.sessions) != 0 {
				t.Fatalf("credentials were issued: %s", w.Body)
			}
			if tc.code == "" {
				return
			}
			var e errorXML
			if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.message) {
				t.Fatalf("got %+v %v, want %s %q", e, err, tc.code, tc.message)
			}
		})
	}
	// A JSON body on an STS request is no form to take parameters from.
	r := httptest.NewRequest(http.MethodPost, "/?Action=GetCallerIdentity&Version=2011-06-15", strings.NewReader(`{"Action":"AssumeRole"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	handler(&fake{}, mgmt, nil).ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "MalformedQueryString") {
		t.Fatalf("JSON body: %d %s", w.Code, w.Body)
	}
}

// A body declared larger than the wire limit is refused unread, by Match
// and by the handler.
func TestOversizedBodyUnread(t *testing.T) {
	body := &countingReader{}
	r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.ContentLength = 8 << 20
	if !Match(r) {
		t.Fatal("an oversized form post is not STS's")
	}
	w := httptest.NewRecorder()
	handler(&fake{}, identity.Caller{AccountID: "111111111111"}, nil).ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "RequestEntityTooLarge") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if body.n != 0 {
		t.Fatalf("read %d bytes of an oversized body", body.n)
	}
	// Without a length, at most the limit and a byte are read.
	body = &countingReader{}
	r = httptest.NewRequest(http.MethodPost, "/", io.NopCloser(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.ContentLength = -1
	w = httptest.NewRecorder()
	handler(&fake{}, identity.Caller{AccountID: "111111111111"}, nil).ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || body.n > maxBody+1 {
		t.Fatalf("%d, read %d bytes", w.Code, body.n)
	}
}

type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

// AssumeRoleWithWebIdentity and AssumeRoleWithSAML carry their own
// credential, so they reach the action without a signature.
func TestUnsignedActions(t *testing.T) {
	refuse := &api.Error{Type: identity.ErrMissingAuthenticationToken, Message: "Missing Authentication Token"}
	for _, action := range []string{"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"} {
		t.Run(action, func(t *testing.T) {
			w := httptest.NewRecorder()
			handler(&fake{sessions: map[string]identity.Session{}}, identity.Caller{}, refuse).ServeHTTP(w, post("Action="+action+"&Version=2011-06-15"))
			if strings.Contains(w.Body.String(), "MissingAuthenticationToken") {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
	// Other actions still need credentials.
	w := httptest.NewRecorder()
	handler(&fake{}, identity.Caller{}, refuse).ServeHTTP(w, post("Action=GetCallerIdentity&Version=2011-06-15"))
	if w.Code != 403 || !strings.Contains(w.Body.String(), "MissingAuthenticationToken") {
		t.Fatalf("GetCallerIdentity without credentials: %d %s", w.Code, w.Body)
	}
}

// TestSessionTagLimits checks session tags' lengths, counted in
// characters, and their characters.
func TestSessionTagLimits(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		ok               bool
	}{
		{"shortest key, empty value", "k", "", true},
		{"128-character key", strings.Repeat("k", 128), "v", true},
		{"129-character key", strings.Repeat("k", 129), "v", false},
		{"empty key", "", "v", false},
		{"256-character value", "k", strings.Repeat("v", 256), true},
		{"257-character value", "k", strings.Repeat("v", 257), false},
		{"128 two-byte letters", strings.Repeat("é", 128), "v", true},
		{"spaces and punctuation allowed", "a b_.:/=+-@", "x y", true},
		{"a character outside the set", "k", "v;", false},
		{"a key outside the set", "k*", "v", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := url.Values{"Tags.member.1.Key": {tc.key}, "Tags.member.1.Value": {tc.value}}
			_, _, err := sessionPolicies(p)
			if (err == nil) != tc.ok {
				t.Errorf("sessionPolicies(%q=%q) = %v, want ok=%v", tc.key, tc.value, err, tc.ok)
			}
		})
	}
}

// The parameters' patterns are scanned, not compiled by regexp: the
// counted repeats among them ({9,256}) would hold tens of kilobytes each
// in every server.
func TestPatternsScanned(t *testing.T) {
	for name, p := range map[string]*pattern.Pattern{
		"sessionName": sessionNameRe, "externalID": externalIDRe, "serial": serialRe, "tokenCode": tokenCodeRe,
		"tagChars": tagCharsRe, "samlProviderARN": samlProviderARNRe, "federatedName": federatedNameRe,
		"accessKeyID": accessKeyIDRe, "rootARN": rootARNRe,
	} {
		if !p.Scanned() {
			t.Errorf("%s: %s is left to regexp", name, p)
		}
	}
}
