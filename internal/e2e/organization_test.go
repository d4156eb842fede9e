package e2e

import (
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/api"
)

var (
	orgIDRe  = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	rootIDRe = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
)

// scpEnabled is what an organization with all features reports in
// AvailablePolicyTypes and in its root from creation on.
var scpEnabled = []types.PolicyTypeSummary{{Type: types.PolicyTypeServiceControlPolicy, Status: types.PolicyTypeStatusEnabled}}

func TestCreateOrganization(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fs     types.OrganizationFeatureSet
		wantFS types.OrganizationFeatureSet
		types  []types.PolicyTypeSummary
	}{
		{"default is all features", "", types.OrganizationFeatureSetAll, scpEnabled},
		{"all features", types.OrganizationFeatureSetAll, types.OrganizationFeatureSetAll, scpEnabled},
		{"consolidated billing", types.OrganizationFeatureSetConsolidatedBilling, types.OrganizationFeatureSetConsolidatedBilling, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.registerAccount(t, mgmtID, "mgmt@example.com", "Management Account")
			mgmt := h.client(t, mgmtID)
			out, err := mgmt.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: tc.fs})
			if err != nil {
				t.Fatal(err)
			}
			o := out.Organization
			checkOrganization(t, o, tc.wantFS, tc.types)

			// DescribeOrganization tells the same as CreateOrganization.
			d, err := mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			if err != nil {
				t.Fatal(err)
			}
			checkOrganization(t, d.Organization, tc.wantFS, tc.types)
			if aws.ToString(d.Organization.Id) != aws.ToString(o.Id) {
				t.Errorf("DescribeOrganization Id %s, created %s", aws.ToString(d.Organization.Id), aws.ToString(o.Id))
			}

			roots, err := mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(roots.Roots) != 1 || roots.NextToken != nil {
				t.Fatalf("ListRoots: %d roots, NextToken %v", len(roots.Roots), roots.NextToken)
			}
			r := roots.Roots[0]
			if !rootIDRe.MatchString(aws.ToString(r.Id)) || aws.ToString(r.Name) != "Root" {
				t.Errorf("root %s named %q", aws.ToString(r.Id), aws.ToString(r.Name))
			}
			if want := "arn:aws:organizations::" + mgmtID + ":root/" + aws.ToString(o.Id) + "/" + aws.ToString(r.Id); aws.ToString(r.Arn) != want {
				t.Errorf("root Arn %s, want %s", aws.ToString(r.Arn), want)
			}
			samePolicyTypes(t, "Root.PolicyTypes", r.PolicyTypes, tc.types)

			// A second organization for the same account is refused.
			_, err = mgmt.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{})
			wantAPIError(t, err, "AlreadyInOrganizationException", "")
		})
	}
}

func checkOrganization(t *testing.T, o *types.Organization, fs types.OrganizationFeatureSet, policyTypes []types.PolicyTypeSummary) {
	t.Helper()
	if o == nil {
		t.Fatal("no Organization")
	}
	id := aws.ToString(o.Id)
	if !orgIDRe.MatchString(id) {
		t.Errorf("Id %q", id)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":organization/" + id; aws.ToString(o.Arn) != want {
		t.Errorf("Arn %s, want %s", aws.ToString(o.Arn), want)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":account/" + id + "/" + mgmtID; aws.ToString(o.MasterAccountArn) != want {
		t.Errorf("MasterAccountArn %s, want %s", aws.ToString(o.MasterAccountArn), want)
	}
	if o.FeatureSet != fs || aws.ToString(o.MasterAccountId) != mgmtID || aws.ToString(o.MasterAccountEmail) != "mgmt@example.com" {
		t.Errorf("FeatureSet %s MasterAccountId %s MasterAccountEmail %s", o.FeatureSet, aws.ToString(o.MasterAccountId), aws.ToString(o.MasterAccountEmail))
	}
	samePolicyTypes(t, "AvailablePolicyTypes", o.AvailablePolicyTypes, policyTypes)
}

func samePolicyTypes(t *testing.T, what string, got, want []types.PolicyTypeSummary) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s %+v, want %+v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s %+v, want %+v", what, got, want)
		}
	}
}

// Who may call the organization operations, per caller kind (spec 6.2).
func TestOrganizationCallers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	member := h.client(t, memberID)
	t.Run("management", func(t *testing.T) {
		d, err := w.Mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		if err != nil || aws.ToString(d.Organization.Id) != aws.ToString(w.Org.Id) {
			t.Fatalf("DescribeOrganization: %v", err)
		}
		if _, err := w.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("standalone", func(t *testing.T) {
		_, err := w.Standalone.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
		var niu *types.AWSOrganizationsNotInUseException
		if !errors.As(err, &niu) || niu.ErrorMessage() != "Your account is not a member of an organization." {
			t.Errorf("message %v", err)
		}
		_, err = w.Standalone.ListRoots(ctx(t), &organizations.ListRootsInput{})
		wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
		_, err = w.Standalone.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
		wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	})
	// An access key that is not an account ID acts as the default account,
	// which is standalone here.
	t.Run("default account", func(t *testing.T) {
		_, err := h.clientWithKey(t, "AKIAIOSFODNN7EXAMPLE", "x").DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	})
	t.Run("member", func(t *testing.T) {
		h.join(t, mgmtID, memberID)
		d, err := member.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		if err != nil {
			t.Fatal(err)
		}
		// Members see the same organization as the management account.
		if aws.ToString(d.Organization.Id) != aws.ToString(w.Org.Id) || aws.ToString(d.Organization.MasterAccountId) != mgmtID {
			t.Fatalf("member sees %+v", d.Organization)
		}
		_, err = member.ListRoots(ctx(t), &organizations.ListRootsInput{})
		wantAPIError(t, err, "AccessDeniedException", "")
		_, err = member.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
		wantAPIError(t, err, "AccessDeniedException", "")
		_, err = member.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{})
		wantAPIError(t, err, "AlreadyInOrganizationException", "")
		// The organization is not empty while the member is in it.
		_, err = w.Mgmt.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
		wantAPIError(t, err, "OrganizationNotEmptyException", "")
	})
}

func TestDeleteOrganization(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	if _, err := w.Mgmt.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	// The former management account is standalone again ...
	_, err := w.Mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = w.Mgmt.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	// ... and may create a new organization, which is a different one.
	o := h.newOrg(t, mgmtID, types.OrganizationFeatureSetConsolidatedBilling)
	if aws.ToString(o.Id) == aws.ToString(w.Org.Id) {
		t.Fatalf("new organization reuses the ID %s", aws.ToString(o.Id))
	}
	if o.FeatureSet != types.OrganizationFeatureSetConsolidatedBilling {
		t.Fatalf("FeatureSet %s", o.FeatureSet)
	}
}

// The model's constraints are enforced by the server, and the SDK decodes
// the exception with its Reason.
func TestValidationThroughSDK(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	for _, tc := range []struct {
		name   string
		call   func() error
		reason string
	}{
		{"MaxResults 21", func() error {
			_, err := w.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{MaxResults: aws.Int32(21)})
			return err
		}, "MAX_VALUE_EXCEEDED"},
		{"MaxResults 0", func() error {
			_, err := w.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{MaxResults: aws.Int32(0)})
			return err
		}, "MIN_VALUE_EXCEEDED"},
		{"bogus NextToken", func() error {
			_, err := w.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{NextToken: aws.String("bogus")})
			return err
		}, "INVALID_NEXT_TOKEN"},
		{"feature set", func() error {
			_, err := w.Standalone.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: "FULL"})
			return err
		}, "INVALID_ENUM"},
		{"account ID", func() error {
			_, err := w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String("not-an-account")})
			return err
		}, "MAX_LENGTH_EXCEEDED"},
		{"account ID pattern", func() error {
			_, err := w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String("12345678901x")})
			return err
		}, "INVALID_PATTERN"},
		{"policy target", func() error {
			_, err := w.Mgmt.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String("o-abcdefghij")})
			return err
		}, "INVALID_PATTERN_TARGET_ID"},
		{"policy type", func() error {
			_, err := w.Mgmt.ListPolicies(ctx(t), &organizations.ListPoliciesInput{Filter: "SCP"})
			return err
		}, "INVALID_ENUM_POLICY_TYPE"},
		{"tag key", func() error {
			_, err := w.Mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(mgmtID), Tags: []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}})
			return err
		}, "MIN_LENGTH_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.call(), "InvalidInputException", tc.reason)
		})
	}
	// Validation comes before the membership check (spec 6.3).
	_, err := w.Standalone.ListRoots(ctx(t), &organizations.ListRootsInput{MaxResults: aws.Int32(21)})
	wantAPIError(t, err, "InvalidInputException", "MAX_VALUE_EXCEEDED")
}

// The paginator the SDK generates walks ListRoots to its end.
func TestListRootsPaginator(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, false)
	p := organizations.NewListRootsPaginator(w.Mgmt, &organizations.ListRootsInput{MaxResults: aws.Int32(1)})
	var roots []types.Root
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 5 {
			t.Fatal("paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, out.Roots...)
	}
	if len(roots) != 1 {
		t.Fatalf("%d roots", len(roots))
	}
}

// api.Exceptions names exactly the exceptions the SDK knows, so that
// wantAPIError's check for typed errors means something.
func TestExceptionNamesKnownToSDK(t *testing.T) {
	for _, name := range []string{"AWSOrganizationsNotInUseException", "InvalidInputException", "AccessDeniedException", "AlreadyInOrganizationException", "OrganizationNotEmptyException"} {
		if _, ok := api.Exceptions[name]; !ok {
			t.Errorf("%s is not a model exception", name)
		}
	}
}
