package clone

import (
	"testing"
	"time"
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
