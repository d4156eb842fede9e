package org

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/effective"
)

// Effective policies: the management policies attached along an
// account's path, merged by internal/policy/effective.
//
// LastUpdatedTimestamp is the latest Updated time of the policies attached
// along the path: when each was created, changed, attached or detached
// (policy.go). A policy's time is its own, not its attachment's, so
// attaching it elsewhere also moves the timestamp, while a detach that
// takes a policy off the path, or moving the account, does not: the
// policy is then no longer on the path to tell.

// attachedPolicies is what one target contributes: its policies of one
// type and the latest Updated among them. The policies come in the
// attachment index's order, by policy ID: the index keeps no attachment
// order, which is what AWS uses to settle two @@assign of one setting on
// the same target.
type attachedPolicies struct {
	policies []effective.Policy
	updated  time.Time
}

// effectiveEval computes effective policies of one type for accounts of
// one organization, reading each target's policies once however many
// accounts share it.
type effectiveEval struct {
	t       *txn
	o       *organization
	typ     api.PolicyType
	targets map[string]*attachedPolicies
}

func (t *txn) effectiveEval(o *organization, typ api.PolicyType) *effectiveEval {
	return &effectiveEval{t: t, o: o, typ: typ, targets: map[string]*attachedPolicies{}}
}

func (e *effectiveEval) target(id string) (*attachedPolicies, error) {
	if ap := e.targets[id]; ap != nil {
		return ap, nil
	}
	ids, err := e.t.attachedIDs(e.o, id, e.typ)
	if err != nil {
		return nil, err
	}
	ap := &attachedPolicies{}
	for _, pid := range ids {
		lp, ok, err := e.t.loadPolicy(e.o, pid)
		if err != nil {
			return nil, err
		}
		if !ok || lp.eff == nil {
			continue
		}
		ap.policies = append(ap.policies, effective.Policy{ID: lp.p.ID, Name: lp.p.Name, Doc: lp.eff})
		ap.updated = latest(ap.updated, lp.p.Updated)
	}
	e.targets[id] = ap
	return ap, nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// compute returns account a's effective policy and when it last changed;
// ok is false when no policy of the type is attached along its path.
func (e *effectiveEval) compute(a *account) (res *effective.Result, updated time.Time, ok bool, err error) {
	targets, err := e.t.pathTargets(e.o, a)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	levels := make([]effective.Level, 0, len(targets))
	for _, target := range targets {
		ap, err := e.target(target.ID)
		if err != nil {
			return nil, time.Time{}, false, err
		}
		ok = ok || len(ap.policies) > 0
		updated = latest(updated, ap.updated)
		levels = append(levels, effective.Level{TargetID: target.ID, Policies: ap.policies})
	}
	if !ok {
		return nil, time.Time{}, false, nil
	}
	if updated.IsZero() {
		updated = e.o.Created
	}
	res, err = effective.Compute(string(e.typ), levels)
	return res, updated, err == nil, err
}

func errNoEffectivePolicy(typ api.EffectivePolicyType, target string) error {
	return api.NewEffectivePolicyNotFound("No policy of type %s applies to %s.", typ, target)
}

// checkEffectiveType refuses the authorization policy types, which have no
// effective policy, and anything else that is not a management type.
func checkEffectiveType(typ api.EffectivePolicyType) error {
	if !effective.IsManagementType(string(typ)) {
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidEnum, "%q is not a policy type with effective policies.", typ)
	}
	return nil
}

// enabledEval returns an evaluator for typ in o, or
// EffectivePolicyNotFoundException when the type is not enabled in the
// root: then no policy of the type applies anywhere.
func (t *txn) enabledEval(o *organization, typ api.EffectivePolicyType, target string) (*effectiveEval, error) {
	enabled, _, err := t.typeEnabled(o, api.PolicyType(typ))
	if err != nil {
		return nil, err
	}
	if !enabled {
		return nil, errNoEffectivePolicy(typ, target)
	}
	return t.effectiveEval(o, api.PolicyType(typ)), nil
}

// orgMember returns the account id if it belongs to o.
func (t *txn) orgMember(o *organization, id string) (*account, bool, error) {
	if !identity.IsAccountID(id) {
		return nil, false, nil
	}
	a, ok, err := t.storedAccount(id)
	if err != nil || !ok || a.Org != o.ID {
		return nil, false, err
	}
	return a, true, nil
}

func (s *Service) DescribeEffectivePolicy(ctx context.Context, in *api.DescribeEffectivePolicyRequest) (*api.DescribeEffectivePolicyResponse, error) {
	if err := checkEffectiveType(in.PolicyType); err != nil {
		return nil, err
	}
	if strings.HasPrefix(in.TargetId, "r-") || strings.HasPrefix(in.TargetId, "ou-") {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonTargetNotSupported, "Effective policies are computed for accounts only, not for %s.", in.TargetId)
	}
	var out api.DescribeEffectivePolicyResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("DescribeEffectivePolicy", in)
		if err != nil {
			return err
		}
		target := in.TargetId
		if target == "" {
			target = c.ID
		}
		// A member sees its own effective policy only; checked before the
		// target is looked up so that it learns nothing of other accounts.
		if target != c.ID && !c.Mgmt && !c.DA {
			return errAccessDenied()
		}
		a, ok, err := t.orgMember(c.Org, target)
		if err != nil {
			return err
		}
		if !ok {
			return api.NewTargetNotFound("We can't find an account with the TargetId %s in your organization.", target)
		}
		e, err := t.enabledEval(c.Org, in.PolicyType, target)
		if err != nil {
			return err
		}
		res, updated, ok, err := e.compute(a)
		if err != nil {
			return err
		}
		if !ok {
			return errNoEffectivePolicy(in.PolicyType, target)
		}
		out.EffectivePolicy = &api.EffectivePolicy{
			PolicyContent:        res.Content,
			LastUpdatedTimestamp: api.NewTime(updated),
			TargetId:             target,
			PolicyType:           in.PolicyType,
		}
		return nil
	}))
}

func (s *Service) ListAccountsWithInvalidEffectivePolicy(ctx context.Context, in *api.ListAccountsWithInvalidEffectivePolicyRequest) (*api.ListAccountsWithInvalidEffectivePolicyResponse, error) {
	if err := checkEffectiveType(in.PolicyType); err != nil {
		return nil, err
	}
	out := api.ListAccountsWithInvalidEffectivePolicyResponse{Accounts: []api.Account{}, PolicyType: in.PolicyType}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListAccountsWithInvalidEffectivePolicy"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		o := c.Org
		e, err := t.enabledEval(o, in.PolicyType, "any account")
		if err != nil {
			return err
		}
		// The filter computes each member's effective policy; skipped
		// members do not count against the page.
		keep := func(k string, _ []byte) (bool, error) {
			a, ok, err := t.orgMember(o, lastSegment(k))
			if err != nil || !ok {
				return false, err
			}
			res, _, ok, err := e.compute(a)
			return ok && len(res.Errors) > 0, err
		}
		out.NextToken, err = t.list(op, c, []string{string(in.PolicyType)}, prefixMembers(o.ID), in.NextToken, in.MaxResults, keep,
			func(k string, _ []byte) error {
				a, ok, err := t.orgMember(o, lastSegment(k))
				if err != nil || !ok {
					return err
				}
				v, err := t.accountView(o, a)
				if err != nil {
					return err
				}
				out.Accounts = append(out.Accounts, v)
				return nil
			})
		return err
	}))
}

func (s *Service) ListEffectivePolicyValidationErrors(ctx context.Context, in *api.ListEffectivePolicyValidationErrorsRequest) (*api.ListEffectivePolicyValidationErrorsResponse, error) {
	if err := checkEffectiveType(in.PolicyType); err != nil {
		return nil, err
	}
	out := api.ListEffectivePolicyValidationErrorsResponse{
		AccountId:                       in.AccountId,
		PolicyType:                      in.PolicyType,
		EffectivePolicyValidationErrors: []api.EffectivePolicyValidationError{},
	}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListEffectivePolicyValidationErrors"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		o := c.Org
		a, ok, err := t.orgMember(o, in.AccountId)
		if err != nil {
			return err
		}
		if !ok {
			return api.NewAccountNotFound("We can't find an account with the AccountId %s in your organization.", in.AccountId)
		}
		e, err := t.enabledEval(o, in.PolicyType, a.ID)
		if err != nil {
			return err
		}
		res, _, ok, err := e.compute(a)
		if err != nil {
			return err
		}
		if !ok {
			return errNoEffectivePolicy(in.PolicyType, a.ID)
		}
		path, err := t.path(o, a.Parent)
		if err != nil {
			return err
		}
		out.Path = path + a.ID + "/"
		out.EvaluationTimestamp = api.NewTime(t.now())

		// The errors are computed, not stored, so the token names the
		// index of the next one; the scope binds it to this account and
		// type.
		scope := op + "\x00" + c.ID + "\x00" + a.ID + "\x00" + string(in.PolicyType)
		from := 0
		if in.NextToken != "" {
			after, err := t.s.tokens.After(scope, in.NextToken)
			if err != nil {
				return errInvalidNextToken()
			}
			if from, err = strconv.Atoi(after); err != nil || from < 0 {
				return errInvalidNextToken()
			}
		}
		n := int(in.MaxResults)
		if n <= 0 {
			n = defaultPageSize
		}
		for i := from; i < len(res.Errors) && i < from+n; i++ {
			ve := res.Errors[i]
			out.EffectivePolicyValidationErrors = append(out.EffectivePolicyValidationErrors, api.EffectivePolicyValidationError{
				ErrorCode:            ve.Code,
				ErrorMessage:         ve.Message,
				PathToError:          ve.Path,
				ContributingPolicies: ve.ContributingPolicies,
			})
		}
		if from+n < len(res.Errors) {
			out.NextToken = t.s.tokens.Token(scope, strconv.Itoa(from+n))
		}
		return nil
	}))
}
