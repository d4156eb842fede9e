package console_test

// Tests of the console in a real browser: headless Chromium, driven with
// chromedp, against an orgd server (server.New over a memory store on a
// loopback port), the organization seeded and changed through
// aws-sdk-go-v2 as a user would. With ORGD_SCREENSHOTS=1 they write the
// screenshots of docs/console-*.png.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

const chromiumPath = "/usr/bin/chromium"

// Accounts of the seeded organization.
const (
	mgmtID  = "111111111111"
	aliceID = "222222222222" // in Workloads/Prod, under the SCP on Workloads
	bobID   = "333333333333" // in Sandbox
	carolID = "444444444444" // in the root
)

// orgd is one server for a test.
type orgd struct {
	URL string
	Svc *org.Service
}

func startOrgd(t testing.TB, token string, opts ...server.Option) *orgd {
	t.Helper()
	cfg := org.DefaultConfig()
	cfg.Quotas.AccountsPerOrganization = 6000
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		opts = append(opts, server.WithAdminToken(token))
	}
	h := server.New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil)), opts...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &orgd{URL: srv.URL, Svc: svc}
}

// client is an SDK client acting as account acct (orgd maps a 12-digit
// access key to that account).
func (o *orgd) client(t testing.TB, acct string) *organizations.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(acct, "secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return organizations.NewFromConfig(cfg, func(opt *organizations.Options) { opt.BaseEndpoint = aws.String(o.URL) })
}

func must[T any](t testing.TB, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func (o *orgd) register(t testing.TB, acct, email, name string) {
	t.Helper()
	if err := o.Svc.RegisterAccount(context.Background(), acct, email, name); err != nil {
		t.Fatal(err)
	}
}

// join invites acct into mgmt's organization and accepts as acct.
func (o *orgd) join(t testing.TB, ctx context.Context, mgmt, acct string) {
	t.Helper()
	inv := must[*organizations.InviteAccountToOrganizationOutput](t, "invite "+acct)(o.client(t, mgmt).InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Id: aws.String(acct), Type: types.HandshakePartyTypeAccount}}))
	must[*organizations.AcceptHandshakeOutput](t, "accept as "+acct)(o.client(t, acct).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}))
}

// seeded is the organization most tests look at: OUs Workloads/Prod and
// Sandbox, three members, an SCP on Workloads that Prod inherits.
type seeded struct {
	*orgd
	RootID, Workloads, Prod, Sandbox, SCP string
}

func seed(t testing.TB, token string, opts ...server.Option) *seeded {
	t.Helper()
	ctx := context.Background()
	s := &seeded{orgd: startOrgd(t, token, opts...)}
	s.register(t, mgmtID, "mgmt@example.com", "Management")
	s.register(t, aliceID, "alice@example.com", "Alice Prod")
	s.register(t, bobID, "bob@example.com", "Bob Sandbox")
	s.register(t, carolID, "carol@example.com", "Carol Shared")
	mgmt := s.client(t, mgmtID)
	must[*organizations.CreateOrganizationOutput](t, "CreateOrganization")(mgmt.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}))
	roots := must[*organizations.ListRootsOutput](t, "ListRoots")(mgmt.ListRoots(ctx, &organizations.ListRootsInput{}))
	s.RootID = aws.ToString(roots.Roots[0].Id)
	ou := func(parent, name string) string {
		out := must[*organizations.CreateOrganizationalUnitOutput](t, "CreateOrganizationalUnit "+name)(mgmt.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)}))
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	s.Workloads = ou(s.RootID, "Workloads")
	s.Prod = ou(s.Workloads, "Prod")
	s.Sandbox = ou(s.RootID, "Sandbox")
	for _, a := range []struct{ id, to string }{{aliceID, s.Prod}, {bobID, s.Sandbox}, {carolID, ""}} {
		s.join(t, ctx, mgmtID, a.id)
		if a.to != "" {
			must[*organizations.MoveAccountOutput](t, "MoveAccount")(mgmt.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(a.id), SourceParentId: aws.String(s.RootID), DestinationParentId: aws.String(a.to)}))
		}
	}
	p := must[*organizations.CreatePolicyOutput](t, "CreatePolicy")(mgmt.CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Name: aws.String("DenyLeaving"), Description: aws.String("Members stay in the organization"), Type: types.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`)}))
	s.SCP = aws.ToString(p.Policy.PolicySummary.Id)
	must[*organizations.AttachPolicyOutput](t, "AttachPolicy")(mgmt.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: p.Policy.PolicySummary.Id, TargetId: aws.String(s.Workloads)}))
	must[*organizations.TagResourceOutput](t, "TagResource")(mgmt.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(aliceID), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}))
	return s
}

// browser returns a chromedp context of a fresh headless Chromium, or
// skips the test when there is none (fails in CI, where there must be).
func browser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs Chromium at %s for the console's browser tests (scripts/test installs it): %v", chromiumPath, err)
		}
		t.Skipf("no Chromium at %s (apt-get install chromium chromium-driver, or run scripts/test): skipping the console's browser tests", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		// Without these Chromium reaches for Google's servers, which the
		// closed network refuses.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// The first call starts the browser, for as long as its context
	// lives: it takes no timeout; the test's calls do.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() { cancel(); cancelBrowser(); cancelAlloc() })
	return ctx
}

// screenshot writes docs/console-<name>.png when ORGD_SCREENSHOTS=1.
func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("ORGD_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join("..", "..", "docs", "console-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func run(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action for its value.
func value[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	return value(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	return value(t, ctx, js, chromedp.Evaluate[T](js))
}

func TestBrowserTreeSearchAccount(t *testing.T) {
	ctx := browser(t)
	fixture, err := os.ReadFile("testdata/impact.json")
	if err != nil {
		t.Fatal(err)
	}
	s := seed(t, "", server.WithLastImpact(func() ([]byte, bool) { return fixture, true }))
	base := s.URL + "/_orgd/console/" + mgmtID

	// The console opens on the default account's organization, or asks;
	// a member's URL leads to its organization.
	run(t, ctx, "member URL", chromedp.Navigate(s.URL+"/_orgd/console/"+aliceID+"/"), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	loc := value(t, ctx, "location", chromedp.Location())
	if loc != base+"/" {
		t.Errorf("a member's console URL led to %s, want %s/", loc, base)
	}
	screenshot(t, ctx, "organization")

	// The tree: the root's OUs and accounts; an OU opens in place.
	run(t, ctx, "tree", chromedp.Navigate(base+"/tree"), chromedp.WaitVisible(chromedp.CSS(`#tree`)))
	tree := text(t, ctx, "#tree")
	for _, want := range []string{"Workloads", "Sandbox", "Carol Shared", carolID, "Management"} {
		if !strings.Contains(tree, want) {
			t.Errorf("the tree's root level lacks %q:\n%s", want, tree)
		}
	}
	if strings.Contains(tree, "Alice Prod") {
		t.Errorf("the tree shows Prod's account before Workloads opens:\n%s", tree)
	}
	// Open Workloads, then Prod inside it, with the keyboard.
	workloads := fmt.Sprintf(`details[data-src$="parent=%s"]`, s.Workloads)
	prod := fmt.Sprintf(`details[data-src$="parent=%s"]`, s.Prod)
	run(t, ctx, "open Workloads",
		chromedp.Focus(chromedp.CSS(workloads+" > summary")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(prod+" > summary")),
		chromedp.Click(chromedp.CSS(prod+" > summary")),
		chromedp.WaitVisible(chromedp.CSS(prod+`[data-ready] li.acct`)))
	if got := text(t, ctx, prod); !strings.Contains(got, "Alice Prod") || !strings.Contains(got, aliceID) {
		t.Errorf("Prod opened shows %q, want Alice Prod", got)
	}
	screenshot(t, ctx, "tree")

	// Search by part of an email, from the header's box.
	run(t, ctx, "search",
		chromedp.SetValue(chromedp.CSS(`#q`), "bob@"),
		chromedp.Submit(chromedp.CSS(`#q`)),
		chromedp.WaitVisible(chromedp.CSS(`#results`)))
	if got := text(t, ctx, "#results"); !strings.Contains(got, bobID) || strings.Contains(got, aliceID) {
		t.Errorf("search for bob@ found %q", got)
	}
	run(t, ctx, "search by ID", chromedp.Navigate(base+"/search?q="+carolID), chromedp.WaitVisible(chromedp.CSS(`#results`)))
	if got := text(t, ctx, "#results"); !strings.Contains(got, "Carol Shared") {
		t.Errorf("search by ID found %q", got)
	}
	run(t, ctx, "search by domain", chromedp.Navigate(base+"/search?q=EXAMPLE.com"), chromedp.WaitVisible(chromedp.CSS(`#results`)))
	if got := text(t, ctx, "#results-count"); !strings.HasPrefix(got, "4 accounts match") {
		t.Errorf("search by domain: %q", got)
	}
	screenshot(t, ctx, "search")

	// The account page: its path, tags and the SCP it inherits from
	// Workloads (and the AWS-managed FullAWSAccess everywhere).
	run(t, ctx, "account", chromedp.Navigate(base+"/accounts/"+aliceID), chromedp.WaitVisible(chromedp.CSS(`#policies-service-control-policy`)))
	scps := text(t, ctx, "#policies-service-control-policy")
	if !strings.Contains(scps, "DenyLeaving") || !strings.Contains(scps, "Workloads") || !strings.Contains(scps, "Inherited") {
		t.Errorf("Alice's SCPs do not show DenyLeaving inherited from Workloads:\n%s", scps)
	}
	if got := text(t, ctx, ".crumbs"); !strings.Contains(got, "Workloads") || !strings.Contains(got, "Prod") {
		t.Errorf("Alice's path: %q", got)
	}
	if got := text(t, ctx, "#h-tags + table"); !strings.Contains(got, "payments") {
		t.Errorf("Alice's tags: %q", got)
	}

	// What if Alice left the organization? The SCP on Workloads denies it.
	run(t, ctx, "what-if",
		chromedp.SetValue(chromedp.CSS(`#wi-action`), "organizations:LeaveOrganization"),
		chromedp.Submit(chromedp.CSS(`#wi-action`)),
		chromedp.WaitVisible(chromedp.CSS(`#whatif-result`)))
	if got := text(t, ctx, "#whatif-result"); !strings.Contains(got, "Denied") || !strings.Contains(got, "DenyLeaving") {
		t.Errorf("what-if LeaveOrganization for Alice: %q", got)
	}
	screenshot(t, ctx, "account")

	run(t, ctx, "policy", chromedp.Navigate(base+"/policies/"+s.SCP), chromedp.WaitVisible(chromedp.CSS(`pre.json`)))
	if got := text(t, ctx, "pre.json"); !strings.Contains(got, "\n  \"Statement\"") {
		t.Errorf("the policy's content is not pretty-printed: %q", got)
	}
	screenshot(t, ctx, "policy")

	// The keyboard reaches the page: the first Tab lands on the skip link,
	// which leads to the content.
	run(t, ctx, "keyboard", chromedp.Navigate(base+"/tree"), chromedp.WaitVisible(chromedp.CSS(`#tree`)), chromedp.KeyEvent("\t"))
	if got := eval[string](t, ctx, `document.activeElement.textContent`); got != "Skip to content" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	run(t, ctx, "skip", chromedp.KeyEvent("\r"))
	if got := eval[string](t, ctx, `document.activeElement.id`); got != "main" {
		t.Errorf("the skip link leads to %q, want main", got)
	}

	// An open invitation, with the buttons to answer it as its recipient.
	must[*organizations.InviteAccountToOrganizationOutput](t, "invite")(s.client(t, mgmtID).InviteAccountToOrganization(context.Background(), &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Id: aws.String("555555555555"), Type: types.HandshakePartyTypeAccount}, Notes: aws.String("Join us")}))
	run(t, ctx, "handshakes", chromedp.Navigate(base+"/handshakes?state=OPEN"), chromedp.WaitVisible(chromedp.CSS(`table.handshakes`)))
	if got := text(t, ctx, "table.handshakes"); !strings.Contains(got, "555555555555") || strings.Contains(got, aliceID) {
		t.Errorf("open handshakes: %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('table.handshakes button[aria-label$="as 555555555555"]').length`); n != 2 {
		t.Errorf("%d buttons answer as the invited account, want accept and decline", n)
	}
	screenshot(t, ctx, "handshakes")

	run(t, ctx, "impact", chromedp.Navigate(base+"/impact"), chromedp.WaitVisible(chromedp.CSS(`#impact-denied`)))
	if got := text(t, ctx, "#newly-denied"); got != "31" {
		t.Errorf("newly denied: %q", got)
	}
	screenshot(t, ctx, "impact")
}

// migrationMembers join a consolidated-billing organization by invitation.
var migrationMembers = []string{aliceID, bobID, carolID}

func TestBrowserMigrationLive(t *testing.T) {
	ctx := browser(t)
	s := startOrgd(t, "")
	bg := context.Background()
	s.register(t, mgmtID, "mgmt@example.com", "Management")
	mgmt := s.client(t, mgmtID)
	must[*organizations.CreateOrganizationOutput](t, "CreateOrganization")(mgmt.CreateOrganization(bg, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetConsolidatedBilling}))
	for i, m := range migrationMembers {
		s.register(t, m, fmt.Sprintf("member%d@example.com", i), fmt.Sprintf("Member %d", i+1))
		s.join(t, bg, mgmtID, m)
	}
	parent := must[*organizations.EnableAllFeaturesOutput](t, "EnableAllFeatures")(mgmt.EnableAllFeatures(bg, &organizations.EnableAllFeaturesInput{}))

	run(t, ctx, "migration", chromedp.Navigate(s.URL+"/_orgd/console/"+mgmtID+"/migration"), chromedp.WaitVisible(chromedp.CSS(`#approvals`)))
	if got := text(t, ctx, "#approvals"); !strings.Contains(got, "0 of 3") {
		t.Fatalf("approvals before any: %q, want 0 of 3", got)
	}
	if got := text(t, ctx, "#blocking"); !strings.Contains(got, bobID) {
		t.Errorf("blocking before any approval: %q", got)
	}
	if got := text(t, ctx, "#time-left"); !strings.HasPrefix(got, "89 days 23 hours") && !strings.HasPrefix(got, "90 days") {
		t.Errorf("time left: %q, want about 90 days", got)
	}
	// A mark on the page's window: it survives only if the page is not
	// reloaded.
	eval[int](t, ctx, `window.orgdMark = "same page"; 1`)

	// Two members approve through the SDK: the page shows it by itself.
	approve := func(acct string) {
		t.Helper()
		hs := must[*organizations.ListHandshakesForAccountOutput](t, "ListHandshakesForAccount")(s.client(t, acct).ListHandshakesForAccount(bg, &organizations.ListHandshakesForAccountInput{
			Filter: &types.HandshakeFilter{ParentHandshakeId: parent.Handshake.Id}}))
		if len(hs.Handshakes) != 1 {
			t.Fatalf("%s has %d approvals to give", acct, len(hs.Handshakes))
		}
		must[*organizations.AcceptHandshakeOutput](t, "approve as "+acct)(s.client(t, acct).AcceptHandshake(bg, &organizations.AcceptHandshakeInput{HandshakeId: hs.Handshakes[0].Id}))
	}
	waitApprovals := func(want string) {
		t.Helper()
		value(t, ctx, "waiting for "+want, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("approvals").textContent.includes(%q)`, want), chromedp.WithPollingTimeout(10*time.Second)))
	}
	approve(aliceID)
	approve(bobID)
	waitApprovals("2 of 3")
	screenshot(t, ctx, "migration")
	run(t, ctx, "parent", chromedp.Navigate(s.URL+"/_orgd/console/"+mgmtID+"/handshakes/"+aws.ToString(parent.Handshake.Id)), chromedp.WaitVisible(chromedp.CSS(`table.handshakes`)))
	screenshot(t, ctx, "handshake")
	run(t, ctx, "back", chromedp.Navigate(s.URL+"/_orgd/console/"+mgmtID+"/migration"), chromedp.WaitVisible(chromedp.CSS(`#approvals`)))
	eval[int](t, ctx, `window.orgdMark = "same page"; 1`)
	approve(carolID)
	waitApprovals("3 of 3")
	mark := eval[string](t, ctx, `window.orgdMark || "reloaded"`)
	if mark != "same page" {
		t.Errorf("the page was reloaded to show the approvals (%q)", mark)
	}
	if got := text(t, ctx, "#h-blocking + *"); !strings.Contains(got, "Nobody") {
		t.Errorf("blocking after every approval: %q", got)
	}

	// The management account finalizes from the console.
	run(t, ctx, "finalize",
		chromedp.Click(chromedp.CSS(`button.ok`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	org := must[*organizations.DescribeOrganizationOutput](t, "DescribeOrganization")(mgmt.DescribeOrganization(bg, &organizations.DescribeOrganizationInput{}))
	if org.Organization.FeatureSet != types.OrganizationFeatureSetAll {
		t.Errorf("after finalizing in the console the feature set is %s", org.Organization.FeatureSet)
	}
}

func TestBrowserTokenGuard(t *testing.T) {
	ctx := browser(t)
	const token = "console-test-token"
	s := seed(t, token)
	tree := s.URL + "/_orgd/console/" + mgmtID + "/tree"

	// Without the cookie: the sign-in page, not the tree.
	run(t, ctx, "tree unsigned", chromedp.Navigate(tree), chromedp.WaitVisible(chromedp.CSS(`#token`)))
	if n := eval[int](t, ctx, `document.querySelectorAll("#tree").length`); n != 0 {
		t.Fatal("the guarded console showed the tree without a session")
	}
	screenshot(t, ctx, "signin")
	// A wrong token stays out.
	run(t, ctx, "wrong token",
		chromedp.SetValue(chromedp.CSS(`#token`), "guess"),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`.problem`)))
	// The right one opens a session on an HttpOnly, SameSite=Strict cookie
	// and leads back to the tree.
	run(t, ctx, "sign in",
		chromedp.SetValue(chromedp.CSS(`#token`), token),
		chromedp.Submit(chromedp.CSS(`#token`)),
		chromedp.WaitVisible(chromedp.CSS(`#tree`)))
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	cookies := res.Cookies
	if len(cookies) != 1 || !cookies[0].HTTPOnly || cookies[0].SameSite != network.CookieSameSiteStrict || strings.Contains(cookies[0].Value, token) {
		for _, c := range cookies {
			t.Logf("cookie %s=%s httpOnly=%v sameSite=%s", c.Name, c.Value, c.HTTPOnly, c.SameSite)
		}
		t.Errorf("want one HttpOnly SameSite=Strict session cookie that does not carry the token")
	}
	if visible := eval[string](t, ctx, `document.cookie`); visible != "" {
		t.Errorf("scripts can read the session cookie: %q", visible)
	}
	// Signing out ends it.
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`.session button`)), chromedp.WaitVisible(chromedp.CSS(`#token`)))
	run(t, ctx, "tree after sign-out", chromedp.Navigate(tree), chromedp.WaitVisible(chromedp.CSS(`#token`)))

	// Outside the browser: no cookie, no console.
	resp, err := http.Get(tree)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET %s without a session: %d, want 401", tree, resp.StatusCode)
	}
}

// A level of more than a page of accounts shows the first page and loads
// the next ones in place.
func TestBrowserTreePaging(t *testing.T) {
	ctx := browser(t)
	o, _ := large(t, 250, 1, 0)
	run(t, ctx, "tree", chromedp.Navigate(o.URL+"/_orgd/console/"+mgmtID+"/tree"), chromedp.WaitVisible(chromedp.CSS(`#tree li.more`)))
	count := func() int { return eval[int](t, ctx, `document.querySelectorAll("#tree > li.acct").length`) }
	if n := count(); n != 100 {
		t.Fatalf("the first page shows %d accounts, want 100", n)
	}
	for _, want := range []int{200, 251} {
		run(t, ctx, "more", chromedp.Click(chromedp.CSS(`#tree > li.more a`)),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll("#tree > li.acct").length == %d`, want), chromedp.WithPollingTimeout(10*time.Second)))
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#tree li.more").length`); n != 0 {
		t.Errorf("a More link after the last page")
	}
	if n := eval[int](t, ctx, `new Set(Array.from(document.querySelectorAll("#tree > li.acct .id")).map(e => e.textContent)).size`); n != 251 {
		t.Errorf("%d distinct accounts, want 251", n)
	}
}
