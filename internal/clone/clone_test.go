package clone_test

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/clone"
)

func TestClientIsReadOnly(t *testing.T) {
	typ := reflect.TypeFor[clone.Client]()
	if typ.NumMethod() == 0 {
		t.Fatal("the client has no methods")
	}
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if !strings.HasPrefix(name, "List") && !strings.HasPrefix(name, "Describe") {
			t.Errorf("clone.Client has %s, which is neither a List nor a Describe operation", name)
		}
	}
}

// TestCloneRichOrganization clones an organization with all features into
// a second orgd: every List and Describe answers the same on both, for
// the management account, a member and the delegated administrator, and
// the source's state is byte for byte what it was.
func TestCloneRichOrganization(t *testing.T) {
	src := startOrgd(t, frozen(sourceConfig()))
	w := seedRich(t, src)
	before := src.export(t)

	dst := startOrgd(t, sourceConfig())
	var progress counting
	snap := cloneInto(t, src, mgmtID, dst, clone.Options{Concurrency: 8, Progress: &progress})

	if after := src.export(t); !bytes.Equal(before, after) {
		t.Fatal("the source's state changed during the clone")
	}
	if got := len(snap.Accounts); got != len(w.Accounts) {
		t.Fatalf("cloned %d accounts, want %d", got, len(w.Accounts))
	}
	if n := progress.last; n.Accounts != len(w.Accounts) || n.AccountsTotal != len(w.Accounts) || n.OUs != 10 || n.Policies < 5 || n.Calls == 0 {
		t.Errorf("last progress %+v", n)
	}
	in := listIDs(t, src.client(t, mgmtID, nil))
	for _, caller := range []string{mgmtID, daID, memberID} {
		asked := in
		if caller != mgmtID {
			// The management account asks about every account; the
			// others about a tenth of them and the special ones.
			asked = in.sample(10, mgmtID, daID, memberID, w.Accounts[11], w.Accounts[12])
		}
		compared, succeeded := sameAnswers(t, src, dst, caller, asked)
		t.Logf("as %s: %d reads answer the same (%d of them succeed)", caller, compared, succeeded)
		if caller != memberID && succeeded < compared/2 {
			t.Errorf("as %s only %d of %d reads succeeded: the comparison proves little", caller, succeeded, compared)
		}
	}
	if err := dst.Svc.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The delegated administrator's credentials make the same copy.
	at := time.Now()
	docAs := func(account string) []byte {
		snap, err := clone.Crawl(context.Background(), src.client(t, account, clone.Retryer), clone.Options{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatalf("Crawl as %s: %v", account, err)
		}
		return must(clone.Document(context.Background(), snap))
	}
	if !bytes.Equal(docAs(mgmtID), docAs(daID)) {
		t.Error("the delegated administrator's clone differs from the management account's")
	}
}

// TestCloneMigrationFinishesOnTheCopy clones a consolidated-billing
// organization in the middle of EnableAllFeatures and finishes the
// migration on the copy.
func TestCloneMigrationFinishesOnTheCopy(t *testing.T) {
	src := startOrgd(t, frozen(sourceConfig()))
	w := seedMigrating(t, src)
	before := src.export(t)
	dst := startOrgd(t, sourceConfig())
	snap := cloneInto(t, src, mgmtID, dst, clone.Options{})
	if !bytes.Equal(before, src.export(t)) {
		t.Fatal("the source's state changed during the clone")
	}
	in := listIDs(t, src.client(t, mgmtID, nil))
	for _, caller := range []string{mgmtID, memberID, openID} {
		sameAnswers(t, src, dst, caller, in)
	}

	r := clone.ReadinessOf(snap)
	if r.Invited != 3 || r.Created != 3 || r.OpenInvitations != 1 || r.Migration != w.Parent || r.OverLimit() {
		t.Errorf("readiness %+v", r)
	}

	// On the copy: the open member approves, the decliner is removed, and
	// the management account finishes the migration.
	mgmt, open := dst.client(t, mgmtID, nil), dst.client(t, openID, nil)
	if _, err := mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: &w.Parent}); err == nil {
		t.Fatal("the migration finished before every member approved")
	}
	if _, err := open.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(w.Approvals[openID])}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(declinerID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: &w.Parent}); err != nil {
		t.Fatal(err)
	}
	o := must(mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}))
	if o.Organization.FeatureSet != "ALL" || aws.ToString(o.Organization.Id) != w.Org {
		t.Fatalf("after the migration: %+v", o.Organization)
	}
	// The source is still consolidated billing.
	so := must(src.client(t, mgmtID, nil).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}))
	if so.Organization.FeatureSet != "CONSOLIDATED_BILLING" {
		t.Fatalf("the source changed: %s", so.Organization.FeatureSet)
	}
}

// TestCloneRetriesThrottledCalls clones from a source that throttles as
// AWS does without pacing: the adaptive retryer rides out the
// TooManyRequestsException answers.
func TestCloneRetriesThrottledCalls(t *testing.T) {
	src := startOrgd(t, sourceConfig(), throttled())
	s := seeder{t, src.Svc}
	s.ok(s.svc.RegisterAccount(context.Background(), mgmtID, "mgmt@example.com", "Management"))
	_, err := s.svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{})
	s.ok(err)
	for i := 1; i <= 20; i++ {
		s.create(i)
	}
	dst := startOrgd(t, sourceConfig())
	var n counting
	snap := cloneInto(t, src, mgmtID, dst, clone.Options{Concurrency: 16, Progress: &n})
	if err := dst.Svc.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 21 {
		t.Fatalf("cloned %d accounts", len(snap.Accounts))
	}
	if src.Throttled.Load() == 0 {
		t.Fatal("the source never throttled: the test proves nothing")
	}
	t.Logf("the source throttled %d calls; %d calls made", src.Throttled.Load(), n.last.Calls)
}

// counting is a Progress that keeps the latest counts.
type counting struct {
	mu   sync.Mutex
	last clone.Counts
}

func (c *counting) Update(n clone.Counts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.Calls >= c.last.Calls {
		c.last = n
	}
}

// movingClient shows one account under every parent, as a source shows
// an account that moves while it is read.
type movingClient struct {
	clone.Client
	account types.Account
}

func (c movingClient) ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, opts ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	out, err := c.Client.ListAccountsForParent(ctx, in, opts...)
	if err == nil && in.NextToken == nil && !slices.ContainsFunc(out.Accounts, func(a types.Account) bool { return aws.ToString(a.Id) == aws.ToString(c.account.Id) }) {
		out.Accounts = append(out.Accounts, c.account)
	}
	return out, err
}

func TestCloneRefusesAnAccountThatMoved(t *testing.T) {
	src := startOrgd(t, sourceConfig())
	s := seeder{t, src.Svc}
	s.ok(s.svc.RegisterAccount(context.Background(), mgmtID, "mgmt@example.com", "Management"))
	_, err := s.svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{})
	s.ok(err)
	roots, err := s.svc.ListRoots(as(mgmtID), &api.ListRootsRequest{})
	s.ok(err)
	s.ou(roots.Roots[0].Id, "Elsewhere")
	c := src.client(t, mgmtID, nil)
	acct := must(c.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(mgmtID)}))
	_, err = clone.Crawl(context.Background(), movingClient{c, *acct.Account}, clone.Options{})
	if err == nil || !strings.Contains(err.Error(), "account "+mgmtID+" is under two parents: it moved during the clone; run it again") {
		t.Fatalf("Crawl: %v", err)
	}
}
