package pattern_test

import (
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/pattern"
)

// Every pattern of the model that a scan decides agrees with regexp on
// values made from it, and the IDs that nearly every request names are
// among them: were they left to regexp, validation would cost several
// times more.
func TestModelPatternsScanned(t *testing.T) {
	scanned := map[string]bool{}
	for name, s := range api.Shapes {
		if s.Pattern != nil {
			scanned[name] = pattern.CheckScan(t, s.Pattern.String())
		}
	}
	for _, name := range []string{"AccountId", "OrganizationalUnitId", "RootId", "PolicyId", "OrganizationId", "HandshakeId",
		"ParentId", "ChildId", "PolicyTargetId", "TaggableResourceId", "CreateAccountName", "NextToken", "TagKey", "TagValue"} {
		if !scanned[name] {
			t.Errorf("%s: pattern %s is left to regexp", name, api.Shapes[name].Pattern)
		}
	}
}
