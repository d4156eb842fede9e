package clone

import (
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		size    Size
		want    time.Duration
		slowest string
	}{
		// The README's figure: 5,000 accounts in 200 OUs with 100
		// policies take 5,301 ListTagsForResource calls at 8 a second.
		{Size{Accounts: 5000, OUs: 200, Policies: 100, CreateRequests: 4000, Handshakes: 100}, 662625 * time.Millisecond, "ListTagsForResource"},
		// A tiny organization: one ListPolicies for each of the 14
		// policy types at 4 a second.
		{Size{Accounts: 1}, 3500 * time.Millisecond, "ListPolicies"},
	} {
		got, slowest := Estimate(tc.size, DefaultPace)
		if got.Round(time.Millisecond) != tc.want || slowest != tc.slowest {
			t.Errorf("Estimate(%+v) = %s by %s, want %s by %s", tc.size, got, slowest, tc.want, tc.slowest)
		}
	}
}

func TestPaceIsBelowTheDocumentedRates(t *testing.T) {
	cr := &crawler{opt: Options{Pace: DefaultPace}, limit: map[string]*rate.Limiter{}}
	for op, want := range map[string]rate.Limit{
		"ListTagsForResource": 8,   // of 10
		"ListAccounts":        6.4, // of 8
		"ListChildren":        4.8, // of 6
		"DescribePolicy":      4,   // no documented rate: of throttle.Default's 5
	} {
		l := cr.limiter(op)
		if got := l.Limit(); math.Abs(float64(got-want)) > 1e-9 || l.Burst() != 1 {
			t.Errorf("%s: %v a second, burst %d; want %v, burst 1", op, got, l.Burst(), want)
		}
		if cr.limiter(op) != l {
			t.Errorf("%s: a new limiter for each call", op)
		}
	}
	if (&crawler{}).limiter("ListAccounts") != nil {
		t.Error("Pace 0 paces")
	}
}
