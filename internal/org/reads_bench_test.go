package org

import (
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// BenchmarkRead is the domain's cost of each busy read, from the Service
// call to its answer, as the management account of an organization of
// 1000 accounts, one OU and a few policies: allocs/op is what a request
// pays on top of the wire.
//
//	go test ./internal/org -run '^$' -bench 'BenchmarkRead$' -benchmem
func BenchmarkRead(b *testing.B) {
	f, ids := benchOrg(b, 1000)
	ctx := as(mgmtID)
	root := f.rootID(mgmtID)
	u, err := f.svc.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var policyID string
	for _, name := range []string{"a", "b", "c"} {
		p, err := f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: name, Content: denyLeave, Type: api.PolicyTypeServiceControlPolicy})
		if err != nil {
			b.Fatal(err)
		}
		policyID = p.Policy.PolicySummary.Id
	}
	ouID := u.OrganizationalUnit.Id
	for _, c := range []struct {
		op   string
		call func() (int, error)
		want int // items the call returns
	}{
		{"DescribeOrganization", func() (int, error) {
			_, err := f.svc.DescribeOrganization(ctx, &api.Empty{})
			return 1, err
		}, 1},
		{"DescribeAccount", func() (int, error) {
			_, err := f.svc.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: ids[500]})
			return 1, err
		}, 1},
		{"DescribeOrganizationalUnit", func() (int, error) {
			_, err := f.svc.DescribeOrganizationalUnit(ctx, &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: ouID})
			return 1, err
		}, 1},
		{"DescribePolicy", func() (int, error) {
			_, err := f.svc.DescribePolicy(ctx, &api.DescribePolicyRequest{PolicyId: policyID})
			return 1, err
		}, 1},
		{"ListAccounts", func() (int, error) {
			out, err := f.svc.ListAccounts(ctx, &api.ListAccountsRequest{MaxResults: 20})
			if err != nil {
				return 0, err
			}
			return len(out.Accounts), nil
		}, 20},
		{"ListChildren", func() (int, error) {
			out, err := f.svc.ListChildren(ctx, &api.ListChildrenRequest{ParentId: root, ChildType: api.ChildTypeAccount, MaxResults: 20})
			if err != nil {
				return 0, err
			}
			return len(out.Children), nil
		}, 20},
		{"ListPolicies", func() (int, error) {
			out, err := f.svc.ListPolicies(ctx, &api.ListPoliciesRequest{Filter: api.PolicyTypeServiceControlPolicy})
			if err != nil {
				return 0, err
			}
			return len(out.Policies), nil
		}, 4},
	} {
		b.Run(c.op, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if n, err := c.call(); err != nil || n != c.want {
					b.Fatalf("%s: %d items, %v", c.op, n, err)
				}
			}
		})
	}
}
