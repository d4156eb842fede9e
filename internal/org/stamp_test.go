package org

import (
	"context"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/memo"
	"github.com/orgd/orgd/internal/store"
)

// TestStamps: what the operations say their answers depended on, which
// decides whether a memo may keep them (package memo).
func TestStamps(t *testing.T) {
	const delay = time.Minute
	f := newFixture(t, func(c *Config) { c.CreateAccountDelay = delay })
	f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	f.join(mgmtID, f.rootID(mgmtID), api.AccountJoinedMethodInvited, otherID)
	// The server clock runs an hour ahead of the base clock, which is
	// the clock of a stamp's bound.
	f.advance(time.Hour)
	stamped := func(ctx context.Context, call func(context.Context) error) *memo.Stamp {
		t.Helper()
		st := new(memo.Stamp)
		if err := call(memo.NewContext(ctx, st)); err != nil {
			t.Fatal(err)
		}
		return st
	}
	describeOrg := func(ctx context.Context) error { _, err := f.svc.DescribeOrganization(ctx, &api.Empty{}); return err }

	st := stamped(as(mgmtID), describeOrg)
	if !st.Keepable() {
		t.Error("the management account's DescribeOrganization is not keepable")
	}
	// The stamp names the state: kept under it, a memo answers until the
	// state changes.
	v, _ := f.svc.StateVersion()
	m := memo.New(f.svc.StateVersion, f.svc.cfg.Now)
	k := memo.Key{Op: "DescribeOrganization"}
	m.Put(k, nil, []byte("answer"), st)
	if _, ok := m.Get(k, nil); !ok {
		t.Fatalf("an answer stamped at state %d is not given at that state", v)
	}
	f.advance(time.Second)
	if _, ok := m.Get(k, nil); ok {
		t.Error("an answer is given after the clock moved, which writes the state")
	}

	if st := stamped(as(otherID), describeOrg); st.Keepable() {
		t.Error("a member's DescribeOrganization, which SCPs decide, is keepable")
	}
	var created *api.CreateAccountStatus
	if st := stamped(as(mgmtID), func(ctx context.Context) error {
		out, err := f.svc.CreateAccount(ctx, &api.CreateAccountRequest{Email: "n@example.com", AccountName: "n"})
		if err == nil {
			created = out.CreateAccountStatus
		}
		return err
	}); st.Keepable() {
		t.Error("CreateAccount's answer is keepable")
	}
	// A read that looks at the clock is not kept; one that does not, is.
	for _, timed := range []bool{false, true} {
		st := stamped(as(mgmtID), func(ctx context.Context) error {
			return f.svc.read(ctx, func(t *txn) error {
				if timed {
					t.now()
				}
				return nil
			})
		})
		if st.Keepable() == timed {
			t.Errorf("a read that looked at the clock: %v; keepable: %v", timed, st.Keepable())
		}
	}
	// The creation's status stays IN_PROGRESS until it falls due, which
	// bounds how long the answer is kept (below).
	if st := stamped(as(mgmtID), func(ctx context.Context) error {
		_, err := f.svc.DescribeCreateAccountStatus(ctx, &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: created.Id})
		return err
	}); !st.Keepable() {
		t.Error("DescribeCreateAccountStatus is not keepable")
	}

	// With the creation scheduled, a kept listing holds until it falls
	// due, on the base clock.
	st = stamped(as(mgmtID), func(ctx context.Context) error {
		_, err := f.svc.ListAccounts(ctx, &api.ListAccountsRequest{})
		return err
	})
	if !st.Keepable() {
		t.Fatal("ListAccounts is not keepable")
	}
	m = memo.New(f.svc.StateVersion, f.svc.cfg.Now)
	m.Put(k, nil, []byte("page"), st)
	if _, ok := m.Get(k, nil); !ok {
		t.Fatal("a listing is not given before the creation falls due")
	}
	due := f.svc.cfg.Now().Add(delay)
	m = memo.New(f.svc.StateVersion, func() time.Time { return due })
	m.Put(k, nil, []byte("page"), st)
	if _, ok := m.Get(k, nil); ok {
		t.Error("a listing is given once the creation fell due on the base clock")
	}
	m = memo.New(f.svc.StateVersion, func() time.Time { return due.Add(-time.Nanosecond) })
	m.Put(k, nil, []byte("page"), st)
	if _, ok := m.Get(k, nil); !ok {
		t.Error("a listing is not given just before the creation falls due")
	}
	if _, ok := store.Version(f.svc.store); !ok {
		t.Error("the memory store numbers no states")
	}
}
