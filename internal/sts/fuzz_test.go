package sts

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/identity"
)

// FuzzParameters sends STS every split of parameters between the query
// string and the body and checks that a parameter given in both places
// or twice in one is always refused, that credentials are issued only by
// an AssumeRole the request names once, and that no request gets a 5xx
// but the 501 of an action orgd does not serve.
func FuzzParameters(f *testing.F) {
	const assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR"
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", assume)
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", "")
	f.Add("", assume)
	f.Add(assume, "")
	f.Add("Action=AssumeRole", "Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR")
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", "Action=AssumeRole")
	f.Add("Action=A&Action=B", "")
	f.Add("a=%zz", "b=%")
	f.Add("Action=AssumeRoleWithWebIdentity&Version=2011-06-15", "WebIdentityToken=x&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR&RoleSessionName=s1")
	f.Add("Action=GetSessionToken&Version=2011-06-15", "DurationSeconds=900")
	f.Fuzz(func(t *testing.T, query, body string) {
		f := &fake{sessions: map[string]identity.Session{}}
		caller := identity.Caller{AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:root"}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		handler(f, caller, nil).ServeHTTP(w, r)

		qv, qerr := url.ParseQuery(query)
		bv, berr := url.ParseQuery(body)
		twice := false
		for k, v := range qv {
			twice = twice || len(v) > 1 || (berr == nil && body != "" && bv.Has(k))
		}
		for _, v := range bv {
			twice = twice || (body != "" && len(v) > 1)
		}
		if qerr == nil && twice && w.Code != http.StatusBadRequest {
			t.Fatalf("a parameter given twice: %d %s", w.Code, w.Body)
		}
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if len(f.sessions) == 0 {
			return
		}
		if w.Code != http.StatusOK || twice || qerr != nil || berr != nil {
			t.Fatalf("credentials issued for query %q body %q: %d", query, body, w.Code)
		}
		action := qv.Get("Action")
		if action == "" {
			action = bv.Get("Action")
		}
		if action != "AssumeRole" && !strings.HasPrefix(action, "AssumeRoleWith") && action != "GetSessionToken" && action != "GetFederationToken" {
			t.Fatalf("credentials issued by %q", action)
		}
	})
}
