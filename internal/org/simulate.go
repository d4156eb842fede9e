package org

import (
	"context"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/policy/scp"
)

// Proposal is a change to an organization's SCPs and RCPs to evaluate,
// never apply: new policies, new content for existing ones, and
// attachments made or removed. Several changes combine.
type Proposal struct {
	// Organization is the organization changed; it may be left out when
	// the server holds only one.
	Organization string             `json:"organization,omitempty"`
	New          []ProposedPolicy   `json:"new,omitempty"`
	Content      []PolicyContent    `json:"content,omitempty"`
	Attach       []PolicyAttachment `json:"attach,omitempty"`
	Detach       []PolicyAttachment `json:"detach,omitempty"`
}

// ProposedPolicy is a policy that does not exist yet; attachments name it
// by Name.
type ProposedPolicy struct {
	Name    string         `json:"name"`
	Type    api.PolicyType `json:"type"`
	Content string         `json:"content"`
}

// PolicyContent replaces the document of an existing policy.
type PolicyContent struct {
	Policy  string `json:"policy"`
	Content string `json:"content"`
}

// PolicyAttachment names a policy (an ID, or the name of a proposed
// policy) and a root, OU or account.
type PolicyAttachment struct {
	Policy string `json:"policy"`
	Target string `json:"target"`
}

// ProposedPolicyID is the ID a proposed policy has in decisions: it has
// no real one yet.
func ProposedPolicyID(name string) string { return "new:" + name }

// Simulation holds the SCPs and RCPs of every member account's path, in
// force now and with a proposal overlaid, compiled, so that any number of
// requests can be decided without touching the store.
type Simulation struct {
	Organization string
	Management   string
	accounts     map[string]*simAccount
	changed      map[string]bool // policies proposed or with proposed content
}

type simAccount struct {
	scp, rcp [2][]scp.Level // [0] now, [1] proposed; nil when the type is not enabled
	// scpChanged and rcpChanged say the proposal touches the path.
	scpChanged, rcpChanged bool
}

// SimDecision is a decision of a Simulation: the SCP or RCP decision that
// settles the request, and the type of the policies that settled it.
type SimDecision struct {
	scp.Decision
	PolicyType api.PolicyType
	// Unchanged, on a proposed decision, says the proposal changes none of
	// the policies that apply to the request: it is the decision now.
	Unchanged bool
}

// Changed reports whether the proposal adds policy id or changes its
// document.
func (sim *Simulation) Changed(id string) bool { return sim.changed[id] }

// Decide evaluates req, made by a principal of account req.Account, now
// and with the proposal. SCPs apply when req.Account is a member; RCPs
// when rcp is set (the service is one RCPs cover) and resourceAccount, the
// owner of the resource, is a member. A request is denied when either
// denies; it is undetermined when neither denies and one is undetermined.
// The management account is exempt from SCPs, and its resources from RCPs.
func (sim *Simulation) Decide(req scp.Request, resourceAccount string, rcp bool) (now, proposed SimDecision) {
	var out [2]SimDecision
	caller := sim.accounts[req.Account]
	owner := sim.accounts[resourceAccount]
	unchanged := (caller == nil || !caller.scpChanged) && (!rcp || owner == nil || !owner.rcpChanged)
	for i := range out {
		if i == 1 && unchanged {
			out[1] = out[0]
			out[1].Unchanged = true
			break
		}
		out[i] = SimDecision{Decision: scp.Decision{Allowed: true, Reason: scp.ReasonExempt}}
		if caller != nil && caller.scp[i] != nil {
			r := req
			r.ManagementAccount = req.Account == sim.Management
			out[i] = SimDecision{Decision: scp.Evaluate(caller.scp[i], r), PolicyType: api.PolicyTypeServiceControlPolicy}
			if !out[i].Allowed && out[i].Reason != scp.ReasonUndetermined {
				continue
			}
		}
		if rcp && owner != nil && owner.rcp[i] != nil {
			r := req
			r.ManagementAccount = resourceAccount == sim.Management
			d := scp.Evaluate(owner.rcp[i], r)
			if d.Reason == scp.ReasonUndetermined && out[i].Reason == scp.ReasonUndetermined {
				continue // the SCP's open question is reported first
			}
			if !d.Allowed || out[i].Reason == scp.ReasonExempt {
				out[i] = SimDecision{Decision: d, PolicyType: api.PolicyTypeResourceControlPolicy}
			}
		}
	}
	return out[0], out[1]
}

// Member reports whether account is in the simulated organization.
func (sim *Simulation) Member(account string) bool { return sim.accounts[account] != nil }

// Simulate compiles the organization's SCPs and RCPs with p overlaid. The
// proposal is checked as the operations it stands for would check it:
// unknown policies and targets, documents CreatePolicy would refuse
// (MalformedPolicyDocumentException with the same reasons), attachments
// AttachPolicy or DetachPolicy would refuse. An organization with only
// consolidated billing features has no SCPs or RCPs to evaluate.
func (s *Service) Simulate(ctx context.Context, p Proposal) (*Simulation, error) {
	var sim *Simulation
	err := s.read(ctx, func(t *txn) error {
		o, err := t.simulatedOrg(p.Organization)
		if err != nil {
			return err
		}
		if o.FeatureSet != api.OrganizationFeatureSetAll {
			return api.NewPolicyTypeNotAvailableForOrganization("The organization %s has only consolidated billing features: service control policies and resource control policies do not apply to it.", o.ID)
		}
		ov, err := t.overlay(o, p)
		if err != nil {
			return err
		}
		sim, err = t.simulation(o, ov)
		return err
	})
	return sim, err
}

// simulatedOrg returns organization id, or the only one when id is "".
func (t *txn) simulatedOrg(id string) (*organization, error) {
	if id == "" {
		ids, err := t.idsWithPrefix("org/")
		if err != nil {
			return nil, err
		}
		switch len(ids) {
		case 0:
			return nil, api.NewAWSOrganizationsNotInUse("The server holds no organization.")
		case 1:
			id = ids[0]
		default:
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInputRequired, "The server holds %d organizations; name the one to evaluate.", len(ids))
		}
	}
	o, ok, err := t.org(id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, api.NewAWSOrganizationsNotInUse("We can't find the organization %s.", id)
	}
	return o, nil
}

// overlay is a proposal resolved against the organization: the compiled
// documents of new and changed policies, and the attachments added and
// removed per target and type.
type overlay struct {
	docs     map[string]scp.Policy // by policy ID, proposed ones included
	types    map[string]api.PolicyType
	attached map[string][]string // target/type -> policy IDs appended
	detached map[string]bool     // target/type/policy
}

func overlayKey(target string, typ api.PolicyType) string { return target + "/" + string(typ) }

func (t *txn) overlay(o *organization, p Proposal) (*overlay, error) {
	ov := &overlay{docs: map[string]scp.Policy{}, types: map[string]api.PolicyType{}, attached: map[string][]string{}, detached: map[string]bool{}}
	controlType := func(typ api.PolicyType) error {
		if typ != api.PolicyTypeServiceControlPolicy && typ != api.PolicyTypeResourceControlPolicy {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidEnumPolicyType, "Only service control policies and resource control policies can be evaluated, not %s.", typ)
		}
		return nil
	}
	compile := func(id, name string, typ api.PolicyType, content string) error {
		if err := checkPolicyContent(typ, content); err != nil {
			return err
		}
		doc, err := scp.Parse(string(typ), content)
		if err != nil {
			return malformed("%s", err.Error())
		}
		ov.docs[id] = scp.Policy{ID: id, Name: name, Doc: doc}
		ov.types[id] = typ
		return nil
	}
	for _, np := range p.New {
		if err := controlType(np.Type); err != nil {
			return nil, err
		}
		if np.Name == "" {
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInputRequired, "A proposed policy needs a name.")
		}
		id := ProposedPolicyID(np.Name)
		if _, dup := ov.types[id]; dup {
			return nil, api.NewDuplicatePolicy("A policy with the name %s already exists.", np.Name)
		}
		if taken, err := t.has(keyPolicyName(o.ID, np.Type, np.Name)); err != nil {
			return nil, err
		} else if taken {
			return nil, api.NewDuplicatePolicy("A policy with the name %s already exists.", np.Name)
		}
		if err := compile(id, np.Name, np.Type, np.Content); err != nil {
			return nil, err
		}
	}
	for _, c := range p.Content {
		pol, err := t.policyOrNotFound(o, c.Policy)
		if err != nil {
			return nil, err
		}
		if isAWSManaged(pol) {
			return nil, errImmutable(pol)
		}
		if err := controlType(pol.Type); err != nil {
			return nil, err
		}
		if err := compile(pol.ID, pol.Name, pol.Type, c.Content); err != nil {
			return nil, err
		}
	}
	// resolve returns the policy an attachment names and its target.
	resolve := func(a PolicyAttachment) (string, api.PolicyType, bool, *policyTarget, error) {
		id, typ, proposed := ProposedPolicyID(a.Policy), api.PolicyType(""), false
		if ty, ok := ov.types[id]; ok && !strings.HasPrefix(a.Policy, "p-") {
			typ, proposed = ty, true
		} else {
			pol, err := t.policyOrNotFound(o, a.Policy)
			if err != nil {
				return "", "", false, nil, err
			}
			if err := controlType(pol.Type); err != nil {
				return "", "", false, nil, err
			}
			id, typ = pol.ID, pol.Type
		}
		target, err := t.policyTarget(o, a.Target)
		if err != nil {
			return "", "", false, nil, err
		}
		if enabled, _, err := t.typeEnabled(o, typ); err != nil {
			return "", "", false, nil, err
		} else if !enabled {
			return "", "", false, nil, api.NewPolicyTypeNotEnabled("The policy type %s is not enabled in the root.", typ)
		}
		return id, typ, proposed, target, nil
	}
	// Detachments and attachments combine; the counts AWS enforces are
	// checked on the result, so a proposal may swap one policy for another.
	touched := map[string]*policyTarget{}
	types := map[string]api.PolicyType{}
	for _, a := range p.Detach {
		id, typ, proposed, target, err := resolve(a)
		if err != nil {
			return nil, err
		}
		key := overlayKey(target.ID, typ)
		attached := false
		if !proposed {
			if attached, err = t.has(keyAttach(o.ID, target.ID, typ, id)); err != nil {
				return nil, err
			}
		}
		if !attached || ov.detached[key+"/"+id] {
			return nil, api.NewPolicyNotAttached("The policy is not attached to %s.", target.ID)
		}
		if id == rcpFullAWSAccessID {
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonNonDetachablePolicy, "The policy RCPFullAWSAccess can't be detached.")
		}
		ov.detached[key+"/"+id] = true
		touched[key], types[key] = target, typ
	}
	for _, a := range p.Attach {
		id, typ, _, target, err := resolve(a)
		if err != nil {
			return nil, err
		}
		key := overlayKey(target.ID, typ)
		dup := !ov.detached[key+"/"+id]
		if dup {
			if dup, err = t.has(keyAttach(o.ID, target.ID, typ, id)); err != nil {
				return nil, err
			}
		}
		for _, other := range ov.attached[key] {
			dup = dup || other == id
		}
		if dup {
			return nil, api.NewDuplicatePolicyAttachment("The policy is already attached to %s.", target.ID)
		}
		ov.attached[key] = append(ov.attached[key], id)
		touched[key], types[key] = target, typ
	}
	for key, target := range touched {
		typ := types[key]
		ids, err := t.attachedIDs(o, target.ID, typ)
		if err != nil {
			return nil, err
		}
		n := len(ov.attached[key])
		for _, id := range ids {
			if !ov.detached[key+"/"+id] {
				n++
			}
		}
		if limit := limitsFor(typ).PerTarget; n > limit {
			return nil, api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded,
				"%s would have %d policies of type %s attached; it can have at most %d.", target.ID, n, typ, limit)
		}
		if typ == api.PolicyTypeServiceControlPolicy && n == 0 {
			return nil, api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded,
				"%s must keep at least one service control policy attached.", target.ID)
		}
	}
	return ov, nil
}

// simulation compiles the levels of every member's path, now and with ov;
// levels are shared between accounts under the same target.
func (t *txn) simulation(o *organization, ov *overlay) (*Simulation, error) {
	sim := &Simulation{Organization: o.ID, Management: o.Management, accounts: map[string]*simAccount{}, changed: map[string]bool{}}
	for id := range ov.docs {
		sim.changed[id] = true
	}
	types := []api.PolicyType{api.PolicyTypeServiceControlPolicy, api.PolicyTypeResourceControlPolicy}
	var enabled [2]bool
	for i, typ := range types {
		on, _, err := t.typeEnabled(o, typ)
		if err != nil {
			return nil, err
		}
		enabled[i] = on
	}
	type cached struct {
		lv      scp.Level
		changed bool
	}
	cache := map[string]cached{}
	// level returns the level of target, and with proposed whether the
	// proposal changes it.
	level := func(target *policyTarget, typ api.PolicyType, proposed bool) (scp.Level, bool, error) {
		ck := overlayKey(target.ID, typ)
		if proposed {
			ck += "/proposed"
		}
		if c, ok := cache[ck]; ok {
			return c.lv, c.changed, nil
		}
		ids, err := t.attachedIDs(o, target.ID, typ)
		if err != nil {
			return scp.Level{}, false, err
		}
		key := overlayKey(target.ID, typ)
		changed := false
		if proposed {
			kept := ids[:0:0]
			for _, id := range ids {
				if !ov.detached[key+"/"+id] {
					kept = append(kept, id)
				}
			}
			changed = len(kept) != len(ids) || len(ov.attached[key]) > 0
			ids = append(kept, ov.attached[key]...)
		}
		lv := scp.Level{TargetID: target.ID, TargetName: target.Name, Policies: make([]scp.Policy, 0, len(ids))}
		for _, id := range ids {
			if pol, ok := ov.docs[id]; ok && proposed {
				lv.Policies = append(lv.Policies, pol)
				changed = true
				continue
			}
			lp, ok, err := t.loadPolicy(o, id)
			if err != nil {
				return scp.Level{}, false, err
			}
			if ok && lp.scp != nil {
				lv.Policies = append(lv.Policies, scp.Policy{ID: lp.p.ID, Name: lp.p.Name, Doc: lp.scp})
			}
		}
		cache[ck] = cached{lv, changed}
		return lv, changed, nil
	}
	members, err := t.idsWithPrefix(prefixMembers(o.ID))
	if err != nil {
		return nil, err
	}
	for _, id := range members {
		a, err := t.account(id)
		if err != nil {
			return nil, err
		}
		targets, err := t.pathTargets(o, a)
		if err != nil {
			return nil, err
		}
		sa := &simAccount{}
		for i, typ := range types {
			if !enabled[i] {
				continue
			}
			for j, proposed := range []bool{false, true} {
				levels := make([]scp.Level, 0, len(targets))
				changed := false
				for _, target := range targets {
					lv, c, err := level(target, typ, proposed)
					if err != nil {
						return nil, err
					}
					levels = append(levels, lv)
					changed = changed || c
				}
				if i == 0 {
					sa.scp[j], sa.scpChanged = levels, sa.scpChanged || changed
				} else {
					sa.rcp[j], sa.rcpChanged = levels, sa.rcpChanged || changed
				}
			}
		}
		sim.accounts[id] = sa
	}
	return sim, nil
}
