package org

import (
	"regexp"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

func TestCreateOrganization(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fs        api.OrganizationFeatureSet
		wantFS    api.OrganizationFeatureSet
		wantTypes int
	}{
		{"default is all features", "", api.OrganizationFeatureSetAll, 1},
		{"all", api.OrganizationFeatureSetAll, api.OrganizationFeatureSetAll, 1},
		{"consolidated billing", api.OrganizationFeatureSetConsolidatedBilling, api.OrganizationFeatureSetConsolidatedBilling, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.newOrg(mgmtID, tc.fs)
			if !regexp.MustCompile(`^o-[a-z0-9]{10}$`).MatchString(o.Id) {
				t.Errorf("Id %q", o.Id)
			}
			if want := "arn:aws:organizations::" + mgmtID + ":organization/" + o.Id; o.Arn != want {
				t.Errorf("Arn %q, want %q", o.Arn, want)
			}
			if want := "arn:aws:organizations::" + mgmtID + ":account/" + o.Id + "/" + mgmtID; o.MasterAccountArn != want {
				t.Errorf("MasterAccountArn %q, want %q", o.MasterAccountArn, want)
			}
			if o.FeatureSet != tc.wantFS || len(o.AvailablePolicyTypes) != tc.wantTypes || o.AvailablePolicyTypes == nil {
				t.Errorf("FeatureSet %s AvailablePolicyTypes %v", o.FeatureSet, o.AvailablePolicyTypes)
			}
			if o.MasterAccountId != mgmtID || o.MasterAccountEmail != defaultEmail(mgmtID) {
				t.Errorf("master %s %s", o.MasterAccountId, o.MasterAccountEmail)
			}
			roots := must[*api.ListRootsResponse](t)(f.svc.ListRoots(as(mgmtID), &api.ListRootsRequest{}))
			if len(roots.Roots) != 1 || roots.Roots[0].Name != "Root" || len(roots.Roots[0].PolicyTypes) != tc.wantTypes {
				t.Fatalf("roots %+v", roots.Roots)
			}
			if !regexp.MustCompile(`^r-[0-9a-z]{4}$`).MatchString(roots.Roots[0].Id) {
				t.Errorf("root Id %q", roots.Roots[0].Id)
			}
			_, err := f.svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{})
			wantErr(t, err, api.ErrAlreadyInOrganization, "")
		})
	}
}

func TestDescribeOrganizationCallers(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	_, err := f.svc.DescribeOrganization(as(otherID), &api.Empty{})
	wantErr(t, err, api.ErrAWSOrganizationsNotInUse, "")
	_, err = f.svc.ListRoots(as(otherID), &api.ListRootsRequest{})
	wantErr(t, err, api.ErrAWSOrganizationsNotInUse, "")
	_, err = f.svc.ListRoots(as(mgmtID), &api.ListRootsRequest{NextToken: "bogus"})
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidNextToken))
}

func TestDeleteOrganization(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	must[*api.Empty](t)(f.svc.DeleteOrganization(as(mgmtID), &api.Empty{}))
	_, err := f.svc.DescribeOrganization(as(mgmtID), &api.Empty{})
	wantErr(t, err, api.ErrAWSOrganizationsNotInUse, "")
	// The former management account may create a new organization.
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
}
