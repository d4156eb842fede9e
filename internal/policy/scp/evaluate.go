package scp

import (
	"fmt"
	"sort"
	"strings"
)

// Request is what evaluation needs to know about one API call.
type Request struct {
	Action string // "service:Operation"; matched case-insensitively
	// Resource is the ARN, matched case-sensitively; "" for actions that
	// have none, which only the "*" resource pattern matches.
	Resource  string
	Principal string // ARN of the caller; also aws:PrincipalArn
	Account   string // the caller's account; also aws:PrincipalAccount
	// Context holds condition keys (names case-insensitive) and their
	// values; a key with several values is a multivalued key.
	Context map[string][]string
	// ManagementAccount exempts the call: SCPs never restrict the
	// management account, and RCPs never restrict its resources.
	ManagementAccount bool
	// ServiceLinkedRole exempts the call: SCPs and RCPs do not restrict
	// service-linked roles.
	ServiceLinkedRole bool
	// Unknown, when set, reports the condition keys whose values the
	// caller cannot know (as opposed to keys known to be absent, which
	// IAM's absent-key rules decide). A statement that needs one can
	// neither be counted as matching nor as not matching, and a decision
	// that hangs on one is ReasonUndetermined.
	Unknown func(key string) bool
}

// Policy is a policy attached to a target, with its compiled document.
type Policy struct {
	ID   string
	Name string
	Doc  *Document
}

// Level is one node on the path from the root to the account (root, each
// OU in order, then the account) with the policies of one type attached
// to it.
type Level struct {
	TargetID   string
	TargetName string
	Policies   []Policy
}

// Reason says why a Decision came out as it did.
type Reason uint8

// Reasons.
const (
	// ReasonAllowed: every level had a matching Allow and nothing denied.
	ReasonAllowed Reason = iota + 1
	// ReasonExplicitDeny: a Deny statement matched somewhere on the path.
	ReasonExplicitDeny
	// ReasonNoAllow: some level had no policy with a matching Allow.
	ReasonNoAllow
	// ReasonExempt: the caller is not subject to these policies.
	ReasonExempt
	// ReasonUndetermined: the outcome depends on condition keys that
	// Request.Unknown says are unknown; Decision.MissingKeys names them.
	ReasonUndetermined
)

func (r Reason) String() string {
	switch r {
	case ReasonAllowed:
		return "allowed"
	case ReasonExplicitDeny:
		return "explicit deny"
	case ReasonNoAllow:
		return "no allow at level"
	case ReasonExempt:
		return "exempt"
	case ReasonUndetermined:
		return "undetermined"
	}
	return "?"
}

// StatementRef names the statement (or, for ReasonNoAllow, just the
// level) behind a decision.
type StatementRef struct {
	Level      int // index into the levels passed to Evaluate
	TargetID   string
	TargetName string
	PolicyID   string
	PolicyName string
	Statement  int // index in the policy's Statement array
	Sid        string
}

// Decision is the outcome of Evaluate, with its explanation.
type Decision struct {
	Allowed bool
	Reason  Reason
	// By is the denying statement for ReasonExplicitDeny, and the level
	// that lacked an Allow for ReasonNoAllow.
	By StatementRef
	// AllowedBy holds, for an allowed request, the first matching Allow
	// statement at each level, in level order.
	AllowedBy []StatementRef
	// MissingKeys, for ReasonUndetermined, are the unknown condition keys
	// the outcome hangs on, sorted; By is the first statement that needs
	// one of them.
	MissingKeys []string
}

func (d Decision) String() string {
	switch d.Reason {
	case ReasonExplicitDeny:
		return fmt.Sprintf("denied: explicit deny in policy %s (%s) statement %d%s attached to %s",
			d.By.PolicyID, d.By.PolicyName, d.By.Statement, sidSuffix(d.By.Sid), d.By.TargetID)
	case ReasonNoAllow:
		return fmt.Sprintf("denied: no policy attached to %s allows the request", d.By.TargetID)
	case ReasonExempt:
		return "allowed: caller is exempt from these policies"
	case ReasonUndetermined:
		return fmt.Sprintf("undetermined: policy %s (%s) statement %d%s attached to %s needs %s",
			d.By.PolicyID, d.By.PolicyName, d.By.Statement, sidSuffix(d.By.Sid), d.By.TargetID, strings.Join(d.MissingKeys, ", "))
	case ReasonAllowed:
		var b strings.Builder
		b.WriteString("allowed:")
		for _, r := range d.AllowedBy {
			fmt.Fprintf(&b, " %s by %s statement %d%s;", r.TargetID, r.PolicyID, r.Statement, sidSuffix(r.Sid))
		}
		return strings.TrimSuffix(b.String(), ";")
	}
	return "undecided"
}

func sidSuffix(sid string) string {
	if sid == "" {
		return ""
	}
	return " (" + sid + ")"
}

// Evaluate applies the organization rule for SCPs and RCPs: a request
// passes only if every level, from the root down to the account, has an
// attached policy with a matching Allow, and no attached policy anywhere
// has a matching Deny. Denies are looked for first because an explicit
// deny wins whatever the allows say. For SCPs the path is the caller's
// account; for RCPs it is the account that owns the resource.
func Evaluate(levels []Level, req Request) Decision {
	if req.ManagementAccount || req.ServiceLinkedRole {
		return Decision{Allowed: true, Reason: ReasonExempt}
	}
	if len(levels) == 0 {
		// No path means nothing attached anywhere: nothing allows it.
		return Decision{Reason: ReasonNoAllow, By: StatementRef{Level: -1, Statement: -1}}
	}
	ev := newEvaluator(&req)
	// undecided collects what unknown keys leave open: a Deny that may
	// match, or a level whose only Allows may match. A definite deny or a
	// definite missing Allow still decides the request.
	var undecided *Decision
	pending := func(li int, lv *Level, p *Policy, st *Statement) {
		if undecided == nil {
			undecided = &Decision{Reason: ReasonUndetermined, By: ref(li, lv, p, st)}
		}
		undecided.MissingKeys = addKeys(undecided.MissingKeys, ev.missing)
	}
	for li := range levels {
		lv := &levels[li]
		for pi := range lv.Policies {
			p := &lv.Policies[pi]
			if p.Doc == nil {
				continue
			}
			for si := range p.Doc.Statements {
				st := &p.Doc.Statements[si]
				if st.Effect != Deny {
					continue
				}
				switch st.matches(&ev) {
				case yes:
					return Decision{Reason: ReasonExplicitDeny, By: ref(li, lv, p, st)}
				case maybe:
					pending(li, lv, p, st)
				}
			}
		}
	}
	var allowed []StatementRef
	for li := range levels {
		lv := &levels[li]
		found, open := false, false
		var openKeys []string
		var openRef StatementRef
	policies:
		for pi := range lv.Policies {
			p := &lv.Policies[pi]
			if p.Doc == nil {
				continue
			}
			for si := range p.Doc.Statements {
				st := &p.Doc.Statements[si]
				if st.Effect != Allow {
					continue
				}
				switch st.matches(&ev) {
				case yes:
					if allowed == nil {
						allowed = make([]StatementRef, 0, len(levels))
					}
					allowed = append(allowed, ref(li, lv, p, st))
					found = true
					break policies
				case maybe:
					if !open {
						openRef = ref(li, lv, p, st)
					}
					open = true
					openKeys = addKeys(openKeys, ev.missing)
				}
			}
		}
		if found {
			continue
		}
		if !open {
			return Decision{Reason: ReasonNoAllow, By: StatementRef{Level: li, TargetID: lv.TargetID, TargetName: lv.TargetName, Statement: -1}}
		}
		if undecided == nil {
			undecided = &Decision{Reason: ReasonUndetermined, By: openRef}
		}
		undecided.MissingKeys = addKeys(undecided.MissingKeys, openKeys)
	}
	if undecided != nil {
		return *undecided
	}
	return Decision{Allowed: true, Reason: ReasonAllowed, AllowedBy: allowed}
}

// addKeys adds to the sorted set into the keys it lacks.
func addKeys(into, keys []string) []string {
	for _, k := range keys {
		i := sort.SearchStrings(into, k)
		if i < len(into) && into[i] == k {
			continue
		}
		into = append(into, "")
		copy(into[i+1:], into[i:])
		into[i] = k
	}
	return into
}

func ref(li int, lv *Level, p *Policy, st *Statement) StatementRef {
	return StatementRef{
		Level: li, TargetID: lv.TargetID, TargetName: lv.TargetName,
		PolicyID: p.ID, PolicyName: p.Name, Statement: st.Index, Sid: st.Sid,
	}
}

// evaluator carries per-request state so statements can be matched
// without allocating: derived keys live in fixed arrays.
type evaluator struct {
	ctx     map[string][]string
	unknown func(string) bool
	// missing collects the unknown keys one statement asked for.
	missing   []string
	action    string
	resource  string
	principal [1]string
	account   [1]string
}

func newEvaluator(req *Request) evaluator {
	ev := evaluator{ctx: req.Context, unknown: req.Unknown, action: req.Action, resource: req.Resource}
	for i := 0; i < len(ev.action); i++ {
		if ev.action[i] >= 0x80 {
			// Non-ASCII cannot be folded byte by byte; lower it once.
			ev.action = strings.ToLower(ev.action)
			break
		}
	}
	ev.principal[0] = req.Principal
	ev.account[0] = req.Account
	return ev
}

// lookup finds a condition key, ignoring case as IAM does for key names.
// Values supplied in Context win over the ones derived from the request.
func (ev *evaluator) lookup(key string) ([]string, bool) {
	ctx := ev.ctx
	if v, ok := ctx[key]; ok {
		return v, len(v) > 0
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, len(v) > 0
		}
	}
	switch {
	case strings.EqualFold(key, "aws:PrincipalArn") && ev.principal[0] != "":
		return ev.principal[:], true
	case strings.EqualFold(key, "aws:PrincipalAccount") && ev.account[0] != "":
		return ev.account[:], true
	}
	if ev.unknown != nil && ev.unknown(key) {
		ev.missing = append(ev.missing, key)
	}
	return nil, false
}

// single returns a key's value for policy-variable substitution; a
// multivalued key cannot stand for one value, so it counts as absent.
func (ev *evaluator) single(key string) (string, bool) {
	v, ok := ev.lookup(key)
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// tri is a match that unknown condition keys may leave open.
type tri uint8

const (
	no tri = iota
	yes
	maybe
)

// matches reports whether st applies to the request; maybe when it
// would depend on a key Request.Unknown names, which are then in
// ev.missing.
func (st *Statement) matches(ev *evaluator) tri {
	hit := false
	for i := range st.actions {
		if st.actions[i].match(ev.action) {
			hit = true
			break
		}
	}
	if hit == st.notAction {
		return no
	}
	ev.missing = ev.missing[:0]
	res := no
	for i := range st.resources {
		n := len(ev.missing)
		if st.resources[i].match(ev) {
			res = yes
			break
		}
		if len(ev.missing) > n {
			res = maybe
		}
	}
	if st.notResource && res != maybe {
		res = yes + no - res
	}
	if res == no {
		return no
	}
	// Principal is always "*" in RCPs, so it never narrows the match.
	for i := range st.conds {
		n := len(ev.missing)
		ok := st.conds[i].eval(ev)
		if len(ev.missing) > n {
			res = maybe
			continue
		}
		if !ok {
			return no
		}
	}
	return res
}

func (rp *resourcePattern) match(ev *evaluator) bool {
	if rp.tmpl == nil {
		return rp.m.match(ev.resource)
	}
	p, ok := rp.tmpl.resolve(ev, true)
	return ok && glob(p, ev.resource, false, true)
}
