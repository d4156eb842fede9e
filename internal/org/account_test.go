package org

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// errCV is short for the exception most account rules raise.
const errCV = api.ErrConstraintViolation

// startCreate sends CreateAccount as mgmt and returns the request ID.
func (f *fixture) startCreate(mgmt, name, email string) string {
	f.t.Helper()
	out, err := f.svc.CreateAccount(as(mgmt), &api.CreateAccountRequest{AccountName: name, Email: email})
	if err != nil {
		f.t.Fatalf("CreateAccount: %v", err)
	}
	return out.CreateAccountStatus.Id
}

// createStatusOf returns a CreateAccount request's status as mgmt sees it.
func (f *fixture) createStatusOf(mgmt, id string) *api.CreateAccountStatus {
	f.t.Helper()
	out, err := f.svc.DescribeCreateAccountStatus(as(mgmt), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: id})
	if err != nil {
		f.t.Fatalf("DescribeCreateAccountStatus: %v", err)
	}
	return out.CreateAccountStatus
}

// createAcct creates an account in mgmt's organization, waiting for it.
func (f *fixture) createAcct(mgmt, name string) string {
	f.t.Helper()
	id := f.startCreate(mgmt, name, name+"@example.net")
	f.advance(f.svc.cfg.CreateAccountDelay)
	st := f.createStatusOf(mgmt, id)
	if st.State != api.CreateAccountStateSucceeded {
		f.t.Fatalf("create %s: %+v", name, st)
	}
	return st.AccountId
}

// seedAccounts adds n invited members to mgmt's organization in one
// transaction, for tests and benchmarks that need many.
func (f *fixture) seedAccounts(mgmt string, n int) []string {
	f.t.Helper()
	ids := make([]string, n)
	err := f.svc.write(context.Background(), func(t *txn) error {
		o, err := mgmtOrg(t, mgmt)
		if err != nil {
			return err
		}
		for i := range ids {
			ids[i] = fmt.Sprintf("%012d", 500000000000+i)
			a := &account{ID: ids[i], Email: fmt.Sprintf("seed%d@example.org", i), Name: "seed " + ids[i]}
			if err := joinTx(t, o, a, o.Root, api.AccountJoinedMethodInvited); err != nil {
				return err
			}
		}
		return t.putOrg(o)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// inspect runs fn in a transaction of its own, to look at stored state.
func (f *fixture) inspect(fn func(t *txn) error) {
	f.t.Helper()
	if err := f.svc.write(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) newOU(mgmt, parent, name string) string {
	f.t.Helper()
	out, err := f.svc.CreateOrganizationalUnit(as(mgmt), &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: name})
	if err != nil {
		f.t.Fatalf("CreateOrganizationalUnit: %v", err)
	}
	return out.OrganizationalUnit.Id
}

func (f *fixture) describeAccount(caller, id string) *api.Account {
	f.t.Helper()
	out, err := f.svc.DescribeAccount(as(caller), &api.DescribeAccountRequest{AccountId: id})
	if err != nil {
		f.t.Fatalf("DescribeAccount %s: %v", id, err)
	}
	return out.Account
}

// allAccounts walks ListAccounts to the end with the given page size.
func (f *fixture) allAccounts(caller string, max int32) (ids []string, pages int) {
	f.t.Helper()
	all, pages := walkPages(f, max, func(token string) ([]api.Account, string, error) {
		out, err := f.svc.ListAccounts(as(caller), &api.ListAccountsRequest{MaxResults: max, NextToken: token})
		if err != nil {
			return nil, "", fmt.Errorf("ListAccounts: %w", err)
		}
		return out.Accounts, out.NextToken, nil
	})
	for _, a := range all {
		ids = append(ids, a.Id)
	}
	return ids, pages
}

func TestCreateAccount(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	t0 := f.now()
	out := must[*api.CreateAccountResponse](t)(f.svc.CreateAccount(as(mgmtID), &api.CreateAccountRequest{
		AccountName: "Dev", Email: "dev@example.net", Tags: []api.Tag{{Key: "team", Value: "a"}, {Key: "cost", Value: ""}},
	}))
	st := out.CreateAccountStatus
	if !regexp.MustCompile(`^car-[0-9a-f]{32}$`).MatchString(st.Id) {
		t.Errorf("Id %q", st.Id)
	}
	if st.State != api.CreateAccountStateInProgress || st.AccountName != "Dev" || !st.RequestedTimestamp.Equal(t0) ||
		!st.CompletedTimestamp.IsZero() || st.AccountId != "" || st.FailureReason != "" {
		t.Errorf("first status %+v", st)
	}
	// Still in progress until the delay passes.
	f.advance(f.svc.cfg.CreateAccountDelay - time.Millisecond)
	if got := f.createStatusOf(mgmtID, st.Id); got.State != api.CreateAccountStateInProgress {
		t.Fatalf("before the delay: %+v", got)
	}
	// A clock that jumps far past the delay still completes at the delay.
	f.advance(time.Hour)
	done := t0.Add(f.svc.cfg.CreateAccountDelay)
	got := f.createStatusOf(mgmtID, st.Id)
	if got.State != api.CreateAccountStateSucceeded || !regexp.MustCompile(`^\d{12}$`).MatchString(got.AccountId) ||
		!got.CompletedTimestamp.Equal(done) || !got.RequestedTimestamp.Equal(t0) || got.FailureReason != "" {
		t.Fatalf("final status %+v", got)
	}
	a := f.describeAccount(mgmtID, got.AccountId)
	want := api.Account{
		Id: got.AccountId, Arn: "arn:aws:organizations::" + mgmtID + ":account/" + o.Id + "/" + got.AccountId,
		Email: "dev@example.net", Name: "Dev", Status: api.AccountStatusActive, State: api.AccountStateActive,
		Paths:        []string{o.Id + "/" + f.rootID(mgmtID) + "/" + got.AccountId + "/"},
		JoinedMethod: api.AccountJoinedMethodCreated, JoinedTimestamp: api.NewTime(done),
	}
	if fmt.Sprint(*a) != fmt.Sprint(want) {
		t.Errorf("account\n got %+v\nwant %+v", *a, want)
	}
	f.inspect(func(t2 *txn) error {
		stored, _, err := t2.storedAccount(got.AccountId)
		if err != nil {
			return err
		}
		if stored.RoleName != defaultRoleName {
			t.Errorf("RoleName %q", stored.RoleName)
		}
		cs, _, err := t2.createStatus(st.Id)
		if err != nil {
			return err
		}
		if cs.IamBilling != api.IAMUserAccessToBillingAllow {
			t.Errorf("IamBilling %q", cs.IamBilling)
		}
		tags, err := t2.tags(got.AccountId)
		if fmt.Sprint(tags) != "[{cost } {team a}]" {
			t.Errorf("tags %v", tags)
		}
		return err
	})
	if o := f.orgRecord(mgmtID); o.Members != 2 || o.CreatesInProgress != 0 {
		t.Errorf("counters %+v", o)
	}
}

func TestCreateAccountOptions(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling) // both feature sets may create
	out := must[*api.CreateAccountResponse](t)(f.svc.CreateAccount(as(mgmtID), &api.CreateAccountRequest{
		AccountName: "Ops", Email: "ops@example.net", RoleName: "Admin", IamUserAccessToBilling: api.IAMUserAccessToBillingDeny,
	}))
	f.advance(f.svc.cfg.CreateAccountDelay)
	id := f.createStatusOf(mgmtID, out.CreateAccountStatus.Id).AccountId
	f.inspect(func(t2 *txn) error {
		a, _, err := t2.storedAccount(id)
		if err == nil && a.RoleName != "Admin" {
			t.Errorf("RoleName %q", a.RoleName)
		}
		cs, _, err := t2.createStatus(out.CreateAccountStatus.Id)
		if err == nil && cs.IamBilling != api.IAMUserAccessToBillingDeny {
			t.Errorf("IamBilling %q", cs.IamBilling)
		}
		return err
	})
}

func TestCreateAccountInvalidInput(t *testing.T) {
	tags := func(keys ...string) []api.Tag {
		var ts []api.Tag
		for _, k := range keys {
			ts = append(ts, api.Tag{Key: k})
		}
		return ts
	}
	for _, tc := range []struct {
		name          string
		in            api.CreateAccountRequest
		caller        string
		typ, reason   string
		wantNoRequest bool
	}{
		{"service role name", api.CreateAccountRequest{RoleName: "AWSServiceRoleForX"}, mgmtID, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidRoleName), true},
		{"role name before caller", api.CreateAccountRequest{RoleName: "AWSServiceRoleForX"}, thirdID, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidRoleName), true},
		{"email domain starts with dash", api.CreateAccountRequest{Email: "a@-example.net"}, mgmtID, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidPattern), true},
		{"email with comma", api.CreateAccountRequest{Email: "a,b@example.net"}, mgmtID, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidPattern), true},
		{"system tag", api.CreateAccountRequest{Tags: tags("aws:x")}, mgmtID, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter), true},
		{"duplicate tag", api.CreateAccountRequest{Tags: tags("a", "a")}, mgmtID, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonDuplicateTagKey), true},
		{"too many tags", api.CreateAccountRequest{Tags: tags("a", "b", "c")}, mgmtID, errCV, string(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded), true},
		{"tags at the limit", api.CreateAccountRequest{Tags: tags("a", "b")}, mgmtID, "", "", false},
		{"member", api.CreateAccountRequest{}, "member", api.ErrAccessDenied, "", true},
		{"standalone", api.CreateAccountRequest{}, thirdID, api.ErrAWSOrganizationsNotInUse, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Quotas.TagsPerResource = 2 })
			f.newOrg(mgmtID, "")
			caller := tc.caller
			if caller == "member" {
				caller = f.createAcct(mgmtID, "member")
			}
			in := tc.in
			if in.Email == "" {
				in.Email = "new@example.net"
			}
			in.AccountName = "New"
			_, err := f.svc.CreateAccount(as(caller), &in)
			if tc.typ == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantErr(t, err, tc.typ, tc.reason)
			}
			list := must[*api.ListCreateAccountStatusResponse](t)(f.svc.ListCreateAccountStatus(as(mgmtID), &api.ListCreateAccountStatusRequest{
				States: []api.CreateAccountState{api.CreateAccountStateInProgress}}))
			if got := len(list.CreateAccountStatuses) == 0; got != tc.wantNoRequest {
				t.Errorf("requests in progress: %d", len(list.CreateAccountStatuses))
			}
		})
	}
}

func TestCreateAccountQuotas(t *testing.T) {
	for _, tc := range []struct {
		name                string
		accounts, concurent int
		members, invites    int // beyond the management account
		inFlight            int
		reason              api.ConstraintViolationExceptionReason
	}{
		{"room left", 5, 5, 1, 1, 1, ""},
		{"members and creations fill the quota", 4, 5, 1, 0, 2, api.ConstraintViolationExceptionReasonAccountNumberLimitExceeded},
		{"invitations count", 4, 5, 0, 2, 1, api.ConstraintViolationExceptionReasonAccountNumberLimitExceeded},
		{"members alone fill the quota", 3, 5, 2, 0, 0, api.ConstraintViolationExceptionReasonAccountNumberLimitExceeded},
		{"concurrent creations", 10, 2, 0, 0, 2, api.ConstraintViolationExceptionReasonAccountCreationRateLimitExceeded},
		{"below concurrency", 10, 2, 0, 0, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) {
				c.Quotas.AccountsPerOrganization, c.Quotas.ConcurrentCreateAccount = tc.accounts, tc.concurent
			})
			f.newOrg(mgmtID, "")
			f.seedAccounts(mgmtID, tc.members)
			o := f.orgRecord(mgmtID)
			o.OpenInvitations = tc.invites
			f.inspect(func(t *txn) error { return t.putOrg(o) })
			for i := range tc.inFlight {
				f.startCreate(mgmtID, "n", fmt.Sprintf("n%d@example.net", i))
			}
			_, err := f.svc.CreateAccount(as(mgmtID), &api.CreateAccountRequest{AccountName: "x", Email: "x@example.net"})
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, errCV, string(tc.reason))
			// Completed creations free their slot in the rate limit; only
			// then can another start.
			if tc.reason == api.ConstraintViolationExceptionReasonAccountCreationRateLimitExceeded {
				f.advance(f.svc.cfg.CreateAccountDelay)
				f.startCreate(mgmtID, "x", "x@example.net")
			}
		})
	}
}

func TestCreateAccountFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		email  string
		prep   func(f *fixture) // before the request completes
		reason api.CreateAccountFailureReason
	}{
		{"email of the management account", defaultEmail(mgmtID), nil, api.CreateAccountFailureReasonEmailAlreadyExists},
		{"email case does not matter", "ACCOUNT-" + mgmtID + "@EXAMPLE.COM", nil, api.CreateAccountFailureReasonEmailAlreadyExists},
		{"email of a standalone account", defaultEmail("999999999999"), nil, api.CreateAccountFailureReasonEmailAlreadyExists},
		{"email registered meanwhile", "late@example.net", func(f *fixture) {
			if err := f.svc.RegisterAccount(context.Background(), thirdID, "late@example.net", "Late"); err != nil {
				f.t.Fatal(err)
			}
		}, api.CreateAccountFailureReasonEmailAlreadyExists},
		{"email taken by an earlier request", "twice@example.net", func(f *fixture) {
			f.advance(time.Millisecond) // the earlier request must complete first
		}, ""},
		{"quota filled meanwhile", "full@example.net", func(f *fixture) {
			o := f.orgRecord(mgmtID)
			o.OpenInvitations = f.svc.cfg.Quotas.AccountsPerOrganization - o.Members
			f.inspect(func(t *txn) error { return t.putOrg(o) })
		}, api.CreateAccountFailureReasonAccountLimitExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, "")
			if tc.email == "twice@example.net" {
				first := f.startCreate(mgmtID, "first", tc.email)
				tc.prep(f)
				second := f.startCreate(mgmtID, "second", tc.email)
				f.advance(f.svc.cfg.CreateAccountDelay)
				if st := f.createStatusOf(mgmtID, first); st.State != api.CreateAccountStateSucceeded {
					t.Fatalf("first %+v", st)
				}
				st := f.createStatusOf(mgmtID, second)
				if st.State != api.CreateAccountStateFailed || st.FailureReason != api.CreateAccountFailureReasonEmailAlreadyExists {
					t.Fatalf("second %+v", st)
				}
				return
			}
			t0 := f.now()
			id := f.startCreate(mgmtID, "x", tc.email)
			if tc.prep != nil {
				tc.prep(f)
			}
			f.advance(f.svc.cfg.CreateAccountDelay)
			st := f.createStatusOf(mgmtID, id)
			if st.State != api.CreateAccountStateFailed || st.FailureReason != tc.reason || st.AccountId != "" ||
				!st.CompletedTimestamp.Equal(t0.Add(f.svc.cfg.CreateAccountDelay)) {
				t.Fatalf("status %+v", st)
			}
			if o := f.orgRecord(mgmtID); o.Members != 1 || o.CreatesInProgress != 0 {
				t.Errorf("counters %+v", o)
			}
			if ids, _ := f.allAccounts(mgmtID, 0); len(ids) != 1 {
				t.Errorf("accounts %v", ids)
			}
		})
	}
}

func TestCreateAccountOrganizationDeleted(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	id := f.startCreate(mgmtID, "gone", "gone@example.net")
	must[*api.Empty](t)(f.svc.DeleteOrganization(as(mgmtID), &api.Empty{}))
	f.newOrg(mgmtID, "")
	f.advance(f.svc.cfg.CreateAccountDelay)
	_, err := f.svc.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: id})
	wantErr(t, err, api.ErrCreateAccountStatusNotFound, "")
	f.inspect(func(t2 *txn) error {
		if _, taken, err := t2.accountIDByEmail("gone@example.net"); err != nil || taken {
			t.Errorf("the dropped request made an account (%v)", err)
		}
		return nil
	})
	if ids, _ := f.allAccounts(mgmtID, 0); len(ids) != 1 {
		t.Errorf("accounts %v", ids)
	}
}

func TestDescribeCreateAccountStatus(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	mine := f.startCreate(mgmtID, "mine", "mine@example.net")
	theirs := f.startCreate(otherID, "theirs", "theirs@example.net")
	f.createStatusOf(mgmtID, mine)
	for _, id := range []string{theirs, "car-0123456789abcdef0123456789abcdef"} {
		_, err := f.svc.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: id})
		wantErr(t, err, api.ErrCreateAccountStatusNotFound, "")
	}
}

func TestListCreateAccountStatus(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.CreateAccountDelay = time.Minute })
	f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	f.startCreate(otherID, "foreign", "foreign@example.net")
	// Requests a second apart list in request order.
	a := f.startCreate(mgmtID, "a", "a@example.net")
	f.advance(time.Second)
	b := f.startCreate(mgmtID, "b", defaultEmail(mgmtID)) // fails
	f.advance(time.Second)
	c := f.startCreate(mgmtID, "c", "c@example.net")
	f.advance(time.Minute)
	d := f.startCreate(mgmtID, "d", "d@example.net") // stays in progress

	list := func(states []api.CreateAccountState, max int32, token string) (*api.ListCreateAccountStatusResponse, error) {
		return f.svc.ListCreateAccountStatus(as(mgmtID), &api.ListCreateAccountStatusRequest{States: states, MaxResults: max, NextToken: token})
	}
	walk := func(states []api.CreateAccountState, max int32) []string {
		var ids []string
		token := ""
		for {
			out, err := list(states, max, token)
			if err != nil {
				t.Fatal(err)
			}
			if max > 0 && len(out.CreateAccountStatuses) > int(max) {
				t.Fatalf("page of %d", len(out.CreateAccountStatuses))
			}
			for _, st := range out.CreateAccountStatuses {
				ids = append(ids, st.Id)
			}
			if out.NextToken == "" {
				return ids
			}
			token = out.NextToken
		}
	}
	S, F, P := api.CreateAccountStateSucceeded, api.CreateAccountStateFailed, api.CreateAccountStateInProgress
	for _, tc := range []struct {
		name   string
		states []api.CreateAccountState
		max    int32
		want   []string
	}{
		{"all", nil, 0, []string{a, b, c, d}},
		{"all, pages of one", nil, 1, []string{a, b, c, d}},
		{"succeeded", []api.CreateAccountState{S}, 0, []string{a, c}},
		{"succeeded, pages of one", []api.CreateAccountState{S}, 1, []string{a, c}},
		{"failed", []api.CreateAccountState{F}, 0, []string{b}},
		{"in progress", []api.CreateAccountState{P}, 0, []string{d}},
		{"two states, pages of two", []api.CreateAccountState{F, S}, 2, []string{a, b, c}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := walk(tc.states, tc.max); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	first := must[*api.ListCreateAccountStatusResponse](t)(list([]api.CreateAccountState{S, F}, 1, ""))
	if first.NextToken == "" {
		t.Fatal("no NextToken")
	}
	// The token is bound to the filter, but not to its order or repeats.
	if _, err := list([]api.CreateAccountState{F, S, F}, 1, first.NextToken); err != nil {
		t.Errorf("same filter: %v", err)
	}
	for name, call := range map[string]func() error{
		"other filter": func() error { _, err := list([]api.CreateAccountState{S}, 1, first.NextToken); return err },
		"no filter":    func() error { _, err := list(nil, 1, first.NextToken); return err },
		"tampered": func() error {
			_, err := list([]api.CreateAccountState{S, F}, 1, first.NextToken[:len(first.NextToken)-2]+"AA")
			return err
		},
		"garbage": func() error { _, err := list(nil, 1, "not a token"); return err },
		"other caller": func() error {
			_, err := f.svc.ListCreateAccountStatus(as(otherID), &api.ListCreateAccountStatusRequest{States: []api.CreateAccountState{S, F}, NextToken: first.NextToken})
			return err
		},
		"other operation": func() error {
			_, err := f.svc.ListAccounts(as(mgmtID), &api.ListAccountsRequest{NextToken: first.NextToken})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call(), api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidNextToken))
		})
	}

	// An organization without requests lists none, as [] on the wire.
	f.newOrg(thirdID, "")
	out := must[*api.ListCreateAccountStatusResponse](t)(f.svc.ListCreateAccountStatus(as(thirdID), &api.ListCreateAccountStatusRequest{}))
	if out.CreateAccountStatuses == nil || len(out.CreateAccountStatuses) != 0 || out.NextToken != "" {
		t.Errorf("empty listing %+v", out)
	}
}

func TestDescribeAccount(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	created := f.now()
	f.newOrg(otherID, "")
	m := f.describeAccount(mgmtID, mgmtID)
	// The management account is a member that joined by invitation when
	// the organization was created.
	if m.JoinedMethod != api.AccountJoinedMethodInvited || !m.JoinedTimestamp.Equal(created) || m.State != api.AccountStateActive ||
		m.Status != api.AccountStatusActive || m.Email != defaultEmail(mgmtID) || m.Name != defaultName(mgmtID) ||
		m.Arn != "arn:aws:organizations::"+mgmtID+":account/"+o.Id+"/"+mgmtID ||
		!slices.Equal(m.Paths, []string{o.Id + "/" + f.rootID(mgmtID) + "/" + mgmtID + "/"}) {
		t.Errorf("management account %+v", m)
	}
	for _, id := range []string{otherID, "999999999999"} {
		_, err := f.svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: id})
		wantErr(t, err, api.ErrAccountNotFound, "")
	}
}

func TestListAccounts(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.AccountsPerOrganization = 100 })
	f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	f.seedAccounts(otherID, 3) // another organization's members stay out
	// Created accounts have random IDs: the listing sorts them.
	want := []string{mgmtID}
	for i := range 4 {
		want = append(want, f.createAcct(mgmtID, fmt.Sprintf("acct%d", i)))
	}
	slices.Sort(want)
	for _, max := range []int32{0, 1, 2, 5, 20} {
		ids, pages := f.allAccounts(mgmtID, max)
		if !slices.Equal(ids, want) {
			t.Errorf("MaxResults %d: %v, want %v", max, ids, want)
		}
		wantPages := 1
		if max > 0 {
			wantPages = (len(want) + int(max) - 1) / int(max)
		}
		if pages != wantPages {
			t.Errorf("MaxResults %d: %d pages, want %d", max, pages, wantPages)
		}
	}
	// The default page is 20.
	f2 := newFixture(t)
	f2.newOrg(mgmtID, "")
	f2.seedAccounts(mgmtID, 25)
	out := must[*api.ListAccountsResponse](t)(f2.svc.ListAccounts(as(mgmtID), &api.ListAccountsRequest{}))
	if len(out.Accounts) != defaultPageSize || out.NextToken == "" {
		t.Errorf("default page: %d accounts, token %q", len(out.Accounts), out.NextToken)
	}
	da := f.createAcct(mgmtID, "da")
	f.plantDelegatedAdmin(mgmtID, da)
	first := must[*api.ListAccountsResponse](t)(f.svc.ListAccounts(as(mgmtID), &api.ListAccountsRequest{MaxResults: 1}))
	for name, call := range map[string]func() error{
		"tampered": func() error {
			_, err := f.svc.ListAccounts(as(mgmtID), &api.ListAccountsRequest{NextToken: "x" + first.NextToken})
			return err
		},
		"other caller": func() error {
			_, err := f.svc.ListAccounts(as(da), &api.ListAccountsRequest{NextToken: first.NextToken})
			return err
		},
		"other organization": func() error {
			_, err := f.svc.ListAccounts(as(otherID), &api.ListAccountsRequest{NextToken: first.NextToken})
			return err
		},
		"for parent": func() error {
			_, err := f.svc.ListAccountsForParent(as(mgmtID), &api.ListAccountsForParentRequest{ParentId: f.rootID(mgmtID), NextToken: first.NextToken})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call(), api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidNextToken))
		})
	}
}

func TestListAccountsForParent(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	root := f.rootID(mgmtID)
	ids := f.seedAccounts(mgmtID, 4)
	ou := f.newOU(mgmtID, root, "dev")
	empty := f.newOU(mgmtID, root, "empty")
	foreignOU := f.newOU(otherID, f.rootID(otherID), "theirs")
	for _, id := range ids[1:3] {
		must[*api.Empty](t)(f.svc.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: id, SourceParentId: root, DestinationParentId: ou}))
	}
	walk := func(parent string, max int32) []string {
		var got []string
		token := ""
		for {
			out, err := f.svc.ListAccountsForParent(as(mgmtID), &api.ListAccountsForParentRequest{ParentId: parent, MaxResults: max, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			if out.Accounts == nil {
				t.Fatal("nil Accounts")
			}
			for _, a := range out.Accounts {
				got = append(got, a.Id)
				if a.Paths[0] != o.Id+"/"+root+"/"+ou+"/"+a.Id+"/" && parent == ou {
					t.Errorf("Paths %v", a.Paths)
				}
			}
			if out.NextToken == "" {
				return got
			}
			token = out.NextToken
		}
	}
	for _, tc := range []struct {
		parent string
		max    int32
		want   []string
	}{
		{root, 0, []string{mgmtID, ids[0], ids[3]}},
		{root, 1, []string{mgmtID, ids[0], ids[3]}},
		{ou, 1, ids[1:3]},
		{empty, 0, nil},
	} {
		if got := walk(tc.parent, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("%s (max %d): %v, want %v", tc.parent, tc.max, got, tc.want)
		}
	}
	for _, parent := range []string{f.rootID(otherID), foreignOU, "r-zzzz", "ou-zzzz-zzzzzzzz"} {
		_, err := f.svc.ListAccountsForParent(as(mgmtID), &api.ListAccountsForParentRequest{ParentId: parent})
		wantErr(t, err, api.ErrParentNotFound, "")
	}
	// A token is bound to its parent.
	first := must[*api.ListAccountsForParentResponse](t)(f.svc.ListAccountsForParent(as(mgmtID), &api.ListAccountsForParentRequest{ParentId: root, MaxResults: 1}))
	_, err := f.svc.ListAccountsForParent(as(mgmtID), &api.ListAccountsForParentRequest{ParentId: ou, NextToken: first.NextToken})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidNextToken))
}

func TestMoveAccount(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	root := f.rootID(mgmtID)
	acct := f.seedAccounts(mgmtID, 1)[0]
	ou := f.newOU(mgmtID, root, "a")
	ou2 := f.newOU(mgmtID, ou, "b")
	foreignOU := f.newOU(otherID, f.rootID(otherID), "theirs")
	for _, tc := range []struct {
		name          string
		acct, src, to string
		typ           string
	}{
		{"account of another organization", otherID, root, ou, api.ErrAccountNotFound},
		{"standalone account", thirdID, root, ou, api.ErrAccountNotFound},
		{"unknown source", acct, "ou-zzzz-zzzzzzzz", ou, api.ErrSourceParentNotFound},
		{"source of another organization", acct, f.rootID(otherID), ou, api.ErrSourceParentNotFound},
		{"source is not the parent", acct, ou2, ou, api.ErrSourceParentNotFound},
		{"unknown destination", acct, root, "ou-zzzz-zzzzzzzz", api.ErrDestinationParentNotFound},
		{"destination of another organization", acct, root, foreignOU, api.ErrDestinationParentNotFound},
		{"already there", acct, root, root, api.ErrDuplicateAccount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: tc.acct, SourceParentId: tc.src, DestinationParentId: tc.to})
			wantErr(t, err, tc.typ, "")
		})
	}
	children := func(parent string) []string {
		out := must[*api.ListAccountsForParentResponse](t)(f.svc.ListAccountsForParent(as(mgmtID), &api.ListAccountsForParentRequest{ParentId: parent}))
		var ids []string
		for _, a := range out.Accounts {
			ids = append(ids, a.Id)
		}
		return ids
	}
	for _, step := range []struct{ from, to, path string }{
		{root, ou2, o.Id + "/" + root + "/" + ou + "/" + ou2 + "/" + acct + "/"},
		{ou2, ou, o.Id + "/" + root + "/" + ou + "/" + acct + "/"},
		{ou, root, o.Id + "/" + root + "/" + acct + "/"},
	} {
		must[*api.Empty](t)(f.svc.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: acct, SourceParentId: step.from, DestinationParentId: step.to}))
		if p := f.describeAccount(mgmtID, acct).Paths; !slices.Equal(p, []string{step.path}) {
			t.Errorf("after move to %s: Paths %v, want %s", step.to, p, step.path)
		}
		if slices.Contains(children(step.from), acct) || !slices.Contains(children(step.to), acct) {
			t.Errorf("move %s→%s: children not updated", step.from, step.to)
		}
	}
	// The management account may move too.
	must[*api.Empty](t)(f.svc.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: mgmtID, SourceParentId: root, DestinationParentId: ou}))
}

func TestClosureQuota(t *testing.T) {
	for _, tc := range []struct{ members, want int }{
		{1, 250}, {1249, 250}, {1250, 250}, {1255, 251}, {3000, 600}, {5000, 1000}, {5001, 1000}, {50000, 1000},
	} {
		if got := closureQuota(tc.members); got != tc.want {
			t.Errorf("closureQuota(%d) = %d, want %d", tc.members, got, tc.want)
		}
	}
}

func TestCloseAccountLifecycle(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.AccountsPerOrganization = 3 })
	f.newOrg(mgmtID, "")
	acct := f.seedAccounts(mgmtID, 2)[0]
	scpTargets := func() []string {
		out := must[*api.ListTargetsForPolicyResponse](t)(f.svc.ListTargetsForPolicy(as(mgmtID), &api.ListTargetsForPolicyRequest{PolicyId: fullAWSAccessID, MaxResults: 20}))
		var ids []string
		for _, tg := range out.Targets {
			ids = append(ids, tg.TargetId)
		}
		return ids
	}
	if !slices.Contains(scpTargets(), acct) {
		t.Fatalf("FullAWSAccess not attached to the member: %v", scpTargets())
	}
	must[*api.Empty](t)(f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: acct}))
	t0 := f.now()
	state := func(want api.AccountState, status api.AccountStatus) {
		t.Helper()
		if a := f.describeAccount(mgmtID, acct); a.State != want || a.Status != status {
			t.Fatalf("State %s Status %s, want %s %s", a.State, a.Status, want, status)
		}
	}
	state(api.AccountStatePendingClosure, api.AccountStatusPendingClosure)
	_, err := f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: acct})
	wantErr(t, err, api.ErrAccountAlreadyClosed, "")

	f.advance(f.svc.cfg.CloseAccountDelay)
	state(api.AccountStateClosed, api.AccountStatusSuspended)
	_, err = f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: acct})
	wantErr(t, err, api.ErrAccountAlreadyClosed, "")
	// A closed account stays a member: it can't be removed and it counts
	// against the account quota.
	_, err = f.svc.RemoveAccountFromOrganization(as(mgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: acct})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonAccountCannotLeaveOrganization))
	f.plantDelegatedAdmin(mgmtID, acct) // its delegations end when it leaves
	_, err = f.svc.CreateAccount(as(mgmtID), &api.CreateAccountRequest{AccountName: "x", Email: "x@example.net"})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonAccountNumberLimitExceeded))
	if ids, _ := f.allAccounts(mgmtID, 0); !slices.Contains(ids, acct) {
		t.Fatalf("closed account not listed: %v", ids)
	}

	// 90 days after the closure completed, it leaves for good.
	closed := t0.Add(f.svc.cfg.CloseAccountDelay)
	f.advance(closed.Add(closedAccountRetention).Sub(f.now()) - time.Millisecond)
	state(api.AccountStateClosed, api.AccountStatusSuspended)
	f.advance(time.Millisecond)
	_, err = f.svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: acct})
	wantErr(t, err, api.ErrAccountNotFound, "")
	if ids, _ := f.allAccounts(mgmtID, 0); slices.Contains(ids, acct) {
		t.Fatalf("retired account still listed: %v", ids)
	}
	if o := f.orgRecord(mgmtID); o.Members != 2 || o.ClosuresInProgress != 0 {
		t.Errorf("counters %+v", o)
	}
	// What the organization held for the account goes with it.
	if slices.Contains(scpTargets(), acct) {
		t.Errorf("policy still attached to the retired account")
	}
	orgID := f.orgRecord(mgmtID).ID
	f.inspect(func(t2 *txn) error {
		if left, err := t2.hasPrefix(prefixOrgClosure(orgID)); err != nil || left {
			t.Errorf("closure index left behind (%v)", err)
		}
		if left, err := t2.hasPrefix(prefixDelegated(orgID, acct)); err != nil || left {
			t.Errorf("delegation left behind (%v)", err)
		}
		a, _, err := t2.storedAccount(acct)
		if err == nil && (a.Org != "" || a.State != api.AccountStateClosed) {
			t.Errorf("retired account %+v", a)
		}
		return err
	})
	f.startCreate(mgmtID, "x", "x@example.net")
}

func TestCloseAccountClockJump(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	acct := f.seedAccounts(mgmtID, 1)[0]
	t0 := f.now()
	must[*api.Empty](t)(f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: acct}))
	f.advance(200 * 24 * time.Hour)
	f.inspect(func(t2 *txn) error {
		a, _, err := t2.storedAccount(acct)
		if err == nil && (a.Org != "" || !a.Closed.Equal(t0.Add(f.svc.cfg.CloseAccountDelay))) {
			t.Errorf("after the jump %+v", a)
		}
		return err
	})
	if o := f.orgRecord(mgmtID); o.Members != 1 || o.ClosuresInProgress != 0 {
		t.Errorf("counters %+v", o)
	}
	// The organization can be deleted now that the closed member is gone.
	must[*api.Empty](t)(f.svc.DeleteOrganization(as(mgmtID), &api.Empty{}))
}

func TestCloseAccountErrors(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	for _, tc := range []struct {
		name, acct  string
		typ, reason string
	}{
		{"management account", mgmtID, errCV, string(api.ConstraintViolationExceptionReasonCannotCloseManagementAccount)},
		{"account of another organization", otherID, api.ErrAccountNotFound, ""},
		{"standalone account", thirdID, api.ErrAccountNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: tc.acct})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	cb := newFixture(t)
	cb.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	acct := cb.seedAccounts(mgmtID, 1)[0]
	_, err := cb.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: acct})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode))
}

func TestCloseAccountConcurrency(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.ConcurrentCloseAccount = 2 })
	f.newOrg(mgmtID, "")
	ids := f.seedAccounts(mgmtID, 3)
	for _, id := range ids[:2] {
		must[*api.Empty](t)(f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: id}))
	}
	_, err := f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[2]})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonCloseAccountRequestsLimitExceeded))
	f.advance(f.svc.cfg.CloseAccountDelay)
	must[*api.Empty](t)(f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[2]}))
}

func TestCloseAccountRollingQuota(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Quotas.ConcurrentCloseAccount = 1000
		c.Quotas.AccountsPerOrganization = 1000
	})
	f.newOrg(mgmtID, "")
	ids := f.seedAccounts(mgmtID, 260)
	quota := closureQuota(261)
	// Spread the closures over the window: the oldest frees the quota first.
	f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[0]})
	f.advance(24 * time.Hour)
	for _, id := range ids[1:quota] {
		must[*api.Empty](t)(f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: id}))
	}
	_, err := f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[quota]})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonCloseAccountQuotaExceeded))
	// Exactly 30 days after the first closure, it is out of the window.
	f.advance(closureWindow - 24*time.Hour - time.Millisecond)
	_, err = f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[quota]})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonCloseAccountQuotaExceeded))
	f.advance(time.Millisecond)
	must[*api.Empty](t)(f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[quota]}))
	_, err = f.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: ids[quota+1]})
	wantErr(t, err, errCV, string(api.ConstraintViolationExceptionReasonCloseAccountQuotaExceeded))
}

func TestRemoveAccountFromOrganization(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.AccountsPerOrganization = 2 })
	f.newOrg(mgmtID, "")
	f.newOrg(otherID, "")
	created := f.createAcct(mgmtID, "young")
	f.inspect(func(t *txn) error { return t.putTags(created, []api.Tag{{Key: "k", Value: "v"}}) })
	for _, tc := range []struct {
		name, acct  string
		typ, reason string
	}{
		{"management account", mgmtID, api.ErrMasterCannotLeaveOrganization, ""},
		{"account of another organization", otherID, api.ErrAccountNotFound, ""},
		{"standalone account", thirdID, api.ErrAccountNotFound, ""},
		{"created account too young", created, errCV, string(api.ConstraintViolationExceptionReasonWaitPeriodActive)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.RemoveAccountFromOrganization(as(mgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: tc.acct})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	f.advance(createdAccountWait)
	must[*api.Empty](t)(f.svc.RemoveAccountFromOrganization(as(mgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: created}))
	_, err := f.svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: created})
	wantErr(t, err, api.ErrAccountNotFound, "")
	_, err = f.svc.DescribeOrganization(as(created), &api.Empty{})
	wantErr(t, err, api.ErrAWSOrganizationsNotInUse, "")
	f.inspect(func(t2 *txn) error {
		tags, err := t2.tags(created)
		if len(tags) != 0 {
			t.Errorf("tags kept: %v", tags)
		}
		return err
	})
	// It no longer counts against the quota.
	f.startCreate(mgmtID, "next", "next@example.net")
}

// TestAccountOperationCallers checks who may call each operation: the
// management account, a delegated administrator for reads, nobody else.
func TestAccountOperationCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	member := f.createAcct(mgmtID, "member")
	da := f.createAcct(mgmtID, "da")
	f.plantDelegatedAdmin(mgmtID, da)
	root := f.rootID(mgmtID)
	carID := f.startCreate(mgmtID, "pending", "pending@example.net")
	ops := []struct {
		name   string
		daMay  bool
		call   func(caller string) error
		target string
	}{
		{"CreateAccount", false, func(c string) error {
			_, err := f.svc.CreateAccount(as(c), &api.CreateAccountRequest{AccountName: "n", Email: "n@example.net"})
			return err
		}, ""},
		{"DescribeCreateAccountStatus", true, func(c string) error {
			_, err := f.svc.DescribeCreateAccountStatus(as(c), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: carID})
			return err
		}, ""},
		{"ListCreateAccountStatus", true, func(c string) error {
			_, err := f.svc.ListCreateAccountStatus(as(c), &api.ListCreateAccountStatusRequest{})
			return err
		}, ""},
		{"DescribeAccount", true, func(c string) error {
			_, err := f.svc.DescribeAccount(as(c), &api.DescribeAccountRequest{AccountId: member})
			return err
		}, ""},
		{"ListAccounts", true, func(c string) error {
			_, err := f.svc.ListAccounts(as(c), &api.ListAccountsRequest{})
			return err
		}, ""},
		{"ListAccountsForParent", true, func(c string) error {
			_, err := f.svc.ListAccountsForParent(as(c), &api.ListAccountsForParentRequest{ParentId: root})
			return err
		}, ""},
		{"MoveAccount", false, func(c string) error {
			_, err := f.svc.MoveAccount(as(c), &api.MoveAccountRequest{AccountId: member, SourceParentId: root, DestinationParentId: "ou-zzzz-zzzzzzzz"})
			return err
		}, api.ErrDestinationParentNotFound},
		{"CloseAccount", false, func(c string) error {
			_, err := f.svc.CloseAccount(as(c), &api.CloseAccountRequest{AccountId: mgmtID})
			return err
		}, errCV},
		{"RemoveAccountFromOrganization", false, func(c string) error {
			_, err := f.svc.RemoveAccountFromOrganization(as(c), &api.RemoveAccountFromOrganizationRequest{AccountId: mgmtID})
			return err
		}, api.ErrMasterCannotLeaveOrganization},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			wantErr(t, op.call(member), api.ErrAccessDenied, "")
			wantErr(t, op.call(thirdID), api.ErrAWSOrganizationsNotInUse, "")
			if err := op.call(da); op.daMay {
				if err != nil {
					t.Errorf("delegated administrator: %v", err)
				}
			} else {
				wantErr(t, err, api.ErrAccessDenied, "")
			}
			// The management account gets past the caller checks.
			var e *api.Error
			if err := op.call(mgmtID); err != nil && (op.target == "" || !errors.As(err, &e) || e.Type != op.target) {
				t.Errorf("management account: %v", err)
			}
		})
	}
}

// A listed account is shown as DescribeAccount shows it, whatever the
// parents of the accounts listed before it on the page, and its Paths
// are its own: appending to them changes no other account's.
func TestListAccountsShowsEachAsDescribed(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	root := f.rootID(mgmtID)
	ids := f.seedAccounts(mgmtID, 9)
	dev := f.newOU(mgmtID, root, "dev")
	deep := f.newOU(mgmtID, dev, "deep")
	for i, id := range ids {
		to := []string{root, dev, deep}[i%3]
		if to != root {
			must[*api.Empty](t)(f.svc.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: id, SourceParentId: root, DestinationParentId: to}))
		}
	}
	for _, max := range []int32{1, 4, 20} {
		got, _ := walkPages(f, max, func(token string) ([]api.Account, string, error) {
			out, err := f.svc.ListAccounts(as(mgmtID), &api.ListAccountsRequest{MaxResults: max, NextToken: token})
			if err != nil {
				return nil, "", err
			}
			for i := range out.Accounts {
				if i+1 < len(out.Accounts) {
					next := out.Accounts[i+1].Paths[0]
					_ = append(out.Accounts[i].Paths, "appended")
					if out.Accounts[i+1].Paths[0] != next {
						t.Errorf("appending to %s's Paths changed %s's", out.Accounts[i].Id, out.Accounts[i+1].Id)
					}
				}
			}
			return out.Accounts, out.NextToken, nil
		})
		if len(got) != len(ids)+1 {
			t.Fatalf("max %d: listed %d accounts, want %d", max, len(got), len(ids)+1)
		}
		for _, a := range got {
			if want := f.describeAccount(mgmtID, a.Id); !reflect.DeepEqual(fields(t, a), *want) {
				t.Errorf("max %d: listed %+v, described %+v", max, a, *want)
			}
		}
	}
}
