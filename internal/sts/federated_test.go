package sts

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/federation/fedtest"
	"github.com/orgd/orgd/internal/identity"
)

// Permissive mode takes a token of an issuer it does not know for a role
// the file does not declare, and says in the log what it did not check;
// strict mode refuses the same request.
func TestWebIdentitySkippedChecksAreLogged(t *testing.T) {
	iss := fedtest.NewIssuer(t, "https://ci.example")
	tok := iss.Sign(t, iss.Claims("job:1", "sts.amazonaws.com", now.Add(-time.Second)))
	body := "Action=AssumeRoleWithWebIdentity" + stsVersion + "&RoleSessionName=job&RoleArn=" + url.QueryEscape("arn:aws:iam::222222222222:role/ci") + "&WebIdentityToken=" + tok
	for _, strict := range []bool{false, true} {
		var logged bytes.Buffer
		f := &fake{sessions: map[string]identity.Session{}}
		h := handler(f, identity.Caller{}, nil)
		h.Strict, h.Log = strict, slog.New(slog.NewTextHandler(&logged, nil))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, post(body))
		if strict {
			if w.Code != 400 || !strings.Contains(w.Body.String(), "No OpenIDConnect provider found in your account for https://ci.example") || len(f.sessions) != 0 {
				t.Fatalf("strict: %d %s", w.Code, w.Body)
			}
			continue
		}
		if w.Code != 200 || len(f.sessions) != 1 {
			t.Fatalf("permissive: %d %s", w.Code, w.Body)
		}
		for _, want := range []string{"level=WARN", "without checking its signature", "issuer=https://ci.example", "its trust was not checked"} {
			if !strings.Contains(logged.String(), want) {
				t.Fatalf("the log does not say %q:\n%s", want, logged.String())
			}
		}
	}
}

// The same for a SAML assertion of a provider permissive mode does not
// know.
func TestSAMLSkippedChecksAreLogged(t *testing.T) {
	const provider = "arn:aws:iam::222222222222:saml-provider/Corp"
	const role = "arn:aws:iam::222222222222:role/admins"
	idp := fedtest.NewIdP(t, "https://idp.example")
	resp := idp.Response(t, fedtest.Assertion{Subject: "alice", Roles: []string{role + "," + provider}, SessionName: "alice", IssuedAt: now.Add(-time.Second)}, nil, nil)
	body := "Action=AssumeRoleWithSAML" + stsVersion + "&RoleArn=" + url.QueryEscape(role) + "&PrincipalArn=" + url.QueryEscape(provider) + "&SAMLAssertion=" + url.QueryEscape(resp)
	for _, strict := range []bool{false, true} {
		var logged bytes.Buffer
		f := &fake{sessions: map[string]identity.Session{}}
		h := handler(f, identity.Caller{}, nil)
		h.Strict, h.Log = strict, slog.New(slog.NewTextHandler(&logged, nil))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, post(body))
		if strict {
			if w.Code != 400 || !strings.Contains(w.Body.String(), "InvalidIdentityToken") || len(f.sessions) != 0 {
				t.Fatalf("strict: %d %s", w.Code, w.Body)
			}
			continue
		}
		if w.Code != 200 || len(f.sessions) != 1 {
			t.Fatalf("permissive: %d %s", w.Code, w.Body)
		}
		for _, want := range []string{"level=WARN", "without checking its signature", "provider=" + provider, "its trust was not checked"} {
			if !strings.Contains(logged.String(), want) {
				t.Fatalf("the log does not say %q:\n%s", want, logged.String())
			}
		}
	}
}
