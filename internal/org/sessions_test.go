package org

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// putMember writes a member account straight into mgmt's organization, so
// that these tests need no CreateAccount.
func (f *fixture) putMember(orgID, id string, state api.AccountState, role string) {
	f.t.Helper()
	err := f.svc.write(context.Background(), func(t *txn) error {
		return t.putAccount(&account{ID: id, Email: defaultEmail(id), Name: defaultName(id), Org: orgID,
			Joined: api.AccountJoinedMethodCreated, JoinedAt: t.now(), State: state, RoleName: role})
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func TestCanAssumeRole(t *testing.T) {
	const (
		member    = "444444444444"
		suspended = "555555555555"
		foreign   = "666666666666" // member of another organization
		otherMgmt = "777777777777"
	)
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	f.putMember(o.Id, member, api.AccountStateActive, "OrganizationAccountAccessRole")
	f.putMember(o.Id, otherID, api.AccountStateActive, "")
	f.putMember(o.Id, suspended, api.AccountStateSuspended, "OrganizationAccountAccessRole")
	o2 := f.newOrg(otherMgmt, "")
	f.putMember(o2.Id, foreign, api.AccountStateActive, "OrganizationAccountAccessRole")

	for _, tc := range []struct {
		name    string
		caller  string
		account string
		role    string
		want    bool
	}{
		{"management into a created account's role", mgmtID, member, "OrganizationAccountAccessRole", true},
		{"management into any role of a member", mgmtID, otherID, "Auditor", true},
		{"management into its own account", mgmtID, mgmtID, "Admin", true},
		{"member into its own account", member, member, "Deploy", true},
		{"standalone into its own account", thirdID, thirdID, "Deploy", true},
		{"member into another member", member, otherID, "OrganizationAccountAccessRole", false},
		{"member into the management account", member, mgmtID, "OrganizationAccountAccessRole", false},
		{"management into a suspended member", mgmtID, suspended, "OrganizationAccountAccessRole", false},
		{"management into another organization", mgmtID, foreign, "OrganizationAccountAccessRole", false},
		{"management into a standalone account", mgmtID, thirdID, "OrganizationAccountAccessRole", false},
		{"standalone into a member", thirdID, member, "OrganizationAccountAccessRole", false},
		{"another management into a member", otherMgmt, member, "OrganizationAccountAccessRole", false},
		{"not an account ID", mgmtID, "12345", "OrganizationAccountAccessRole", false},
		{"no role", mgmtID, member, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.svc.CanAssumeRole(context.Background(), identity.Caller{AccountID: tc.caller}, tc.account, tc.role)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("CanAssumeRole(%s -> %s/%s) = %v, want %v", tc.caller, tc.account, tc.role, got, tc.want)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	exp := f.now().Add(time.Hour)
	s := identity.Session{
		AccessKeyID: "ASIAABCDEFGHIJKLMNOP", SecretAccessKey: "secret", SessionToken: "token", Expiration: exp,
		AccountID: otherID, RoleName: "R", RoleARN: "arn:aws:iam::" + otherID + ":role/R", SessionName: "s",
		Principal: "arn:aws:sts::" + otherID + ":assumed-role/R/s", Source: "arn:aws:iam::" + mgmtID + ":root",
	}
	if err := f.svc.PutSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutSession(ctx, s); !errors.Is(err, identity.ErrSessionExists) {
		t.Fatalf("second PutSession: %v, want ErrSessionExists", err)
	}

	// A second service over the same store, as after a restart or on
	// another server, sees the session.
	other, err := New(ctx, f.svc.store, f.svc.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		advance time.Duration
		key     string
		want    bool
	}{
		{"issued", 0, s.AccessKeyID, true},
		{"unknown key", 0, "ASIAZZZZZZZZZZZZZZZZ", false},
		{"expired sessions are kept a while", 2 * time.Hour, s.AccessKeyID, true},
		{"and then dropped", sessionRetention, s.AccessKeyID, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.advance(tc.advance)
			got, ok, err := other.Session(ctx, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.want {
				t.Fatalf("found %v, want %v", ok, tc.want)
			}
			if ok && (got.SecretAccessKey != s.SecretAccessKey || got.SessionToken != s.SessionToken || !got.Expiration.Equal(exp) || got.Principal != s.Principal) {
				t.Fatalf("got %+v, want %+v", got, s)
			}
		})
	}
}
