package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
	"github.com/orgd/orgd/internal/store/memstore"
)

// viewCounter counts a store's read transactions: a read answered from
// a kept answer runs none.
type viewCounter struct {
	store.Store
	views atomic.Int64
}

func (s *viewCounter) View(ctx context.Context, fn func(store.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *viewCounter) Version() (uint64, bool) { return store.Version(s.Store) }

// memoHarness serves a service over st (counted) with cfg, as orgd serves
// it, keeping answers.
func memoHarness(t *testing.T, st store.Store, configure func(*org.Config)) (*harness, *viewCounter) {
	t.Helper()
	vc := &viewCounter{Store: st}
	t.Cleanup(func() { st.Close() })
	cfg := org.DefaultConfig()
	if configure != nil {
		configure(&cfg)
	}
	svc, err := org.New(context.Background(), vc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{Svc: svc}
	h.serve(t, server.New(svc, &identity.Resolver{DefaultAccount: defaultAccount}, testLog(t), server.WithAdminToken(adminToken)))
	return h, vc
}

// numberedStores are the backends whose answers are kept.
func numberedStores(t *testing.T) map[string]func() store.Store {
	return map[string]func() store.Store{
		"memory": func() store.Store { return memstore.New() },
		"bolt": func() store.Store {
			st, err := boltstore.Open(filepath.Join(t.TempDir(), "orgd.db"))
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
}

// ranViews reports whether call ran a read transaction.
func ranViews(t *testing.T, vc *viewCounter, call func() error) bool {
	t.Helper()
	before := vc.views.Load()
	if err := call(); err != nil {
		t.Fatal(err)
	}
	return vc.views.Load() > before
}

// A kept answer is given only while nothing it was read from has
// changed: every write, scheduled work falling due and the admin API's
// changes show in the very next read.
func TestKeptAnswersFollowTheState(t *testing.T) {
	t.Parallel()
	for name, open := range numberedStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const delay = 300 * time.Millisecond
			h, vc := memoHarness(t, open(), func(c *org.Config) { c.CreateAccountDelay = delay })
			w := h.world(t, true)
			mgmt := w.Mgmt
			accounts := func() []string {
				t.Helper()
				out, err := mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range out.Accounts {
					ids = append(ids, aws.ToString(a.Id))
				}
				sort.Strings(ids)
				return ids
			}
			first := accounts()
			if ranViews(t, vc, func() error { accounts(); return nil }) {
				t.Fatal("the same ListAccounts again ran a transaction: no answer is kept")
			}

			tags := func() []types.Tag {
				t.Helper()
				out, err := mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(memberID)})
				if err != nil {
					t.Fatal(err)
				}
				return out.Tags
			}
			tags()
			tags()
			if _, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(memberID), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
				t.Fatal(err)
			}
			if got := tags(); len(got) != 1 || aws.ToString(got[0].Value) != "blue" {
				t.Fatalf("tags after TagResource = %v, want team=blue", got)
			}

			root := polRoot(t, mgmt)
			ou, err := mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("before")})
			if err != nil {
				t.Fatal(err)
			}
			ouName := func() string {
				t.Helper()
				out, err := mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: ou.OrganizationalUnit.Id})
				if err != nil {
					t.Fatal(err)
				}
				return aws.ToString(out.OrganizationalUnit.Name)
			}
			ouName()
			ouName()
			if _, err := mgmt.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: ou.OrganizationalUnit.Id, Name: aws.String("after")}); err != nil {
				t.Fatal(err)
			}
			if got := ouName(); got != "after" {
				t.Fatalf("the OU's name after UpdateOrganizationalUnit = %q, want after", got)
			}

			// A creation falls due with no request writing anything: the
			// listing kept before must not outlive it.
			if _, err := mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("new@example.com"), AccountName: aws.String("new")}); err != nil {
				t.Fatal(err)
			}
			accounts()
			if got := accounts(); len(got) != len(first) {
				t.Fatalf("accounts while the creation is in progress = %v, want %v", got, first)
			}
			time.Sleep(delay + 50*time.Millisecond)
			if got := accounts(); len(got) != len(first)+1 {
				t.Fatalf("accounts once the creation fell due = %v, want one more than %v", got, first)
			}

			// The admin API's reset is a write like any other.
			describe := func() error {
				_, err := mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
				return err
			}
			describe()
			describe()
			h.reset(t)
			var ae smithy.APIError
			if err := describe(); !errors.As(err, &ae) || ae.ErrorCode() != "AWSOrganizationsNotInUseException" {
				t.Fatalf("DescribeOrganization after a reset = %v, want AWSOrganizationsNotInUseException", err)
			}
		})
	}
}

// The attacker holds credentials of their own and sends, byte for byte,
// a request whose answer the server keeps for the management account:
// they get their own answer, never the kept one.
func TestKeptAnswersAreTheCallers(t *testing.T) {
	t.Parallel()
	h, vc := memoHarness(t, memstore.New(), nil)
	w := h.world(t, true)
	mgmt := staticConfig(t, mgmtID, "secret", "", false)
	listAccounts := func(c *organizations.Client) error {
		_, err := c.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
		return err
	}
	describe := func(c *organizations.Client) error {
		_, err := c.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		return err
	}
	for _, c := range []*organizations.Client{w.Mgmt, w.Mgmt} {
		if err := listAccounts(c); err != nil {
			t.Fatal(err)
		}
		if err := describe(c); err != nil {
			t.Fatal(err)
		}
	}
	if ranViews(t, vc, func() error { return listAccounts(w.Mgmt) }) {
		t.Fatal("the management account's ListAccounts is not kept; this test would prove nothing")
	}

	wantDenied(t, listAccounts(w.Member), "")
	var ae smithy.APIError
	if err := listAccounts(w.Standalone); !errors.As(err, &ae) || ae.ErrorCode() != "AWSOrganizationsNotInUseException" {
		t.Fatalf("ListAccounts as an account in no organization = %v, want AWSOrganizationsNotInUseException", err)
	}
	// A session of the management account itself, scoped down.
	scoped := h.orgsFrom(h.assumeScoped(t, mgmt, mgmtID, "ci", "no-describe", spNoDescribe))
	wantDenied(t, describe(scoped), "")
	wantDenied(t, describe(scoped), "")

	// A member's calls are decided by the SCPs each time, never kept.
	if err := describe(w.Member); err != nil {
		t.Fatal(err)
	}
	if !ranViews(t, vc, func() error { return describe(w.Member) }) {
		t.Error("a member's DescribeOrganization, which the SCPs decide, was answered from a kept answer")
	}
}
