package org

import (
	"context"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/scp"
	"github.com/orgd/orgd/internal/policy/sessionpolicy"
)

// enforceSessionPolicies refuses a call that the session policies of the
// caller's STS session do not allow. orgd keeps no IAM identity policies,
// so what the session policies allow is all a restricted session may do,
// within every other check. They decide on the facts SCPs see
// (authzRequest), for the management account too: session policies are
// the caller's own restriction, which no account is exempt from.
func (t *txn) enforceSessionPolicies(c *caller, op string, in any, p *identity.SessionPolicies) error {
	req, err := t.authzRequest(c, op, in)
	if err != nil {
		return err
	}
	d := sessionpolicy.Evaluate(t.s.cfg.Partition, *p, req)
	if d.Allowed {
		return nil
	}
	if d.Reason == scp.ReasonExplicitDeny {
		return api.NewAccessDenied("User: %s is not authorized to perform: %s with an explicit deny in a session policy", req.Principal, req.Action)
	}
	// No allow, or an outcome that hangs on what orgd cannot know: AWS
	// would have decided, orgd refuses.
	return api.NewAccessDenied("User: %s is not authorized to perform: %s because no session policy allows the %s action", req.Principal, req.Action, req.Action)
}

// OrganizationOf returns the ID of the organization account is in, ""
// for none: aws:PrincipalOrgID, which STS's session policy checks need.
func (s *Service) OrganizationOf(ctx context.Context, account string) (string, error) {
	var id string
	err := s.read(ctx, func(t *txn) error {
		a, ok, err := t.storedAccount(account)
		if err != nil || !ok || a.Org == "" {
			return err
		}
		if _, ok, err := t.org(a.Org); err != nil || !ok {
			return err
		}
		id = a.Org
		return nil
	})
	return id, err
}
