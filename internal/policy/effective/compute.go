package effective

import (
	"bytes"
	"fmt"
)

// Policy is one attached management policy.
type Policy struct {
	ID   string
	Name string
	Doc  *Document
}

// Level is one node on the path from the root to the account, with its
// policies of one type in the order they were attached: that order
// decides conflicting @@assign values at the same level.
type Level struct {
	TargetID string
	Policies []Policy
}

// Error codes of effective-policy validation errors.
const (
	// CodeOperatorNotAllowed: a policy used an operator that a child
	// control operator higher in the tree forbids; the use is ignored.
	CodeOperatorNotAllowed = "OPERATOR_NOT_ALLOWED"
	// CodeTypeMismatch: a policy treats a setting as a different kind
	// (single value, list or group of settings) than what it inherited.
	CodeTypeMismatch = "VALUE_TYPE_MISMATCH"
)

// Error is one problem found while merging, shaped like the model's
// EffectivePolicyValidationError.
type Error struct {
	Code                 string
	Message              string
	Path                 string   // "/"-separated, e.g. "tags/project/tag_key"
	ContributingPolicies []string // the offending policy, then those it conflicts with
}

// Result is an effective policy.
type Result struct {
	// Content is the merged document with every operator stripped, as
	// compact JSON keeping the order in which settings first appeared.
	// It is "{}" when nothing survives the merge.
	Content string
	Empty   bool
	// Contributing lists the policies that supplied at least one value of
	// Content, in the order they first did.
	Contributing []string
	Errors       []Error
}

type opset uint8

const (
	opAssign opset = 1 << iota
	opAppend
	opRemove
	opAll = opAssign | opAppend | opRemove
)

var opBits = map[string]opset{OpAssign: opAssign, OpAppend: opAppend, OpRemove: opRemove, childAll: opAll, childNone: 0}

// node is one setting of the effective policy being built, with the
// child-control state that governs lower levels.
type node struct {
	keys []string
	kids map[string]*node

	leaf bool // holds a value rather than further settings
	has  bool
	val  interface{}

	// allowed governs the level being merged; pending collects this
	// level's child-control operators and becomes allowed for the next
	// level, so policies attached to the same target never restrict each
	// other, and restrictions only ever narrow as they are inherited.
	allowed, pending       opset
	restrictors, pendingBy []string

	assignedAt   int // level whose @@assign set val, -1 if none
	contributors []string
}

func newNode() *node {
	return &node{kids: map[string]*node{}, allowed: opAll, pending: opAll, assignedAt: -1}
}

type merger struct {
	level int
	errs  []Error
}

// Compute merges the policies on the path from the root (levels[0]) to the
// account (last level) into the account's effective policy. Operator uses
// that a parent forbids are dropped and reported in Result.Errors, which
// is what ListEffectivePolicyValidationErrors shows.
func Compute(policyType string, levels []Level) (*Result, error) {
	if !IsManagementType(policyType) {
		return nil, fmt.Errorf("effective: %q is not a management policy type", policyType)
	}
	root := newNode()
	m := &merger{}
	for li, lv := range levels {
		m.level = li
		for _, p := range lv.Policies {
			if p.Doc == nil || p.Doc.PolicyType != policyType {
				return nil, fmt.Errorf("effective: policy %s is not a parsed %s", p.ID, policyType)
			}
			m.apply(root, p.Doc.root, p.ID, "")
		}
		root.commit()
	}
	res := &Result{Content: "{}", Errors: m.errs}
	out, ok := root.render(res)
	res.Empty = !ok
	if ok {
		var buf bytes.Buffer
		encode(&buf, out)
		res.Content = buf.String()
	}
	return res, nil
}

func (m *merger) fail(code, path, msg string, policies ...[]string) {
	var ids []string
	for _, ps := range policies {
		for _, id := range ps {
			ids = appendUnique(ids, id)
		}
	}
	m.errs = append(m.errs, Error{Code: code, Path: path, Message: msg, ContributingPolicies: ids})
}

func (m *merger) apply(n *node, src *object, pid, path string) {
	var assign, appendV, removeV interface{}
	var hasAssign, hasAppend, hasRemove bool
	for _, k := range src.keys {
		v := src.vals[k]
		switch k {
		case OpChildControl:
			set := opset(0)
			for _, e := range v.([]interface{}) {
				set |= opBits[e.(string)]
			}
			n.pending &= set
			if set != opAll {
				n.pendingBy = appendUnique(n.pendingBy, pid)
			}
		case OpAssign:
			assign, hasAssign = v, true
		case OpAppend:
			appendV, hasAppend = v, true
		case OpRemove:
			removeV, hasRemove = v, true
		}
	}
	if hasAssign || hasAppend || hasRemove {
		if len(n.kids) > 0 {
			m.fail(CodeTypeMismatch, path, "a value operator is used on a group of settings", []string{pid}, n.subtreeContributors())
			return
		}
		n.leaf = true
		// A fixed order (assign, append, remove) keeps the outcome
		// independent of how the keys happen to be ordered in the text.
		if hasAssign {
			m.assign(n, assign, pid, path)
		}
		if hasAppend {
			m.appendValues(n, appendV.([]interface{}), pid, path)
		}
		if hasRemove {
			m.removeValues(n, removeV.([]interface{}), pid, path)
		}
	}
	for _, k := range src.keys {
		sub, ok := src.vals[k].(*object)
		if !ok {
			continue
		}
		cpath := join(path, k)
		c := n.kids[k]
		if c == nil {
			if n.leaf {
				m.fail(CodeTypeMismatch, cpath, "a group of settings is placed under a value", []string{pid}, n.contributors)
				continue
			}
			// Adding a setting to an inherited group is a change to that
			// group, so the group's child control must allow it.
			if n.allowed&(opAssign|opAppend) == 0 {
				m.fail(CodeOperatorNotAllowed, cpath, "a parent policy does not allow child policies to add settings here", []string{pid}, n.restrictors)
				continue
			}
			c = newNode()
			n.kids[k] = c
			n.keys = append(n.keys, k)
		}
		m.apply(c, sub, pid, cpath)
	}
}

func (m *merger) permitted(n *node, op opset, name, pid, path string) bool {
	if n.allowed&op != 0 {
		return true
	}
	m.fail(CodeOperatorNotAllowed, path, "a parent policy does not allow child policies to use "+name+" here", []string{pid}, n.restrictors)
	return false
}

func (m *merger) assign(n *node, v interface{}, pid, path string) {
	if !m.permitted(n, opAssign, OpAssign, pid, path) {
		return
	}
	if n.assignedAt == m.level {
		// Policies attached to the same target are merged in attachment
		// order and the first @@assign there wins.
		return
	}
	n.val, n.has, n.assignedAt = cloneValue(v), true, m.level
	n.contributors = []string{pid}
}

func (m *merger) appendValues(n *node, vals []interface{}, pid, path string) {
	if !m.permitted(n, opAppend, OpAppend, pid, path) {
		return
	}
	if !n.has {
		n.val, n.has = appendMissing(nil, vals), true
		n.contributors = appendUnique(n.contributors, pid)
		return
	}
	cur, isList := n.val.([]interface{})
	if !isList {
		m.fail(CodeTypeMismatch, path, "@@append is used on a single-valued setting", []string{pid}, n.contributors)
		return
	}
	n.val = appendMissing(cur, vals)
	n.contributors = appendUnique(n.contributors, pid)
}

func (m *merger) removeValues(n *node, vals []interface{}, pid, path string) {
	if !m.permitted(n, opRemove, OpRemove, pid, path) || !n.has {
		return
	}
	cur, isList := n.val.([]interface{})
	if !isList {
		m.fail(CodeTypeMismatch, path, "@@remove is used on a single-valued setting", []string{pid}, n.contributors)
		return
	}
	kept := make([]interface{}, 0, len(cur))
	for _, e := range cur {
		if !containsValue(vals, e) {
			kept = append(kept, e)
		}
	}
	n.contributors = appendUnique(n.contributors, pid)
	if len(kept) == 0 {
		// Removing every value leaves the setting out of the effective
		// policy, as the user guide's @@remove example shows.
		n.val, n.has = nil, false
		return
	}
	n.val = kept
}

func (n *node) commit() {
	n.allowed = n.pending
	n.restrictors = append(n.restrictors[:0:0], n.pendingBy...)
	for _, c := range n.kids {
		c.commit()
	}
}

// render strips the operators: a leaf becomes its value, a group the
// object of its rendered settings. Empty groups and leaves without a
// value disappear.
func (n *node) render(res *Result) (interface{}, bool) {
	if n.leaf {
		if n.has {
			for _, id := range n.contributors {
				res.Contributing = appendUnique(res.Contributing, id)
			}
		}
		return n.val, n.has
	}
	o := newObject()
	for _, k := range n.keys {
		if v, ok := n.kids[k].render(res); ok {
			o.set(k, v)
		}
	}
	return o, len(o.keys) > 0
}

func (n *node) subtreeContributors() []string {
	ids := append([]string(nil), n.contributors...)
	for _, k := range n.keys {
		for _, id := range n.kids[k].subtreeContributors() {
			ids = appendUnique(ids, id)
		}
	}
	return ids
}

// cloneValue copies lists so later @@append/@@remove never write into a
// parsed document shared by other computations.
func cloneValue(v interface{}) interface{} {
	if list, ok := v.([]interface{}); ok {
		return append([]interface{}{}, list...)
	}
	return v
}

// appendMissing adds the values not already present, so appending what a
// parent already lists does not duplicate it.
func appendMissing(cur, vals []interface{}) []interface{} {
	out := append(make([]interface{}, 0, len(cur)+len(vals)), cur...)
	for _, v := range vals {
		if !containsValue(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsValue(list []interface{}, v interface{}) bool {
	for _, e := range list {
		if sameValue(e, v) {
			return true
		}
	}
	return false
}

func appendUnique(ids []string, id string) []string {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}
