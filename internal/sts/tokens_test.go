package sts

import (
	"context"
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/identity"
)

var (
	alice      = identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:user/alice", AccessKeyID: "AKIAALICE"}
	root       = identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:root"}
	roleSess   = identity.Caller{AccountID: "111111111111", Principal: "arn:aws:sts::111111111111:assumed-role/R/s", Temporary: true}
	userSess   = identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:user/alice", Temporary: true}
	federated  = identity.Caller{AccountID: "111111111111", Principal: "arn:aws:sts::111111111111:federated-user/bob", Temporary: true}
	stsVersion = "&Version=2011-06-15"
)

// call sends body as caller and returns the status, the error code (""
// for none) and the answer.
func call(t *testing.T, f *fake, caller identity.Caller, body string) (int, string, string) {
	t.Helper()
	h := handler(f, caller, nil)
	h.KeyAccount = func(_ context.Context, key string) (string, bool, error) {
		switch key {
		case "AKIAALICE0000000001":
			return "111111111111", true, nil
		}
		return "", false, nil
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, post(body))
	var e errorXML
	if w.Code != 200 {
		if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	return w.Code, e.Error.Code, w.Body.String()
}

func TestGetSessionToken(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caller   identity.Caller
		params   string
		status   int
		code     string
		duration time.Duration
	}{
		{"IAM user", alice, "", 200, "", 12 * time.Hour},
		{"IAM user, 36 hours", alice, "&DurationSeconds=129600", 200, "", 36 * time.Hour},
		{"with MFA", alice, "&SerialNumber=arn%3Aaws%3Aiam%3A%3A111111111111%3Amfa%2Falice&TokenCode=123456&DurationSeconds=900", 200, "", 15 * time.Minute},
		{"root is held to an hour", root, "&DurationSeconds=7200", 200, "", time.Hour},
		{"too short", alice, "&DurationSeconds=899", 400, "ValidationError", 0},
		{"too long", alice, "&DurationSeconds=129601", 400, "ValidationError", 0},
		{"token code without serial", alice, "&TokenCode=123456", 400, "ValidationError", 0},
		{"bad token code", alice, "&SerialNumber=arn%3Aaws%3Aiam%3A%3A111111111111%3Amfa%2Falice&TokenCode=12345", 400, "ValidationError", 0},
		{"from a role session", roleSess, "", 403, "AccessDenied", 0},
		{"from a session token", userSess, "", 403, "AccessDenied", 0},
		{"from a federated user", federated, "", 403, "AccessDenied", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{sessions: map[string]identity.Session{}}
			status, code, body := call(t, f, tc.caller, "Action=GetSessionToken"+stsVersion+tc.params)
			if status != tc.status || code != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", status, code, tc.status, tc.code, body)
			}
			if tc.status != 200 {
				if len(f.sessions) != 0 {
					t.Fatal("a session was stored")
				}
				if tc.code == "AccessDenied" && !strings.Contains(body, "Cannot call GetSessionToken with session credentials") {
					t.Fatalf("message: %s", body)
				}
				return
			}
			var out getSessionTokenResponse
			if err := xml.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			c := out.Result.Credentials
			s, ok := f.sessions[c.AccessKeyId]
			if !ok || s.Principal != tc.caller.Principal || s.AccountID != "111111111111" || s.SecretAccessKey != c.SecretAccessKey {
				t.Fatalf("stored %+v for %+v", s, c)
			}
			if want := now.Add(tc.duration).Format(time.RFC3339); c.Expiration != want {
				t.Fatalf("Expiration %s, want %s", c.Expiration, want)
			}
			if k := identity.KindOf(s.Caller()); k != identity.UserSession {
				t.Fatalf("kind %v", k)
			}
		})
	}
}

func TestGetFederationToken(t *testing.T) {
	for _, tc := range []struct {
		name     string
		caller   identity.Caller
		params   string
		status   int
		code     string
		duration time.Duration
		packed   bool
	}{
		{"IAM user", alice, "&Name=bob", 200, "", 12 * time.Hour, false},
		{"with a policy", alice, "&Name=bob&DurationSeconds=900&Policy=" + url.QueryEscape(readOnly), 200, "", 15 * time.Minute, true},
		{"root is held to an hour", root, "&Name=bob&DurationSeconds=129600", 200, "", time.Hour, false},
		{"no name", alice, "", 400, "ValidationError", 0, false},
		{"one-character name", alice, "&Name=b", 400, "ValidationError", 0, false},
		{"33-character name", alice, "&Name=" + strings.Repeat("b", 33), 400, "ValidationError", 0, false},
		{"policy too long", alice, "&Name=bob&Policy=" + strings.Repeat("a", 2049), 400, "ValidationError", 0, false},
		{"policy not JSON", alice, "&Name=bob&Policy=nope", 400, "MalformedPolicyDocument", 0, false},
		{"eleven policy ARNs", alice, "&Name=bob" + policyArns(11), 400, "ValidationError", 0, false},
		{"from a role session", roleSess, "&Name=bob", 403, "AccessDenied", 0, false},
		{"from a federated user", federated, "&Name=bob", 403, "AccessDenied", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{sessions: map[string]identity.Session{}}
			status, code, body := call(t, f, tc.caller, "Action=GetFederationToken"+stsVersion+tc.params)
			if status != tc.status || code != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", status, code, tc.status, tc.code, body)
			}
			if tc.status != 200 {
				if len(f.sessions) != 0 {
					t.Fatal("a session was stored")
				}
				return
			}
			var out getFederationTokenResponse
			if err := xml.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			u := out.Result.FederatedUser
			if u.Arn != "arn:aws:sts::111111111111:federated-user/bob" || u.FederatedUserId != "111111111111:bob" {
				t.Fatalf("user %+v", u)
			}
			if (out.Result.PackedPolicySize != nil) != tc.packed {
				t.Fatalf("PackedPolicySize %v", out.Result.PackedPolicySize)
			}
			s := f.sessions[out.Result.Credentials.AccessKeyId]
			if s.Principal != u.Arn || identity.KindOf(s.Caller()) != identity.FederatedSession || identity.UserID(s.Caller(), "aws") != u.FederatedUserId {
				t.Fatalf("stored %+v", s)
			}
			if want := now.Add(tc.duration).Format(time.RFC3339); out.Result.Credentials.Expiration != want {
				t.Fatalf("Expiration %s, want %s", out.Result.Credentials.Expiration, want)
			}
		})
	}
}

// What each kind of temporary credentials may call of STS.
func TestSessionKindsInSTS(t *testing.T) {
	assume := "Action=AssumeRole" + stsVersion + "&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2FR"
	for _, tc := range []struct {
		name   string
		caller identity.Caller
		body   string
		status int
	}{
		{"session token may assume a role", userSess, assume + "&DurationSeconds=7200", 200},
		{"session token may ask who it is", userSess, "Action=GetCallerIdentity" + stsVersion, 200},
		{"session token may not look up keys", userSess, "Action=GetAccessKeyInfo" + stsVersion + "&AccessKeyId=AKIAALICE0000000001", 403},
		{"federated user may ask who it is", federated, "Action=GetCallerIdentity" + stsVersion, 200},
		{"federated user may not assume a role", federated, assume, 403},
		{"role session may assume a role", roleSess, assume, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := call(t, &fake{sessions: map[string]identity.Session{}}, tc.caller, tc.body)
			if status != tc.status {
				t.Fatalf("got %d, want %d: %s", status, tc.status, body)
			}
		})
	}
}

func TestGetAccessKeyInfo(t *testing.T) {
	status, _, body := call(t, &fake{}, alice, "Action=GetAccessKeyInfo"+stsVersion+"&AccessKeyId=AKIAALICE0000000001")
	var out getAccessKeyInfoResponse
	if err := xml.Unmarshal([]byte(body), &out); status != 200 || err != nil || out.Result.Account != "111111111111" {
		t.Fatalf("%d %v %s", status, err, body)
	}
	for _, params := range []string{"", "&AccessKeyId=short", "&AccessKeyId=AKIA-NOT-WORD-CHARS", "&AccessKeyId=AKIAUNKNOWN00000001"} {
		if status, code, body := call(t, &fake{}, alice, "Action=GetAccessKeyInfo"+stsVersion+params); status != 400 || code != "ValidationError" {
			t.Fatalf("%s: %d %s", params, status, body)
		}
	}
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	for _, tc := range []struct{ params, code string }{
		{"", "ValidationError"},
		{"&EncodedMessage=" + strings.Repeat("a", 10241), "ValidationError"},
		{"&EncodedMessage=abc%0Adef", "InvalidAuthorizationMessageException"},
		{"&EncodedMessage=abcdef", "InvalidAuthorizationMessageException"},
	} {
		if status, code, body := call(t, &fake{}, alice, "Action=DecodeAuthorizationMessage"+stsVersion+tc.params); status != 400 || code != tc.code {
			t.Fatalf("%.40s: %d %s", tc.params, status, body)
		}
	}
}
