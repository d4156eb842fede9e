package org

import (
	"context"
	"errors"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store/memstore"
)

// twoServices open two Services over one store, as two servers share
// one: a memory store, and PostgreSQL when the tests have one.
var twoServices = map[string]func(*testing.T) (*Service, *Service){
	"memory": func(t *testing.T) (*Service, *Service) {
		st := memstore.New()
		var svcs [2]*Service
		for i := range svcs {
			var err error
			if svcs[i], err = New(context.Background(), st, DefaultConfig()); err != nil {
				t.Fatal(err)
			}
		}
		return svcs[0], svcs[1]
	},
	"postgres": func(t *testing.T) (*Service, *Service) { return twoServers(t) },
}

// TestRecordCacheSeesOtherServersWrites has one server read records,
// which it then keeps decoded, and another change them: the first must
// answer with the changes at once, on a shared memory store and on
// PostgreSQL.
func TestRecordCacheSeesOtherServersWrites(t *testing.T) {
	for name, open := range twoServices {
		t.Run(name, func(t *testing.T) {
			a, b := open(t)
			ctx := as(mgmtID)
			if _, err := a.CreateOrganization(ctx, &api.CreateOrganizationRequest{FeatureSet: api.OrganizationFeatureSetAll}); err != nil {
				t.Fatal(err)
			}
			roots, err := a.ListRoots(ctx, &api.ListRootsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			rootID := roots.Roots[0].Id
			ou, err := a.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: rootID, Name: "before"})
			if err != nil {
				t.Fatal(err)
			}
			id := ou.OrganizationalUnit.Id
			for i, name := range []string{"after", "again"} {
				if got, err := a.DescribeOrganizationalUnit(ctx, &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: id}); err != nil {
					t.Fatal(err)
				} else if want := []string{"before", "after"}[i]; got.OrganizationalUnit.Name != want {
					t.Fatalf("server a: OU named %q, want %q", got.OrganizationalUnit.Name, want)
				}
				if _, err := b.UpdateOrganizationalUnit(ctx, &api.UpdateOrganizationalUnitRequest{OrganizationalUnitId: id, Name: name}); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := a.DescribeOrganizationalUnit(ctx, &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: id}); err != nil || got.OrganizationalUnit.Name != "again" {
				t.Fatalf("server a after b renamed the OU: %+v, %v; want again", got, err)
			}
			if _, err := b.EnablePolicyType(ctx, &api.EnablePolicyTypeRequest{RootId: rootID, PolicyType: api.PolicyTypeTagPolicy}); err != nil {
				t.Fatal(err)
			}
			roots, err = a.ListRoots(ctx, &api.ListRootsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, pt := range roots.Roots[0].PolicyTypes {
				found = found || pt.Type == api.PolicyTypeTagPolicy
			}
			if !found {
				t.Fatalf("server a after b enabled tag policies: root's policy types %+v", roots.Roots[0].PolicyTypes)
			}
		})
	}
}

// TestRecordCacheHandsOutCopies changes what decode returned, slices
// included, and decodes the same bytes again: the cache must not have
// shared anything with the first caller.
func TestRecordCacheHandsOutCopies(t *testing.T) {
	c := newRecordCache()
	raw := []byte(`{"ID":"r-abcd","Org":"o-abcdefghij","Name":"Root","PolicyTypes":[{"Type":"SERVICE_CONTROL_POLICY","Status":"ENABLED"}]}`)
	for range 2 { // the first decodes and keeps; the second comes from the cache
		var r root
		if err := c.decode("root/r-abcd", raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.Name != "Root" || len(r.PolicyTypes) != 1 || r.PolicyTypes[0].Status != api.PolicyTypeStatusEnabled {
			t.Fatalf("decoded %+v", r)
		}
		r.Name = "changed"
		r.PolicyTypes[0].Status = api.PolicyTypeStatusPendingDisable
	}
	var tags []api.Tag
	tagRaw := []byte(`[{"Key":"k","Value":"v"}]`)
	for range 2 {
		tags = nil
		if err := c.decode("tags/r-abcd", tagRaw, &tags); err != nil {
			t.Fatal(err)
		}
		if len(tags) != 1 || tags[0].Value != "v" {
			t.Fatalf("decoded tags %+v", tags)
		}
		tags[0].Value = "changed"
	}
	// Other bytes under the same key are another version.
	var r root
	if err := c.decode("root/r-abcd", []byte(`{"ID":"r-abcd","Name":"Renamed"}`), &r); err != nil || r.Name != "Renamed" || r.PolicyTypes != nil {
		t.Fatalf("new version decoded as %+v, %v", r, err)
	}
}

// TestRecordCacheRefreshedByWrites has writes keep what they stored: the
// next read sees it, a write that failed leaves the stored record seen,
// and what the writer changes afterwards is not seen.
func TestRecordCacheRefreshedByWrites(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	ous := func() int { return f.orgRecord(mgmtID).OUs }
	ous() // the organization's record is kept from here on
	bump := func(fail error) error {
		return f.svc.write(context.Background(), func(t *txn) error {
			o, err := mgmtOrg(t, mgmtID)
			if err != nil {
				return err
			}
			o.OUs += 10
			if err := t.putOrg(o); err != nil {
				return err
			}
			o.OUs += 100 // after the write: not stored
			return fail
		})
	}
	if err := bump(nil); err != nil {
		t.Fatal(err)
	}
	if got := ous(); got != 10 {
		t.Fatalf("after a write of 10 OUs, the organization has %d", got)
	}
	failed := errors.New("failed")
	if err := bump(failed); err != failed {
		t.Fatalf("write: %v, want %v", err, failed)
	}
	if got := ous(); got != 10 {
		t.Fatalf("after a write that failed, the organization has %d OUs, want 10 still", got)
	}

	// A key the cache does not hold stays out of it.
	c := newRecordCache()
	c.refresh("ou/ou-new", []byte(`{"ID":"ou-new"}`), &ou{ID: "ou-new"})
	for i := range c.shards {
		if n := len(c.shards[i].m); n != 0 {
			t.Fatalf("refresh of a record never read kept %d entries", n)
		}
	}
}
