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
