package org

import (
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

const (
	guardDuty  = "guardduty.amazonaws.com"
	cloudTrail = "cloudtrail.amazonaws.com"
	securityHb = "securityhub.amazonaws.com"
)

// enableService enables trusted access for principal as mgmt.
func (f *fixture) enableService(mgmt, principal string) {
	f.t.Helper()
	if _, err := f.svc.EnableAWSServiceAccess(as(mgmt), &api.EnableAWSServiceAccessRequest{ServicePrincipal: principal}); err != nil {
		f.t.Fatalf("EnableAWSServiceAccess %s: %v", principal, err)
	}
}

// enabledServices walks ListAWSServiceAccessForOrganization to the end.
func (f *fixture) enabledServices(caller string, max int32) (list []api.EnabledServicePrincipal, pages int) {
	f.t.Helper()
	in := &api.ListAWSServiceAccessForOrganizationRequest{MaxResults: max}
	for {
		out, err := f.svc.ListAWSServiceAccessForOrganization(as(caller), in)
		if err != nil {
			f.t.Fatalf("ListAWSServiceAccessForOrganization: %v", err)
		}
		pages++
		list = append(list, out.EnabledServicePrincipals...)
		if out.NextToken == "" {
			return list, pages
		}
		in.NextToken = out.NextToken
	}
}

func TestServicePrincipalsData(t *testing.T) {
	// The principals AWS documents as integrating, which the data must keep.
	for _, p := range []string{
		"access-analyzer.amazonaws.com", "account.amazonaws.com", "backup.amazonaws.com",
		"cloudtrail.amazonaws.com", "config.amazonaws.com", "guardduty.amazonaws.com",
		"securityhub.amazonaws.com", "sso.amazonaws.com", "ram.amazonaws.com",
		"member.org.stacksets.cloudformation.amazonaws.com", "ipam.amazonaws.com",
		"inspector2.amazonaws.com", "macie.amazonaws.com", "fms.amazonaws.com",
		"license-manager.amazonaws.com", "servicecatalog.amazonaws.com", "ssm.amazonaws.com",
		"tagpolicies.tag.amazonaws.com", "health.amazonaws.com", "detective.amazonaws.com",
		"compute-optimizer.amazonaws.com", "reporting.trustedadvisor.amazonaws.com",
	} {
		if _, ok := servicePrincipals[p]; !ok {
			t.Errorf("%s missing from serviceprincipals.txt", p)
		}
	}
	// Limits AWS documents per service.
	for p, want := range map[string]int{
		guardDuty: 1, cloudTrail: 3, "health.amazonaws.com": 5,
		"member.org.stacksets.cloudformation.amazonaws.com": 5, "ram.amazonaws.com": 0,
	} {
		if got := servicePrincipals[p].MaxDelegatedAdmins; got != want {
			t.Errorf("%s: at most %d delegated administrators, want %d", p, got, want)
		}
	}

	got := parseServicePrincipals("# comment\n\n a.example.com \nb.example.com 3 # three\nc.example.com 0\n")
	want := map[string]servicePrincipal{"a.example.com": {1}, "b.example.com": {3}, "c.example.com": {0}}
	if len(got) != len(want) {
		t.Fatalf("parsed %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %+v, want %+v", k, got[k], v)
		}
	}
	for _, bad := range []string{"a.example.com x", "a.example.com -1", "a.example.com 1 2", "a.example.com\na.example.com", "a/b.example.com"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q parsed without a panic", bad)
				}
			}()
			parseServicePrincipals(bad)
		}()
	}
}

func TestServiceAccess(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	ctx := as(mgmtID)
	start := f.now()

	f.enableService(mgmtID, guardDuty)
	f.advance(time.Hour)
	f.enableService(mgmtID, cloudTrail)
	// Enabling again succeeds and keeps the first date.
	f.enableService(mgmtID, guardDuty)
	list, _ := f.enabledServices(mgmtID, 0)
	want := []api.EnabledServicePrincipal{
		{ServicePrincipal: cloudTrail, DateEnabled: api.NewTime(start.Add(time.Hour))},
		{ServicePrincipal: guardDuty, DateEnabled: api.NewTime(start)},
	}
	if !slices.EqualFunc(list, want, func(a, b api.EnabledServicePrincipal) bool {
		return a.ServicePrincipal == b.ServicePrincipal && a.DateEnabled.Equal(b.DateEnabled.Time)
	}) {
		t.Fatalf("enabled %+v, want %+v", list, want)
	}

	must[*api.Empty](t)(f.svc.DisableAWSServiceAccess(ctx, &api.DisableAWSServiceAccessRequest{ServicePrincipal: guardDuty}))
	// Disabling what is not enabled succeeds too.
	must[*api.Empty](t)(f.svc.DisableAWSServiceAccess(ctx, &api.DisableAWSServiceAccessRequest{ServicePrincipal: guardDuty}))
	must[*api.Empty](t)(f.svc.DisableAWSServiceAccess(ctx, &api.DisableAWSServiceAccessRequest{ServicePrincipal: "sso.amazonaws.com"}))
	if list, _ := f.enabledServices(mgmtID, 0); len(list) != 1 || list[0].ServicePrincipal != cloudTrail {
		t.Fatalf("after disabling: %+v", list)
	}
	// Enabling after disabling starts a new date.
	f.advance(time.Hour)
	f.enableService(mgmtID, guardDuty)
	if list, _ := f.enabledServices(mgmtID, 0); !list[1].DateEnabled.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("re-enabled at %v", list[1].DateEnabled)
	}

	// Another organization sees only its own.
	f.newOrg(otherID, "")
	if list, _ := f.enabledServices(otherID, 0); len(list) != 0 {
		t.Errorf("other organization sees %+v", list)
	}
}

func TestServiceAccessErrors(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.newOrg(otherID, api.OrganizationFeatureSetConsolidatedBilling)
	const unknown = "nothing.example.com"
	enable := func(c, p string) error {
		_, err := f.svc.EnableAWSServiceAccess(as(c), &api.EnableAWSServiceAccessRequest{ServicePrincipal: p})
		return err
	}
	disable := func(c, p string) error {
		_, err := f.svc.DisableAWSServiceAccess(as(c), &api.DisableAWSServiceAccessRequest{ServicePrincipal: p})
		return err
	}
	for _, tc := range []struct {
		name        string
		err         error
		typ, reason string
	}{
		{"enable unknown", enable(mgmtID, unknown), api.ErrInvalidInput, string(api.InvalidInputExceptionReasonUnrecognizedServicePrincipal)},
		{"disable unknown", disable(mgmtID, unknown), api.ErrInvalidInput, string(api.InvalidInputExceptionReasonUnrecognizedServicePrincipal)},
		// Principals are case-sensitive, as IAM service principals are.
		{"enable upper case", enable(mgmtID, "GuardDuty.amazonaws.com"), api.ErrInvalidInput, string(api.InvalidInputExceptionReasonUnrecognizedServicePrincipal)},
		{"enable in CB", enable(otherID, guardDuty), api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode)},
		{"disable in CB", disable(otherID, guardDuty), api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode)},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err, tc.typ, tc.reason) })
	}

	// A service's access can't be disabled while its policy type is on.
	f.enableService(mgmtID, securityHb)
	must[*api.EnablePolicyTypeResponse](t)(f.svc.EnablePolicyType(as(mgmtID), &api.EnablePolicyTypeRequest{RootId: f.rootID(mgmtID), PolicyType: api.PolicyTypeSecurityhubPolicy}))
	wantErr(t, disable(mgmtID, securityHb), api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonPolicyTypeEnabledForThisService))
	must[*api.DisablePolicyTypeResponse](t)(f.svc.DisablePolicyType(as(mgmtID), &api.DisablePolicyTypeRequest{RootId: f.rootID(mgmtID), PolicyType: api.PolicyTypeSecurityhubPolicy}))
	if err := disable(mgmtID, securityHb); err != nil {
		t.Fatalf("disable after the policy type: %v", err)
	}
}

func TestServiceAccessPagination(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	var all []string
	for p := range servicePrincipals {
		all = append(all, p)
	}
	slices.Sort(all)
	for _, p := range all {
		f.enableService(mgmtID, p)
	}
	for _, tc := range []struct {
		max   int32
		pages int
	}{{0, (len(all) + defaultPageSize - 1) / defaultPageSize}, {7, (len(all) + 6) / 7}, {20, (len(all) + 19) / 20}} {
		list, pages := f.enabledServices(mgmtID, tc.max)
		var got []string
		for _, e := range list {
			got = append(got, e.ServicePrincipal)
		}
		if !slices.Equal(got, all) || pages != tc.pages {
			t.Errorf("MaxResults %d: %d pages of %v", tc.max, pages, got)
		}
	}
	first := must[*api.ListAWSServiceAccessForOrganizationResponse](t)(f.svc.ListAWSServiceAccessForOrganization(as(mgmtID), &api.ListAWSServiceAccessForOrganizationRequest{MaxResults: 1}))
	for name, token := range map[string]string{"garbage": "garbage", "tampered": first.NextToken + "x"} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.ListAWSServiceAccessForOrganization(as(mgmtID), &api.ListAWSServiceAccessForOrganizationRequest{NextToken: token})
			wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidNextToken))
		})
	}
}

func TestServiceAccessCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	const daID, standaloneID = "444444444444", "555555555555"
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, daID)
	f.register(mgmtID, daID, "sso.amazonaws.com")
	calls := []callerCase{
		{"EnableAWSServiceAccess", false, func(c string) error {
			_, err := f.svc.EnableAWSServiceAccess(as(c), &api.EnableAWSServiceAccessRequest{ServicePrincipal: guardDuty})
			return err
		}},
		{"DisableAWSServiceAccess", false, func(c string) error {
			_, err := f.svc.DisableAWSServiceAccess(as(c), &api.DisableAWSServiceAccessRequest{ServicePrincipal: guardDuty})
			return err
		}},
		{"ListAWSServiceAccessForOrganization", true, func(c string) error {
			_, err := f.svc.ListAWSServiceAccessForOrganization(as(c), &api.ListAWSServiceAccessForOrganizationRequest{})
			return err
		}},
	}
	checkCallers(t, calls, standaloneID, otherID, daID)
}
