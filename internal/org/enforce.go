package org

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/effective"
	"github.com/orgd/orgd/internal/policy/scp"
)

// loadedPolicy is a policy ready for evaluation: its record and its
// compiled document (scp for SCPs and RCPs, eff for management types).
type loadedPolicy struct {
	raw []byte // the stored record it was decoded from; nil for AWS-managed
	p   *policy
	scp *scp.Document
	eff *effective.Document
}

// loadPolicy returns policy id of o, compiled. Decoding the stored record
// costs more than evaluating it, so the service keeps the last compiled
// form of each policy with the record it came from, and uses it while the
// record is unchanged.
func (t *txn) loadPolicy(o *organization, id string) (*loadedPolicy, bool, error) {
	var raw []byte
	p := awsManaged[id]
	if p == nil {
		var ok bool
		var err error
		if raw, ok, err = t.Get(keyPolicy(id)); err != nil || !ok {
			return nil, false, err
		}
	}
	if v, ok := t.s.docs.Load(id); ok {
		if lp := v.(*loadedPolicy); bytes.Equal(lp.raw, raw) {
			return lp, isAWSManaged(lp.p) || lp.p.Org == o.ID, nil
		}
	}
	if p == nil {
		p = new(policy)
		if err := json.Unmarshal(raw, p); err != nil {
			return nil, false, err
		}
	}
	lp := &loadedPolicy{p: p}
	if raw != nil {
		lp.raw = append([]byte(nil), raw...)
	}
	var err error
	switch p.Type {
	case api.PolicyTypeServiceControlPolicy, api.PolicyTypeResourceControlPolicy:
		parse := scp.Parse
		if isAWSManaged(p) {
			parse = scp.ParseAWSManaged
		}
		lp.scp, err = parse(string(p.Type), p.Content)
	default:
		lp.eff, err = effective.Parse(string(p.Type), p.Content)
	}
	if err != nil {
		return nil, false, fmt.Errorf("policy %s: %w", id, err)
	}
	t.s.docs.Store(id, lp)
	return lp, isAWSManaged(p) || p.Org == o.ID, nil
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
// target in the order they were attached (by policy ID when attached at
// the same instant): management policies on one target merge in it.
func (t *txn) attachedIDs(o *organization, target string, typ api.PolicyType) ([]string, error) {
	type attached struct{ at, id string }
	var all []attached
	err := t.Scan(prefixAttachType(o.ID, target, typ), "", func(k string, v []byte) bool {
		all = append(all, attached{string(v), lastSegment(k)})
		return true
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
	ids := make([]string, len(all))
	for i, a := range all {
		ids[i] = a.id
	}
	return ids, nil
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
			lp, ok, err := t.loadPolicy(o, id)
			if err != nil {
				return nil, err
			}
			if !ok || lp.scp == nil {
				continue
			}
			lv.Policies = append(lv.Policies, scp.Policy{ID: lp.p.ID, Name: lp.p.Name, Doc: lp.scp})
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
func (t *txn) enforceSCPs(c *caller, op string, in any) error {
	if c.Org == nil || c.Mgmt {
		return nil
	}
	req, err := t.authzRequest(c, op, in)
	if err != nil {
		return err
	}
	d, err := t.scpDecision(c.Org, c.Account, req)
	if err != nil {
		return err
	}
	// A kept answer would skip the decision and so the note of it.
	t.unkept = true
	t.s.noteSCPDecision(decisionNames[d.Reason])
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

// authzRequest is the request that policies evaluating c's call to
// operation op with input in see: the action, the resource the input
// names, the principal and the condition keys orgd knows of it. SCPs and
// session policies (sessionpolicy.go) decide on the same facts, built
// once for the call and kept in c. Its Context is shared: read it only.
func (t *txn) authzRequest(c *caller, op string, in any) (scp.Request, error) {
	if c.authz != nil {
		return *c.authz, nil
	}
	resource, err := resourceARN(t, c, op, in)
	if err != nil {
		return scp.Request{}, err
	}
	ident := callerOf(t.ctx)
	req := scp.Request{
		Action:    "organizations:" + op,
		Resource:  resource,
		Principal: identity.PrincipalOf(ident, t.s.cfg.Partition),
		Account:   c.ID,
		Context:   map[string][]string{"aws:PrincipalAccount": {c.ID}},
	}
	// A standalone account has no organization: the key is absent.
	if c.Org != nil {
		req.Context["aws:PrincipalOrgID"] = []string{c.Org.ID}
	}
	// The region the request was signed for; without one the key is
	// absent, so a condition on it cannot be met by accident.
	if ident.Region != "" {
		req.Context["aws:RequestedRegion"] = []string{ident.Region}
	}
	c.authz = &req
	return req, nil
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
	if !identity.IsAccountID(in.Account) {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "account must be a 12-digit account ID")
	}
	if !strings.Contains(in.Action, ":") {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "action must look like service:Operation")
	}
	var out AuthorizeResult
	return reply(&out, s.read(ctx, func(t *txn) error {
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
	}))
}

func refOf(r scp.StatementRef) AuthorizeRef {
	return AuthorizeRef{TargetID: r.TargetID, TargetName: r.TargetName, PolicyID: r.PolicyID, PolicyName: r.PolicyName, Statement: r.Statement, Sid: r.Sid}
}

// resourceARN is the resource an Organizations call acts on, as the
// Service Authorization Reference lists it for the action: the account,
// OU, root, policy or handshake its input names. Where the action takes
// no resource, or the input names none that exists, it is "", which only
// Resource "*" patterns match. When the reference lists several resource
// types (AttachPolicy: the policy and the target) the required one is
// used. ARNs are built in the caller's organization.
func resourceARN(t *txn, c *caller, op string, in any) (string, error) {
	o := c.Org
	switch v := in.(type) {
	case *api.DescribeAccountRequest:
		return t.idARN(o, v.AccountId)
	case *api.MoveAccountRequest:
		return t.idARN(o, v.AccountId)
	case *api.CloseAccountRequest:
		return t.idARN(o, v.AccountId)
	case *api.RemoveAccountFromOrganizationRequest:
		return t.idARN(o, v.AccountId)
	case *api.RegisterDelegatedAdministratorRequest:
		return t.idARN(o, v.AccountId)
	case *api.DeregisterDelegatedAdministratorRequest:
		return t.idARN(o, v.AccountId)
	case *api.ListDelegatedServicesForAccountRequest:
		return t.idARN(o, v.AccountId)
	case *api.ListEffectivePolicyValidationErrorsRequest:
		return t.idARN(o, v.AccountId)
	case *api.DescribeEffectivePolicyRequest:
		if v.TargetId == "" {
			return t.idARN(o, c.ID)
		}
		return t.idARN(o, v.TargetId)
	case *api.InviteAccountToOrganizationRequest:
		if v.Target != nil && v.Target.Type == api.HandshakePartyTypeAccount {
			return t.idARN(o, v.Target.Id)
		}
	case *api.TagResourceRequest:
		return t.idARN(o, v.ResourceId)
	case *api.UntagResourceRequest:
		return t.idARN(o, v.ResourceId)
	case *api.ListTagsForResourceRequest:
		return t.idARN(o, v.ResourceId)
	case *api.CreateOrganizationalUnitRequest:
		return t.idARN(o, v.ParentId)
	case *api.UpdateOrganizationalUnitRequest:
		return t.idARN(o, v.OrganizationalUnitId)
	case *api.DeleteOrganizationalUnitRequest:
		return t.idARN(o, v.OrganizationalUnitId)
	case *api.DescribeOrganizationalUnitRequest:
		return t.idARN(o, v.OrganizationalUnitId)
	case *api.ListAccountsForParentRequest:
		return t.idARN(o, v.ParentId)
	case *api.ListOrganizationalUnitsForParentRequest:
		return t.idARN(o, v.ParentId)
	case *api.ListChildrenRequest:
		return t.idARN(o, v.ParentId)
	case *api.ListParentsRequest:
		return t.idARN(o, v.ChildId)
	case *api.ListPoliciesForTargetRequest:
		return t.idARN(o, v.TargetId)
	case *api.EnablePolicyTypeRequest:
		return t.idARN(o, v.RootId)
	case *api.DisablePolicyTypeRequest:
		return t.idARN(o, v.RootId)
	case *api.UpdatePolicyRequest:
		return t.idARN(o, v.PolicyId)
	case *api.DeletePolicyRequest:
		return t.idARN(o, v.PolicyId)
	case *api.DescribePolicyRequest:
		return t.idARN(o, v.PolicyId)
	case *api.AttachPolicyRequest:
		return t.idARN(o, v.PolicyId)
	case *api.DetachPolicyRequest:
		return t.idARN(o, v.PolicyId)
	case *api.ListTargetsForPolicyRequest:
		return t.idARN(o, v.PolicyId)
	case *api.AcceptHandshakeRequest:
		return t.idARN(o, v.HandshakeId)
	case *api.DeclineHandshakeRequest:
		return t.idARN(o, v.HandshakeId)
	case *api.CancelHandshakeRequest:
		return t.idARN(o, v.HandshakeId)
	case *api.DescribeHandshakeRequest:
		return t.idARN(o, v.HandshakeId)
	}
	return "", nil
}

// idARN returns the ARN of the root, OU, account, policy or handshake with
// the given ID, or "" when the ID is of no such kind or names nothing the
// ARN can be built for.
func (t *txn) idARN(o *organization, id string) (string, error) {
	switch {
	case id == "":
		return "", nil
	case o == nil && !strings.HasPrefix(id, "h-"):
		// A standalone caller (session policies see its calls): only a
		// handshake's ARN does not need its organization.
		return "", nil
	case identity.IsAccountID(id):
		return t.s.accountARN(o, id), nil
	case strings.HasPrefix(id, "r-"):
		return t.s.rootARN(o, id), nil
	case strings.HasPrefix(id, "ou-"):
		return t.s.ouARN(o, id), nil
	case strings.HasPrefix(id, "p-"):
		// The policy's type is part of its ARN.
		p, ok, err := t.policy(o, id)
		if err != nil || !ok {
			return "", err
		}
		return t.s.policyARN(o, p), nil
	case strings.HasPrefix(id, "h-"):
		h, ok, err := t.handshake(id)
		if err != nil || !ok {
			return "", err
		}
		return t.s.handshakeARN(h), nil
	case strings.HasPrefix(id, "rp-"):
		return t.s.arn(o.Management, "resourcepolicy/"+o.ID+"/"+id), nil
	}
	return "", nil
}
