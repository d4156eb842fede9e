package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store/pgstore"
	"github.com/orgd/orgd/internal/store/pgstore/pgtest"
)

// twoServers returns two Services on one PostgreSQL database, as two orgd
// servers sharing it would be.
func twoServers(t *testing.T, configure ...func(*Config)) (*Service, *Service) {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "orgd_multi_")
	var svcs [2]*Service
	for i := range svcs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		st, err := pgstore.Open(ctx, dsn)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		cfg := DefaultConfig()
		cfg.Quotas.AccountsPerOrganization = 1000
		cfg.Quotas.ConcurrentCreateAccount = 1000
		for _, c := range configure {
			c(&cfg)
		}
		if svcs[i], err = New(context.Background(), st, cfg); err != nil {
			t.Fatal(err)
		}
	}
	return svcs[0], svcs[1]
}

// race runs fn on both servers at once, n times each, and returns the
// errors.
func race(n int, a, b *Service, fn func(s *Service, i int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := 0; i < 2*n; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(s, i)
		}()
	}
	wg.Wait()
	return errs
}

func TestTwoServersAcceptAHandshakeOnce(t *testing.T) {
	a, b := twoServers(t)
	if _, err := a.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	inv, err := b.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: otherID, Type: api.HandshakePartyTypeAccount}})
	if err != nil {
		t.Fatal(err)
	}
	errs := race(4, a, b, func(s *Service, _ int) error {
		_, err := s.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id})
		return err
	})
	accepted := 0
	for _, err := range errs {
		var e *api.Error
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &e) && e.Type == api.ErrHandshakeAlreadyInState:
		default:
			t.Errorf("AcceptHandshake: %v", err)
		}
	}
	if accepted != 1 {
		t.Fatalf("%d servers accepted the invitation, want exactly 1", accepted)
	}
	list, err := a.ListAccounts(as(mgmtID), &api.ListAccountsRequest{})
	if err != nil || len(list.Accounts) != 2 {
		t.Fatalf("ListAccounts: %v %v", list, err)
	}
	if err := b.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTwoServersKeepEmailsUniqueAndIDsDistinct(t *testing.T) {
	a, b := twoServers(t)
	if _, err := a.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	root := must[*api.ListRootsResponse](t)(b.ListRoots(as(mgmtID), &api.ListRootsRequest{})).Roots[0].Id

	// Both servers create accounts with one email at once: one succeeds.
	var mu sync.Mutex
	var requests []string
	errs := race(3, a, b, func(s *Service, _ int) error {
		out, err := s.CreateAccount(as(mgmtID), &api.CreateAccountRequest{Email: "same@example.com", AccountName: "Same"})
		if err == nil {
			mu.Lock()
			requests = append(requests, out.CreateAccountStatus.Id)
			mu.Unlock()
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
	}
	if _, err := b.AdvanceClock(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for _, id := range requests {
		st := must[*api.DescribeCreateAccountStatusResponse](t)(a.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: id})).CreateAccountStatus
		switch {
		case st.State == api.CreateAccountStateSucceeded:
			succeeded++
		case st.State != api.CreateAccountStateFailed || st.FailureReason != api.CreateAccountFailureReasonEmailAlreadyExists:
			t.Errorf("request %s: %s %s", id, st.State, st.FailureReason)
		}
	}
	if succeeded != 1 {
		t.Fatalf("%d accounts with one email, want 1", succeeded)
	}

	// OUs made at once on both servers all get IDs of their own.
	var ids sync.Map
	errs = race(10, a, b, func(s *Service, i int) error {
		out, err := s.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "ou-" + string(rune('a'+i))})
		if err == nil {
			if _, dup := ids.LoadOrStore(out.OrganizationalUnit.Id, true); dup {
				return errors.New("duplicate OU ID " + out.OrganizationalUnit.Id)
			}
		}
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ous := must[*api.ListOrganizationalUnitsForParentResponse](t)(b.ListOrganizationalUnitsForParent(as(mgmtID), &api.ListOrganizationalUnitsForParentRequest{ParentId: root}))
	if len(ous.OrganizationalUnits) != 20 {
		t.Fatalf("%d OUs, want 20", len(ous.OrganizationalUnits))
	}
	if err := a.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTwoServersShareTheClock(t *testing.T) {
	a, b := twoServers(t)
	before, err := b.Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AdvanceClock(context.Background(), 15*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	after, err := b.Now(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := after.Sub(before); d < 15*24*time.Hour || d > 15*24*time.Hour+time.Minute {
		t.Fatalf("the other server's clock moved %v, want 15 days", d)
	}
}

// TestTwoServersUnderConcurrentLoad is issue 16's load in small: writers on
// both servers against several organizations at once, creating OUs,
// tagging one resource with keys of their own, creating accounts and
// reading. Writes that do not conflict logically must all succeed (no
// ConcurrentModificationException, no ServiceException), every
// acknowledged write must be there afterwards, the one contested OU name
// must have one winner, and the state must keep its invariants.
func TestTwoServersUnderConcurrentLoad(t *testing.T) {
	a, b := twoServers(t)
	const orgs, writersPerServer, rounds = 3, 4, 12
	type orgState struct {
		mgmt, root string
		mu         sync.Mutex
		ous        map[string]bool   // acknowledged OU IDs
		tags       map[string]string // writer's tag key: last acknowledged value
		creates    []string          // CreateAccount request IDs
		contested  int               // successful creations of the contested name
	}
	states := make([]*orgState, orgs)
	for i := range states {
		st := &orgState{mgmt: fmt.Sprintf("3000000000%02d", i+1), ous: map[string]bool{}, tags: map[string]string{}}
		if _, err := a.CreateOrganization(as(st.mgmt), &api.CreateOrganizationRequest{}); err != nil {
			t.Fatal(err)
		}
		st.root = must[*api.ListRootsResponse](t)(b.ListRoots(as(st.mgmt), &api.ListRootsRequest{})).Roots[0].Id
		states[i] = st
	}
	var wg sync.WaitGroup
	errc := make(chan error, orgs*2*writersPerServer*rounds*4)
	for oi, st := range states {
		for si, s := range []*Service{a, b} {
			for w := range writersPerServer {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := as(st.mgmt)
					me := fmt.Sprintf("s%d-w%d", si, w)
					fail := func(op string, err error) { errc <- fmt.Errorf("org %d, %s, %s: %w", oi, me, op, err) }
					if out, err := s.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: st.root, Name: "contested"}); err == nil {
						st.mu.Lock()
						st.contested++
						st.ous[out.OrganizationalUnit.Id] = true
						st.mu.Unlock()
					} else if e := (*api.Error)(nil); !errors.As(err, &e) || e.Type != api.ErrDuplicateOrganizationalUnit {
						fail("CreateOrganizationalUnit contested", err)
					}
					for r := range rounds {
						out, err := s.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: st.root, Name: fmt.Sprintf("%s-%d", me, r)})
						if err != nil {
							fail("CreateOrganizationalUnit", err)
							continue
						}
						st.mu.Lock()
						st.ous[out.OrganizationalUnit.Id] = true
						st.mu.Unlock()
						val := fmt.Sprint(r)
						if _, err := s.TagResource(ctx, &api.TagResourceRequest{ResourceId: st.root, Tags: []api.Tag{{Key: me, Value: val}}}); err != nil {
							fail("TagResource", err)
						} else {
							st.mu.Lock()
							st.tags[me] = val
							st.mu.Unlock()
						}
						if _, err := s.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: st.mgmt}); err != nil {
							fail("DescribeAccount", err)
						}
						if r%4 == 0 {
							email := fmt.Sprintf("%d-%s-%d@example.com", oi, me, r)
							out, err := s.CreateAccount(ctx, &api.CreateAccountRequest{Email: email, AccountName: "Load"})
							if err != nil {
								fail("CreateAccount", err)
								continue
							}
							st.mu.Lock()
							st.creates = append(st.creates, out.CreateAccountStatus.Id)
							st.mu.Unlock()
						}
					}
				}()
			}
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	if _, err := a.AdvanceClock(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	accounts := map[string]bool{}
	for oi, st := range states {
		ctx := as(st.mgmt)
		if st.contested != 1 {
			t.Errorf("org %d: the contested OU name was created %d times, want once", oi, st.contested)
		}
		got := map[string]bool{}
		for token := ""; ; {
			out := must[*api.ListOrganizationalUnitsForParentResponse](t)(b.ListOrganizationalUnitsForParent(ctx, &api.ListOrganizationalUnitsForParentRequest{ParentId: st.root, NextToken: token}))
			for _, u := range out.OrganizationalUnits {
				got[u.Id] = true
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		if want := 1 + 2*writersPerServer*rounds; len(st.ous) != want || len(got) != want {
			t.Errorf("org %d: %d OUs acknowledged and %d listed, want %d", oi, len(st.ous), len(got), want)
		}
		for id := range st.ous {
			if !got[id] {
				t.Errorf("org %d: acknowledged OU %s is missing", oi, id)
			}
		}
		tags := map[string]string{}
		for token := ""; ; {
			out := must[*api.ListTagsForResourceResponse](t)(a.ListTagsForResource(ctx, &api.ListTagsForResourceRequest{ResourceId: st.root, NextToken: token}))
			for _, tag := range out.Tags {
				tags[tag.Key] = tag.Value
			}
			if token = out.NextToken; token == "" {
				break
			}
		}
		if len(tags) != len(st.tags) {
			t.Errorf("org %d: root tags %v, want %v", oi, tags, st.tags)
		}
		for k, v := range st.tags {
			if tags[k] != v {
				t.Errorf("org %d: tag %s = %q, want the last acknowledged %q", oi, k, tags[k], v)
			}
		}
		for _, id := range st.creates {
			cs := must[*api.DescribeCreateAccountStatusResponse](t)(b.DescribeCreateAccountStatus(ctx, &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: id})).CreateAccountStatus
			if cs.State != api.CreateAccountStateSucceeded {
				t.Errorf("org %d: CreateAccount %s is %s %s", oi, id, cs.State, cs.FailureReason)
				continue
			}
			if accounts[cs.AccountId] {
				t.Errorf("account ID %s was given twice", cs.AccountId)
			}
			accounts[cs.AccountId] = true
		}
	}
	for _, s := range []*Service{a, b} {
		if err := s.CheckInvariants(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// On PostgreSQL one organization's writes are queued and run in batches,
// each in its own txn within one store transaction: a member's write
// batched with its management account's must still be refused, and leave
// nothing behind, while the management account's go through.
func TestBatchedMemberWritesStillRefused(t *testing.T) {
	a, b := twoServers(t)
	if _, err := a.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	inv, err := a.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: otherID, Type: api.HandshakePartyTypeAccount}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	root := must[*api.ListRootsResponse](t)(a.ListRoots(as(mgmtID), &api.ListRootsRequest{})).Roots[0].Id
	// Both callers' organization is known to both servers now, so their
	// writes share the organization's queue.
	for _, s := range []*Service{a, b} {
		if _, err := s.DescribeOrganization(as(otherID), &api.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 40
	errs := race(n, a, b, func(s *Service, i int) error {
		caller := mgmtID
		if i%4 >= 2 {
			caller = otherID
		}
		_, err := s.CreateOrganizationalUnit(as(caller), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: fmt.Sprintf("%s-%d", caller, i)})
		return err
	})
	made := 0
	for i, err := range errs {
		if i%4 >= 2 {
			var e *api.Error
			if !errors.As(err, &e) || e.Type != api.ErrAccessDenied {
				t.Errorf("member's CreateOrganizationalUnit %d = %v, want AccessDeniedException", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("management's CreateOrganizationalUnit %d: %v", i, err)
		} else {
			made++
		}
	}
	count := 0
	for token, first := "", true; first || token != ""; first = false {
		page := must[*api.ListOrganizationalUnitsForParentResponse](t)(b.ListOrganizationalUnitsForParent(as(mgmtID),
			&api.ListOrganizationalUnitsForParentRequest{ParentId: root, MaxResults: 20, NextToken: token}))
		for _, u := range page.OrganizationalUnits {
			if strings.HasPrefix(u.Name, otherID) {
				t.Errorf("the member's refused write left OU %s (%s)", u.Id, u.Name)
			}
		}
		count += len(page.OrganizationalUnits)
		token = page.NextToken
	}
	if count != made {
		t.Errorf("%d OUs under the root, want the management account's %d", count, made)
	}
	if err := a.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
}
