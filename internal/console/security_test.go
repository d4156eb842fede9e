package console_test

// The console's trust decisions, from the attacker's side, through the
// real server: who gets in, what a session cookie opens, and which POSTs
// are refused as cross-site forgeries.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

// noRedirect is a client with a cookie jar that shows redirects as they
// come.
func noRedirect(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t testing.TB, c *http.Client, method, u string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// signIn opens a session on c with token and returns the session cookie.
func signIn(t testing.TB, c *http.Client, base, token string) *http.Cookie {
	t.Helper()
	resp, body := do(t, c, "POST", base+"/_orgd/console/signin", url.Values{"token": {token}, "next": {"/_orgd/console/"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "orgd_console" {
			return ck
		}
	}
	t.Fatal("sign-in set no session cookie")
	return nil
}

func TestConsoleGuard(t *testing.T) {
	const token = "the-admin-token"
	guarded := seed(t, token)
	tree := guarded.URL + "/_orgd/console/" + mgmtID + "/tree"

	// A session of this server, and sessions an attacker could have:
	// one of a server with another token, one of an open server, a
	// hand-made one.
	good := signIn(t, noRedirect(t), guarded.URL, token)
	other := seed(t, "another-token")
	foreign := signIn(t, noRedirect(t), other.URL, "another-token")
	open := seed(t, "")
	resp, _ := do(t, noRedirect(t), "GET", open.URL+"/_orgd/console/"+mgmtID+"/", nil, nil)
	var openCookie *http.Cookie
	for _, ck := range resp.Cookies() {
		openCookie = ck
	}
	if openCookie == nil {
		t.Fatal("an open console set no session cookie (its forms need one)")
	}
	cookie := func(ck *http.Cookie) map[string]string {
		return map[string]string{"Cookie": "orgd_console=" + ck.Value}
	}
	nonce, _, _ := strings.Cut(good.Value, ".")

	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no session", nil, http.StatusUnauthorized},
		{"signed in", cookie(good), http.StatusOK},
		{"bearer token", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK},
		{"wrong bearer", map[string]string{"Authorization": "Bearer guess"}, http.StatusUnauthorized},
		{"session of a server with another token", cookie(foreign), http.StatusUnauthorized},
		{"session of an open server", cookie(openCookie), http.StatusUnauthorized},
		{"nonce without its MAC", map[string]string{"Cookie": "orgd_console=" + nonce}, http.StatusUnauthorized},
		{"nonce with a made-up MAC", map[string]string{"Cookie": "orgd_console=" + nonce + ".AAAA"}, http.StatusUnauthorized},
		{"the token as the cookie", map[string]string{"Cookie": "orgd_console=" + token}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, noRedirect(t), "GET", tree, nil, tc.header)
			if resp.StatusCode != tc.want {
				t.Fatalf("GET tree: %d, want %d\n%s", resp.StatusCode, tc.want, body)
			}
			if tc.want == http.StatusUnauthorized && (strings.Contains(body, "Workloads") || !strings.Contains(body, `name="token"`)) {
				t.Errorf("a refused request got something else than the sign-in form:\n%s", body)
			}
		})
	}

	// The session opens the console only: the admin API, which takes no
	// CSRF token, still needs the bearer token.
	for _, ep := range []struct{ method, path string }{{"GET", "/_orgd/state"}, {"POST", "/_orgd/reset"}, {"POST", "/_orgd/clock"}, {"POST", "/_orgd/authorize"}} {
		if resp, _ := do(t, noRedirect(t), ep.method, guarded.URL+ep.path, nil, cookie(good)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s with a console session: %d, want 401", ep.method, ep.path, resp.StatusCode)
		}
	}

	// The cookie: HttpOnly, SameSite=Strict, for the console's path, and
	// without the token in it.
	if !good.HttpOnly || good.SameSite != http.SameSiteStrictMode || good.Path != "/_orgd/console/" || strings.Contains(good.Value, token) {
		t.Errorf("session cookie %+v", good)
	}

	// Signing in: a wrong token is refused; the redirect stays in the
	// console.
	if resp, _ := do(t, noRedirect(t), "POST", guarded.URL+"/_orgd/console/signin", url.Values{"token": {"guess"}}, nil); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("sign-in with a wrong token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp, _ := do(t, noRedirect(t), "POST", guarded.URL+"/_orgd/console/signin", url.Values{"token": {token}}, map[string]string{"Origin": "http://evil.example"}); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("sign-in posted from another site: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	for next, want := range map[string]string{
		"/_orgd/console/" + mgmtID + "/tree": "/_orgd/console/" + mgmtID + "/tree",
		"https://evil.example/":              "/_orgd/console/",
		"//evil.example/_orgd/console/":      "/_orgd/console/",
		"/_orgd/console/\\evil":              "/_orgd/console/",
	} {
		resp, _ := do(t, noRedirect(t), "POST", guarded.URL+"/_orgd/console/signin", url.Values{"token": {token}, "next": {next}}, nil)
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("sign-in with next=%q leads to %q, want %q", next, got, want)
		}
	}
}

func TestConsoleOffInStrictMode(t *testing.T) {
	svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, &identity.Resolver{DefaultAccount: "123456789012", Mode: identity.Strict}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	srv := ts.URL
	for _, path := range []string{"/_orgd/console/", "/_orgd/console/123456789012/tree"} {
		if resp, body := do(t, noRedirect(t), "GET", srv+path, nil, map[string]string{"Authorization": "Bearer anything"}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("strict mode without a token: GET %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	// Without a token there is no sign-in to offer.
	if resp, _ := do(t, noRedirect(t), "POST", srv+"/_orgd/console/signin", url.Values{"token": {""}}, nil); resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 0 {
		t.Errorf("sign-in in strict mode without a token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// invited is an open console over an organization that has invited a
// standalone account, and a client that has loaded its handshakes page.
type invited struct {
	*seeded
	web       *http.Client // a browser that loaded the handshakes page
	csrf      string
	handshake string
	page      string
}

const daveID = "555555555555"

func newInvited(t *testing.T) *invited {
	s := seed(t, "")
	inv := must[*organizations.InviteAccountToOrganizationOutput](t, "invite")(s.client(t, mgmtID).InviteAccountToOrganization(context.Background(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Id: aws.String(daveID), Type: types.HandshakePartyTypeAccount}}))
	c := noRedirect(t)
	page := s.URL + "/_orgd/console/" + mgmtID + "/handshakes"
	_, body := do(t, c, "GET", page, nil, nil)
	m := csrfField.FindStringSubmatch(body)
	if m == nil || m[1] == "" {
		t.Fatalf("the handshakes page has no CSRF token:\n%s", body)
	}
	return &invited{seeded: s, web: c, csrf: m[1], handshake: aws.ToString(inv.Handshake.Id), page: page}
}

func (iv *invited) state(t *testing.T) types.HandshakeState {
	out := must[*organizations.DescribeHandshakeOutput](t, "DescribeHandshake")(iv.client(t, mgmtID).DescribeHandshake(context.Background(), &organizations.DescribeHandshakeInput{HandshakeId: aws.String(iv.handshake)}))
	return out.Handshake.State
}

func TestConsoleCSRF(t *testing.T) {
	iv := newInvited(t)
	accept := iv.URL + "/_orgd/console/" + mgmtID + "/handshakes/" + iv.handshake + "/accept"
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "as": {daveID}, "return": {"/_orgd/console/" + mgmtID + "/handshakes"}}
	}
	// Another browser's session on the same console.
	_, otherPage := do(t, noRedirect(t), "GET", iv.page, nil, nil)
	otherCSRF := csrfField.FindStringSubmatch(otherPage)[1]
	if otherCSRF == iv.csrf {
		t.Fatal("two sessions share a CSRF token")
	}
	for _, tc := range []struct {
		name   string
		client *http.Client
		form   url.Values
		header map[string]string
	}{
		{"no CSRF token", iv.web, form(""), nil},
		{"wrong CSRF token", iv.web, form("AAAA"), nil},
		{"another session's token", iv.web, form(otherCSRF), nil},
		{"the token without the session", noRedirect(t), form(iv.csrf), nil},
		{"from another origin", iv.web, form(iv.csrf), map[string]string{"Origin": "http://evil.example"}},
		{"from another site", iv.web, form(iv.csrf), map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.client, "POST", accept, tc.form, tc.header)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("forged accept: %d, want 403\n%s", resp.StatusCode, body)
			}
			if s := iv.state(t); s != types.HandshakeStateOpen {
				t.Fatalf("a forged accept moved the invitation to %s", s)
			}
		})
	}
	// The console's own form goes through, as the recipient.
	resp, body := do(t, iv.web, "POST", accept, form(iv.csrf), map[string]string{"Origin": iv.URL, "Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d\n%s", resp.StatusCode, body)
	}
	if s := iv.state(t); s != types.HandshakeStateAccepted {
		t.Errorf("after accepting in the console the invitation is %s", s)
	}
	_, body = do(t, iv.web, "GET", iv.URL+resp.Header.Get("Location"), nil, nil)
	if !strings.Contains(body, "accepted as account "+daveID) {
		t.Errorf("no notice of the answer:\n%s", body)
	}
}

// The console answers only as the handshake's recipient, and the domain's
// checks and SCPs decide, as they do for the API.
func TestConsoleAnswersAsRecipient(t *testing.T) {
	iv := newInvited(t)
	answer := func(verb, as string) (int, string) {
		resp, body := do(t, iv.web, "POST", iv.URL+"/_orgd/console/"+mgmtID+"/handshakes/"+iv.handshake+"/"+verb,
			url.Values{"csrf": {iv.csrf}, "as": {as}}, nil)
		return resp.StatusCode, body
	}
	// Not as anyone else: the management account cannot accept its own
	// invitation through the console.
	for _, as := range []string{mgmtID, aliceID, ""} {
		if code, _ := answer("accept", as); code != http.StatusBadRequest {
			t.Errorf("accept as %q: %d, want 400", as, code)
		}
	}
	if code, _ := answer("approve", daveID); code != http.StatusNotFound {
		t.Errorf("an unknown answer: %d, want 404", code)
	}

	// A member under an SCP that denies DeclineHandshake cannot decline
	// another organization's invitation through the console either.
	ctx := context.Background()
	mgmt := iv.client(t, mgmtID)
	deny := must[*organizations.CreatePolicyOutput](t, "CreatePolicy")(mgmt.CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Name: aws.String("NoDeclining"), Description: aws.String("x"), Type: types.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:DeclineHandshake","Resource":"*"}]}`)}))
	must[*organizations.AttachPolicyOutput](t, "AttachPolicy")(mgmt.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: deny.Policy.PolicySummary.Id, TargetId: aws.String(iv.Prod)}))
	const otherMgmt = "666666666666"
	iv.register(t, otherMgmt, "other@example.com", "Other Org")
	must[*organizations.CreateOrganizationOutput](t, "CreateOrganization")(iv.client(t, otherMgmt).CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}))
	inv := must[*organizations.InviteAccountToOrganizationOutput](t, "invite Alice")(iv.client(t, otherMgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Id: aws.String(aliceID), Type: types.HandshakePartyTypeAccount}}))
	c := noRedirect(t)
	_, body := do(t, c, "GET", iv.URL+"/_orgd/console/"+otherMgmt+"/handshakes", nil, nil)
	csrf := csrfField.FindStringSubmatch(body)[1]
	resp, body := do(t, c, "POST", iv.URL+"/_orgd/console/"+otherMgmt+"/handshakes/"+aws.ToString(inv.Handshake.Id)+"/decline", url.Values{"csrf": {csrf}, "as": {aliceID}}, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "AccessDeniedException") {
		t.Errorf("decline under an SCP that denies it: %d\n%s", resp.StatusCode, body)
	}
	hs := must[*organizations.DescribeHandshakeOutput](t, "DescribeHandshake")(iv.client(t, otherMgmt).DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: inv.Handshake.Id}))
	if hs.Handshake.State != types.HandshakeStateOpen {
		t.Errorf("the SCP-denied decline moved the invitation to %s", hs.Handshake.State)
	}
	// Bob, under no such SCP, declines the same way.
	inv2 := must[*organizations.InviteAccountToOrganizationOutput](t, "invite Bob")(iv.client(t, otherMgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Id: aws.String(bobID), Type: types.HandshakePartyTypeAccount}}))
	resp, body = do(t, c, "POST", iv.URL+"/_orgd/console/"+otherMgmt+"/handshakes/"+aws.ToString(inv2.Handshake.Id)+"/decline", url.Values{"csrf": {csrf}, "as": {bobID}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("Bob's decline: %d\n%s", resp.StatusCode, body)
	}
}
