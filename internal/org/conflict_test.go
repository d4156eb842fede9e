package org

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

// conflicting is a store whose Updates give up with store.ErrConflict
// once fail is set, as a PostgreSQL store does after its bounded wait.
type conflicting struct {
	store.Store
	fail atomic.Bool
	hint store.Hint // the last Update's
}

// UsesHints says that the store reads hints, as a PostgreSQL store does,
// so that the service builds them.
func (c *conflicting) UsesHints() bool { return true }

func (c *conflicting) Update(ctx context.Context, fn func(store.Tx) error) error {
	c.hint = store.HintFrom(ctx)
	if c.fail.Load() {
		return fmt.Errorf("%w: gave up", store.ErrConflict)
	}
	return c.Store.Update(ctx, fn)
}

func TestStoreConflictIsConcurrentModification(t *testing.T) {
	st := &conflicting{Store: memstore.New()}
	svc, err := New(context.Background(), st, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	out, err := svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	root := must[*api.ListRootsResponse](t)(svc.ListRoots(as(mgmtID), &api.ListRootsRequest{})).Roots[0].Id
	// The caller's organization is known now: its writes carry it as their
	// scope, with the records they read first.
	if _, err := svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: root, Tags: []api.Tag{{Key: "k", Value: "v"}}}); err != nil {
		t.Fatal(err)
	}
	if want := keyOrg(out.Organization.Id); st.hint.Scope != want {
		t.Errorf("hint scope = %q, want %q", st.hint.Scope, want)
	}
	for _, k := range []string{keyClock, keyAccount(mgmtID), keyOrg(out.Organization.Id), keyTags(root)} {
		found := false
		for _, h := range st.hint.Keys {
			found = found || h == k
		}
		if !found {
			t.Errorf("hint keys %q lack %q", st.hint.Keys, k)
		}
	}
	st.fail.Store(true)
	_, err = svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "x"})
	var e *api.Error
	if !errors.As(err, &e) || e.Type != api.ErrConcurrentModification {
		t.Fatalf("CreateOrganizationalUnit on a store that gave up = %v, want ConcurrentModificationException", err)
	}
}

// hintless records the hints its transactions carry, and uses none.
type hintless struct {
	store.Store
	hints int
}

func (h *hintless) View(ctx context.Context, fn func(store.Tx) error) error {
	if hint := store.HintFrom(ctx); hint.Scope != "" || hint.Keys != nil || hint.Prefixes != nil {
		h.hints++
	}
	return h.Store.View(ctx, fn)
}

func (h *hintless) Update(ctx context.Context, fn func(store.Tx) error) error {
	if hint := store.HintFrom(ctx); hint.Scope != "" || hint.Keys != nil || hint.Prefixes != nil {
		h.hints++
	}
	return h.Store.Update(ctx, fn)
}

// A store that does not use hints is given none: building one costs a
// request several allocations.
func TestNoHintsForStoreWithoutUse(t *testing.T) {
	st := &hintless{Store: memstore.New()}
	svc, err := New(context.Background(), st, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: mgmtID}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DescribeOrganization(as(mgmtID), &api.Empty{}); err != nil {
		t.Fatal(err)
	}
	if st.hints != 0 {
		t.Errorf("%d transactions carried a hint", st.hints)
	}
}

// A store that reads hints learns whether a new OU's ID is free with the
// transaction's first read: the ID is drawn before it and its key hinted.
func TestCreateOUDrawsItsIDWithTheHint(t *testing.T) {
	st := &conflicting{Store: memstore.New()}
	svc, err := New(context.Background(), st, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	root := must[*api.ListRootsResponse](t)(svc.ListRoots(as(mgmtID), &api.ListRootsRequest{})).Roots[0].Id
	parent := root
	for _, name := range []string{"under-root", "under-ou"} {
		out, err := svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		id := out.OrganizationalUnit.Id
		found := false
		for _, k := range st.hint.Keys {
			found = found || k == keyOU(id)
		}
		if !found {
			t.Errorf("OU %s under %s: hint keys %q lack its key", id, parent, st.hint.Keys)
		}
		parent = id
	}
}

// newID tries a drawn ID first, and only when it fits and is free.
func TestNewIDTriesTheDrawnID(t *testing.T) {
	svc, err := New(context.Background(), memstore.New(), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	taken := "ou-abcd-takentak"
	if err := svc.store.Update(context.Background(), func(tx store.Tx) error { return tx.Put(keyOU(taken), []byte("{}")) }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		drawn   string
		useIt   bool
		comment string
	}{
		{"ou-abcd-freefree", true, "free and fitting"},
		{taken, false, "taken"},
		{"ou-wxyz-freefree", false, "another root's prefix"},
		{"ou-abcd-short", false, "too short"},
	} {
		ctx := context.WithValue(context.Background(), drawnIDKey{}, tc.drawn)
		var id string
		err := svc.store.Update(ctx, func(tx store.Tx) error {
			var err error
			id, err = (&txn{Tx: tx, s: svc, ctx: ctx}).newID("ou-abcd-", ouIDs, keyOU)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if (id == tc.drawn) != tc.useIt || len(id) != len("ou-abcd-")+8 || id[:8] != "ou-abcd-" {
			t.Errorf("%s: drawn %q gave %q", tc.comment, tc.drawn, id)
		}
	}
}
