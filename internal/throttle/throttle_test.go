package throttle

import (
	"testing"

	"github.com/orgd/orgd/internal/api"
)

func TestAllowSpendsTheBurstPerAccountAndOperation(t *testing.T) {
	for _, tc := range []struct {
		op    string
		burst int
	}{
		{"DescribeOrganization", 2},
		{"DescribeAccount", 30},
		{"CloseAccount", 1},
		{"ListPolicies", Default.Burst}, // no documented figure
	} {
		t.Run(tc.op, func(t *testing.T) {
			l := New()
			for i := 0; i < tc.burst; i++ {
				if !l.Allow("111111111111", tc.op) {
					t.Fatalf("call %d of a burst of %d refused", i+1, tc.burst)
				}
			}
			if l.Allow("111111111111", tc.op) {
				t.Fatalf("call %d allowed beyond the burst", tc.burst+1)
			}
			// Other accounts and other operations have buckets of their own.
			if !l.Allow("222222222222", tc.op) {
				t.Error("another account was throttled")
			}
			if !l.Allow("111111111111", "ListTagsForResource") {
				t.Error("another operation was throttled")
			}
		})
	}
}

func TestLimitsAreOperationsOfTheModel(t *testing.T) {
	for op, lim := range Limits {
		if api.Operations[op] == nil {
			t.Errorf("%s is not an operation of the model", op)
		}
		if lim.Rate <= 0 || lim.Burst < 1 {
			t.Errorf("%s: %+v", op, lim)
		}
	}
}
