package clone

import (
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/throttle"
)

// Size is how big an organization is, for Estimate.
type Size struct {
	Accounts, OUs, Policies, CreateRequests, Handshakes int
}

// Calls returns how many calls of each operation a crawl of an
// organization of size s makes.
func (s Size) Calls() map[string]int {
	pages := func(n int) int { return max(1, (n+int(*pageSize)-1)/int(*pageSize)) }
	parents := s.OUs + 1
	return map[string]int{
		"DescribeOrganization":                1,
		"ListRoots":                           1,
		"ListAccounts":                        pages(s.Accounts),
		"ListOrganizationalUnitsForParent":    parents + pages(s.OUs) - 1,
		"ListAccountsForParent":               parents + pages(s.Accounts) - 1,
		"ListTagsForResource":                 s.Accounts + parents + s.Policies,
		"ListPolicies":                        len(types.PolicyType("").Values()),
		"DescribePolicy":                      s.Policies,
		"ListTargetsForPolicy":                s.Policies + pages(s.Accounts+parents),
		"ListCreateAccountStatus":             pages(s.CreateRequests),
		"ListHandshakesForOrganization":       pages(s.Handshakes),
		"ListAWSServiceAccessForOrganization": 1,
		"ListDelegatedAdministrators":         1,
		"DescribeResourcePolicy":              1,
	}
}

// Estimate returns how long a crawl of an organization of size s takes
// at pace (a share of AWS's documented rates, as Options.Pace) when the
// rates are what bound it: operations are paced apart and run at once,
// so the slowest one sets the time. It also returns that operation.
func Estimate(s Size, pace float64) (time.Duration, string) {
	var longest time.Duration
	slowest := ""
	for op, n := range s.Calls() {
		lim, ok := throttle.Limits[op]
		if !ok {
			lim = throttle.Default
		}
		d := time.Duration(math.Ceil(float64(n) / (lim.Rate * pace) * float64(time.Second)))
		if d > longest || (d == longest && op < slowest) {
			longest, slowest = d, op
		}
	}
	return longest, slowest
}
