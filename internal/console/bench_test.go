package console_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// large seeds an organization of n member accounts besides the
// management account: ous OUs under the root with perOU accounts each,
// the rest in the root. It calls the domain directly, as the API would,
// since thousands of SDK round trips would only slow the seeding.
func large(b testing.TB, n, ous, perOU int) (*orgd, string) {
	b.Helper()
	o := startOrgd(b, "")
	as := func(acct string) context.Context {
		return identity.NewContext(context.Background(), identity.Caller{AccountID: acct, Principal: identity.RootARN("aws", acct)})
	}
	mgmt := as(mgmtID)
	if _, err := o.Svc.CreateOrganization(mgmt, &api.CreateOrganizationRequest{FeatureSet: api.OrganizationFeatureSetAll}); err != nil {
		b.Fatal(err)
	}
	roots, err := o.Svc.ListRoots(mgmt, &api.ListRootsRequest{})
	if err != nil {
		b.Fatal(err)
	}
	root := roots.Roots[0].Id
	var ouIDs []string
	for i := range ous {
		out, err := o.Svc.CreateOrganizationalUnit(mgmt, &api.CreateOrganizationalUnitRequest{ParentId: root, Name: fmt.Sprintf("Team %03d", i)})
		if err != nil {
			b.Fatal(err)
		}
		ouIDs = append(ouIDs, out.OrganizationalUnit.Id)
	}
	for i := range n {
		acct := fmt.Sprintf("5%011d", i)
		if err := o.Svc.RegisterAccount(context.Background(), acct, fmt.Sprintf("acct%d@example.com", i), fmt.Sprintf("Account %04d", i)); err != nil {
			b.Fatal(err)
		}
		inv, err := o.Svc.InviteAccountToOrganization(mgmt, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: acct, Type: api.HandshakePartyTypeAccount}})
		if err != nil {
			b.Fatalf("invite %d: %v", i, err)
		}
		if _, err := o.Svc.AcceptHandshake(as(acct), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id}); err != nil {
			b.Fatalf("accept %d: %v", i, err)
		}
		if ou := i / max(perOU, 1); perOU > 0 && ou < ous {
			if _, err := o.Svc.MoveAccount(mgmt, &api.MoveAccountRequest{AccountId: acct, SourceParentId: root, DestinationParentId: ouIDs[ou]}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return o, root
}

// BenchmarkTreeFirstPaint5000 loads the tree of a 5,000-account
// organization in headless Chromium and reports when the page first
// painted, and how long an OU takes to open: with 50 OUs of 80 accounts
// and 1,000 accounts in the root, and with all 5,000 in the root. The
// goal is a first paint under a second.
func BenchmarkTreeFirstPaint5000(b *testing.B) {
	for _, shape := range []struct {
		name       string
		ous, perOU int
	}{{"50-OUs", 50, 80}, {"flat", 1, 0}} {
		b.Run(shape.name, func(b *testing.B) { benchTree(b, shape.ous, shape.perOU) })
	}
}

func benchTree(b *testing.B, ous, perOU int) {
	ctx := browser(b)
	start := time.Now()
	o, _ := large(b, 5000, ous, perOU)
	b.Logf("seeded 5,000 accounts in %v", time.Since(start).Round(time.Millisecond))
	tree := o.URL + "/_orgd/console/" + mgmtID + "/tree"
	var paint, open float64
	b.ResetTimer()
	for range b.N {
		run(b, ctx, "tree", chromedp.Navigate(tree), chromedp.WaitVisible(chromedp.CSS(`#tree li.more`)))
		fcp := value(b, ctx, "first paint", chromedp.Poll[float64](
			`(performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime`, chromedp.WithPollingTimeout(10*time.Second)))
		paint += fcp
		t0 := time.Now()
		run(b, ctx, "open an OU", chromedp.Click(chromedp.CSS(`#tree li.ou summary`)), chromedp.WaitVisible(chromedp.CSS(`#tree details[data-ready] > ul > li`)))
		open += float64(time.Since(t0).Microseconds()) / 1000
	}
	b.StopTimer()
	paint /= float64(b.N)
	b.ReportMetric(paint, "ms-first-paint")
	b.ReportMetric(open/float64(b.N), "ms-open-ou")
	if paint > 1000 {
		b.Errorf("the tree of 5,000 accounts first painted after %.0f ms; the goal is under a second", paint)
	}
}
