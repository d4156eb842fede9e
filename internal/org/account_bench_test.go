package org

import (
	"fmt"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// benchSizes are the organization sizes benchmarks run at: the cost of a
// call or a page must not grow from one to the other.
var benchSizes = []int{1000, 10000}

// benchOrg returns a fixture whose management account mgmtID has n member
// accounts besides itself.
func benchOrg(b *testing.B, n int) (*fixture, []string) {
	f := newFixture(b, func(c *Config) { c.Quotas.AccountsPerOrganization = n + 1 })
	f.newOrg(mgmtID, "")
	return f, f.seedAccounts(mgmtID, n)
}

func BenchmarkDescribeAccount(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			f, ids := benchOrg(b, n)
			ctx := as(mgmtID)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				out, err := f.svc.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: ids[i%n]})
				if err != nil || out.Account.Id != ids[i%n] {
					b.Fatalf("DescribeAccount: %v", err)
				}
				i++
			}
		})
	}
}

// BenchmarkListAccountsAllPages walks ListAccounts to the end in pages of
// 20; ns/page is what must stay flat as the organization grows.
func BenchmarkListAccountsAllPages(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			f, _ := benchOrg(b, n)
			ctx := as(mgmtID)
			b.ReportAllocs()
			pages := 0
			for b.Loop() {
				token, count := "", 0
				for {
					out, err := f.svc.ListAccounts(ctx, &api.ListAccountsRequest{MaxResults: 20, NextToken: token})
					if err != nil {
						b.Fatal(err)
					}
					pages++
					count += len(out.Accounts)
					if token = out.NextToken; token == "" {
						break
					}
				}
				if count != n+1 {
					b.Fatalf("listed %d accounts, want %d", count, n+1)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pages), "ns/page")
		})
	}
}
