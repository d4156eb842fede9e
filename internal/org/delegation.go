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
//
// Each write is evaluated as IAM evaluates a resource-based policy: once
// for every resource the Service Authorization Reference lists for the
// action (AttachPolicy: the policy and the target), with the condition
// keys the request supplies. orgd knows the keys AWS documents for
// Organizations; a condition on any other key, or on a documented key
// whose value orgd could not determine, is unknown: it never grants an
// Allow and always applies a Deny.

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

// Condition keys (lower case) whose value, or absence, a delegated write
// determines: the keys the Service Authorization Reference lists for
// Organizations, and the principal's account, ARN and organization. A name
// ending in "/" stands for every key it begins.
var delegationKeys = []string{
	condPolicyType,
	"organizations:serviceprincipal",
	"organizations:transferdirection",
	"organizations:transfertype",
	"aws:requesttag/",
	"aws:resourcetag/",
	"aws:tagkeys",
	"aws:principalaccount",
	"aws:principalarn",
	"aws:principalorgid",
}

// keyIn reports whether key (lower case) is one of names, where a name
// ending in "/" is a prefix.
func keyIn(key string, names []string) bool {
	for _, n := range names {
		if key == n || (strings.HasSuffix(n, "/") && strings.HasPrefix(key, n)) {
			return true
		}
	}
	return false
}

// delegationCheck is one authorization the delegation policy must grant:
// an action on one resource, in the request's context.
type delegationCheck struct {
	Action string // "organizations:CreatePolicy"
	// Resource is the resource's ARN, or "" when the request names
	// nothing in the organization. Partial: the ARN is known only up to
	// the ID of the resource the request creates.
	Resource string
	Partial  bool
	// Context holds the condition keys the request supplies, lower case.
	// A key of delegationKeys that is not in Context is absent.
	Context map[string][]string
	// Unknown are keys of delegationKeys (the same form) whose value
	// could not be determined: the type and tags of a policy that does
	// not exist.
	Unknown []string
}

// checkDelegation fails with AccessDeniedException when delegated
// administrator c calls a policy-management write that the organization's
// delegation policy does not grant it. access.go calls it for every
// delegated administrator once the caller's role is checked; in is the
// operation's input.
func (t *txn) checkDelegation(op string, c *caller, in any) error {
	if !delegatedWrites[op] {
		return nil
	}
	rp, ok, err := t.resourcePolicy(c.Org)
	if err != nil {
		return err
	}
	if !ok {
		return errAccessDenied()
	}
	checks, err := t.delegationChecks(op, c, in)
	if err != nil {
		return err
	}
	// The stored document was validated when it was put.
	doc, err := parseDelegationPolicy(rp.Content)
	who := identity.PrincipalOf(callerOf(t.ctx), t.s.cfg.Partition)
	if err != nil || len(checks) == 0 || !doc.allows(c.ID, who, checks) {
		return errAccessDenied()
	}
	return nil
}

// delegatedResource is a resource a delegated write names, as the
// delegation policy sees it.
type delegatedResource struct {
	ARN    string // "" when the ID names nothing in the organization
	Tags   []api.Tag
	Policy bool           // the ID is a policy's
	Type   api.PolicyType // the policy's type, when it exists
}

func (t *txn) delegatedResource(o *organization, id string) (delegatedResource, error) {
	if strings.HasPrefix(id, "p-") {
		p, ok, err := t.policy(o, id)
		if err != nil || !ok {
			return delegatedResource{Policy: true}, err
		}
		tags, err := t.tags(id)
		return delegatedResource{ARN: t.s.policyARN(o, p), Tags: tags, Policy: true, Type: p.Type}, err
	}
	ok, err := t.isTaggable(o, id)
	if err != nil || !ok {
		return delegatedResource{}, err
	}
	arn, err := t.idARN(o, id)
	if err != nil {
		return delegatedResource{}, err
	}
	tags, err := t.tags(id)
	return delegatedResource{ARN: arn, Tags: tags}, err
}

// delegationChecks lists what the delegation policy must grant for
// operation op with input in: the actions the Service Authorization
// Reference maps the operation to, on each resource it lists, with the
// request's organizations:PolicyType, aws:RequestTag/*, aws:TagKeys and
// each resource's aws:ResourceTag/*. An input of another type yields
// nothing, which denies.
func (t *txn) delegationChecks(op string, c *caller, in any) ([]delegationCheck, error) {
	o := c.Org
	action := "organizations:" + op
	principalARN, err := t.principalARN()
	if err != nil {
		return nil, err
	}
	// request builds the check of action on resource r.
	request := func(action string, r delegatedResource, pt api.PolicyType, keys map[string][]string) delegationCheck {
		ck := delegationCheck{Action: action, Resource: r.ARN, Context: map[string][]string{
			"aws:principalaccount": {c.ID},
			"aws:principalorgid":   {o.ID},
		}}
		if principalARN != "" {
			ck.Context["aws:principalarn"] = []string{principalARN}
		} else {
			ck.Unknown = append(ck.Unknown, "aws:principalarn")
		}
		for k, v := range keys {
			ck.Context[k] = v
		}
		switch {
		case pt != "":
			ck.Context[condPolicyType] = []string{string(pt)}
		case r.Policy:
			ck.Unknown = append(ck.Unknown, condPolicyType)
		}
		if r.ARN == "" {
			ck.Unknown = append(ck.Unknown, "aws:resourcetag/")
		}
		ck.Unknown = addTagKeys(ck.Context, "aws:resourcetag/", r.Tags, ck.Unknown)
		return ck
	}
	resource := func(id string) (delegatedResource, error) { return t.delegatedResource(o, id) }
	switch v := in.(type) {
	case *api.CreatePolicyRequest:
		// The new policy's ARN is known up to its ID.
		r := delegatedResource{ARN: t.s.arn(o.Management, "policy/"+o.ID+"/"+strings.ToLower(string(v.Type))+"/"), Policy: true}
		keys := map[string][]string{}
		unknown := requestTags(keys, v.Tags)
		ck := request(action, r, v.Type, keys)
		ck.Partial, ck.Unknown = true, append(ck.Unknown, unknown...)
		checks := []delegationCheck{ck}
		if len(v.Tags) > 0 {
			// Tags given on create need TagResource too.
			tag := ck
			tag.Action = "organizations:TagResource"
			checks = append(checks, tag)
		}
		return checks, nil
	case *api.UpdatePolicyRequest:
		return t.policyChecks(o, action, v.PolicyId, "", request)
	case *api.DeletePolicyRequest:
		return t.policyChecks(o, action, v.PolicyId, "", request)
	case *api.AttachPolicyRequest:
		return t.policyChecks(o, action, v.PolicyId, v.TargetId, request)
	case *api.DetachPolicyRequest:
		return t.policyChecks(o, action, v.PolicyId, v.TargetId, request)
	case *api.EnablePolicyTypeRequest:
		r, err := resource(v.RootId)
		return []delegationCheck{request(action, r, v.PolicyType, nil)}, err
	case *api.DisablePolicyTypeRequest:
		r, err := resource(v.RootId)
		return []delegationCheck{request(action, r, v.PolicyType, nil)}, err
	case *api.TagResourceRequest:
		r, err := resource(v.ResourceId)
		keys := map[string][]string{}
		unknown := requestTags(keys, v.Tags)
		ck := request(action, r, r.Type, keys)
		ck.Unknown = append(ck.Unknown, unknown...)
		return []delegationCheck{ck}, err
	case *api.UntagResourceRequest:
		r, err := resource(v.ResourceId)
		keys := map[string][]string{}
		if len(v.TagKeys) > 0 {
			keys["aws:tagkeys"] = v.TagKeys
		}
		return []delegationCheck{request(action, r, r.Type, keys)}, err
	}
	return nil, nil
}

// principalARN is the caller's aws:PrincipalArn: its account root, IAM
// user or role, and for an STS session the role it assumed (with the
// role's path, from the stored session). It is "" when the session is
// not found.
func (t *txn) principalARN() (string, error) {
	ident := callerOf(t.ctx)
	if !ident.Temporary {
		return identity.PrincipalOf(ident, t.s.cfg.Partition), nil
	}
	var se session
	ok, err := t.getJSON(keySession(ident.AccessKeyID), &se)
	if err != nil || !ok {
		return "", err
	}
	return se.RoleARN, nil
}

// policyChecks are the checks of an action on a stored policy and, for
// attachments, on the target too; both carry the policy's type.
func (t *txn) policyChecks(o *organization, action, policyID, targetID string, request func(string, delegatedResource, api.PolicyType, map[string][]string) delegationCheck) ([]delegationCheck, error) {
	p, err := t.delegatedResource(o, policyID)
	if err != nil {
		return nil, err
	}
	checks := []delegationCheck{request(action, p, p.Type, nil)}
	if targetID != "" {
		target, err := t.delegatedResource(o, targetID)
		if err != nil {
			return nil, err
		}
		ck := request(action, target, p.Type, nil)
		if p.Type == "" {
			ck.Unknown = append(ck.Unknown, condPolicyType)
		}
		checks = append(checks, ck)
	}
	return checks, nil
}

// requestTags puts the tags of a request in keys as aws:RequestTag/* and
// aws:TagKeys, and returns the keys it could not determine.
func requestTags(keys map[string][]string, tags []api.Tag) []string {
	if len(tags) == 0 {
		return nil
	}
	names := make([]string, len(tags))
	for i, tag := range tags {
		names[i] = tag.Key
	}
	keys["aws:tagkeys"] = names
	return addTagKeys(keys, "aws:requesttag/", tags, nil)
}

// addTagKeys puts each tag in keys under prefix+its key, lower case, as
// IAM reads key names regardless of case. Two tags whose keys differ only
// in case make that key unknown: it is added to unknown.
func addTagKeys(keys map[string][]string, prefix string, tags []api.Tag, unknown []string) []string {
	for _, tag := range tags {
		k := prefix + strings.ToLower(tag.Key)
		if _, dup := keys[k]; dup {
			unknown = append(unknown, k)
		}
		keys[k] = []string{tag.Value}
	}
	return unknown
}

// tri is an outcome when some of the request is not known.
type tri uint8

const (
	triUnknown tri = iota
	triTrue
	triFalse
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// and is the conjunction: false wins, then unknown.
func (a tri) and(b tri) tri {
	switch {
	case a == triFalse || b == triFalse:
		return triFalse
	case a == triUnknown || b == triUnknown:
		return triUnknown
	}
	return triTrue
}

// or is the disjunction: true wins, then unknown.
func (a tri) or(b tri) tri {
	switch {
	case a == triTrue || b == triTrue:
		return triTrue
	case a == triUnknown || b == triUnknown:
		return triUnknown
	}
	return triFalse
}

// allows evaluates the policy for account acct acting as principal ARN
// who: every check must be granted. For each, an explicit Deny wins, and
// one that might apply counts; otherwise an Allow that surely applies is
// needed.
func (d *delegationPolicy) allows(acct, who string, checks []delegationCheck) bool {
	for _, ck := range checks {
		if !d.grants(acct, who, ck) {
			return false
		}
	}
	return true
}

func (d *delegationPolicy) grants(acct, who string, ck delegationCheck) bool {
	action := strings.ToLower(ck.Action)
	allowed := false
	for i := range d.Statements {
		st := &d.Statements[i]
		if !st.namesPrincipal(acct, who) || !st.namesAction(action) {
			continue
		}
		applies := st.namesResource(ck).and(st.conditions(ck))
		if !st.Allow && applies != triFalse {
			return false
		}
		if st.Allow && applies == triTrue {
			allowed = true
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

// namesResource matches the statement's Resource patterns against the
// check's resource.
func (st *delegationStatement) namesResource(ck delegationCheck) tri {
	out := triFalse
	for _, p := range st.Resources {
		out = out.or(resourceMatch(p, ck))
	}
	return out
}

// resourceMatch matches one Resource pattern, case-sensitively as IAM
// matches ARNs. A partial ARN (a resource being created) is completed with
// two IDs CreatePolicy could give, differing in every character: a
// pattern that matches both surely matches, one that matches neither
// surely does not (it names another resource, or another kind), and one
// that matches only one is unknown.
func resourceMatch(pattern string, ck delegationCheck) tri {
	switch {
	case pattern == "*":
		return triTrue
	case ck.Resource == "":
		return triUnknown
	case !ck.Partial:
		return triOf(wildcardMatch(pattern, ck.Resource))
	}
	first := wildcardMatch(pattern, ck.Resource+newIDFirst)
	last := wildcardMatch(pattern, ck.Resource+newIDLast)
	if first != last {
		return triUnknown
	}
	return triOf(first)
}

// Two policy IDs of CreatePolicy's alphabet and length that differ in
// every character.
var (
	newIDFirst = "p-" + strings.Repeat(lowerAlnum[:1], policyIDLength)
	newIDLast  = "p-" + strings.Repeat(lowerAlnum[len(lowerAlnum)-1:], policyIDLength)
)

// conditions evaluates the statement's conditions, all of which must
// hold. One on a key (or using a policy variable) that orgd does not
// know, or whose value it could not determine, is unknown.
func (st *delegationStatement) conditions(ck delegationCheck) tri {
	out := triTrue
	for i := range st.Conditions {
		c := &st.Conditions[i]
		known := func(key string) bool {
			key = strings.ToLower(key)
			return keyIn(key, delegationKeys) && !keyIn(key, ck.Unknown)
		}
		ok := known(c.Condition().Key)
		for _, v := range c.Variables() {
			ok = ok && known(v)
		}
		if !ok {
			out = out.and(triUnknown)
			continue
		}
		out = out.and(triOf(c.Eval(ck.Context)))
	}
	return out
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
