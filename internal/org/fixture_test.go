package org

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/store/memstore"
)

// The accounts tests act as.
const (
	mgmtID  = "111111111111"
	otherID = "222222222222"
	thirdID = "333333333333"
)

// fixture is a Service on a memory store with a fixed base clock.
type fixture struct {
	t   testing.TB
	svc *Service
}

func newFixture(t testing.TB, configure ...func(*Config)) *fixture {
	t.Helper()
	cfg := DefaultConfig()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return base }
	for _, c := range configure {
		c(&cfg)
	}
	svc, err := New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, svc: svc}
}

// as returns a context whose caller is account id.
func as(id string) context.Context {
	return identity.NewContext(context.Background(), identity.Caller{AccountID: id, AccessKeyID: id})
}

// advance moves the server clock and runs what falls due.
func (f *fixture) advance(d time.Duration) time.Time {
	f.t.Helper()
	now, err := f.svc.AdvanceClock(context.Background(), d)
	if err != nil {
		f.t.Fatal(err)
	}
	return now
}

func (f *fixture) now() time.Time {
	f.t.Helper()
	now, err := f.svc.Now(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return now
}

// newOrg creates an organization managed by mgmt.
func (f *fixture) newOrg(mgmt string, fs api.OrganizationFeatureSet) *api.Organization {
	f.t.Helper()
	out, err := f.svc.CreateOrganization(as(mgmt), &api.CreateOrganizationRequest{FeatureSet: fs})
	if err != nil {
		f.t.Fatalf("CreateOrganization: %v", err)
	}
	return out.Organization
}

// rootID returns the root of mgmt's organization.
func (f *fixture) rootID(mgmt string) string {
	f.t.Helper()
	out, err := f.svc.ListRoots(as(mgmt), &api.ListRootsRequest{})
	if err != nil {
		f.t.Fatalf("ListRoots: %v", err)
	}
	return out.Roots[0].Id
}

// wantErr fails unless err is the API exception typ with the given reason
// ("" for none).
func wantErr(t testing.TB, err error, typ, reason string) {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want %s(%s)", err, typ, reason)
	}
	if e.Type != typ || e.Reason != reason {
		t.Fatalf("got %s(%s) %q, want %s(%s)", e.Type, e.Reason, e.Message, typ, reason)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
