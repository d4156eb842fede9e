package org

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// listAll lists every account of mgmt's organization through svc, in
// pages of max.
func listAll(t *testing.T, svc *Service, max int32) []api.Account {
	t.Helper()
	var all []api.Account
	token := ""
	for range 100 {
		out, err := svc.ListAccounts(as(mgmtID), &api.ListAccountsRequest{MaxResults: max, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Accounts...)
		if token = out.NextToken; token == "" {
			return all
		}
	}
	t.Fatal("no end to the pages")
	return nil
}

// fields returns a listed account without its Encoded, having checked
// that Encoded, when set, is what AppendJSON writes from the fields: a
// kept JSON that no longer matches them is a stale view.
func fields(t *testing.T, a api.Account) api.Account {
	t.Helper()
	enc := a.Encoded
	a.Encoded = nil
	if want := a.AppendJSON(nil); enc != nil && !bytes.Equal(enc, want) {
		t.Errorf("%s's Encoded is\n%s\nits fields encode as\n%s", a.Id, enc, want)
	}
	return a
}

// TestListedViewsSeeOtherServersWrites has one server list accounts,
// whose views it then keeps, and another move and close some of them:
// the first server's next listing must show them as the other describes
// them, on a shared memory store and on PostgreSQL.
func TestListedViewsSeeOtherServersWrites(t *testing.T) {
	for name, open := range twoServices {
		t.Run(name, func(t *testing.T) {
			a, b := open(t)
			fa, fb := &fixture{t: t, svc: a}, &fixture{t: t, svc: b}
			fa.newOrg(mgmtID, "")
			ids := fa.seedAccounts(mgmtID, 7)
			root := fa.rootID(mgmtID)
			for _, max := range []int32{3, 20} {
				listAll(t, a, max) // server a keeps the views
			}
			ou := fb.newOU(mgmtID, root, "moved")
			for _, id := range ids[:3] {
				if _, err := b.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: id, SourceParentId: root, DestinationParentId: ou}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := b.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[5]}); err != nil {
				t.Fatal(err)
			}
			for _, max := range []int32{3, 20} {
				got := listAll(t, a, max)
				if len(got) != len(ids)+1 {
					t.Fatalf("max %d: server a listed %d accounts, want %d", max, len(got), len(ids)+1)
				}
				for _, acct := range got {
					if want := fb.describeAccount(mgmtID, acct.Id); !reflect.DeepEqual(fields(t, acct), *want) {
						t.Errorf("max %d: server a listed %+v, server b describes %+v", max, acct, *want)
					}
				}
			}
		})
	}
}

// TestListedViewsHandOutCopies changes every field of every account a
// listing returned and lists again: the kept views must not have shared
// anything with the first listing.
func TestListedViewsHandOutCopies(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.seedAccounts(mgmtID, 4)
	first := listAll(t, f.svc, 20)
	want := make([]api.Account, len(first))
	for i, acct := range first {
		want[i] = *f.describeAccount(mgmtID, acct.Id)
		first[i].Paths[0] = "changed"
		first[i] = api.Account{Id: "changed", Paths: first[i].Paths}
	}
	got := listAll(t, f.svc, 20)
	for i := range got {
		got[i] = fields(t, got[i])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the first listing was changed, listed\n%+v\nwant\n%+v", got, want)
	}
}
