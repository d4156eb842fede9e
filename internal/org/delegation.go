package org

import (
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// A delegated administrator reads the organization as any other, but may
// write policies only as the resource-based delegation policy allows (spec
// handshakes-and-accounts 6.1, policies 6). The management account is never
// restricted.

// delegatedWrites are the operations a delegated administrator may call
// only when the delegation policy grants them to it.
var delegatedWrites = map[string]bool{
	"AttachPolicy":      true,
	"CreatePolicy":      true,
	"DeletePolicy":      true,
	"DetachPolicy":      true,
	"DisablePolicyType": true,
	"EnablePolicyType":  true,
	"TagResource":       true,
	"UntagResource":     true,
	"UpdatePolicy":      true,
}

// checkDelegation fails with AccessDeniedException when delegated
// administrator c calls a policy-management write that the organization's
// delegation policy does not grant it. access.go calls it for every
// delegated administrator once the caller's role is checked.
func (t *txn) checkDelegation(op string, c *caller) error {
	if !delegatedWrites[op] {
		return nil
	}
	rp, ok, err := t.resourcePolicy(c.Org)
	if err != nil {
		return err
	}
	if ok {
		// The stored document was validated when it was put.
		doc, err := parseDelegationPolicy(rp.Content)
		who := identity.PrincipalOf(callerOf(t.ctx), t.s.cfg.Partition)
		// The request's policy type is not known here: a PolicyType
		// condition neither grants nor denies on its own (see allows).
		if err == nil && doc.allows(c.ID, who, "organizations:"+op, "") {
			return nil
		}
	}
	return errAccessDenied()
}

// tri is a condition's outcome when some of the request is not known.
type tri uint8

const (
	triUnknown tri = iota
	triTrue
	triFalse
)

// allows evaluates the policy for account acct acting as principal ARN
// who, calling action ("organizations:CreatePolicy") on a policy of type
// pt ("" when not known). An explicit Deny wins; otherwise an Allow is
// needed. Conditions that can't be evaluated count for an Allow and
// against a Deny, so that orgd errs towards what the policy's author
// granted.
func (d *delegationPolicy) allows(acct, who, action string, pt api.PolicyType) bool {
	action = strings.ToLower(action)
	allowed := false
	for _, st := range d.Statements {
		if !st.namesPrincipal(acct, who) || !st.namesAction(action) {
			continue
		}
		cond := st.condition(pt)
		if st.Allow && cond != triFalse {
			allowed = true
		}
		if !st.Allow && cond == triTrue {
			return false
		}
	}
	return allowed
}

func (st *delegationStatement) namesAction(action string) bool {
	for _, a := range st.Actions {
		if wildcardMatch(a, action) {
			return true
		}
	}
	return false
}

// namesPrincipal reports whether the statement names the caller: its
// account, or the IAM user or role it acts as (an assumed-role session
// counts as its role).
func (st *delegationStatement) namesPrincipal(acct, who string) bool {
	for _, p := range st.Principals {
		if p.Account != acct {
			continue
		}
		if p.ARN == "" || p.ARN == who {
			return true
		}
		// arn:aws:sts::<acct>:assumed-role/<role>/<session> acts as
		// arn:aws:iam::<acct>:role/<path/><role>.
		if _, rest, ok := strings.Cut(who, ":assumed-role/"); ok && strings.Contains(p.ARN, ":role/") {
			role, _, _ := strings.Cut(rest, "/")
			if lastSegment(p.ARN) == role {
				return true
			}
		}
	}
	return false
}

// condition evaluates the statement's conditions for policy type pt.
func (st *delegationStatement) condition(pt api.PolicyType) tri {
	out := triTrue
	if st.Unknown {
		out = triUnknown
	}
	for _, c := range st.PolicyType {
		switch c.holds(pt) {
		case triFalse:
			return triFalse
		case triUnknown:
			out = triUnknown
		}
	}
	return out
}

// holds evaluates one organizations:PolicyType condition. The key is
// single-valued, so ForAnyValue and ForAllValues read as the plain
// operator.
func (c policyTypeCond) holds(pt api.PolicyType) tri {
	op := c.Operator
	for _, set := range []string{"ForAnyValue:", "ForAllValues:"} {
		op = strings.TrimPrefix(op, set)
	}
	op = strings.TrimSuffix(op, "IfExists")
	negated := strings.Contains(op, "Not")
	op = strings.Replace(op, "Not", "", 1)
	var match func(pattern, v string) bool
	switch op {
	case "StringEquals":
		match = func(p, v string) bool { return p == v }
	case "StringEqualsIgnoreCase":
		match = strings.EqualFold
	case "StringLike":
		match = wildcardMatch
	default:
		return triUnknown
	}
	if pt == "" {
		return triUnknown
	}
	for _, v := range c.Values {
		if match(v, string(pt)) {
			if negated {
				return triFalse
			}
			return triTrue
		}
	}
	if negated {
		return triTrue
	}
	return triFalse
}
