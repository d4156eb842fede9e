package org

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/scp"
)

// The resource-based delegation policy: one per organization, naming the
// member accounts that may manage policies and which policy operations
// they may call (PutResourcePolicy and friends). delegation.go applies it.

// maxResourcePolicySize is the documented quota, in characters.
const maxResourcePolicySize = 40000

func keyResourcePolicy(org string) string  { return "rp/" + org }
func keyResourcePolicyID(id string) string { return "rpid/" + id }

// resourcePolicy is the stored form of an organization's delegation policy.
type resourcePolicy struct {
	ID      string
	Org     string
	Content string
}

func init() {
	beforeDeleteOrganization = append(beforeDeleteOrganization, func(t *txn, o *organization) error {
		return t.deleteResourcePolicy(o)
	})
	taggableResources["rp-"] = func(t *txn, o *organization, id string) (bool, error) {
		rp, ok, err := t.resourcePolicy(o)
		return ok && rp.ID == id, err
	}
}

func (t *txn) resourcePolicy(o *organization) (*resourcePolicy, bool, error) {
	var rp resourcePolicy
	ok, err := t.getJSON(keyResourcePolicy(o.ID), &rp)
	if err != nil || !ok {
		return nil, false, err
	}
	return &rp, true, nil
}

// deleteResourcePolicy deletes o's delegation policy, if any, and its tags.
func (t *txn) deleteResourcePolicy(o *organization) error {
	rp, ok, err := t.resourcePolicy(o)
	if err != nil || !ok {
		return err
	}
	for _, k := range []string{keyResourcePolicy(o.ID), keyResourcePolicyID(rp.ID), keyTags(rp.ID)} {
		if err := t.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) resourcePolicyView(o *organization, rp *resourcePolicy) *api.ResourcePolicy {
	return &api.ResourcePolicy{
		ResourcePolicySummary: &api.ResourcePolicySummary{
			Id:  rp.ID,
			Arn: t.s.arn(o.Management, "resourcepolicy/"+o.ID+"/"+rp.ID),
		},
		Content: rp.Content,
	}
}

func errNoResourcePolicy() error {
	return api.NewResourcePolicyNotFound("Your organization has no resource policy.")
}

func (s *Service) PutResourcePolicy(ctx context.Context, in *api.PutResourcePolicyRequest) (*api.PutResourcePolicyResponse, error) {
	var out api.PutResourcePolicyResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		// The document's form and the tags are input, checked before the
		// caller (spec 6.3); its principals need the organization.
		if n := utf8.RuneCountInString(in.Content); n > maxResourcePolicySize {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonMaxLengthExceeded,
				"A resource policy can have at most %d characters; this one has %d.", maxResourcePolicySize, n)
		}
		doc, err := parseDelegationPolicy(in.Content)
		if err != nil {
			return err
		}
		if err := validateTags(in.Tags, s.cfg.Quotas.TagsPerResource); err != nil {
			return err
		}
		c, err := t.caller("PutResourcePolicy", in)
		if err != nil {
			return err
		}
		o := c.Org
		if err := t.checkDelegationPrincipals(o, doc); err != nil {
			return err
		}
		rp, exists, err := t.resourcePolicy(o)
		if err != nil {
			return err
		}
		if exists && len(in.Tags) > 0 {
			// Tags apply only when the policy is created. The model has
			// this reason token, misfiled under CreateAccountFailureReason.
			return api.NewInvalidInput("UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED",
				"Tags can be given only when the resource policy is created; use TagResource to tag it.")
		}
		if !exists {
			id, err := t.newID("rp-", idShape{alphabet: lowerAlnum, n: 8}, keyResourcePolicyID)
			if err != nil {
				return err
			}
			rp = &resourcePolicy{ID: id, Org: o.ID}
			if err := t.Put(keyResourcePolicyID(id), []byte(o.ID)); err != nil {
				return err
			}
			if err := t.putTags(id, append([]api.Tag(nil), in.Tags...)); err != nil {
				return err
			}
		}
		rp.Content = in.Content
		if err := t.putJSON(keyResourcePolicy(o.ID), rp); err != nil {
			return err
		}
		out.ResourcePolicy = t.resourcePolicyView(o, rp)
		return nil
	}))
}

func (s *Service) DescribeResourcePolicy(ctx context.Context, _ *api.Empty) (*api.DescribeResourcePolicyResponse, error) {
	var out api.DescribeResourcePolicyResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("DescribeResourcePolicy", nil)
		if err != nil {
			return err
		}
		rp, ok, err := t.resourcePolicy(c.Org)
		if err != nil {
			return err
		}
		if !ok {
			return errNoResourcePolicy()
		}
		out.ResourcePolicy = t.resourcePolicyView(c.Org, rp)
		return nil
	}))
}

func (s *Service) DeleteResourcePolicy(ctx context.Context, _ *api.Empty) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, err := t.caller("DeleteResourcePolicy", nil)
		if err != nil {
			return err
		}
		if ok, err := t.has(keyResourcePolicy(c.Org.ID)); err != nil {
			return err
		} else if !ok {
			return errNoResourcePolicy()
		}
		return t.deleteResourcePolicy(c.Org)
	}))
}

// --- the policy document -------------------------------------------------------

// delegableActions are the Organizations actions a delegation policy may
// grant (User Guide, "Delegated administrator for AWS Organizations"):
// the policy-management writes and the read-only operations.
var delegableActions = []string{
	"AttachPolicy", "CreatePolicy", "DeletePolicy", "DescribeAccount",
	"DescribeCreateAccountStatus", "DescribeEffectivePolicy", "DescribeHandshake",
	"DescribeOrganization", "DescribeOrganizationalUnit", "DescribePolicy",
	"DescribeResourcePolicy", "DescribeResponsibilityTransfer", "DetachPolicy",
	"DisablePolicyType", "EnablePolicyType", "ListAccounts", "ListAccountsForParent",
	"ListAccountsWithInvalidEffectivePolicy", "ListAWSServiceAccessForOrganization",
	"ListChildren", "ListCreateAccountStatus", "ListDelegatedAdministrators",
	"ListDelegatedServicesForAccount", "ListEffectivePolicyValidationErrors",
	"ListHandshakesForAccount", "ListHandshakesForOrganization",
	"ListInboundResponsibilityTransfers", "ListOrganizationalUnitsForParent",
	"ListOutboundResponsibilityTransfers", "ListParents", "ListPolicies",
	"ListPoliciesForTarget", "ListRoots", "ListTagsForResource", "ListTargetsForPolicy",
	"TagResource", "UntagResource", "UpdatePolicy",
}

// Condition key and resource types a delegation policy may name.
const condPolicyType = "organizations:policytype"

var orgResourceTypes = map[string]bool{
	"account": true, "handshake": true, "organization": true, "ou": true,
	"policy": true, "resourcepolicy": true, "root": true, "*": true,
}

// delegationPolicy is a parsed delegation policy.
type delegationPolicy struct {
	Statements []delegationStatement
}

type delegationStatement struct {
	Allow      bool
	Principals []delegationPrincipal
	// Actions are patterns over "organizations:<Action>", lower-cased.
	Actions []string
	// Resources are ARN patterns, or "*".
	Resources  []string
	Conditions []scp.Cond
}

// delegationPrincipal is an account ("123456789012" or its root ARN), or
// an IAM user or role in it (ARN set).
type delegationPrincipal struct {
	Account string
	ARN     string
}

var (
	iamPrincipalRe = regexp.MustCompile(`^arn:[a-z0-9-]+:iam::(\d{12}):(root|user/.+|role/.+)$`)
	orgResourceRe  = regexp.MustCompile(`^arn:[a-z0-9*-]+:organizations::(\d{12}|aws|\*):([a-z*]+)(/.*)?$`)
)

func invalidPolicyJSON(format string, args ...any) error {
	return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidResourcePolicyJson, format, args...)
}

// parseDelegationPolicy checks a delegation policy's form, actions,
// resources and policy types, and parses it. Its principals are checked
// against the organization by checkDelegationPrincipals.
func parseDelegationPolicy(content string) (*delegationPolicy, error) {
	dec := json.NewDecoder(strings.NewReader(content))
	dec.UseNumber()
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil || top == nil || dec.More() {
		return nil, invalidPolicyJSON("The resource policy is not a JSON object.")
	}
	for k, v := range top {
		switch k {
		case "Version":
			var ver string
			if json.Unmarshal(v, &ver) != nil || (ver != "2012-10-17" && ver != "2008-10-17") {
				return nil, invalidPolicyJSON("Version must be 2012-10-17 or 2008-10-17.")
			}
		case "Id", "Statement":
		default:
			return nil, invalidPolicyJSON("The resource policy has an unknown element %q.", k)
		}
	}
	raw := top["Statement"]
	var stmts []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		stmts = []json.RawMessage{raw}
	} else if json.Unmarshal(raw, &stmts) != nil || len(stmts) == 0 {
		return nil, invalidPolicyJSON("The resource policy needs a Statement: an object or a non-empty list of them.")
	}
	doc := &delegationPolicy{}
	for _, raw := range stmts {
		st, err := parseDelegationStatement(raw)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, *st)
	}
	return doc, nil
}

func parseDelegationStatement(raw json.RawMessage) (*delegationStatement, error) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, invalidPolicyJSON("Each statement must be a JSON object.")
	}
	st := &delegationStatement{}
	for k := range m {
		switch k {
		case "Sid", "Effect", "Principal", "Action", "Resource", "Condition":
		case "NotPrincipal":
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPrincipal, "A resource policy can't use NotPrincipal; name the accounts in Principal.")
		case "NotAction":
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy, "A resource policy can't use NotAction; list the actions in Action.")
		case "NotResource":
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy, "A resource policy can't use NotResource; list the resources in Resource.")
		default:
			return nil, invalidPolicyJSON("A statement has an unknown element %q.", k)
		}
	}
	if v, ok := m["Sid"]; ok {
		var sid string
		if json.Unmarshal(v, &sid) != nil {
			return nil, invalidPolicyJSON("Sid must be a string.")
		}
	}
	var effect string
	if json.Unmarshal(m["Effect"], &effect) != nil || (effect != "Allow" && effect != "Deny") {
		return nil, invalidPolicyJSON("Each statement needs an Effect of Allow or Deny.")
	}
	st.Allow = effect == "Allow"

	// Principal: {"AWS": account IDs or IAM ARNs}.
	badPrincipal := func(format string, args ...any) error {
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPrincipal, format, args...)
	}
	var principal map[string]json.RawMessage
	if _, ok := m["Principal"]; !ok {
		return nil, badPrincipal("Each statement needs a Principal naming member accounts.")
	}
	if json.Unmarshal(m["Principal"], &principal) != nil {
		return nil, badPrincipal("Principal must be {\"AWS\": accounts}; a wildcard principal isn't allowed.")
	}
	for k := range principal {
		if k != "AWS" {
			return nil, badPrincipal("Only AWS account principals can be named, not %q.", k)
		}
	}
	ids, ok := stringList(principal["AWS"])
	if !ok || len(ids) == 0 {
		return nil, badPrincipal("Principal AWS must be an account ID or ARN, or a list of them.")
	}
	for _, id := range ids {
		switch {
		case identity.IsAccountID(id):
			st.Principals = append(st.Principals, delegationPrincipal{Account: id})
		case iamPrincipalRe.MatchString(id):
			sub := iamPrincipalRe.FindStringSubmatch(id)
			p := delegationPrincipal{Account: sub[1]}
			if sub[2] != "root" {
				p.ARN = id
			}
			st.Principals = append(st.Principals, p)
		default:
			return nil, badPrincipal("%q is not an account ID or an IAM principal ARN.", id)
		}
	}

	// Action: organizations actions that can be delegated.
	actions, ok := stringList(m["Action"])
	if !ok || len(actions) == 0 {
		return nil, invalidPolicyJSON("Each statement needs an Action: a string or a list of strings.")
	}
	for _, a := range actions {
		a = strings.ToLower(a)
		if a != "*" && !strings.HasPrefix(a, "organizations:") {
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy,
				"%q is not an AWS Organizations action.", a)
		}
		granted := false
		for _, d := range delegableActions {
			if wildcardMatch(a, "organizations:"+strings.ToLower(d)) {
				granted = true
				break
			}
		}
		if !granted {
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonUnsupportedActionInResourcePolicy,
				"%q names no action that a resource policy can delegate.", a)
		}
		st.Actions = append(st.Actions, a)
	}

	// Resource: "*" or Organizations ARNs.
	resources, ok := stringList(m["Resource"])
	if !ok || len(resources) == 0 {
		return nil, invalidPolicyJSON("Each statement needs a Resource: a string or a list of strings.")
	}
	for _, r := range resources {
		sub := orgResourceRe.FindStringSubmatch(r)
		if r != "*" && (sub == nil || !orgResourceTypes[sub[2]]) {
			return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonUnsupportedResourceInResourcePolicy,
				"%q is not an AWS Organizations resource.", r)
		}
	}
	st.Resources = resources

	// Condition: IAM's operators; delegation.go decides which keys orgd
	// can evaluate.
	if v, ok := m["Condition"]; ok {
		conds, err := scp.ParseConditions(v)
		if err != nil {
			return nil, invalidPolicyJSON("The Condition element is not valid: %s.", err)
		}
		for _, c := range conds {
			cond := c.Condition()
			if strings.ToLower(cond.Key) != condPolicyType || strings.HasPrefix(cond.Operator, "Null") {
				continue
			}
			for _, val := range cond.Values {
				if !namesPolicyType(val) {
					return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonUnsupportedPolicyTypeInResourcePolicy,
						"%q is not a policy type a resource policy can delegate.", val)
				}
			}
		}
		st.Conditions = conds
	}
	return st, nil
}

// namesPolicyType reports whether a condition value names (or, with
// wildcards, covers) a policy type.
func namesPolicyType(v string) bool {
	for _, pt := range api.PolicyType("").Values() {
		if wildcardMatch(strings.ToLower(v), strings.ToLower(string(pt))) {
			return true
		}
	}
	return false
}

// stringList reads a JSON string or list of strings (numbers and booleans
// count as their text, as IAM reads them).
func stringList(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	var one any
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, false
	}
	var items []any
	if list, ok := one.([]any); ok {
		items = list
	} else {
		items = []any{one}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch v := it.(type) {
		case string:
			out = append(out, v)
		case float64, bool:
			b, _ := json.Marshal(v)
			out = append(out, string(b))
		default:
			return nil, false
		}
	}
	return out, true
}

// wildcardMatch matches s against pattern, where "*" is any run of
// characters and "?" any one character.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// checkDelegationPrincipals fails with INVALID_PRINCIPAL unless every
// account the policy names is in o.
func (t *txn) checkDelegationPrincipals(o *organization, doc *delegationPolicy) error {
	for _, st := range doc.Statements {
		for _, p := range st.Principals {
			if a, ok, err := t.storedAccount(p.Account); err != nil {
				return err
			} else if !ok || a.Org != o.ID {
				return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPrincipal,
					"Account %s is not in your organization.", p.Account)
			}
		}
	}
	return nil
}
