package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// BenchmarkDescribeAccountHTTP measures one call through the whole stack:
// the SDK signs and sends it over loopback HTTP, orgd decodes, validates,
// authorizes and answers, the SDK decodes the answer.
func BenchmarkDescribeAccountHTTP(b *testing.B) {
	h := newHarness(b)
	mgmt := h.client(b, "111111111111")
	if _, err := mgmt.CreateOrganization(ctx(b), &organizations.CreateOrganizationInput{}); err != nil {
		b.Fatal(err)
	}
	c := ctx(b)
	in := &organizations.DescribeAccountInput{AccountId: aws.String("111111111111")}
	b.ResetTimer()
	for b.Loop() {
		if _, err := mgmt.DescribeAccount(c, in); err != nil {
			b.Fatal(err)
		}
	}
}
