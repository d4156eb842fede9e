package org

import (
	"context"
	"fmt"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/scp"
)

// compiled returns the compiled document of an SCP or RCP, from the cache
// when its content was seen before.
func (s *Service) compiled(p *policy) (*scp.Document, error) {
	key := string(p.Type) + "\x00" + p.Content
	if d, ok := s.docs.Load(key); ok {
		return d.(*scp.Document), nil
	}
	parse := scp.Parse
	if isAWSManaged(p) {
		parse = scp.ParseAWSManaged
	}
	d, err := parse(string(p.Type), p.Content)
	if err != nil {
		return nil, err
	}
	s.docs.Store(key, d)
	return d, nil
}

// pathTargets returns the targets from the root down to account a: the
// root, each OU, the account.
func (t *txn) pathTargets(o *organization, a *account) ([]*policyTarget, error) {
	var chain []*policyTarget
	for id := a.Parent; strings.HasPrefix(id, "ou-"); {
		u, ok, err := t.ou(id)
		if err != nil || !ok {
			return nil, err
		}
		chain = append(chain, &policyTarget{ID: u.ID, Type: api.TargetTypeOrganizationalUnit, Name: u.Name})
		id = u.Parent
	}
	targets := []*policyTarget{{ID: o.Root, Type: api.TargetTypeRoot, Name: "Root"}}
	for i := len(chain) - 1; i >= 0; i-- {
		targets = append(targets, chain[i])
	}
	return append(targets, &policyTarget{ID: a.ID, Type: api.TargetTypeAccount, Name: a.Name}), nil
}

// attachedIDs returns the IDs of the policies of one type attached to a
// target, in key order.
func (t *txn) attachedIDs(o *organization, target string, typ api.PolicyType) ([]string, error) {
	var ids []string
	err := t.Scan(prefixAttachType(o.ID, target, typ), "", func(k string, _ []byte) bool {
		ids = append(ids, lastSegment(k))
		return true
	})
	return ids, err
}

// scpLevels returns the levels from the root to account a with the
// policies of type typ attached at each, compiled.
func (t *txn) scpLevels(o *organization, a *account, typ api.PolicyType) ([]scp.Level, error) {
	targets, err := t.pathTargets(o, a)
	if err != nil {
		return nil, err
	}
	levels := make([]scp.Level, 0, len(targets))
	for _, target := range targets {
		ids, err := t.attachedIDs(o, target.ID, typ)
		if err != nil {
			return nil, err
		}
		lv := scp.Level{TargetID: target.ID, TargetName: target.Name, Policies: make([]scp.Policy, 0, len(ids))}
		for _, id := range ids {
			p, ok, err := t.policy(o, id)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			doc, err := t.s.compiled(p)
			if err != nil {
				return nil, fmt.Errorf("policy %s: %w", id, err)
			}
			lv.Policies = append(lv.Policies, scp.Policy{ID: p.ID, Name: p.Name, Doc: doc})
		}
		levels = append(levels, lv)
	}
	return levels, nil
}

// scpDecision evaluates the SCPs in force for account a of o on req. When
// SCPs are not enabled in the root nothing restricts the call.
func (t *txn) scpDecision(o *organization, a *account, req scp.Request) (scp.Decision, error) {
	req.ManagementAccount = a.ID == o.Management
	if req.Account == "" {
		req.Account = a.ID
	}
	if req.Principal == "" {
		req.Principal = identity.RootARN(t.s.cfg.Partition, a.ID)
	}
	if o.FeatureSet != api.OrganizationFeatureSetAll {
		return scp.Decision{Allowed: true, Reason: scp.ReasonExempt}, nil
	}
	enabled, _, err := t.typeEnabled(o, api.PolicyTypeServiceControlPolicy)
	if err != nil || !enabled {
		return scp.Decision{Allowed: true, Reason: scp.ReasonExempt}, err
	}
	levels, err := t.scpLevels(o, a, api.PolicyTypeServiceControlPolicy)
	if err != nil {
		return scp.Decision{}, err
	}
	return scp.Evaluate(levels, req), nil
}

// enforceSCPs refuses a member's call to operation op that the service
// control policies in force for its account deny. AWS evaluates SCPs on
// every Organizations call a member account makes, as on any other call.
func (t *txn) enforceSCPs(c *caller, op string) error {
	if c.Org == nil || c.Mgmt {
		return nil
	}
	ident := callerOf(t.ctx)
	req := scp.Request{
		Action:    "organizations:" + op,
		Principal: identity.PrincipalOf(ident, t.s.cfg.Partition),
		Account:   c.ID,
		Context: map[string][]string{
			"aws:PrincipalOrgID":   {c.Org.ID},
			"aws:RequestedRegion":  {"us-east-1"},
			"aws:PrincipalAccount": {c.ID},
		},
	}
	d, err := t.scpDecision(c.Org, c.Account, req)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	if d.Reason == scp.ReasonExplicitDeny {
		p, _, _ := t.policy(c.Org, d.By.PolicyID)
		arn := d.By.PolicyID
		if p != nil {
			arn = t.s.policyARN(c.Org, p)
		}
		return api.NewAccessDenied("User: %s is not authorized to perform: %s with an explicit deny in a service control policy: %s", req.Principal, req.Action, arn)
	}
	return api.NewAccessDenied("User: %s is not authorized to perform: %s because no service control policy allows the %s action", req.Principal, req.Action, req.Action)
}

// AuthorizeRequest asks whether the SCPs in force would let a principal of
// an account make a request.
type AuthorizeRequest struct {
	Account   string              `json:"account"`
	Action    string              `json:"action"`
	Resource  string              `json:"resource,omitempty"`
	Principal string              `json:"principal,omitempty"`
	Context   map[string][]string `json:"context,omitempty"`
}

// AuthorizeResult is the decision and why.
type AuthorizeResult struct {
	Allowed     bool             `json:"allowed"`
	Decision    string           `json:"decision"` // ALLOWED, EXPLICIT_DENY, NO_ALLOW or EXEMPT
	Explanation string           `json:"explanation"`
	DecidedBy   *AuthorizeRef    `json:"decidedBy,omitempty"`
	AllowedBy   []AuthorizeRef   `json:"allowedBy,omitempty"`
	Levels      []AuthorizeLevel `json:"levels"`
}

// AuthorizeRef names a statement of a policy attached to a target.
type AuthorizeRef struct {
	TargetID   string `json:"targetId"`
	TargetName string `json:"targetName,omitempty"`
	PolicyID   string `json:"policyId,omitempty"`
	PolicyName string `json:"policyName,omitempty"`
	Statement  int    `json:"statement"`
	Sid        string `json:"sid,omitempty"`
}

// AuthorizeLevel lists the SCPs attached at one level of the path.
type AuthorizeLevel struct {
	TargetID string   `json:"targetId"`
	Policies []string `json:"policies"`
}

var decisionNames = map[scp.Reason]string{
	scp.ReasonAllowed:      "ALLOWED",
	scp.ReasonExplicitDeny: "EXPLICIT_DENY",
	scp.ReasonNoAllow:      "NO_ALLOW",
	scp.ReasonExempt:       "EXEMPT",
}

// Authorize answers, without making the call, whether the SCPs in force
// allow it: a way to test an SCP change before rolling it out.
func (s *Service) Authorize(ctx context.Context, in AuthorizeRequest) (*AuthorizeResult, error) {
	if !isAccountID(in.Account) {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "account must be a 12-digit account ID")
	}
	if !strings.Contains(in.Action, ":") {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "action must look like service:Operation")
	}
	var out AuthorizeResult
	err := s.read(ctx, func(t *txn) error {
		a, err := t.account(in.Account)
		if err != nil {
			return err
		}
		if a.Org == "" {
			return errNotInUse()
		}
		o, ok, err := t.org(a.Org)
		if err != nil || !ok {
			return err
		}
		d, err := t.scpDecision(o, a, scp.Request{Action: in.Action, Resource: in.Resource, Principal: in.Principal, Account: a.ID, Context: in.Context})
		if err != nil {
			return err
		}
		out = AuthorizeResult{Allowed: d.Allowed, Decision: decisionNames[d.Reason], Explanation: d.String(), Levels: []AuthorizeLevel{}}
		if d.Reason == scp.ReasonExplicitDeny || d.Reason == scp.ReasonNoAllow {
			r := refOf(d.By)
			out.DecidedBy = &r
		}
		for _, r := range d.AllowedBy {
			out.AllowedBy = append(out.AllowedBy, refOf(r))
		}
		targets, err := t.pathTargets(o, a)
		if err != nil {
			return err
		}
		for _, target := range targets {
			ids, err := t.attachedIDs(o, target.ID, api.PolicyTypeServiceControlPolicy)
			if err != nil {
				return err
			}
			if ids == nil {
				ids = []string{}
			}
			out.Levels = append(out.Levels, AuthorizeLevel{TargetID: target.ID, Policies: ids})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func refOf(r scp.StatementRef) AuthorizeRef {
	return AuthorizeRef{TargetID: r.TargetID, TargetName: r.TargetName, PolicyID: r.PolicyID, PolicyName: r.PolicyName, Statement: r.Statement, Sid: r.Sid}
}
