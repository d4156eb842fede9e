package clone_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// pager is what the SDK's paginators have in common.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*organizations.Options)) (O, error)
}

// allPages returns every page p gives.
func allPages[O any](ctx context.Context, p pager[O]) ([]O, error) {
	var out []O
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, page)
	}
	return out, nil
}

// read is one List or Describe call, made the same way on both servers.
type read struct {
	name string
	call func(ctx context.Context, c *organizations.Client) (any, error)
}

// ids are the resources the reads ask about, as the source's management
// account lists them.
type ids struct {
	parents, accounts, policies, handshakes, creates []string
	policyTypes                                      []types.PolicyType
}

func listIDs(t *testing.T, c *organizations.Client) ids {
	t.Helper()
	var out ids
	roots := must(c.ListRoots(ctx(t), &organizations.ListRootsInput{}))
	queue := []string{aws.ToString(roots.Roots[0].Id)}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out.parents = append(out.parents, p)
		pages := must(allPages(ctx(t), organizations.NewListOrganizationalUnitsForParentPaginator(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &p})))
		for _, pg := range pages {
			for _, u := range pg.OrganizationalUnits {
				queue = append(queue, aws.ToString(u.Id))
			}
		}
	}
	for _, pg := range must(allPages(ctx(t), organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{}))) {
		for _, a := range pg.Accounts {
			out.accounts = append(out.accounts, aws.ToString(a.Id))
		}
	}
	for _, typ := range types.PolicyType("").Values() {
		pages, err := allPages(ctx(t), organizations.NewListPoliciesPaginator(c, &organizations.ListPoliciesInput{Filter: typ}))
		if err != nil {
			continue // a type the server does not know
		}
		out.policyTypes = append(out.policyTypes, typ)
		for _, pg := range pages {
			for _, p := range pg.Policies {
				out.policies = append(out.policies, aws.ToString(p.Id))
			}
		}
	}
	for _, pg := range must(allPages(ctx(t), organizations.NewListHandshakesForOrganizationPaginator(c, &organizations.ListHandshakesForOrganizationInput{}))) {
		for _, h := range pg.Handshakes {
			out.handshakes = append(out.handshakes, aws.ToString(h.Id))
		}
	}
	for _, pg := range must(allPages(ctx(t), organizations.NewListCreateAccountStatusPaginator(c, &organizations.ListCreateAccountStatusInput{}))) {
		for _, s := range pg.CreateAccountStatuses {
			out.creates = append(out.creates, aws.ToString(s.Id))
		}
	}
	return out
}

// sample keeps every nth account and the accounts of keep, so that
// callers besides the management account ask about fewer of them.
func (in ids) sample(n int, keep ...string) ids {
	out := in
	out.accounts = nil
	for i, id := range in.accounts {
		if i%n == 0 || slices.Contains(keep, id) {
			out.accounts = append(out.accounts, id)
		}
	}
	return out
}

// reads are every List and Describe operation, over every resource.
func reads(in ids) []read {
	r := []read{
		{"DescribeOrganization", func(ctx context.Context, c *organizations.Client) (any, error) {
			return c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		}},
		{"ListRoots", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListRootsPaginator(c, &organizations.ListRootsInput{}))
		}},
		{"ListAccounts", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{}))
		}},
		{"ListCreateAccountStatus", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListCreateAccountStatusPaginator(c, &organizations.ListCreateAccountStatusInput{}))
		}},
		{"ListHandshakesForOrganization", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListHandshakesForOrganizationPaginator(c, &organizations.ListHandshakesForOrganizationInput{}))
		}},
		{"ListHandshakesForAccount", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListHandshakesForAccountPaginator(c, &organizations.ListHandshakesForAccountInput{}))
		}},
		{"ListAWSServiceAccessForOrganization", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListAWSServiceAccessForOrganizationPaginator(c, &organizations.ListAWSServiceAccessForOrganizationInput{}))
		}},
		{"ListDelegatedAdministrators", func(ctx context.Context, c *organizations.Client) (any, error) {
			return allPages(ctx, organizations.NewListDelegatedAdministratorsPaginator(c, &organizations.ListDelegatedAdministratorsInput{}))
		}},
		{"DescribeResourcePolicy", func(ctx context.Context, c *organizations.Client) (any, error) {
			return c.DescribeResourcePolicy(ctx, &organizations.DescribeResourcePolicyInput{})
		}},
		{"ListInboundResponsibilityTransfers", func(ctx context.Context, c *organizations.Client) (any, error) {
			return c.ListInboundResponsibilityTransfers(ctx, &organizations.ListInboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
		}},
		{"DescribeResponsibilityTransfer", func(ctx context.Context, c *organizations.Client) (any, error) {
			// There is none: both must refuse alike.
			return c.DescribeResponsibilityTransfer(ctx, &organizations.DescribeResponsibilityTransferInput{Id: aws.String("rt-0123456789abcdef")})
		}},
		{"ListOutboundResponsibilityTransfers", func(ctx context.Context, c *organizations.Client) (any, error) {
			return c.ListOutboundResponsibilityTransfers(ctx, &organizations.ListOutboundResponsibilityTransfersInput{Type: types.ResponsibilityTransferTypeBilling})
		}},
	}
	for _, typ := range in.policyTypes {
		r = append(r,
			read{"ListPolicies " + string(typ), func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListPoliciesPaginator(c, &organizations.ListPoliciesInput{Filter: typ}))
			}},
			read{"ListAccountsWithInvalidEffectivePolicy " + string(typ), func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListAccountsWithInvalidEffectivePolicyPaginator(c, &organizations.ListAccountsWithInvalidEffectivePolicyInput{PolicyType: types.EffectivePolicyType(typ)}))
			}})
	}
	for _, p := range in.parents {
		r = append(r,
			read{"ListOrganizationalUnitsForParent " + p, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListOrganizationalUnitsForParentPaginator(c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: &p}))
			}},
			read{"ListAccountsForParent " + p, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListAccountsForParentPaginator(c, &organizations.ListAccountsForParentInput{ParentId: &p}))
			}},
			read{"ListChildren " + p, func(ctx context.Context, c *organizations.Client) (any, error) {
				a, err := allPages(ctx, organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: &p, ChildType: types.ChildTypeAccount}))
				if err != nil {
					return nil, err
				}
				o, err := allPages(ctx, organizations.NewListChildrenPaginator(c, &organizations.ListChildrenInput{ParentId: &p, ChildType: types.ChildTypeOrganizationalUnit}))
				return []any{a, o}, err
			}},
			read{"DescribeOrganizationalUnit " + p, func(ctx context.Context, c *organizations.Client) (any, error) {
				return c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &p})
			}})
	}
	targets := append(append([]string{}, in.parents...), in.accounts...)
	for _, id := range targets {
		r = append(r,
			read{"ListTagsForResource " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListTagsForResourcePaginator(c, &organizations.ListTagsForResourceInput{ResourceId: &id}))
			}},
			read{"ListParents " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListParentsPaginator(c, &organizations.ListParentsInput{ChildId: &id}))
			}})
		for _, typ := range []types.PolicyType{types.PolicyTypeServiceControlPolicy, types.PolicyTypeTagPolicy, types.PolicyTypeBackupPolicy, types.PolicyTypeAiservicesOptOutPolicy} {
			r = append(r, read{"ListPoliciesForTarget " + id + " " + string(typ), func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListPoliciesForTargetPaginator(c, &organizations.ListPoliciesForTargetInput{TargetId: &id, Filter: typ}))
			}})
		}
	}
	for _, id := range in.accounts {
		r = append(r,
			read{"DescribeAccount " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return c.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &id})
			}},
			read{"ListDelegatedServicesForAccount " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListDelegatedServicesForAccountPaginator(c, &organizations.ListDelegatedServicesForAccountInput{AccountId: &id}))
			}})
		for _, typ := range []types.EffectivePolicyType{types.EffectivePolicyTypeTagPolicy, types.EffectivePolicyTypeBackupPolicy, types.EffectivePolicyTypeAiservicesOptOutPolicy} {
			r = append(r,
				read{"DescribeEffectivePolicy " + id + " " + string(typ), func(ctx context.Context, c *organizations.Client) (any, error) {
					out, err := c.DescribeEffectivePolicy(ctx, &organizations.DescribeEffectivePolicyInput{TargetId: &id, PolicyType: typ})
					if err == nil && out.EffectivePolicy != nil {
						// When a policy last changed is not in the API
						// (docs/clone.md): the copy cannot know it.
						out.EffectivePolicy.LastUpdatedTimestamp = nil
					}
					return out, err
				}},
				read{"ListEffectivePolicyValidationErrors " + id + " " + string(typ), func(ctx context.Context, c *organizations.Client) (any, error) {
					return allPages(ctx, organizations.NewListEffectivePolicyValidationErrorsPaginator(c, &organizations.ListEffectivePolicyValidationErrorsInput{AccountId: &id, PolicyType: typ}))
				}})
		}
	}
	for _, id := range in.policies {
		r = append(r,
			read{"DescribePolicy " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: &id})
			}},
			read{"ListTargetsForPolicy " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListTargetsForPolicyPaginator(c, &organizations.ListTargetsForPolicyInput{PolicyId: &id}))
			}},
			read{"ListTagsForResource " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
				return allPages(ctx, organizations.NewListTagsForResourcePaginator(c, &organizations.ListTagsForResourceInput{ResourceId: &id}))
			}})
	}
	for _, id := range in.handshakes {
		r = append(r, read{"DescribeHandshake " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
			return c.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: &id})
		}})
	}
	for _, id := range in.creates {
		r = append(r, read{"DescribeCreateAccountStatus " + id, func(ctx context.Context, c *organizations.Client) (any, error) {
			return c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: &id})
		}})
	}
	return r
}

// sameAnswers fails the test for every read that answers differently on
// the two servers when account calls it; it returns how many reads it
// compared and how many of them succeeded.
func sameAnswers(t *testing.T, src, dst *orgd, account string, in ids) (compared, succeeded int) {
	t.Helper()
	a, b := src.client(t, account, nil), dst.client(t, account, nil)
	rs := reads(in)
	type result struct{ want, got string }
	results := make([]result, len(rs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, r := range rs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = result{answer(r.call(ctx(t), a)), answer(r.call(ctx(t), b))}
		}()
	}
	wg.Wait()
	failures := 0
	for i, r := range rs {
		if results[i].want != results[i].got {
			failures++
			if failures <= 10 {
				t.Errorf("as %s, %s:\n source: %.600s\n copy:   %.600s", account, r.name, results[i].want, results[i].got)
			}
		}
		if len(results[i].want) < 6 || results[i].want[:6] != "error " {
			succeeded++
		}
	}
	if failures > 10 {
		t.Errorf("as %s: %d reads differ in all", account, failures)
	}
	return len(rs), succeeded
}
