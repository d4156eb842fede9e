package org

import (
	"context"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store/memstore"
)

// TestRecordCacheSeesOtherServersWrites has one server read records,
// which it then keeps decoded, and another change them: the first must
// answer with the changes at once, on a shared memory store and on
// PostgreSQL.
func TestRecordCacheSeesOtherServersWrites(t *testing.T) {
	shared := func(t *testing.T) (*Service, *Service) {
		st := memstore.New()
		var svcs [2]*Service
		for i := range svcs {
			var err error
			if svcs[i], err = New(context.Background(), st, DefaultConfig()); err != nil {
				t.Fatal(err)
			}
		}
		return svcs[0], svcs[1]
	}
	for name, open := range map[string]func(*testing.T) (*Service, *Service){
		"memory": shared, "postgres": func(t *testing.T) (*Service, *Service) { return twoServers(t) },
	} {
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
