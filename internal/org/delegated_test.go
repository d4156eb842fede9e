package org

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// register enables principal's access in mgmt's organization and registers
// acct as a delegated administrator for it.
func (f *fixture) register(mgmt, acct, principal string) {
	f.t.Helper()
	f.enableService(mgmt, principal)
	if _, err := f.svc.RegisterDelegatedAdministrator(as(mgmt), &api.RegisterDelegatedAdministratorRequest{AccountId: acct, ServicePrincipal: principal}); err != nil {
		f.t.Fatalf("RegisterDelegatedAdministrator %s %s: %v", acct, principal, err)
	}
}

// delegatedAdmins walks ListDelegatedAdministrators to the end.
func (f *fixture) delegatedAdmins(caller, principal string, max int32) []api.DelegatedAdministrator {
	f.t.Helper()
	all, _ := walkPages(f, max, func(token string) ([]api.DelegatedAdministrator, string, error) {
		out, err := f.svc.ListDelegatedAdministrators(as(caller), &api.ListDelegatedAdministratorsRequest{ServicePrincipal: principal, MaxResults: max, NextToken: token})
		if err != nil {
			return nil, "", fmt.Errorf("ListDelegatedAdministrators: %w", err)
		}
		return out.DelegatedAdministrators, out.NextToken, nil
	})
	return all
}

// delegatedServices walks ListDelegatedServicesForAccount to the end.
func (f *fixture) delegatedServices(caller, acct string, max int32) ([]api.DelegatedService, error) {
	f.t.Helper()
	var all []api.DelegatedService
	in := &api.ListDelegatedServicesForAccountRequest{AccountId: acct, MaxResults: max}
	for {
		out, err := f.svc.ListDelegatedServicesForAccount(as(caller), in)
		if err != nil {
			return nil, err
		}
		all = append(all, out.DelegatedServices...)
		if out.NextToken == "" {
			return all, nil
		}
		in.NextToken = out.NextToken
	}
}

func adminIDs(list []api.DelegatedAdministrator) []string {
	var ids []string
	for _, d := range list {
		ids = append(ids, d.Id)
	}
	return ids
}

func servicesOf(list []api.DelegatedService) []string {
	var ps []string
	for _, d := range list {
		ps = append(ps, d.ServicePrincipal)
	}
	return ps
}

func TestRegisterDelegatedAdministrator(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID)
	start := f.now()
	f.register(mgmtID, otherID, guardDuty)
	f.advance(time.Hour)
	f.register(mgmtID, otherID, cloudTrail)
	f.register(mgmtID, thirdID, cloudTrail)

	all := f.delegatedAdmins(mgmtID, "", 0)
	if ids := adminIDs(all); !slices.Equal(ids, []string{otherID, thirdID}) {
		t.Fatalf("delegated administrators %v", ids)
	}
	// One entry per account, with the account's fields and its first
	// delegation's date.
	d, a := all[0], f.describeAccount(mgmtID, otherID)
	if d.Arn != a.Arn || d.Email != a.Email || d.Name != a.Name || d.Status != a.Status || d.State != a.State ||
		d.JoinedMethod != a.JoinedMethod || !d.JoinedTimestamp.Equal(a.JoinedTimestamp.Time) || !d.DelegationEnabledDate.Equal(start) {
		t.Errorf("entry %+v for account %+v", d, a)
	}
	if !all[1].DelegationEnabledDate.Equal(start.Add(time.Hour)) {
		t.Errorf("third account delegated at %v", all[1].DelegationEnabledDate)
	}
	// Filtered by service: that service's administrators and dates.
	if ids := adminIDs(f.delegatedAdmins(mgmtID, guardDuty, 0)); !slices.Equal(ids, []string{otherID}) {
		t.Errorf("guardduty administrators %v", ids)
	}
	ct := f.delegatedAdmins(mgmtID, cloudTrail, 0)
	if ids := adminIDs(ct); !slices.Equal(ids, []string{otherID, thirdID}) || !ct[0].DelegationEnabledDate.Equal(start.Add(time.Hour)) {
		t.Errorf("cloudtrail administrators %+v", ct)
	}
	if got := f.delegatedAdmins(mgmtID, "sso.amazonaws.com", 0); len(got) != 0 {
		t.Errorf("sso administrators %+v", got)
	}

	svcs := must[[]api.DelegatedService](t)(f.delegatedServices(mgmtID, otherID, 0))
	if ps := servicesOf(svcs); !slices.Equal(ps, []string{cloudTrail, guardDuty}) ||
		!svcs[0].DelegationEnabledDate.Equal(start.Add(time.Hour)) || !svcs[1].DelegationEnabledDate.Equal(start) {
		t.Errorf("services of %s: %+v", otherID, svcs)
	}

	// Deregistering one service leaves the others.
	must[*api.Empty](t)(f.svc.DeregisterDelegatedAdministrator(as(mgmtID), &api.DeregisterDelegatedAdministratorRequest{AccountId: otherID, ServicePrincipal: guardDuty}))
	if ps := servicesOf(must[[]api.DelegatedService](t)(f.delegatedServices(mgmtID, otherID, 0))); !slices.Equal(ps, []string{cloudTrail}) {
		t.Errorf("after deregistering guardduty: %v", ps)
	}
	if got := f.delegatedAdmins(mgmtID, guardDuty, 0); len(got) != 0 {
		t.Errorf("guardduty administrators after deregistering: %+v", got)
	}
	// The account's date is now that of its remaining delegation.
	if all := f.delegatedAdmins(mgmtID, "", 0); !all[0].DelegationEnabledDate.Equal(start.Add(time.Hour)) {
		t.Errorf("date after deregistering: %v", all[0].DelegationEnabledDate)
	}
	// Its last service gone, the account is no delegated administrator.
	must[*api.Empty](t)(f.svc.DeregisterDelegatedAdministrator(as(mgmtID), &api.DeregisterDelegatedAdministratorRequest{AccountId: otherID, ServicePrincipal: cloudTrail}))
	_, err := f.delegatedServices(mgmtID, otherID, 0)
	wantErr(t, err, api.ErrAccountNotRegistered, "")
	_, err = f.svc.ListAccounts(as(otherID), &api.ListAccountsRequest{})
	wantErr(t, err, api.ErrAccessDenied, "")
	if ids := adminIDs(f.delegatedAdmins(mgmtID, "", 0)); !slices.Equal(ids, []string{thirdID}) {
		t.Errorf("after deregistering %s: %v", otherID, ids)
	}
}

func TestRegisterDelegatedAdministratorErrors(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	const (
		closingID  = "444444444444"
		strangerID = "555555555555"
		cbMgmtID   = "666666666666"
		cbMember   = "777777777777"
	)
	members := []string{otherID, thirdID, closingID, "888888888881", "888888888882", "888888888883", "888888888884"}
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, members...)
	f.newOrg(strangerID, "") // in an organization, but another one
	f.newOrg(cbMgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(cbMgmtID, "", api.AccountJoinedMethodInvited, cbMember)
	f.inspect(func(t *txn) error {
		a, err := t.account(closingID)
		if err != nil {
			return err
		}
		a.State = api.AccountStateSuspended
		return t.putAccount(a)
	})
	f.register(mgmtID, otherID, guardDuty)
	f.register(mgmtID, members[3], cloudTrail)
	f.register(mgmtID, members[4], cloudTrail)
	f.register(mgmtID, members[5], cloudTrail)

	register := func(caller, acct, principal string) error {
		_, err := f.svc.RegisterDelegatedAdministrator(as(caller), &api.RegisterDelegatedAdministratorRequest{AccountId: acct, ServicePrincipal: principal})
		return err
	}
	cv := func(r api.ConstraintViolationExceptionReason) string { return string(r) }
	unrecognized := string(api.InvalidInputExceptionReasonUnrecognizedServicePrincipal)
	for _, tc := range []struct {
		name, acct, principal string
		caller                string
		typ, reason           string
	}{
		{"unknown principal", thirdID, "nothing.example.com", mgmtID, api.ErrInvalidInput, unrecognized},
		{"service without delegated administrators", thirdID, "ram.amazonaws.com", mgmtID, api.ErrInvalidInput, unrecognized},
		{"account in no organization", "999999999999", guardDuty, mgmtID, api.ErrAccountNotFound, ""},
		{"account of another organization", strangerID, "sso.amazonaws.com", mgmtID, api.ErrAccountNotFound, ""},
		{"management account", mgmtID, "sso.amazonaws.com", mgmtID, api.ErrConstraintViolation, cv(api.ConstraintViolationExceptionReasonCannotRegisterMasterAsDelegatedAdministrator)},
		{"suspended account", closingID, "sso.amazonaws.com", mgmtID, api.ErrConstraintViolation, cv(api.ConstraintViolationExceptionReasonCannotRegisterSuspendedAccountAsDelegatedAdministrator)},
		{"already registered", otherID, guardDuty, mgmtID, api.ErrAccountAlreadyRegistered, ""},
		{"service access not enabled", thirdID, "sso.amazonaws.com", mgmtID, api.ErrConstraintViolation, cv(api.ConstraintViolationExceptionReasonServiceAccessNotEnabled)},
		{"service takes one", thirdID, guardDuty, mgmtID, api.ErrConstraintViolation, cv(api.ConstraintViolationExceptionReasonDelegatedAdministratorExistsForThisService)},
		{"service takes three", thirdID, cloudTrail, mgmtID, api.ErrConstraintViolation, cv(api.ConstraintViolationExceptionReasonMaxDelegatedAdministratorsForServiceLimitExceeded)},
		{"consolidated billing", cbMember, guardDuty, cbMgmtID, api.ErrConstraintViolation, cv(api.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, register(tc.caller, tc.acct, tc.principal), tc.typ, tc.reason)
		})
	}

	deregister := func(acct, principal string) error {
		_, err := f.svc.DeregisterDelegatedAdministrator(as(mgmtID), &api.DeregisterDelegatedAdministratorRequest{AccountId: acct, ServicePrincipal: principal})
		return err
	}
	for _, tc := range []struct {
		name, acct, principal string
		typ, reason           string
	}{
		{"unknown principal", otherID, "nothing.example.com", api.ErrInvalidInput, unrecognized},
		{"account not in the organization", strangerID, guardDuty, api.ErrAccountNotFound, ""},
		{"not registered for the service", otherID, cloudTrail, api.ErrAccountNotRegistered, ""},
		{"not registered at all", thirdID, guardDuty, api.ErrAccountNotRegistered, ""},
		{"management account", mgmtID, guardDuty, api.ErrAccountNotRegistered, ""},
	} {
		t.Run("deregister "+tc.name, func(t *testing.T) {
			wantErr(t, deregister(tc.acct, tc.principal), tc.typ, tc.reason)
		})
	}

	// Freeing a place lets another account in.
	if err := deregister(otherID, guardDuty); err != nil {
		t.Fatal(err)
	}
	if err := register(mgmtID, thirdID, guardDuty); err != nil {
		t.Fatalf("after freeing the place: %v", err)
	}

	// The listings' own errors.
	_, err := f.svc.ListDelegatedAdministrators(as(mgmtID), &api.ListDelegatedAdministratorsRequest{ServicePrincipal: "nothing.example.com"})
	wantErr(t, err, api.ErrInvalidInput, unrecognized)
	_, err = f.delegatedServices(mgmtID, strangerID, 0)
	wantErr(t, err, api.ErrAccountNotFound, "")
	_, err = f.delegatedServices(mgmtID, otherID, 0)
	wantErr(t, err, api.ErrAccountNotRegistered, "")
	_, err = f.delegatedServices(mgmtID, mgmtID, 0)
	wantErr(t, err, api.ErrAccountNotRegistered, "")
}

func TestDisableServiceDeregistersAdministrators(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID)
	f.register(mgmtID, otherID, cloudTrail)
	f.register(mgmtID, thirdID, cloudTrail)
	f.register(mgmtID, thirdID, guardDuty)
	must[*api.Empty](t)(f.svc.DisableAWSServiceAccess(as(mgmtID), &api.DisableAWSServiceAccessRequest{ServicePrincipal: cloudTrail}))
	if got := f.delegatedAdmins(mgmtID, cloudTrail, 0); len(got) != 0 {
		t.Errorf("cloudtrail administrators after disabling: %+v", got)
	}
	if ids := adminIDs(f.delegatedAdmins(mgmtID, "", 0)); !slices.Equal(ids, []string{thirdID}) {
		t.Errorf("administrators after disabling cloudtrail: %v", ids)
	}
	_, err := f.svc.ListAccounts(as(otherID), &api.ListAccountsRequest{})
	wantErr(t, err, api.ErrAccessDenied, "")
	// Enabling again does not bring them back.
	f.enableService(mgmtID, cloudTrail)
	if got := f.delegatedAdmins(mgmtID, cloudTrail, 0); len(got) != 0 {
		t.Errorf("cloudtrail administrators after enabling again: %+v", got)
	}
}

func TestDelegatedListingsPagination(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	ids := f.seedAccounts(mgmtID, 7)
	// Accounts with several services must still appear once, whatever the
	// page boundaries.
	for i, id := range ids[:5] {
		f.register(mgmtID, id, "health.amazonaws.com")
		f.register(mgmtID, id, "member.org.stacksets.cloudformation.amazonaws.com")
		if i < 3 {
			f.register(mgmtID, id, cloudTrail)
		}
	}
	f.register(mgmtID, ids[5], guardDuty)
	f.register(mgmtID, ids[6], "sso.amazonaws.com")
	want := ids[:5]
	for _, max := range []int32{0, 1, 2, 3, 20} {
		if got := adminIDs(f.delegatedAdmins(mgmtID, "", max)); !slices.Equal(got, append(slices.Clone(want), ids[5], ids[6])) {
			t.Errorf("MaxResults %d: %v", max, got)
		}
		if got := adminIDs(f.delegatedAdmins(mgmtID, "health.amazonaws.com", max)); !slices.Equal(got, want) {
			t.Errorf("health, MaxResults %d: %v", max, got)
		}
		svcs, err := f.delegatedServices(mgmtID, ids[0], max)
		if ps := servicesOf(svcs); err != nil || !slices.Equal(ps, []string{cloudTrail, "health.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com"}) {
			t.Errorf("services, MaxResults %d: %v %v", max, ps, err)
		}
	}
	bad := string(api.InvalidInputExceptionReasonInvalidNextToken)
	first := must[*api.ListDelegatedAdministratorsResponse](t)(f.svc.ListDelegatedAdministrators(as(mgmtID), &api.ListDelegatedAdministratorsRequest{MaxResults: 1}))
	// A token is bound to its filter.
	_, err := f.svc.ListDelegatedAdministrators(as(mgmtID), &api.ListDelegatedAdministratorsRequest{ServicePrincipal: cloudTrail, NextToken: first.NextToken})
	wantErr(t, err, api.ErrInvalidInput, bad)
	_, err = f.svc.ListDelegatedAdministrators(as(mgmtID), &api.ListDelegatedAdministratorsRequest{NextToken: "garbage"})
	wantErr(t, err, api.ErrInvalidInput, bad)
	svcFirst := must[*api.ListDelegatedServicesForAccountResponse](t)(f.svc.ListDelegatedServicesForAccount(as(mgmtID), &api.ListDelegatedServicesForAccountRequest{AccountId: ids[0], MaxResults: 1}))
	_, err = f.svc.ListDelegatedServicesForAccount(as(mgmtID), &api.ListDelegatedServicesForAccountRequest{AccountId: ids[1], NextToken: svcFirst.NextToken})
	wantErr(t, err, api.ErrInvalidInput, bad)
}

func TestDelegatedAdministratorCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	const daID, standaloneID = "444444444444", "555555555555"
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, daID)
	f.register(mgmtID, daID, "sso.amazonaws.com")
	f.enableService(mgmtID, guardDuty)
	calls := []callerCase{
		{"RegisterDelegatedAdministrator", false, func(c string) error {
			_, err := f.svc.RegisterDelegatedAdministrator(as(c), &api.RegisterDelegatedAdministratorRequest{AccountId: daID, ServicePrincipal: guardDuty})
			return err
		}},
		{"DeregisterDelegatedAdministrator", false, func(c string) error {
			_, err := f.svc.DeregisterDelegatedAdministrator(as(c), &api.DeregisterDelegatedAdministratorRequest{AccountId: daID, ServicePrincipal: guardDuty})
			return err
		}},
		{"ListDelegatedAdministrators", true, func(c string) error {
			_, err := f.svc.ListDelegatedAdministrators(as(c), &api.ListDelegatedAdministratorsRequest{})
			return err
		}},
		{"ListDelegatedServicesForAccount", true, func(c string) error {
			_, err := f.svc.ListDelegatedServicesForAccount(as(c), &api.ListDelegatedServicesForAccountRequest{AccountId: daID})
			return err
		}},
	}
	checkCallers(t, calls, standaloneID, otherID, daID)
}

// A delegated administrator stays in the organization until deregistered.
func TestDelegatedAdministratorCannotLeave(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	f.register(mgmtID, otherID, guardDuty)
	reason := string(api.ConstraintViolationExceptionReasonCannotRemoveDelegatedAdministratorFromOrg)
	_, err := f.svc.RemoveAccountFromOrganization(as(mgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: otherID})
	wantErr(t, err, api.ErrConstraintViolation, reason)
	_, err = f.svc.LeaveOrganization(as(otherID), &api.Empty{})
	wantErr(t, err, api.ErrConstraintViolation, reason)
	must[*api.Empty](t)(f.svc.DeregisterDelegatedAdministrator(as(mgmtID), &api.DeregisterDelegatedAdministratorRequest{AccountId: otherID, ServicePrincipal: guardDuty}))
	must[*api.Empty](t)(f.svc.RemoveAccountFromOrganization(as(mgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: otherID}))
}

// Deleting an organization leaves none of its service access, delegations
// or resource policy behind.
func TestDeleteOrganizationCleansDelegation(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.enableService(mgmtID, guardDuty)
	must[*api.PutResourcePolicyResponse](t)(f.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{
		Content: delegatePolicy(mgmtID, `"organizations:CreatePolicy"`), Tags: []api.Tag{{Key: "k", Value: "v"}}}))
	o := f.orgRecord(mgmtID)
	// A delegation left over (no member can hold one when the organization
	// is deleted, but the hook must not depend on it).
	f.inspect(func(t *txn) error { return t.Put(keyDelegated(o.ID, otherID, guardDuty), nil) })
	must[*api.Empty](t)(f.svc.DeleteOrganization(as(mgmtID), &api.Empty{}))
	f.inspect(func(t *txn) error {
		for _, p := range []string{"svcaccess/", "delegated/", "delegatedsvc/", "rp/", "rpid/", "tags/rp-"} {
			if left, err := t.hasPrefix(p); err != nil || left {
				f.t.Errorf("keys under %s left: %v", p, err)
			}
		}
		return nil
	})
}
