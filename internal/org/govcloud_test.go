package org

import (
	"context"
	"fmt"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// govCloud associates acct with a GovCloud account and returns its ID.
func (f *fixture) govCloud(acct string) string {
	f.t.Helper()
	id, err := f.svc.SetGovCloud(context.Background(), acct, true)
	if err != nil {
		f.t.Fatalf("SetGovCloud %s: %v", acct, err)
	}
	if !identity.IsAccountID(id) {
		f.t.Fatalf("SetGovCloud %s: GovCloud account %q", acct, id)
	}
	return id
}

// createGov sends CreateGovCloudAccount as caller.
func (f *fixture) createGov(caller, name, email string) (*api.CreateAccountStatus, error) {
	out, err := f.svc.CreateGovCloudAccount(as(caller), &api.CreateGovCloudAccountRequest{AccountName: name, Email: email})
	if err != nil {
		return nil, err
	}
	return out.CreateAccountStatus, nil
}

// Who may call CreateGovCloudAccount, and the management account's
// GovCloud association it needs.
func TestCreateGovCloudAccountPreconditions(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	// A member with a GovCloud account of its own is still not the
	// management account.
	f.govCloud(otherID)
	for _, tc := range []struct {
		name, caller, role string
		typ, reason        string
	}{
		{"management account without GovCloud", mgmtID, "", api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMasterAccountNotGovcloudEnabled)},
		{"member", otherID, "", api.ErrAccessDenied, ""},
		{"standalone account", thirdID, "", api.ErrAWSOrganizationsNotInUse, ""},
		// The input is checked before the caller, as for CreateAccount.
		{"reserved role name", mgmtID, "AWSServiceRoleForX", api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidRoleName)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateGovCloudAccount(as(tc.caller), &api.CreateGovCloudAccountRequest{AccountName: "Gov", Email: "gov@example.org", RoleName: tc.role})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	// Nothing was started by the refused requests.
	if o := f.orgRecord(mgmtID); o.CreatesInProgress != 0 {
		t.Fatalf("%d creations in progress", o.CreatesInProgress)
	}
	// Once associated, the same request is accepted; ending the
	// association refuses it again.
	f.govCloud(mgmtID)
	if _, err := f.createGov(mgmtID, "Gov", "gov@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetGovCloud(context.Background(), mgmtID, false); err != nil {
		t.Fatal(err)
	}
	_, err := f.createGov(mgmtID, "Gov2", "gov2@example.org")
	wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonMasterAccountNotGovcloudEnabled))
}

// CreateGovCloudAccount runs like CreateAccount and reports both
// accounts when it succeeds.
func TestCreateGovCloudAccount(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	mgmtGov := f.govCloud(mgmtID)
	st, err := f.createGov(mgmtID, "Gov", "gov@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != api.CreateAccountStateInProgress || st.AccountId != "" || st.GovCloudAccountId != "" || st.AccountName != "Gov" {
		t.Fatalf("first status %+v", st)
	}
	// It counts as a creation in progress, as CreateAccount's do.
	if o := f.orgRecord(mgmtID); o.CreatesInProgress != 1 {
		t.Fatalf("%d creations in progress", o.CreatesInProgress)
	}
	f.advance(f.svc.cfg.CreateAccountDelay)
	done := f.createStatusOf(mgmtID, st.Id)
	if done.State != api.CreateAccountStateSucceeded || !identity.IsAccountID(done.AccountId) || !identity.IsAccountID(done.GovCloudAccountId) {
		t.Fatalf("completed status %+v", done)
	}
	if done.GovCloudAccountId == done.AccountId || done.GovCloudAccountId == mgmtGov {
		t.Fatalf("GovCloud account %s is not a new one (commercial %s, management's %s)", done.GovCloudAccountId, done.AccountId, mgmtGov)
	}
	// The commercial account is a created member with the request's email.
	a := f.describeAccount(mgmtID, done.AccountId)
	if a.JoinedMethod != api.AccountJoinedMethodCreated || a.Email != "gov@example.org" || a.Name != "Gov" {
		t.Fatalf("account %+v", a)
	}
	// The new commercial account is associated with the new GovCloud one.
	if got := f.govCloud(done.AccountId); got != done.GovCloudAccountId {
		t.Fatalf("the new account is paired with %s, want %s", got, done.GovCloudAccountId)
	}
	// Listings show the GovCloud account too; CreateAccount's do not.
	plain := f.createAcct(mgmtID, "plain")
	list, err := f.svc.ListCreateAccountStatus(as(mgmtID), &api.ListCreateAccountStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, s := range list.CreateAccountStatuses {
		switch s.AccountId {
		case done.AccountId:
			seen++
			if s.GovCloudAccountId != done.GovCloudAccountId {
				t.Errorf("listed GovCloud status %+v", s)
			}
		case plain:
			seen++
			if s.GovCloudAccountId != "" {
				t.Errorf("CreateAccount status with a GovCloud account: %+v", s)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("listed %d of the 2 requests: %+v", seen, list.CreateAccountStatuses)
	}
}

// The asynchronous failures of a GovCloud request.
func TestCreateGovCloudAccountFailures(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	f.govCloud(mgmtID)
	f.createAcct(mgmtID, "commercial") // commercial@example.net, no GovCloud account
	first, err := f.createGov(mgmtID, "Gov", "gov@example.org")
	if err != nil {
		t.Fatal(err)
	}
	f.advance(f.svc.cfg.CreateAccountDelay)
	if st := f.createStatusOf(mgmtID, first.Id); st.State != api.CreateAccountStateSucceeded {
		t.Fatalf("first request %+v", st)
	}
	mgmtEmail := f.describeAccount(mgmtID, mgmtID).Email
	for _, tc := range []struct {
		name, email string
		want        api.CreateAccountFailureReason
	}{
		// The GovCloud Region has the account this request made.
		{"GovCloud email taken by a created account", "GOV@example.org", api.CreateAccountFailureReasonGovcloudAccountAlreadyExists},
		// The management account's own GovCloud account has its email.
		{"GovCloud email of the management account", mgmtEmail, api.CreateAccountFailureReasonGovcloudAccountAlreadyExists},
		// Only the commercial Region has the email.
		{"commercial email taken", "commercial@example.net", api.CreateAccountFailureReasonEmailAlreadyExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := f.createGov(mgmtID, "Again", tc.email)
			if err != nil {
				t.Fatal(err)
			}
			f.advance(f.svc.cfg.CreateAccountDelay)
			got := f.createStatusOf(mgmtID, st.Id)
			if got.State != api.CreateAccountStateFailed || got.FailureReason != tc.want || got.AccountId != "" || got.GovCloudAccountId != "" {
				t.Fatalf("status %+v, want FAILED %s", got, tc.want)
			}
		})
	}
	if o := f.orgRecord(mgmtID); o.CreatesInProgress != 0 || o.Members != 3 {
		t.Fatalf("counters %+v", o)
	}
}

// A deleted organization's GovCloud request marks go with its requests.
func TestDeleteOrganizationDropsGovCloudRequests(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	f.govCloud(mgmtID)
	mgmtEmail := f.describeAccount(mgmtID, mgmtID).Email
	st, err := f.createGov(mgmtID, "Gov", mgmtEmail) // fails: no new member
	if err != nil {
		t.Fatal(err)
	}
	f.advance(f.svc.cfg.CreateAccountDelay)
	has := func() (found bool) {
		f.inspect(func(t *txn) (err error) { found, err = t.has(keyGovCreate(st.Id)); return err })
		return found
	}
	if !has() {
		t.Fatal("no GovCloud mark on the request")
	}
	if _, err := f.svc.DeleteOrganization(as(mgmtID), &api.Empty{}); err != nil {
		t.Fatal(err)
	}
	if has() {
		t.Fatal("the GovCloud mark outlived its organization")
	}
	// The association is the account's and stays.
	f.inspect(func(t *txn) error {
		if paired, err := t.has(keyGovPair(mgmtID)); err != nil || !paired {
			return fmt.Errorf("association lost: %v", err)
		}
		return nil
	})
}

func TestSetGovCloud(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.govCloud(otherID)
	// Asking again keeps the same GovCloud account.
	if again := f.govCloud(otherID); again != first {
		t.Fatalf("re-association made %s, want %s", again, first)
	}
	// The GovCloud account keeps the email it was made with: once otherID
	// changes its email, thirdID may take the old one commercially but
	// not in GovCloud.
	must[struct{}](t)(struct{}{}, f.svc.RegisterAccount(ctx, otherID, "other-new@example.org", "Other"))
	must[struct{}](t)(struct{}{}, f.svc.RegisterAccount(ctx, thirdID, defaultEmail(otherID), "Third"))
	for _, tc := range []struct {
		name, acct  string
		typ, reason string
	}{
		{"not an account ID", "1234", api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidPattern)},
		{"email of another GovCloud account", thirdID, api.ErrDuplicateAccount, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SetGovCloud(ctx, tc.acct, true)
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	// Ending otherID's association frees the GovCloud email.
	if id, err := f.svc.SetGovCloud(ctx, otherID, false); err != nil || id != "" {
		t.Fatalf("disable: %q %v", id, err)
	}
	if third := f.govCloud(thirdID); third == first {
		t.Fatalf("thirdID got otherID's former GovCloud account %s", first)
	}
}
