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

// join writes accounts ids straight into mgmt's organization under parent
// ("" for the root), joined by method: as CreateAccount or an accepted
// invitation leave them, without either.
func (f *fixture) join(mgmt, parent string, method api.AccountJoinedMethod, ids ...string) {
	f.t.Helper()
	err := f.svc.write(context.Background(), func(t *txn) error {
		o, err := mgmtOrg(t, mgmt)
		if err != nil {
			return err
		}
		if parent == "" {
			parent = o.Root
		}
		for _, id := range ids {
			a, err := t.account(id)
			if err != nil {
				return err
			}
			if err := joinTx(t, o, a, parent, method); err != nil {
				return err
			}
		}
		return t.putOrg(o)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// mgmtOrg returns, in t, the organization of account mgmt (nil when it
// has none).
func mgmtOrg(t *txn, mgmt string) (*organization, error) {
	m, err := t.account(mgmt)
	if err != nil {
		return nil, err
	}
	o, _, err := t.org(m.Org)
	return o, err
}

// orgRecord returns the stored organization of mgmt.
func (f *fixture) orgRecord(mgmt string) *organization {
	f.t.Helper()
	var o *organization
	err := f.svc.read(context.Background(), func(t *txn) error {
		var err error
		o, err = mgmtOrg(t, mgmt)
		return err
	})
	if err != nil || o == nil {
		f.t.Fatalf("org of %s: %v", mgmt, err)
	}
	return o
}

// plantDelegatedAdmin registers acct, a member of mgmt's organization, as
// a delegated administrator for some service, writing the index directly.
func (f *fixture) plantDelegatedAdmin(mgmt, acct string) {
	f.t.Helper()
	err := f.svc.write(context.Background(), func(t *txn) error {
		o, err := mgmtOrg(t, mgmt)
		if err != nil {
			return err
		}
		return t.Put(prefixDelegated(o.ID, acct)+"service.example.com", nil)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// joinTx makes account a a member of o under parent, joined by method
// now, in t; the caller stores o.
func joinTx(t *txn, o *organization, a *account, parent string, method api.AccountJoinedMethod) error {
	a.Joined, a.JoinedAt, a.State = method, t.now(), api.AccountStateActive
	if err := t.addMember(o, a, parent); err != nil {
		return err
	}
	o.Members++
	// As a real join does: policies attach their defaults.
	return t.memberJoined(o, a)
}

// callerCase is an operation for checkCallers: call makes it as account
// c; daMay says whether a delegated administrator may.
type callerCase struct {
	name  string
	daMay bool
	call  func(c string) error
}

// checkCallers makes each call, in a subtest, as a standalone account
// (AWSOrganizationsNotInUseException), as a plain member
// (AccessDeniedException), as the delegated administrator da (refused
// the same way unless daMay) and as mgmtID, which may.
func checkCallers(t *testing.T, calls []callerCase, standalone, member, da string) {
	t.Helper()
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.call(standalone), api.ErrAWSOrganizationsNotInUse, "")
			wantErr(t, tc.call(member), api.ErrAccessDenied, "")
			if err := tc.call(da); tc.daMay && err != nil {
				t.Errorf("delegated administrator: %v", err)
			} else if !tc.daMay {
				wantErr(t, err, api.ErrAccessDenied, "")
			}
			if err := tc.call(mgmtID); err != nil {
				t.Errorf("management account: %v", err)
			}
		})
	}
}

// walkPages walks a listing to its end and returns every item and the
// number of pages: page fetches the page after token, with its items and
// the next token. It fails the test on an error, or on a page of more than
// max items when max > 0, and stops after 1000 pages.
func walkPages[T any](f *fixture, max int32, page func(token string) ([]T, string, error)) (all []T, pages int) {
	f.t.Helper()
	token := ""
	for pages < 1000 {
		items, next, err := page(token)
		if err != nil {
			f.t.Fatal(err)
		}
		pages++
		if max > 0 && len(items) > int(max) {
			f.t.Fatalf("page of %d, max %d", len(items), max)
		}
		all = append(all, items...)
		if token = next; token == "" {
			break
		}
	}
	return all, pages
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
