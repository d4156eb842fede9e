package identity

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// A stored session's JSON: sessions without session policies keep the
// form earlier servers wrote and read, and records of those servers
// decode as unrestricted sessions.
func TestSessionRecord(t *testing.T) {
	old := `{"AccessKeyID":"ASIAOLD","SecretAccessKey":"s","SessionToken":"t","Expiration":"2026-03-04T06:06:07Z","AccountID":"111111111111","RoleName":"R","RoleARN":"arn:aws:iam::111111111111:role/R","SessionName":"s","Principal":"arn:aws:sts::111111111111:assumed-role/R/s","Source":"arn:aws:iam::111111111111:root"}`
	var s Session
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatal(err)
	}
	if s.Policies != nil || s.Caller().Policies != nil {
		t.Fatalf("an old record is restricted: %+v", s.Policies)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != old {
		t.Fatalf("an unrestricted session is stored as\n%s\nnot as before\n%s", b, old)
	}

	s.Policies = SessionPolicies{{Policy: `{"Statement":[]}`}, {PolicyArns: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}}}
	if b, err = json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	var back Session
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Policies, s.Policies) {
		t.Fatalf("policies %+v after a round trip, want %+v", back.Policies, s.Policies)
	}
	if c := back.Caller(); c.Policies == nil || !reflect.DeepEqual(*c.Policies, s.Policies) {
		t.Fatalf("caller policies %v", c.Policies)
	}
	if strings.Contains(string(b), `"PolicyArns":null`) || strings.Contains(string(b), `"Policy":""`) {
		t.Fatalf("empty fields stored: %s", b)
	}
}

// The caller a session's keys resolve to carries its session policies,
// in strict and in permissive mode; an unrestricted session's carries
// none.
func TestSessionCallerPolicies(t *testing.T) {
	const restrictedKey = "ASIATESTSESSION00002"
	policies := SessionPolicies{{Policy: `{"Statement":[]}`}}
	for _, mode := range []Mode{Strict, Permissive} {
		res := strictResolver(t, testNow)
		res.Mode = mode
		sessions := res.Sessions.(fakeSessions)
		restricted := sessions[sessKey]
		restricted.AccessKeyID, restricted.Policies = restrictedKey, policies
		sessions[restrictedKey] = restricted
		for _, tc := range []struct {
			key  string
			want *SessionPolicies
		}{
			{sessKey, nil},
			{restrictedKey, &policies},
		} {
			q := defaults()
			q.key, q.secret, q.token = tc.key, sessSecret, sessToken
			r := q.build(t)
			if mode == Permissive {
				r = httptest.NewRequest("POST", "/", nil)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+tc.key+"/20260304/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00")
			}
			c, err := res.Identify(r.WithContext(context.Background()))
			if err != nil {
				t.Fatalf("%s %s: %v", mode, tc.key, err)
			}
			if (c.Policies == nil) != (tc.want == nil) || c.Policies != nil && !reflect.DeepEqual(*c.Policies, *tc.want) {
				t.Fatalf("%s %s: policies %v, want %v", mode, tc.key, c.Policies, tc.want)
			}
		}
	}
}

var sinkCaller Caller

// Every request of a session builds its caller: an unrestricted one
// must not allocate for the session policies it does not have.
func TestSessionCallerAllocations(t *testing.T) {
	s := Session{AccessKeyID: "ASIAX", AccountID: "111111111111", Principal: "arn:aws:sts::111111111111:assumed-role/R/s"}
	if n := testing.AllocsPerRun(100, func() { sinkCaller = s.Caller() }); n != 0 {
		t.Fatalf("an unrestricted session's caller costs %v allocations", n)
	}
	s.Policies = SessionPolicies{{Policy: "{}"}}
	if n := testing.AllocsPerRun(100, func() { sinkCaller = s.Caller() }); n != 1 {
		t.Fatalf("a restricted session's caller costs %v allocations, want 1", n)
	}
}
