package e2e

// Error messages as AWS writes them, end to end through aws-sdk-go-v2
// (issue 17, part 1): the text comes from internal/errmsg's table.

import (
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/errmsg"
)

func TestErrorMessagesAsAWSWritesThem(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	w := h.world(t, true)
	roots, err := w.Mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	scp := func(name string) string {
		out, err := w.Mgmt.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String("d"),
			Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`), Type: types.PolicyTypeServiceControlPolicy})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Policy.PolicySummary.Id)
	}
	attached := scp("Attached")
	if _, err := w.Mgmt.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: aws.String(attached), TargetId: aws.String(root)}); err != nil {
		t.Fatal(err)
	}
	call := func(f func() error) error { return f() }
	for _, tc := range []struct {
		name, code, want string
		err              error
	}{
		{"account not found", "AccountNotFoundException", "You specified an account that doesn't exist.", call(func() error {
			_, err := w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")})
			return err
		})},
		{"not in an organization", "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", call(func() error {
			_, err := w.Standalone.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			return err
		})},
		{"member calls a management operation", "AccessDeniedException", "You don't have permissions to access this resource.", call(func() error {
			_, err := w.Member.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
			return err
		})},
		{"pattern", "InvalidInputException", "You provided a value that does not match the required pattern.", call(func() error {
			_, err := w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String("abcdefghijkl")})
			return err
		})},
		{"enum lists the values", "InvalidInputException",
			"1 validation error detected: Value at 'FeatureSet' failed to satisfy constraint: Member must satisfy enum value set: [ALL, CONSOLIDATED_BILLING]", call(func() error {
				_, err := w.Standalone.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: "FULL"})
				return err
			})},
		{"policy not found", "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.", call(func() error {
			_, err := w.Mgmt.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: aws.String("p-0000000000")})
			return err
		})},
		{"duplicate policy", "DuplicatePolicyException", "A policy with the same name already exists.", call(func() error {
			_, err := w.Mgmt.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String("Attached"), Description: aws.String("d"),
				Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`), Type: types.PolicyTypeServiceControlPolicy})
			return err
		})},
		{"policy in use", "PolicyInUseException", "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.", call(func() error {
			_, err := w.Mgmt.DeletePolicy(ctx(t), &organizations.DeletePolicyInput{PolicyId: aws.String(attached)})
			return err
		})},
		{"malformed policy", "MalformedPolicyDocumentException", "The provided policy document does not meet the requirements of the specified policy type.", call(func() error {
			_, err := w.Mgmt.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{Name: aws.String("Bad"), Description: aws.String("d"),
				Content: aws.String(`{"Statement":"nope"}`), Type: types.PolicyTypeServiceControlPolicy})
			return err
		})},
		{"root not found", "RootNotFoundException", "You specified a root that doesn't exist.", call(func() error {
			_, err := w.Mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String("r-zzzz"), PolicyType: types.PolicyTypeTagPolicy})
			return err
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.err, tc.code, reasonOf(tc.err))
			var ae smithy.APIError
			errors.As(tc.err, &ae)
			if got := ae.ErrorMessage(); got != tc.want {
				t.Errorf("message %q, want %q", got, tc.want)
			}
			// The text is the table's: a line's message, its verbs filled in.
			found := false
			for _, e := range errmsg.Entries() {
				re := regexp.MustCompile(`%(\[\d+\])?[a-z]`).ReplaceAllString(regexp.QuoteMeta(e.Message), ".*")
				found = found || e.Exception == tc.code && regexp.MustCompile("^"+re+"$").MatchString(tc.want)
			}
			if !found {
				t.Errorf("%q is no message of the table for %s", tc.want, tc.code)
			}
		})
	}
}
