package e2e

// Trusted service access, delegated administrators and the resource-based
// delegation policy, end to end through aws-sdk-go-v2 (spec
// handshakes-and-accounts 6, policies 6).

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/org"
)

// Service principals with the limits serviceprincipals.txt gives them.
const (
	dlgGuardDuty   = "guardduty.amazonaws.com"  // one delegated administrator
	dlgCloudTrail  = "cloudtrail.amazonaws.com" // three
	dlgSSO         = "sso.amazonaws.com"        // one
	dlgRAM         = "ram.amazonaws.com"        // trusted access only
	dlgSecurityHub = "securityhub.amazonaws.com"
	dlgUnknown     = "nothing.example.com"
)

// More accounts than the harness names.
const (
	dlgSecondDA  = "555555555555"
	dlgExtra1    = "666666666666"
	dlgExtra2    = "777777777777"
	dlgExtra3    = "999999999999"
	dlgCBMgmt    = "888888888888"
	dlgCBMember  = "101010101010"
	dlgNoAccount = "123123123123" // known to no one
)

// dlgBase is the server's base clock: fixed, so that dates are exact.
var dlgBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func dlgClock(c *org.Config) { c.Now = func() time.Time { return dlgBase } }

// dlgSCP is a harmless service control policy: attaching it anywhere
// changes no Organizations call.
const dlgSCP = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`

// dlgWorld is an organization with all features managed by mgmtID, in
// which memberID is a plain member and otherID (DA) is the delegated
// administrator for SSO; standaloneID belongs to no organization.
type dlgWorld struct {
	world
	h    *harness
	DA   *organizations.Client
	Root string
}

func newDlgWorld(t *testing.T) *dlgWorld {
	t.Helper()
	h := newHarness(t, dlgClock)
	h.registerAccount(t, mgmtID, "mgmt@example.com", "Management")
	h.registerAccount(t, memberID, "member@example.com", "Member")
	h.registerAccount(t, otherID, "da@example.com", "Delegated Admin")
	d := &dlgWorld{world: h.world(t, true), h: h}
	h.join(t, mgmtID, otherID)
	d.DA = h.client(t, otherID)
	dlgEnable(t, d.Mgmt, dlgSSO)
	dlgRegister(t, d.Mgmt, otherID, dlgSSO)
	roots, err := d.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	d.Root = aws.ToString(roots.Roots[0].Id)
	return d
}

func dlgEnable(t testing.TB, c *organizations.Client, principal string) {
	t.Helper()
	if _, err := c.EnableAWSServiceAccess(ctx(t), &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(principal)}); err != nil {
		t.Fatalf("EnableAWSServiceAccess %s: %v", principal, err)
	}
}

func dlgRegister(t testing.TB, c *organizations.Client, acct, principal string) {
	t.Helper()
	if err := dlgRegisterErr(t, c, acct, principal); err != nil {
		t.Fatalf("RegisterDelegatedAdministrator %s %s: %v", acct, principal, err)
	}
}

func dlgRegisterErr(t testing.TB, c *organizations.Client, acct, principal string) error {
	t.Helper()
	_, err := c.RegisterDelegatedAdministrator(ctx(t), &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(acct), ServicePrincipal: aws.String(principal)})
	return err
}

func dlgDeregisterErr(t testing.TB, c *organizations.Client, acct, principal string) error {
	t.Helper()
	_, err := c.DeregisterDelegatedAdministrator(ctx(t), &organizations.DeregisterDelegatedAdministratorInput{AccountId: aws.String(acct), ServicePrincipal: aws.String(principal)})
	return err
}

// dlgEnabled walks ListAWSServiceAccessForOrganization with the SDK's
// paginator and returns the entries and the number of pages.
func dlgEnabled(t testing.TB, c *organizations.Client, max int32) ([]types.EnabledServicePrincipal, int) {
	t.Helper()
	in := &organizations.ListAWSServiceAccessForOrganizationInput{}
	if max > 0 {
		in.MaxResults = aws.Int32(max)
	}
	p := organizations.NewListAWSServiceAccessForOrganizationPaginator(c, in)
	var all []types.EnabledServicePrincipal
	pages := 0
	for p.HasMorePages() {
		if pages++; pages > 100 {
			t.Fatal("paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListAWSServiceAccessForOrganization: %v", err)
		}
		if max > 0 && len(out.EnabledServicePrincipals) > int(max) {
			t.Fatalf("page of %d, MaxResults %d", len(out.EnabledServicePrincipals), max)
		}
		all = append(all, out.EnabledServicePrincipals...)
	}
	return all, pages
}

// dlgAdmins walks ListDelegatedAdministrators with the SDK's paginator.
func dlgAdmins(t testing.TB, c *organizations.Client, principal string, max int32) []types.DelegatedAdministrator {
	t.Helper()
	in := &organizations.ListDelegatedAdministratorsInput{}
	if principal != "" {
		in.ServicePrincipal = aws.String(principal)
	}
	if max > 0 {
		in.MaxResults = aws.Int32(max)
	}
	p := organizations.NewListDelegatedAdministratorsPaginator(c, in)
	var all []types.DelegatedAdministrator
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 100 {
			t.Fatal("paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListDelegatedAdministrators %q: %v", principal, err)
		}
		if max > 0 && len(out.DelegatedAdministrators) > int(max) {
			t.Fatalf("page of %d, MaxResults %d", len(out.DelegatedAdministrators), max)
		}
		all = append(all, out.DelegatedAdministrators...)
	}
	return all
}

// dlgServices walks ListDelegatedServicesForAccount with the SDK's
// paginator; it returns the first error.
func dlgServices(t testing.TB, c *organizations.Client, acct string, max int32) ([]types.DelegatedService, error) {
	t.Helper()
	in := &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(acct)}
	if max > 0 {
		in.MaxResults = aws.Int32(max)
	}
	p := organizations.NewListDelegatedServicesForAccountPaginator(c, in)
	var all []types.DelegatedService
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 100 {
			t.Fatal("paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			return nil, err
		}
		if max > 0 && len(out.DelegatedServices) > int(max) {
			t.Fatalf("page of %d, MaxResults %d", len(out.DelegatedServices), max)
		}
		all = append(all, out.DelegatedServices...)
	}
	return all, nil
}

func dlgAdminIDs(list []types.DelegatedAdministrator) []string {
	ids := []string{}
	for _, d := range list {
		ids = append(ids, aws.ToString(d.Id))
	}
	return ids
}

func dlgPrincipals(list []types.DelegatedService) []string {
	ps := []string{}
	for _, d := range list {
		ps = append(ps, aws.ToString(d.ServicePrincipal))
	}
	return ps
}

// dlgOp is one operation tried by every kind of caller.
type dlgOp struct {
	name string
	// da: a delegated administrator may call it (otherwise it is refused
	// AccessDeniedException); the management account always may.
	da   bool
	call func(c *organizations.Client) error
}

// checkCallers tries each operation, in order, as a standalone account
// (AWSOrganizationsNotInUseException), a plain member
// (AccessDeniedException), the delegated administrator and the management
// account.
func (d *dlgWorld) checkCallers(t *testing.T, ops []dlgOp) {
	t.Helper()
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			wantAPIError(t, op.call(d.Standalone), "AWSOrganizationsNotInUseException", "")
			wantAPIError(t, op.call(d.Member), "AccessDeniedException", "")
			if err := op.call(d.DA); op.da && err != nil {
				t.Errorf("delegated administrator: %v", err)
			} else if !op.da {
				wantAPIError(t, err, "AccessDeniedException", "")
			}
			if err := op.call(d.Mgmt); err != nil {
				t.Errorf("management account: %v", err)
			}
		})
	}
}

// --- trusted service access ------------------------------------------------------

func TestServiceAccessLifecycle(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	// The world enabled SSO at the base time.
	t0 := d.h.now(t)
	if !t0.Equal(dlgBase) {
		t.Fatalf("server clock %v, want %v", t0, dlgBase)
	}
	disable := func(p string) error {
		_, err := mgmt.DisableAWSServiceAccess(ctx(t), &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(p)})
		return err
	}
	type entry struct {
		p  string
		at time.Time
	}
	check := func(want ...entry) {
		t.Helper()
		for _, max := range []int32{0, 1, 2} {
			list, pages := dlgEnabled(t, mgmt, max)
			var got []entry
			for _, e := range list {
				if e.DateEnabled == nil {
					t.Fatalf("%s without DateEnabled", aws.ToString(e.ServicePrincipal))
				}
				got = append(got, entry{aws.ToString(e.ServicePrincipal), e.DateEnabled.UTC()})
			}
			if !slices.Equal(got, want) {
				t.Fatalf("MaxResults %d: enabled %v, want %v", max, got, want)
			}
			if wantPages := dlgPages(len(want), max); pages != wantPages {
				t.Errorf("MaxResults %d: %d pages for %d entries, want %d", max, pages, len(want), wantPages)
			}
		}
		// A delegated administrator sees the same list.
		list, _ := dlgEnabled(t, d.DA, 0)
		if len(list) != len(want) {
			t.Errorf("delegated administrator sees %d enabled services, want %d", len(list), len(want))
		}
	}
	check(entry{dlgSSO, t0})

	t1 := d.h.advance(t, time.Hour)
	dlgEnable(t, mgmt, dlgGuardDuty)
	t2 := d.h.advance(t, time.Hour)
	dlgEnable(t, mgmt, dlgCloudTrail)
	// A service without delegated administrators can be enabled too.
	dlgEnable(t, mgmt, dlgRAM)
	d.h.advance(t, time.Hour)
	// Enabling again succeeds and keeps the first DateEnabled.
	dlgEnable(t, mgmt, dlgGuardDuty)
	check(entry{dlgCloudTrail, t2}, entry{dlgGuardDuty, t1}, entry{dlgRAM, t2}, entry{dlgSSO, t0})

	if err := disable(dlgGuardDuty); err != nil {
		t.Fatal(err)
	}
	// Disabling what is not enabled succeeds.
	if err := disable(dlgGuardDuty); err != nil {
		t.Fatalf("disabling again: %v", err)
	}
	if err := disable(dlgSecurityHub); err != nil {
		t.Fatalf("disabling a service never enabled: %v", err)
	}
	if err := disable(dlgRAM); err != nil {
		t.Fatal(err)
	}
	check(entry{dlgCloudTrail, t2}, entry{dlgSSO, t0})
	// Enabled again, a service has a new date.
	t4 := d.h.advance(t, time.Hour)
	dlgEnable(t, mgmt, dlgGuardDuty)
	check(entry{dlgCloudTrail, t2}, entry{dlgGuardDuty, t4}, entry{dlgSSO, t0})

	// A service's access can't be disabled while its policy type is
	// enabled in the root.
	dlgEnable(t, mgmt, dlgSecurityHub)
	if _, err := mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(d.Root), PolicyType: types.PolicyTypeSecurityhubPolicy}); err != nil {
		t.Fatalf("EnablePolicyType SECURITYHUB_POLICY: %v", err)
	}
	wantAPIError(t, disable(dlgSecurityHub), "ConstraintViolationException", "POLICY_TYPE_ENABLED_FOR_THIS_SERVICE")
	if _, err := mgmt.DisablePolicyType(ctx(t), &organizations.DisablePolicyTypeInput{RootId: aws.String(d.Root), PolicyType: types.PolicyTypeSecurityhubPolicy}); err != nil {
		t.Fatal(err)
	}
	if err := disable(dlgSecurityHub); err != nil {
		t.Fatalf("disabling after the policy type: %v", err)
	}

	// Disabling a service deregisters its delegated administrators: the
	// account is no delegated administrator any more.
	if err := disable(dlgSSO); err != nil {
		t.Fatal(err)
	}
	if got := dlgAdmins(t, mgmt, "", 0); len(got) != 0 {
		t.Errorf("delegated administrators after disabling SSO: %v", dlgAdminIDs(got))
	}
	_, err := d.DA.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	wantAPIError(t, err, "AccessDeniedException", "")
	// Enabling it again does not bring them back.
	dlgEnable(t, mgmt, dlgSSO)
	if got := dlgAdmins(t, mgmt, dlgSSO, 0); len(got) != 0 {
		t.Errorf("SSO administrators after enabling again: %v", dlgAdminIDs(got))
	}
	// Another organization sees none of this one's services.
	d.h.newOrg(t, dlgCBMgmt, types.OrganizationFeatureSetAll)
	if list, _ := dlgEnabled(t, d.h.client(t, dlgCBMgmt), 0); len(list) != 0 {
		t.Errorf("another organization sees %d enabled services", len(list))
	}
}

// dlgPages is the number of pages of n entries at max a page (20 by default),
// at least one.
func dlgPages(n int, max int32) int {
	if max == 0 {
		max = 20
	}
	if n == 0 {
		return 1
	}
	return (n + int(max) - 1) / int(max)
}

func TestServiceAccessErrors(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	enable := func(c *organizations.Client, p string) error {
		_, err := c.EnableAWSServiceAccess(ctx(t), &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(p)})
		return err
	}
	disable := func(c *organizations.Client, p string) error {
		_, err := c.DisableAWSServiceAccess(ctx(t), &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(p)})
		return err
	}
	d.h.newOrg(t, dlgCBMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	cb := d.h.client(t, dlgCBMgmt)
	for _, tc := range []struct {
		name, code, reason string
		err                error
	}{
		{"enable unknown", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL", enable(d.Mgmt, dlgUnknown)},
		{"disable unknown", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL", disable(d.Mgmt, dlgUnknown)},
		// Service principals are case-sensitive.
		{"enable in upper case", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL", enable(d.Mgmt, "GuardDuty.amazonaws.com")},
		// Input is checked before the caller (spec 6.3).
		{"standalone, unknown", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL", enable(d.Standalone, dlgUnknown)},
		{"member, unknown", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL", disable(d.Member, dlgUnknown)},
		// The model's constraints on a principal.
		{"principal pattern", "InvalidInputException", "INVALID_PATTERN", enable(d.Mgmt, "guardduty/amazonaws.com")},
		{"principal length", "InvalidInputException", "MAX_LENGTH_EXCEEDED", enable(d.Mgmt, strings.Repeat("a", 129))},
		{"empty principal", "InvalidInputException", "MIN_LENGTH_EXCEEDED", disable(d.Mgmt, "")},
		{"enable in consolidated billing", "ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE", enable(cb, dlgGuardDuty)},
		{"disable in consolidated billing", "ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE", disable(cb, dlgGuardDuty)},
	} {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.err, tc.code, tc.reason) })
	}
	// Nothing was enabled by the refusals.
	if list, _ := dlgEnabled(t, d.Mgmt, 0); len(list) != 1 || aws.ToString(list[0].ServicePrincipal) != dlgSSO {
		t.Errorf("enabled after refusals: %+v", list)
	}
	_, err := d.Mgmt.ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = d.Mgmt.ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{MaxResults: aws.Int32(21)})
	wantAPIError(t, err, "InvalidInputException", "MAX_VALUE_EXCEEDED")
}

func TestServiceAccessCallers(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	d.checkCallers(t, []dlgOp{
		{"EnableAWSServiceAccess", false, func(c *organizations.Client) error {
			_, err := c.EnableAWSServiceAccess(ctx(t), &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(dlgGuardDuty)})
			return err
		}},
		{"ListAWSServiceAccessForOrganization", true, func(c *organizations.Client) error {
			out, err := c.ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{})
			if err == nil && len(out.EnabledServicePrincipals) != 2 {
				err = fmt.Errorf("%d enabled services, want 2", len(out.EnabledServicePrincipals))
			}
			return err
		}},
		{"DisableAWSServiceAccess", false, func(c *organizations.Client) error {
			_, err := c.DisableAWSServiceAccess(ctx(t), &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(dlgGuardDuty)})
			return err
		}},
	})
	// The refused callers changed nothing; the management account's
	// disabling took effect.
	if list, _ := dlgEnabled(t, d.Mgmt, 0); len(list) != 1 || aws.ToString(list[0].ServicePrincipal) != dlgSSO {
		t.Errorf("enabled services %+v", list)
	}
}

// --- delegated administrators ----------------------------------------------------

func TestDelegatedAdministratorLifecycle(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	t0 := d.h.now(t)
	d.h.registerAccount(t, dlgSecondDA, "second@example.com", "Second")
	d.h.join(t, mgmtID, dlgSecondDA)

	d.h.advance(t, time.Hour)
	dlgEnable(t, mgmt, dlgCloudTrail)
	dlgEnable(t, mgmt, dlgGuardDuty)
	t1 := d.h.advance(t, time.Hour)
	dlgRegister(t, mgmt, otherID, dlgCloudTrail)
	t2 := d.h.advance(t, time.Hour)
	dlgRegister(t, mgmt, dlgSecondDA, dlgCloudTrail)
	dlgRegister(t, mgmt, dlgSecondDA, dlgGuardDuty)

	// Every service: one entry per account, with the account's fields and
	// its earliest delegation's date.
	for _, max := range []int32{0, 1, 2} {
		all := dlgAdmins(t, mgmt, "", max)
		if ids := dlgAdminIDs(all); !slices.Equal(ids, []string{otherID, dlgSecondDA}) {
			t.Fatalf("MaxResults %d: delegated administrators %v", max, ids)
		}
		if max == 0 {
			for i, want := range []time.Time{t0, t2} {
				if got := all[i].DelegationEnabledDate; got == nil || !got.Equal(want) {
					t.Errorf("%s DelegationEnabledDate %v, want %v", aws.ToString(all[i].Id), got, want)
				}
			}
			da := all[0]
			acct, err := mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(otherID)})
			if err != nil {
				t.Fatal(err)
			}
			a := acct.Account
			if aws.ToString(da.Arn) != aws.ToString(a.Arn) || aws.ToString(da.Email) != "da@example.com" || aws.ToString(da.Name) != "Delegated Admin" ||
				da.Status != types.AccountStatusActive || da.State != types.AccountStateActive || da.JoinedMethod != types.AccountJoinedMethodInvited ||
				da.JoinedTimestamp == nil || !da.JoinedTimestamp.Equal(aws.ToTime(a.JoinedTimestamp)) {
				t.Errorf("entry %+v for account %+v", da, a)
			}
			if want := "arn:aws:organizations::" + mgmtID + ":account/" + aws.ToString(d.Org.Id) + "/" + otherID; aws.ToString(da.Arn) != want {
				t.Errorf("Arn %s, want %s", aws.ToString(da.Arn), want)
			}
		}
	}
	// One service: its administrators and their date for that service.
	ct := dlgAdmins(t, mgmt, dlgCloudTrail, 1)
	if ids := dlgAdminIDs(ct); !slices.Equal(ids, []string{otherID, dlgSecondDA}) {
		t.Fatalf("CloudTrail administrators %v", ids)
	}
	if !aws.ToTime(ct[0].DelegationEnabledDate).Equal(t1) || !aws.ToTime(ct[1].DelegationEnabledDate).Equal(t2) {
		t.Errorf("CloudTrail dates %v %v, want %v %v", ct[0].DelegationEnabledDate, ct[1].DelegationEnabledDate, t1, t2)
	}
	if ids := dlgAdminIDs(dlgAdmins(t, mgmt, dlgGuardDuty, 0)); !slices.Equal(ids, []string{dlgSecondDA}) {
		t.Errorf("GuardDuty administrators %v", ids)
	}
	if got := dlgAdmins(t, mgmt, dlgSecurityHub, 0); len(got) != 0 {
		t.Errorf("Security Hub administrators %v", dlgAdminIDs(got))
	}
	// The delegated administrators read the same lists.
	if ids := dlgAdminIDs(dlgAdmins(t, d.DA, dlgCloudTrail, 0)); !slices.Equal(ids, []string{otherID, dlgSecondDA}) {
		t.Errorf("CloudTrail administrators as the delegated administrator: %v", ids)
	}

	// The services of an account, in principal order, with their dates.
	for _, max := range []int32{0, 1} {
		svcs, err := dlgServices(t, mgmt, otherID, max)
		if err != nil {
			t.Fatal(err)
		}
		if ps := dlgPrincipals(svcs); !slices.Equal(ps, []string{dlgCloudTrail, dlgSSO}) {
			t.Fatalf("MaxResults %d: services of %s %v", max, otherID, ps)
		}
		if !aws.ToTime(svcs[0].DelegationEnabledDate).Equal(t1) || !aws.ToTime(svcs[1].DelegationEnabledDate).Equal(t0) {
			t.Errorf("dates %v %v", svcs[0].DelegationEnabledDate, svcs[1].DelegationEnabledDate)
		}
	}
	// A delegated administrator may list another's services, and its own.
	for _, acct := range []string{dlgSecondDA, otherID} {
		if _, err := dlgServices(t, d.DA, acct, 0); err != nil {
			t.Errorf("delegated administrator listing %s's services: %v", acct, err)
		}
	}

	// Deregistering one service leaves the others.
	if err := dlgDeregisterErr(t, mgmt, otherID, dlgCloudTrail); err != nil {
		t.Fatal(err)
	}
	svcs, err := dlgServices(t, mgmt, otherID, 0)
	if ps := dlgPrincipals(svcs); err != nil || !slices.Equal(ps, []string{dlgSSO}) {
		t.Fatalf("services after deregistering CloudTrail: %v %v", ps, err)
	}
	if ids := dlgAdminIDs(dlgAdmins(t, mgmt, dlgCloudTrail, 0)); !slices.Equal(ids, []string{dlgSecondDA}) {
		t.Errorf("CloudTrail administrators after deregistering %s: %v", otherID, ids)
	}
	// Its last service deregistered, the account is a plain member.
	if err := dlgDeregisterErr(t, mgmt, otherID, dlgSSO); err != nil {
		t.Fatal(err)
	}
	_, err = dlgServices(t, mgmt, otherID, 0)
	wantAPIError(t, err, "AccountNotRegisteredException", "")
	if ids := dlgAdminIDs(dlgAdmins(t, mgmt, "", 0)); !slices.Equal(ids, []string{dlgSecondDA}) {
		t.Errorf("delegated administrators %v", ids)
	}
	_, err = d.DA.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = d.DA.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	wantAPIError(t, err, "AccessDeniedException", "")
	// Registered again, it reads again, dated anew.
	t3 := d.h.advance(t, time.Hour)
	dlgRegister(t, mgmt, otherID, dlgSSO)
	svcs, err = dlgServices(t, d.DA, otherID, 0)
	if err != nil || len(svcs) != 1 || !aws.ToTime(svcs[0].DelegationEnabledDate).Equal(t3) {
		t.Fatalf("services after registering again: %+v %v", svcs, err)
	}
}

func TestRegisterDelegatedAdministratorErrors(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	for _, id := range []string{dlgSecondDA, dlgExtra1, dlgExtra2, dlgExtra3} {
		d.h.join(t, mgmtID, id)
	}
	// dlgCBMgmt manages an organization with consolidated billing only;
	// memberID of the main organization is closing.
	d.h.newOrg(t, dlgCBMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	d.h.join(t, dlgCBMgmt, dlgCBMember)
	if _, err := mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(memberID)}); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	dlgEnable(t, mgmt, dlgGuardDuty)
	dlgEnable(t, mgmt, dlgCloudTrail)
	dlgRegister(t, mgmt, dlgSecondDA, dlgGuardDuty)
	dlgRegister(t, mgmt, dlgSecondDA, dlgCloudTrail)
	dlgRegister(t, mgmt, dlgExtra1, dlgCloudTrail)
	dlgRegister(t, mgmt, dlgExtra2, dlgCloudTrail)
	cb := d.h.client(t, dlgCBMgmt)

	for _, tc := range []struct {
		name         string
		caller       *organizations.Client
		acct, svc    string
		code, reason string
	}{
		{"unknown principal", mgmt, dlgExtra3, dlgUnknown, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL"},
		{"service without delegated administrators", mgmt, dlgExtra3, dlgRAM, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL"},
		{"standalone, unknown principal", d.Standalone, dlgExtra3, dlgUnknown, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL"},
		{"unknown account", mgmt, dlgNoAccount, dlgSecurityHub, "AccountNotFoundException", ""},
		{"standalone account", mgmt, standaloneID, dlgSecurityHub, "AccountNotFoundException", ""},
		{"account of another organization", mgmt, dlgCBMember, dlgSecurityHub, "AccountNotFoundException", ""},
		{"management account", mgmt, mgmtID, dlgGuardDuty, "ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR"},
		{"closing account", mgmt, memberID, dlgSecurityHub, "ConstraintViolationException", "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR"},
		{"already registered", mgmt, otherID, dlgSSO, "AccountAlreadyRegisteredException", ""},
		{"already registered, several", mgmt, dlgExtra1, dlgCloudTrail, "AccountAlreadyRegisteredException", ""},
		{"service access not enabled", mgmt, dlgExtra3, dlgSecurityHub, "ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED"},
		{"service takes one", mgmt, dlgExtra3, dlgGuardDuty, "ConstraintViolationException", "DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE"},
		{"service takes three", mgmt, dlgExtra3, dlgCloudTrail, "ConstraintViolationException", "MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED"},
		{"consolidated billing", cb, dlgCBMember, dlgGuardDuty, "ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE"},
	} {
		t.Run("register "+tc.name, func(t *testing.T) {
			wantAPIError(t, dlgRegisterErr(t, tc.caller, tc.acct, tc.svc), tc.code, tc.reason)
		})
	}
	// The refusals registered no one.
	if ids := dlgAdminIDs(dlgAdmins(t, mgmt, "", 0)); !slices.Equal(ids, []string{otherID, dlgSecondDA, dlgExtra1, dlgExtra2}) {
		t.Errorf("delegated administrators after refusals: %v", ids)
	}

	for _, tc := range []struct {
		name         string
		acct, svc    string
		code, reason string
	}{
		{"unknown principal", otherID, dlgUnknown, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL"},
		{"unknown account", dlgNoAccount, dlgSSO, "AccountNotFoundException", ""},
		{"account of another organization", dlgCBMember, dlgSSO, "AccountNotFoundException", ""},
		{"not registered for the service", otherID, dlgGuardDuty, "AccountNotRegisteredException", ""},
		{"not registered at all", dlgExtra3, dlgGuardDuty, "AccountNotRegisteredException", ""},
		{"management account", mgmtID, dlgSSO, "AccountNotRegisteredException", ""},
	} {
		t.Run("deregister "+tc.name, func(t *testing.T) {
			wantAPIError(t, dlgDeregisterErr(t, mgmt, tc.acct, tc.svc), tc.code, tc.reason)
		})
	}

	// The listings' own errors.
	_, err := mgmt.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(dlgUnknown)})
	wantAPIError(t, err, "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
	_, err = mgmt.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	// A token is bound to its listing.
	first, err := mgmt.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{MaxResults: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	_, err = mgmt.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(dlgCloudTrail), NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	for _, tc := range []struct {
		name, acct, code string
	}{
		{"unknown account", dlgNoAccount, "AccountNotFoundException"},
		{"account of another organization", dlgCBMember, "AccountNotFoundException"},
		{"member", dlgExtra3, "AccountNotRegisteredException"},
		{"management account", mgmtID, "AccountNotRegisteredException"},
	} {
		t.Run("services of "+tc.name, func(t *testing.T) {
			_, err := dlgServices(t, mgmt, tc.acct, 0)
			wantAPIError(t, err, tc.code, "")
		})
	}

	// Freeing a place lets another account in.
	if err := dlgDeregisterErr(t, mgmt, dlgSecondDA, dlgGuardDuty); err != nil {
		t.Fatal(err)
	}
	if err := dlgRegisterErr(t, mgmt, dlgExtra3, dlgGuardDuty); err != nil {
		t.Fatalf("after freeing GuardDuty's place: %v", err)
	}
	if err := dlgDeregisterErr(t, mgmt, dlgExtra2, dlgCloudTrail); err != nil {
		t.Fatal(err)
	}
	if err := dlgRegisterErr(t, mgmt, dlgExtra3, dlgCloudTrail); err != nil {
		t.Fatalf("after freeing a CloudTrail place: %v", err)
	}
}

func TestDelegatedAdministratorCallers(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	dlgEnable(t, d.Mgmt, dlgGuardDuty)
	d.h.join(t, mgmtID, dlgSecondDA)
	d.checkCallers(t, []dlgOp{
		{"RegisterDelegatedAdministrator", false, func(c *organizations.Client) error {
			return dlgRegisterErr(t, c, dlgSecondDA, dlgGuardDuty)
		}},
		{"ListDelegatedAdministrators", true, func(c *organizations.Client) error {
			out, err := c.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{})
			if err == nil && len(out.DelegatedAdministrators) != 2 {
				err = fmt.Errorf("%d delegated administrators, want 2", len(out.DelegatedAdministrators))
			}
			return err
		}},
		{"ListDelegatedAdministrators for a service", true, func(c *organizations.Client) error {
			out, err := c.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(dlgGuardDuty)})
			if err == nil && (len(out.DelegatedAdministrators) != 1 || aws.ToString(out.DelegatedAdministrators[0].Id) != dlgSecondDA) {
				err = fmt.Errorf("GuardDuty administrators %v", dlgAdminIDs(out.DelegatedAdministrators))
			}
			return err
		}},
		{"ListDelegatedServicesForAccount", true, func(c *organizations.Client) error {
			out, err := c.ListDelegatedServicesForAccount(ctx(t), &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(dlgSecondDA)})
			if err == nil && !slices.Equal(dlgPrincipals(out.DelegatedServices), []string{dlgGuardDuty}) {
				err = fmt.Errorf("services %v", dlgPrincipals(out.DelegatedServices))
			}
			return err
		}},
		{"DeregisterDelegatedAdministrator", false, func(c *organizations.Client) error {
			return dlgDeregisterErr(t, c, dlgSecondDA, dlgGuardDuty)
		}},
	})
	if ids := dlgAdminIDs(dlgAdmins(t, d.Mgmt, "", 0)); !slices.Equal(ids, []string{otherID}) {
		t.Errorf("delegated administrators %v", ids)
	}
}

// A delegated administrator reads what the management account reads, and
// is refused the management account's writes.
func TestDelegatedAdministratorReadsOnly(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	// Something of every kind to read.
	ou, err := mgmt.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(d.Root), Name: aws.String("Workloads")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	pol, err := mgmt.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String("NoBucketDeletion"), Description: aws.String("d"), Content: aws.String(dlgSCP), Type: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	polID := aws.ToString(pol.Policy.PolicySummary.Id)
	if _, err := mgmt.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String(ouID)}); err != nil {
		t.Fatal(err)
	}
	car, err := mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("new@example.com"), AccountName: aws.String("New")})
	if err != nil {
		t.Fatal(err)
	}
	carID := aws.ToString(car.CreateAccountStatus.Id)
	if _, err := mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(dlgDelegate(otherID, `"organizations:Describe*"`))}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(ouID), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}); err != nil {
		t.Fatal(err)
	}

	type read struct {
		name string
		// anyMember: any account in the organization may call it.
		anyMember bool
		// call returns something of the answer, compared between the
		// management account and the delegated administrator.
		call func(c *organizations.Client) (string, error)
	}
	reads := []read{
		{"DescribeOrganization", true, func(c *organizations.Client) (string, error) {
			out, err := c.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Organization.Id) + aws.ToString(out.Organization.MasterAccountId), nil
		}},
		{"ListAccounts", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
			if err != nil {
				return "", err
			}
			var ids []string
			for _, a := range out.Accounts {
				ids = append(ids, aws.ToString(a.Id))
			}
			return strings.Join(ids, ","), nil
		}},
		{"DescribeAccount", false, func(c *organizations.Client) (string, error) {
			out, err := c.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(memberID)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Account.Email), nil
		}},
		{"ListRoots", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListRoots(ctx(t), &organizations.ListRootsInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Roots[0].Id), nil
		}},
		{"ListChildren", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(d.Root), ChildType: types.ChildTypeOrganizationalUnit})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Children)), nil
		}},
		{"ListAccountsForParent", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(d.Root)})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Accounts)), nil
		}},
		{"ListOrganizationalUnitsForParent", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(d.Root)})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.OrganizationalUnits)), nil
		}},
		{"DescribeOrganizationalUnit", false, func(c *organizations.Client) (string, error) {
			out, err := c.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouID)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.OrganizationalUnit.Name), nil
		}},
		{"ListParents", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(memberID)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Parents[0].Id), nil
		}},
		{"ListPolicies", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListPolicies(ctx(t), &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Policies)), nil
		}},
		{"DescribePolicy", false, func(c *organizations.Client) (string, error) {
			out, err := c.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: aws.String(polID)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Policy.Content), nil
		}},
		{"ListPoliciesForTarget", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListPoliciesForTarget(ctx(t), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(ouID), Filter: types.PolicyTypeServiceControlPolicy})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Policies)), nil
		}},
		{"ListTargetsForPolicy", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListTargetsForPolicy(ctx(t), &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(polID)})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Targets)), nil
		}},
		{"ListHandshakesForOrganization", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListHandshakesForOrganization(ctx(t), &organizations.ListHandshakesForOrganizationInput{})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Handshakes)), nil
		}},
		{"ListCreateAccountStatus", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.CreateAccountStatuses)), nil
		}},
		{"DescribeCreateAccountStatus", false, func(c *organizations.Client) (string, error) {
			out, err := c.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(carID)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.CreateAccountStatus.AccountName), nil
		}},
		{"ListAWSServiceAccessForOrganization", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.EnabledServicePrincipals)), nil
		}},
		{"ListDelegatedAdministrators", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{})
			if err != nil {
				return "", err
			}
			return strings.Join(dlgAdminIDs(out.DelegatedAdministrators), ","), nil
		}},
		{"ListDelegatedServicesForAccount", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListDelegatedServicesForAccount(ctx(t), &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(otherID)})
			if err != nil {
				return "", err
			}
			return strings.Join(dlgPrincipals(out.DelegatedServices), ","), nil
		}},
		{"DescribeResourcePolicy", false, func(c *organizations.Client) (string, error) {
			out, err := c.DescribeResourcePolicy(ctx(t), &organizations.DescribeResourcePolicyInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ResourcePolicy.Content), nil
		}},
		{"ListTagsForResource", false, func(c *organizations.Client) (string, error) {
			out, err := c.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(ouID)})
			if err != nil {
				return "", err
			}
			return fmt.Sprint(len(out.Tags)), nil
		}},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			want, err := r.call(mgmt)
			if err != nil {
				t.Fatalf("management account: %v", err)
			}
			got, err := r.call(d.DA)
			if err != nil {
				t.Fatalf("delegated administrator: %v", err)
			}
			if got != want {
				t.Errorf("delegated administrator reads %q, management account %q", got, want)
			}
			if _, err := r.call(d.Member); r.anyMember && err != nil {
				t.Errorf("member: %v", err)
			} else if !r.anyMember {
				wantAPIError(t, err, "AccessDeniedException", "")
			}
			_, err = r.call(d.Standalone)
			wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
		})
	}

	// The management account's writes, refused to the delegated
	// administrator (and to a member) with no effect.
	rootTarget := aws.String(d.Root)
	writes := []struct {
		name string
		call func(c *organizations.Client) error
	}{
		{"CreateAccount", func(c *organizations.Client) error {
			_, err := c.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("da-made@example.com"), AccountName: aws.String("DA made")})
			return err
		}},
		{"CreateOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: rootTarget, Name: aws.String("DA made")})
			return err
		}},
		{"UpdateOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.UpdateOrganizationalUnit(ctx(t), &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouID), Name: aws.String("Renamed")})
			return err
		}},
		{"DeleteOrganizationalUnit", func(c *organizations.Client) error {
			_, err := c.DeleteOrganizationalUnit(ctx(t), &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouID)})
			return err
		}},
		{"InviteAccountToOrganization", func(c *organizations.Client) error {
			_, err := c.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: &types.HandshakeParty{Id: aws.String(standaloneID), Type: types.HandshakePartyTypeAccount}})
			return err
		}},
		{"MoveAccount", func(c *organizations.Client) error {
			_, err := c.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(memberID), SourceParentId: rootTarget, DestinationParentId: aws.String(ouID)})
			return err
		}},
		{"RemoveAccountFromOrganization", func(c *organizations.Client) error {
			_, err := c.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(memberID)})
			return err
		}},
		{"CloseAccount", func(c *organizations.Client) error {
			_, err := c.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(memberID)})
			return err
		}},
		{"DeleteOrganization", func(c *organizations.Client) error {
			_, err := c.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
			return err
		}},
		{"EnableAWSServiceAccess", func(c *organizations.Client) error {
			_, err := c.EnableAWSServiceAccess(ctx(t), &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(dlgGuardDuty)})
			return err
		}},
		{"DisableAWSServiceAccess", func(c *organizations.Client) error {
			_, err := c.DisableAWSServiceAccess(ctx(t), &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(dlgSSO)})
			return err
		}},
		{"RegisterDelegatedAdministrator", func(c *organizations.Client) error {
			return dlgRegisterErr(t, c, memberID, dlgSSO)
		}},
		{"DeregisterDelegatedAdministrator", func(c *organizations.Client) error {
			return dlgDeregisterErr(t, c, otherID, dlgSSO)
		}},
		{"PutResourcePolicy", func(c *organizations.Client) error {
			_, err := c.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(dlgDelegate(otherID, `"organizations:*"`))})
			return err
		}},
		{"DeleteResourcePolicy", func(c *organizations.Client) error {
			_, err := c.DeleteResourcePolicy(ctx(t), &organizations.DeleteResourcePolicyInput{})
			return err
		}},
	}
	for _, w := range writes {
		t.Run("refused "+w.name, func(t *testing.T) {
			wantAPIError(t, w.call(d.DA), "AccessDeniedException", "")
			wantAPIError(t, w.call(d.Member), "AccessDeniedException", "")
			wantAPIError(t, w.call(d.Standalone), "AWSOrganizationsNotInUseException", "")
		})
	}
	// Nothing changed: every read answers as before the refused writes.
	cas, err := mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
	if err != nil || len(cas.CreateAccountStatuses) != 1 {
		t.Errorf("create-account requests after refusals: %+v %v", cas, err)
	}
	ous, err := mgmt.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: rootTarget})
	if err != nil || len(ous.OrganizationalUnits) != 1 || aws.ToString(ous.OrganizationalUnits[0].Name) != "Workloads" {
		t.Errorf("OUs after refusals: %+v %v", ous, err)
	}
	parents, err := mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(memberID)})
	if err != nil || aws.ToString(parents.Parents[0].Id) != d.Root {
		t.Errorf("member's parent after refusals: %+v %v", parents, err)
	}
	acct, err := mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(memberID)})
	if err != nil || acct.Account.State != types.AccountStateActive {
		t.Errorf("member after refusals: %+v %v", acct, err)
	}
	hs, err := d.Standalone.ListHandshakesForAccount(ctx(t), &organizations.ListHandshakesForAccountInput{})
	if err != nil || len(hs.Handshakes) != 0 {
		t.Errorf("standalone account's handshakes after refusals: %+v %v", hs, err)
	}
	if list, _ := dlgEnabled(t, mgmt, 0); len(list) != 1 {
		t.Errorf("enabled services after refusals: %+v", list)
	}
	if ids := dlgAdminIDs(dlgAdmins(t, mgmt, "", 0)); !slices.Equal(ids, []string{otherID}) {
		t.Errorf("delegated administrators after refusals: %v", ids)
	}
	rp, err := mgmt.DescribeResourcePolicy(ctx(t), &organizations.DescribeResourcePolicyInput{})
	if err != nil || aws.ToString(rp.ResourcePolicy.Content) != dlgDelegate(otherID, `"organizations:Describe*"`) {
		t.Errorf("resource policy after refusals: %+v %v", rp, err)
	}
	if _, err := mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("organization after refusals: %v", err)
	}
}

// A delegated administrator can neither leave nor be removed until it is
// deregistered from every service.
func TestDelegatedAdministratorCannotLeave(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	dlgEnable(t, mgmt, dlgGuardDuty)
	dlgRegister(t, mgmt, otherID, dlgGuardDuty)
	d.h.join(t, mgmtID, dlgSecondDA)
	dlgEnable(t, mgmt, dlgCloudTrail)
	dlgRegister(t, mgmt, dlgSecondDA, dlgCloudTrail)
	remove := func(acct string) error {
		_, err := mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(acct)})
		return err
	}
	leave := func(c *organizations.Client) error {
		_, err := c.LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{})
		return err
	}
	const reason = "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG"
	second := d.h.client(t, dlgSecondDA)
	wantAPIError(t, remove(otherID), "ConstraintViolationException", reason)
	wantAPIError(t, leave(d.DA), "ConstraintViolationException", reason)
	wantAPIError(t, remove(dlgSecondDA), "ConstraintViolationException", reason)
	wantAPIError(t, leave(second), "ConstraintViolationException", reason)

	// Still registered for one service, still refused.
	if err := dlgDeregisterErr(t, mgmt, otherID, dlgGuardDuty); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, leave(d.DA), "ConstraintViolationException", reason)
	wantAPIError(t, remove(otherID), "ConstraintViolationException", reason)
	// Deregistered from all, it may leave.
	if err := dlgDeregisterErr(t, mgmt, otherID, dlgSSO); err != nil {
		t.Fatal(err)
	}
	if err := leave(d.DA); err != nil {
		t.Fatalf("LeaveOrganization after deregistration: %v", err)
	}
	_, err := d.DA.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	// Disabling its service deregisters the other, which may then be
	// removed.
	if _, err := mgmt.DisableAWSServiceAccess(ctx(t), &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(dlgCloudTrail)}); err != nil {
		t.Fatal(err)
	}
	if err := remove(dlgSecondDA); err != nil {
		t.Fatalf("RemoveAccountFromOrganization after the service was disabled: %v", err)
	}
	if got := dlgAdmins(t, mgmt, "", 0); len(got) != 0 {
		t.Errorf("delegated administrators %v", dlgAdminIDs(got))
	}
	// Back in the organization, the account is no delegated administrator.
	d.h.join(t, mgmtID, otherID)
	_, err = dlgServices(t, mgmt, otherID, 0)
	wantAPIError(t, err, "AccountNotRegisteredException", "")
	_, err = d.DA.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	wantAPIError(t, err, "AccessDeniedException", "")
}

// --- the resource-based delegation policy ---------------------------------------

// dlgDelegate is a delegation policy allowing acct the actions (a JSON
// string or list).
func dlgDelegate(acct, actions string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"Delegate","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":` + actions + `,"Resource":"*"}]}`
}

func dlgTags(t testing.TB, c *organizations.Client, id string) ([]string, error) {
	t.Helper()
	p := organizations.NewListTagsForResourcePaginator(c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	tags := []string{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			return nil, err
		}
		for _, tag := range out.Tags {
			tags = append(tags, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
	}
	slices.Sort(tags)
	return tags, nil
}

func TestResourcePolicyLifecycle(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	describe := func(c *organizations.Client) (*types.ResourcePolicy, error) {
		out, err := c.DescribeResourcePolicy(ctx(t), &organizations.DescribeResourcePolicyInput{})
		if err != nil {
			return nil, err
		}
		return out.ResourcePolicy, nil
	}
	_, err := describe(mgmt)
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")
	_, err = describe(d.DA)
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")
	_, err = mgmt.DeleteResourcePolicy(ctx(t), &organizations.DeleteResourcePolicyInput{})
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")

	content := dlgDelegate(otherID, `["organizations:CreatePolicy","organizations:Describe*"]`)
	put, err := mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{
		Content: aws.String(content),
		Tags:    []types.Tag{{Key: aws.String("team"), Value: aws.String("sec")}, {Key: aws.String("empty"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := put.ResourcePolicy.ResourcePolicySummary
	id := aws.ToString(sum.Id)
	if !regexp.MustCompile(`^rp-[0-9a-zA-Z_]{4,128}$`).MatchString(id) {
		t.Errorf("Id %q", id)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":resourcepolicy/" + aws.ToString(d.Org.Id) + "/" + id; aws.ToString(sum.Arn) != want {
		t.Errorf("Arn %s, want %s", aws.ToString(sum.Arn), want)
	}
	if aws.ToString(put.ResourcePolicy.Content) != content {
		t.Errorf("Content %s", aws.ToString(put.ResourcePolicy.Content))
	}
	// The management account and the delegated administrator describe it
	// alike.
	for name, c := range map[string]*organizations.Client{"management": mgmt, "delegated administrator": d.DA} {
		rp, err := describe(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if aws.ToString(rp.ResourcePolicySummary.Id) != id || aws.ToString(rp.ResourcePolicySummary.Arn) != aws.ToString(sum.Arn) || aws.ToString(rp.Content) != content {
			t.Errorf("%s describes %+v %+v", name, rp, rp.ResourcePolicySummary)
		}
	}
	// Its tags, by its ID, for the management account and the delegated
	// administrator.
	for name, c := range map[string]*organizations.Client{"management": mgmt, "delegated administrator": d.DA} {
		if tags, err := dlgTags(t, c, id); err != nil || !slices.Equal(tags, []string{"empty=", "team=sec"}) {
			t.Errorf("%s: tags %v %v", name, tags, err)
		}
	}
	_, err = d.Member.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	wantAPIError(t, err, "AccessDeniedException", "")

	// Putting again replaces the content and keeps the ID; tags can be
	// given only on creation.
	content2 := dlgDelegate(otherID, `"organizations:UpdatePolicy"`)
	_, err = mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(content2), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidInputException", "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED")
	if rp, err := describe(mgmt); err != nil || aws.ToString(rp.Content) != content {
		t.Fatalf("after the refused update: %+v %v", rp, err)
	}
	put2, err := mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(content2)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put2.ResourcePolicy.ResourcePolicySummary.Id) != id || aws.ToString(put2.ResourcePolicy.Content) != content2 {
		t.Errorf("updated %+v", put2.ResourcePolicy)
	}
	if rp, err := describe(d.DA); err != nil || aws.ToString(rp.Content) != content2 {
		t.Errorf("described after the update: %+v %v", rp, err)
	}
	// The policy is tagged and untagged by its ID.
	if _, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"empty"}}); err != nil {
		t.Fatal(err)
	}
	if tags, err := dlgTags(t, mgmt, id); err != nil || !slices.Equal(tags, []string{"k=v", "team=sec"}) {
		t.Errorf("tags after TagResource and UntagResource: %v %v", tags, err)
	}
	// Another organization neither sees nor tags it.
	d.h.newOrg(t, dlgCBMgmt, types.OrganizationFeatureSetAll)
	stranger := d.h.client(t, dlgCBMgmt)
	_, err = describe(stranger)
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")
	_, err = stranger.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	wantAPIError(t, err, "TargetNotFoundException", "")

	// Deleted, it is gone with its tags.
	if _, err := mgmt.DeleteResourcePolicy(ctx(t), &organizations.DeleteResourcePolicyInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = describe(mgmt)
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")
	_, err = mgmt.DeleteResourcePolicy(ctx(t), &organizations.DeleteResourcePolicyInput{})
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")
	_, err = dlgTags(t, mgmt, id)
	wantAPIError(t, err, "TargetNotFoundException", "")
	// A new policy is a new resource, without the old tags.
	put3, err := mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(content)})
	if err != nil {
		t.Fatal(err)
	}
	id3 := aws.ToString(put3.ResourcePolicy.ResourcePolicySummary.Id)
	if tags, err := dlgTags(t, mgmt, id3); id3 == id || err != nil || len(tags) != 0 {
		t.Errorf("recreated %s (was %s) with tags %v %v", id3, id, tags, err)
	}

	// Deleting the organization takes the policy with it.
	d2 := newHarness(t, dlgClock)
	solo := d2.client(t, mgmtID)
	d2.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	dlgEnable(t, solo, dlgGuardDuty)
	if _, err := solo.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(dlgDelegate(mgmtID, `"organizations:List*"`))}); err != nil {
		t.Fatal(err)
	}
	if _, err := solo.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	d2.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	_, err = describe(solo)
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")
	if list, _ := dlgEnabled(t, solo, 0); len(list) != 0 {
		t.Errorf("the new organization has the old one's services: %+v", list)
	}
}

func TestPutResourcePolicyValidation(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	d.h.newOrg(t, dlgCBMgmt, types.OrganizationFeatureSetAll)
	const ok = `"Principal":{"AWS":"` + otherID + `"}`
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + body + `}]}`
	}
	full := func(principal, action, resource string) string {
		return stmt(principal + `,"Action":` + action + `,"Resource":` + resource)
	}
	policy := dlgDelegate(otherID, `"organizations:CreatePolicy"`)
	// pad makes the policy n characters long (multi-byte ones: the limit
	// is in characters).
	pad := func(n int) string {
		return policy[:len(policy)-1] + `,"Id":"` + strings.Repeat("é", n-len(policy)-len(`,"Id":""`)) + `"}`
	}
	for _, tc := range []struct {
		name, content, reason string
	}{
		{"the User Guide's example", `{"Version":"2012-10-17","Statement":[{"Sid":"Fully_manage_backup_policies","Effect":"Allow","Principal":{"AWS":"` + otherID + `"},` +
			`"Action":["organizations:DescribeOrganization","organizations:ListAccounts","organizations:CreatePolicy","organizations:DescribePolicy","organizations:UpdatePolicy","organizations:DeletePolicy","organizations:AttachPolicy","organizations:DetachPolicy"],` +
			`"Resource":["arn:aws:organizations::` + mgmtID + `:root/o-abcdef/r-pqrstu","arn:aws:organizations::` + mgmtID + `:ou/o-abcdef/*","arn:aws:organizations::` + mgmtID + `:account/o-abcdef/*","arn:aws:organizations::` + mgmtID + `:organization/policy/backup_policy/*"],` +
			`"Condition":{"StringLikeIfExists":{"organizations:PolicyType":["BACKUP_POLICY"]}}}]}`, ""},
		{"one statement object", `{"Statement":{"Effect":"Deny",` + ok + `,"Action":"organizations:*","Resource":"*"}}`, ""},
		{"role principal", full(`"Principal":{"AWS":["arn:aws:iam::`+otherID+`:role/admins/PolicyAdmin"]}`, `"organizations:List*"`, `"*"`), ""},
		{"the management account", full(`"Principal":{"AWS":"`+mgmtID+`"}`, `"*"`, `"*"`), ""},
		{"40000 characters", pad(40000), ""},

		{"not JSON", `{"Version":`, "INVALID_RESOURCE_POLICY_JSON"},
		{"not an object", `["x"]`, "INVALID_RESOURCE_POLICY_JSON"},
		{"bad version", strings.Replace(policy, "2012-10-17", "2020-01-01", 1), "INVALID_RESOURCE_POLICY_JSON"},
		{"no statement", `{"Version":"2012-10-17"}`, "INVALID_RESOURCE_POLICY_JSON"},
		{"unknown element", stmt(ok + `,"Action":"organizations:CreatePolicy","Resource":"*","Extra":1`), "INVALID_RESOURCE_POLICY_JSON"},
		{"bad effect", strings.Replace(policy, `"Allow"`, `"allow"`, 1), "INVALID_RESOURCE_POLICY_JSON"},
		{"no action", stmt(ok + `,"Resource":"*"`), "INVALID_RESOURCE_POLICY_JSON"},

		{"no principal", stmt(`"Action":"organizations:CreatePolicy","Resource":"*"`), "INVALID_PRINCIPAL"},
		{"wildcard principal", full(`"Principal":"*"`, `"organizations:CreatePolicy"`, `"*"`), "INVALID_PRINCIPAL"},
		{"service principal", full(`"Principal":{"Service":"guardduty.amazonaws.com"}`, `"organizations:CreatePolicy"`, `"*"`), "INVALID_PRINCIPAL"},
		{"NotPrincipal", stmt(`"NotPrincipal":{"AWS":"` + otherID + `"},"Action":"organizations:CreatePolicy","Resource":"*"`), "INVALID_PRINCIPAL"},
		{"standalone account", dlgDelegate(standaloneID, `"organizations:CreatePolicy"`), "INVALID_PRINCIPAL"},
		{"account of another organization", dlgDelegate(dlgCBMgmt, `"organizations:CreatePolicy"`), "INVALID_PRINCIPAL"},
		{"unknown account", dlgDelegate(dlgNoAccount, `"organizations:CreatePolicy"`), "INVALID_PRINCIPAL"},

		{"management-only action", full(ok, `"organizations:CreateAccount"`, `"*"`), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"one undelegable among others", full(ok, `["organizations:CreatePolicy","organizations:LeaveOrganization"]`, `"*"`), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"another service's action", full(ok, `"s3:GetObject"`, `"*"`), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
		{"NotAction", stmt(ok + `,"NotAction":"organizations:CreatePolicy","Resource":"*"`), "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},

		{"another service's resource", full(ok, `"organizations:CreatePolicy"`, `"arn:aws:s3:::bucket"`), "UNSUPPORTED_RESOURCE_IN_RESOURCE_POLICY"},
		{"unknown resource type", full(ok, `"organizations:CreatePolicy"`, `"arn:aws:organizations::`+mgmtID+`:widget/o-abcdef/w-1"`), "UNSUPPORTED_RESOURCE_IN_RESOURCE_POLICY"},
		{"NotResource", stmt(ok + `,"Action":"organizations:CreatePolicy","NotResource":"*"`), "UNSUPPORTED_RESOURCE_IN_RESOURCE_POLICY"},

		{"unknown policy type", stmt(ok + `,"Action":"organizations:CreatePolicy","Resource":"*","Condition":{"StringEquals":{"organizations:PolicyType":"NOT_A_POLICY"}}`), "UNSUPPORTED_POLICY_TYPE_IN_RESOURCE_POLICY"},

		{"40001 characters", pad(40001), "MAX_LENGTH_EXCEEDED"},
		{"empty", "", "MIN_LENGTH_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := d.Mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(tc.content)})
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if aws.ToString(out.ResourcePolicy.Content) != tc.content {
					t.Errorf("stored %d characters of %d", len([]rune(aws.ToString(out.ResourcePolicy.Content))), len([]rune(tc.content)))
				}
				return
			}
			wantAPIError(t, err, "InvalidInputException", tc.reason)
		})
	}
	// The document is checked before the caller (spec 6.3).
	_, err := d.Standalone.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(`{"Version":`)})
	wantAPIError(t, err, "InvalidInputException", "INVALID_RESOURCE_POLICY_JSON")
	// The refusals left the last accepted policy.
	rp, err := d.Mgmt.DescribeResourcePolicy(ctx(t), &organizations.DescribeResourcePolicyInput{})
	if err != nil || aws.ToString(rp.ResourcePolicy.Content) != pad(40000) {
		t.Errorf("policy after refusals: %v", err)
	}
}

func TestResourcePolicyCallers(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	content := dlgDelegate(otherID, `"organizations:CreatePolicy"`)
	put := func(c *organizations.Client) error {
		_, err := c.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(content)})
		return err
	}
	d.checkCallers(t, []dlgOp{
		{"PutResourcePolicy", false, put},
		{"DescribeResourcePolicy", true, func(c *organizations.Client) error {
			out, err := c.DescribeResourcePolicy(ctx(t), &organizations.DescribeResourcePolicyInput{})
			if err == nil && aws.ToString(out.ResourcePolicy.Content) != content {
				err = fmt.Errorf("content %s", aws.ToString(out.ResourcePolicy.Content))
			}
			return err
		}},
		{"DeleteResourcePolicy", false, func(c *organizations.Client) error {
			_, err := c.DeleteResourcePolicy(ctx(t), &organizations.DeleteResourcePolicyInput{})
			return err
		}},
	})
	// The management account's deletion took effect, no one else's did.
	_, err := d.Mgmt.DescribeResourcePolicy(ctx(t), &organizations.DescribeResourcePolicyInput{})
	wantAPIError(t, err, "ResourcePolicyNotFoundException", "")

	// Delegation needs all features.
	d.h.newOrg(t, dlgCBMgmt, types.OrganizationFeatureSetConsolidatedBilling)
	_, err = d.h.client(t, dlgCBMgmt).PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(dlgDelegate(dlgCBMgmt, `"*"`))})
	wantAPIError(t, err, "ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
}

// dlgWrites are the policy-management writes a delegation policy gates,
// each trying one write as a caller on objects the management account
// prepares, and checking its effect when it succeeds.
type dlgWrites struct {
	d      *dlgWorld
	target string // where policies are attached: a member account
	n      int
}

// newPolicy makes a fresh harmless SCP as the management account.
func (w *dlgWrites) newPolicy(t *testing.T) string {
	t.Helper()
	w.n++
	out, err := w.d.Mgmt.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String(fmt.Sprint("setup", w.n)), Description: aws.String("setup"), Content: aws.String(dlgSCP), Type: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	return aws.ToString(out.Policy.PolicySummary.Id)
}

// attached reports whether policy id is attached to the target.
func (w *dlgWrites) attached(t *testing.T, id string) bool {
	t.Helper()
	out, err := w.d.Mgmt.ListPoliciesForTarget(ctx(t), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(w.target), Filter: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Policies {
		if aws.ToString(p.Id) == id {
			return true
		}
	}
	return false
}

func (w *dlgWrites) exists(t *testing.T, id string) bool {
	t.Helper()
	_, err := w.d.Mgmt.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err == nil {
		return true
	}
	wantAPIError(t, err, "PolicyNotFoundException", "")
	return false
}

func (w *dlgWrites) tagged(t *testing.T) bool {
	t.Helper()
	tags, err := dlgTags(t, w.d.Mgmt, w.target)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Contains(tags, "delegated=yes")
}

func (w *dlgWrites) tagPolicyEnabled(t *testing.T) bool {
	t.Helper()
	out, err := w.d.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range out.Roots[0].PolicyTypes {
		if pt.Type == types.PolicyTypeTagPolicy && pt.Status == types.PolicyTypeStatusEnabled {
			return true
		}
	}
	return false
}

// try makes write op as c; it returns the error, after checking that the
// write had its effect when it succeeded and none when it failed.
func (w *dlgWrites) try(t *testing.T, op string, c *organizations.Client) error {
	t.Helper()
	mgmt, root := w.d.Mgmt, aws.String(w.d.Root)
	effect := func(err error, done bool) error {
		t.Helper()
		if (err == nil) != done {
			t.Errorf("%s: error %v, but the write took effect: %v", op, err, done)
		}
		return err
	}
	switch op {
	case "CreatePolicy":
		w.n++
		name := fmt.Sprint("delegated", w.n)
		out, err := c.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String("d"), Content: aws.String(dlgSCP), Type: types.PolicyTypeServiceControlPolicy})
		found := false
		p := organizations.NewListPoliciesPaginator(mgmt, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
		for p.HasMorePages() {
			page, lerr := p.NextPage(ctx(t))
			if lerr != nil {
				t.Fatal(lerr)
			}
			for _, p := range page.Policies {
				found = found || aws.ToString(p.Name) == name
			}
		}
		if err == nil && !w.exists(t, aws.ToString(out.Policy.PolicySummary.Id)) {
			t.Errorf("the created policy is not there")
		}
		return effect(err, found)
	case "UpdatePolicy":
		id := w.newPolicy(t)
		_, err := c.UpdatePolicy(ctx(t), &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Name: aws.String("renamed" + id)})
		out, derr := mgmt.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
		if derr != nil {
			t.Fatal(derr)
		}
		return effect(err, aws.ToString(out.Policy.PolicySummary.Name) == "renamed"+id)
	case "DeletePolicy":
		id := w.newPolicy(t)
		_, err := c.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
		return effect(err, !w.exists(t, id))
	case "AttachPolicy":
		id := w.newPolicy(t)
		_, err := c.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(w.target)})
		done := w.attached(t, id)
		if done {
			// Keep the target under its attachment quota.
			if _, err := mgmt.DetachPolicy(ctx(t), &organizations.DetachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(w.target)}); err != nil {
				t.Fatal(err)
			}
		}
		return effect(err, done)
	case "DetachPolicy":
		id := w.newPolicy(t)
		if _, err := mgmt.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(w.target)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.DetachPolicy(ctx(t), &organizations.DetachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(w.target)})
		done := !w.attached(t, id)
		if !done {
			if _, err := mgmt.DetachPolicy(ctx(t), &organizations.DetachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(w.target)}); err != nil {
				t.Fatal(err)
			}
		}
		return effect(err, done)
	case "EnablePolicyType":
		if w.tagPolicyEnabled(t) {
			if _, err := mgmt.DisablePolicyType(ctx(t), &organizations.DisablePolicyTypeInput{RootId: root, PolicyType: types.PolicyTypeTagPolicy}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: root, PolicyType: types.PolicyTypeTagPolicy})
		return effect(err, w.tagPolicyEnabled(t))
	case "DisablePolicyType":
		if !w.tagPolicyEnabled(t) {
			if _, err := mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: root, PolicyType: types.PolicyTypeTagPolicy}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.DisablePolicyType(ctx(t), &organizations.DisablePolicyTypeInput{RootId: root, PolicyType: types.PolicyTypeTagPolicy})
		return effect(err, !w.tagPolicyEnabled(t))
	case "TagResource":
		if _, err := mgmt.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(w.target), TagKeys: []string{"delegated"}}); err != nil {
			t.Fatal(err)
		}
		_, err := c.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(w.target), Tags: []types.Tag{{Key: aws.String("delegated"), Value: aws.String("yes")}}})
		return effect(err, w.tagged(t))
	case "UntagResource":
		if _, err := mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(w.target), Tags: []types.Tag{{Key: aws.String("delegated"), Value: aws.String("yes")}}}); err != nil {
			t.Fatal(err)
		}
		_, err := c.UntagResource(ctx(t), &organizations.UntagResourceInput{ResourceId: aws.String(w.target), TagKeys: []string{"delegated"}})
		return effect(err, !w.tagged(t))
	}
	t.Fatalf("no write %s", op)
	return nil
}

var dlgAllWrites = []string{"AttachPolicy", "CreatePolicy", "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "TagResource", "UntagResource", "UpdatePolicy"}

// expect checks that c may make exactly the writes in allowed; the others
// are refused with AccessDeniedException.
func (w *dlgWrites) expect(t *testing.T, who string, c *organizations.Client, allowed ...string) {
	t.Helper()
	for _, op := range dlgAllWrites {
		err := w.try(t, op, c)
		if slices.Contains(allowed, op) {
			if err != nil {
				t.Errorf("%s %s: %v", who, op, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s %s: allowed, want AccessDeniedException", who, op)
			continue
		}
		t.Run(who+" "+op, func(t *testing.T) { wantAPIError(t, err, "AccessDeniedException", "") })
	}
}

// A delegated administrator manages policies only as the resource policy
// lets it; the management account is never restricted.
func TestResourcePolicyDelegatesPolicyManagement(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	d.h.join(t, mgmtID, dlgSecondDA)
	dlgEnable(t, mgmt, dlgGuardDuty)
	dlgRegister(t, mgmt, dlgSecondDA, dlgGuardDuty)
	second := d.h.client(t, dlgSecondDA)
	w := &dlgWrites{d: d, target: memberID}
	putPolicy := func(content string) {
		t.Helper()
		if _, err := mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(content)}); err != nil {
			t.Fatalf("PutResourcePolicy: %v", err)
		}
	}

	// Without a resource policy a delegated administrator only reads.
	w.expect(t, "delegated administrator", d.DA)
	w.expect(t, "member", d.Member)
	w.expect(t, "management account", mgmt, dlgAllWrites...)
	_, err := d.Standalone.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String("x"), Description: aws.String("d"), Content: aws.String(dlgSCP), Type: types.PolicyTypeServiceControlPolicy})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")

	// Granted CreatePolicy and AttachPolicy, it may make those two writes,
	// and only those.
	putPolicy(dlgDelegate(otherID, `["organizations:CreatePolicy","organizations:AttachPolicy"]`))
	w.expect(t, "granted delegated administrator", d.DA, "AttachPolicy", "CreatePolicy")
	w.expect(t, "another delegated administrator", second)
	w.expect(t, "member", d.Member)
	w.expect(t, "management account", mgmt, dlgAllWrites...)
	// What it made is the organization's, for the management account to see.
	out, err := d.DA.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String("ByDelegate"), Description: aws.String("d"), Content: aws.String(dlgSCP), Type: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	byDA := aws.ToString(out.Policy.PolicySummary.Id)
	if _, err := d.DA.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String(byDA), TargetId: aws.String(memberID)}); err != nil {
		t.Fatal(err)
	}
	if !w.attached(t, byDA) {
		t.Errorf("the delegated administrator's attachment is not there")
	}
	_, err = d.DA.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(byDA)})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = d.DA.DetachPolicy(ctx(t), &organizations.DetachPolicyInput{PolicyId: aws.String(byDA), TargetId: aws.String(memberID)})
	wantAPIError(t, err, "AccessDeniedException", "")
	if _, err := mgmt.DetachPolicy(ctx(t), &organizations.DetachPolicyInput{PolicyId: aws.String(byDA), TargetId: aws.String(memberID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(byDA)}); err != nil {
		t.Fatal(err)
	}
	// Granting writes grants no management-only operation.
	_, err = d.DA.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(d.Root), Name: aws.String("x")})
	wantAPIError(t, err, "AccessDeniedException", "")

	// A member the policy names is still no delegated administrator.
	putPolicy(dlgDelegate(memberID, `"organizations:*"`))
	w.expect(t, "named member", d.Member)
	w.expect(t, "delegated administrator not named", d.DA)

	// Wildcards; several principals; an IAM user of the account does not
	// name its root.
	putPolicy(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":["` + otherID + `","` + dlgSecondDA + `"]},"Action":"organizations:*Policy","Resource":"*"},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + otherID + `:user/alice"},"Action":"organizations:TagResource","Resource":"*"}]}`)
	policyWrites := []string{"AttachPolicy", "CreatePolicy", "DeletePolicy", "DetachPolicy", "UpdatePolicy"}
	w.expect(t, "delegated administrator", d.DA, policyWrites...)
	w.expect(t, "second delegated administrator", second, policyWrites...)

	// An explicit Deny wins over an Allow, and never binds the management
	// account.
	putPolicy(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":"` + otherID + `"},"Action":"organizations:*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":{"AWS":["` + otherID + `","` + mgmtID + `"]},"Action":["organizations:Delete*","organizations:Untag*"],"Resource":"*"}]}`)
	w.expect(t, "delegated administrator", d.DA, "AttachPolicy", "CreatePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "TagResource", "UpdatePolicy")
	w.expect(t, "management account", mgmt, dlgAllWrites...)

	// Deleting the resource policy takes the grants away.
	if _, err := mgmt.DeleteResourcePolicy(ctx(t), &organizations.DeleteResourcePolicyInput{}); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "delegated administrator", d.DA)

	// So does deregistration, whatever the policy grants.
	putPolicy(dlgDelegate(otherID, `"organizations:*"`))
	w.expect(t, "delegated administrator", d.DA, dlgAllWrites...)
	if err := dlgDeregisterErr(t, mgmt, otherID, dlgSSO); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "deregistered account", d.DA)
}

// A resource policy naming an IAM role grants the role's sessions, as
// strict mode and STS identify them, and not the account's root.
// newRoleDelegation starts a strict server whose member account is a
// delegated administrator under the resource policy given, and returns the
// management account's client, the member's root client, a client acting
// as a session of one of the member's roles, and a CreatePolicy of an SCP.
func newRoleDelegation(t *testing.T, policy string) (mgmt, memberRoot *organizations.Client, session func(roleARN string) *organizations.Client, create func(c *organizations.Client, name string) error) {
	t.Helper()
	h := newStrictHarness(t)
	mgmtCfg, memberCfg := staticConfig(t, mgmtKey, mgmtSecret, "", false), staticConfig(t, memberKey, memberSecret, "", false)
	mgmt, memberRoot = h.orgsFrom(mgmtCfg), h.orgsFrom(memberCfg)
	if _, err := mgmt.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	inv, err := mgmt.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: &types.HandshakeParty{Id: aws.String(memberID), Type: types.HandshakePartyTypeAccount}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := memberRoot.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	dlgEnable(t, mgmt, dlgSSO)
	dlgRegister(t, mgmt, memberID, dlgSSO)
	if _, err := mgmt.PutResourcePolicy(ctx(t), &organizations.PutResourcePolicyInput{Content: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	session = func(roleARN string) *organizations.Client {
		cfg := memberCfg.Copy()
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(h.stsFrom(memberCfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "alice"
		}))
		return h.orgsFrom(cfg)
	}
	create = func(c *organizations.Client, name string) error {
		_, err := c.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String("d"), Content: aws.String(dlgSCP), Type: types.PolicyTypeServiceControlPolicy})
		return err
	}
	return mgmt, memberRoot, session, create
}

func TestResourcePolicyDelegatesToRole(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::" + memberID + ":role/PolicyAdmin"
	mgmt, memberRoot, session, create := newRoleDelegation(t,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":"organizations:CreatePolicy","Resource":"*"}]}`)
	if err := create(session(role), "ByRole"); err != nil {
		t.Fatalf("CreatePolicy as a session of the named role: %v", err)
	}
	wantAPIError(t, create(memberRoot, "ByRoot"), "AccessDeniedException", "")
	wantAPIError(t, create(session("arn:aws:iam::"+memberID+":role/Other"), "ByOther"), "AccessDeniedException", "")
	// The named role's session reads as the account does; it is granted
	// nothing else.
	if _, err := session(role).ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{}); err != nil {
		t.Fatalf("ListDelegatedAdministrators as the role: %v", err)
	}
	_, err := session(role).DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
	wantAPIError(t, err, "AccessDeniedException", "")
	list, err := mgmt.ListPolicies(ctx(t), &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Policies {
		names = append(names, aws.ToString(p.Name))
	}
	if slices.Sort(names); !slices.Equal(names, []string{"ByRole", "FullAWSAccess"}) {
		t.Errorf("policies %v", names)
	}
}

// A closed delegated administrator stays registered while its account is
// kept in the organization, and its delegations end when it leaves for
// good.
func TestDelegatedAdministratorClosed(t *testing.T) {
	t.Parallel()
	d := newDlgWorld(t)
	mgmt := d.Mgmt
	if _, err := mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(otherID)}); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	state := func() (types.AccountState, []string) {
		t.Helper()
		all := dlgAdmins(t, mgmt, dlgSSO, 0)
		if len(all) == 0 {
			return "", nil
		}
		return all[0].State, dlgAdminIDs(all)
	}
	if st, ids := state(); st != types.AccountStatePendingClosure || !slices.Equal(ids, []string{otherID}) {
		t.Fatalf("closing: %s %v", st, ids)
	}
	d.h.advance(t, time.Minute)
	if st, ids := state(); st != types.AccountStateClosed || !slices.Equal(ids, []string{otherID}) {
		t.Fatalf("closed: %s %v", st, ids)
	}
	wantAPIError(t, dlgRegisterErr(t, mgmt, otherID, dlgGuardDuty), "ConstraintViolationException", "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR")
	d.h.advance(t, 91*24*time.Hour)
	if _, ids := state(); len(ids) != 0 {
		t.Fatalf("delegated administrators after the account left for good: %v", ids)
	}
	_, err := dlgServices(t, mgmt, otherID, 0)
	wantAPIError(t, err, "AccountNotFoundException", "")
	// Its place is free for another account.
	if err := dlgRegisterErr(t, mgmt, memberID, dlgSSO); err != nil {
		t.Fatalf("registering another account for SSO: %v", err)
	}
}
