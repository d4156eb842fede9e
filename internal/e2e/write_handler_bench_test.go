package e2e

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/org"
)

// BenchmarkWriteHandler is BenchmarkReadHandler for the writes bench/http
// loads: CreateOrganizationalUnit under one OU with a new name each time,
// and TagResource on an OU, cycling through four tag keys.
func BenchmarkWriteHandler(b *testing.B) {
	cfg := org.DefaultConfig()
	cfg.Quotas.OUsPerOrganization = 1 << 30
	handler, mgmt := benchOrganization(b, cfg)
	roots, err := mgmt.ListRoots(ctx(b), &organizations.ListRootsInput{})
	if err != nil {
		b.Fatal(err)
	}
	ou, err := mgmt.CreateOrganizationalUnit(ctx(b), &organizations.CreateOrganizationalUnitInput{ParentId: roots.Roots[0].Id, Name: aws.String("parent")})
	if err != nil {
		b.Fatal(err)
	}
	parent := *ou.OrganizationalUnit.Id
	// One count for every run of a sub-benchmark (-count, the calibration
	// runs), so that no OU name is used twice.
	i := 0
	for _, c := range []struct {
		op   string
		body func(i int) string
	}{
		{"CreateOrganizationalUnit", func(i int) string { return fmt.Sprintf(`{"ParentId":"%s","Name":"w-%d"}`, parent, i) }},
		{"TagResource", func(i int) string {
			return fmt.Sprintf(`{"ResourceId":"%s","Tags":[{"Key":"t%d","Value":"%d"}]}`, parent, i%4, i)
		}},
	} {
		b.Run(c.op, func(b *testing.B) {
			for b.Loop() {
				benchRequest(b, handler, c.op, c.body(i))
				i++
			}
		})
	}
}
