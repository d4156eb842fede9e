// Package throttle limits how fast each account may call each operation,
// with the per-account token buckets AWS Organizations documents (rate per
// second and burst), so that clients' retry and backoff can be tested.
// AWS's additional per-organization buckets are not modelled, and each
// server keeps its own buckets.
package throttle

import (
	"sync"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Rate requests a second on average, Burst at once.
type Limit struct {
	Rate  float64
	Burst int
}

// Limits are AWS's documented per-account throttles by operation (the
// Organizations user guide's quotas page). An operation it lacks gets
// Default.
var Limits = map[string]Limit{
	"AcceptHandshake":                  {1, 2},
	"DeclineHandshake":                 {1, 1},
	"CancelHandshake":                  {2, 3},
	"DescribeHandshake":                {1, 2},
	"InviteAccountToOrganization":      {3, 5},
	"ListHandshakesForAccount":         {5, 8},
	"ListHandshakesForOrganization":    {5, 8},
	"CreateAccount":                    {0.1, 3},
	"CreateGovCloudAccount":            {0.1, 3},
	"DescribeCreateAccountStatus":      {2, 2},
	"ListCreateAccountStatus":          {5, 8},
	"CloseAccount":                     {0.05, 1},
	"LeaveOrganization":                {1, 1},
	"RemoveAccountFromOrganization":    {2, 2},
	"DescribeAccount":                  {20, 30},
	"ListAccounts":                     {8, 12},
	"ListChildren":                     {6, 10},
	"ListParents":                      {5, 8},
	"ListAccountsForParent":            {5, 8},
	"ListOrganizationalUnitsForParent": {5, 8},
	"ListRoots":                        {1, 2},
	"CreateOrganization":               {1, 1},
	"DeleteOrganization":               {1, 1},
	"EnableAllFeatures":                {1, 1},
	"CreateOrganizationalUnit":         {1, 2},
	"DescribeOrganization":             {1, 2},
	"MoveAccount":                      {2, 3},
	"UpdateOrganizationalUnit":         {2, 3},
	"DeleteOrganizationalUnit":         {2, 3},
	"TagResource":                      {4, 6},
	"UntagResource":                    {4, 6},
	"ListTagsForResource":              {10, 15},
}

// Default is the limit of an operation AWS gives no figure for.
var Default = Limit{Rate: 5, Burst: 8}

// Limiter holds one bucket per account and operation.
type Limiter struct {
	mu      sync.Mutex
	buckets map[[2]string]*rate.Limiter
}

// New returns a Limiter with full buckets.
func New() *Limiter {
	return &Limiter{buckets: map[[2]string]*rate.Limiter{}}
}

// Allow reports whether account may call op now, taking a token if so.
func (l *Limiter) Allow(account, op string) bool {
	key := [2]string{account, op}
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		lim, ok := Limits[op]
		if !ok {
			lim = Default
		}
		b = rate.NewLimiter(rate.Limit(lim.Rate), lim.Burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	return b.Allow()
}
