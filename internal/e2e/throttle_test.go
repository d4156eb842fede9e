package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
	"github.com/orgd/orgd/internal/throttle"
)

// With --throttle, an account that calls faster than AWS allows gets
// TooManyRequestsException, and the SDK's retries get it through.
func TestThrottle(t *testing.T) {
	svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{Svc: svc}
	h.serve(t, server.New(svc, &identity.Resolver{DefaultAccount: defaultAccount}, testLog(t), server.WithThrottle(throttle.New())))
	mgmt := h.client(t, "111111111111")
	if _, err := mgmt.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	// DescribeOrganization: 1 a second, bursts of 2.
	for i := 0; i < 2; i++ {
		if _, err := mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
			t.Fatalf("call %d of the burst: %v", i+1, err)
		}
	}
	_, err = mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "TooManyRequestsException", "")

	// Another account has a bucket of its own.
	_, err = h.client(t, "222222222222").DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")

	// The SDK's standard retryer treats the exception as a throttle and
	// backs off until a token is there.
	retrying := func(o *organizations.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.RateLimiter = ratelimit.None
		})
	}
	if _, err := mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}, retrying); err != nil {
		t.Fatalf("with retries: %v", err)
	}
}
