package org

import (
	"context"
	"errors"
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
