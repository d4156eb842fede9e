package org

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/effective"
)

// Policy storage. Policies belong to one organization; the AWS-managed
// policies are constants shared by all and appear in each organization's
// index so that listings page over one key range.
// policyIDLength is the length of a policy ID after "p-".
const policyIDLength = 10

func keyPolicy(id string) string { return "policy/" + id }
func keyOrgPolicy(org string, typ api.PolicyType, id string) string {
	// AWS-managed policies sort first in listings.
	rank := "1/"
	if awsManaged[id] != nil {
		rank = "0/"
	}
	return "orgpolicy/" + org + "/" + string(typ) + "/" + rank + id
}
func prefixOrgPolicies(org string, typ api.PolicyType) string {
	return "orgpolicy/" + org + "/" + string(typ) + "/"
}
func keyPolicyName(org string, typ api.PolicyType, name string) string {
	return "policyname/" + org + "/" + string(typ) + "/" + name
}

// Attachments are indexed both ways: by target (for ListPoliciesForTarget
// and the evaluator) and by policy (for ListTargetsForPolicy and
// PolicyInUseException).
func keyAttach(org, target string, typ api.PolicyType, policy string) string {
	return "attach/" + org + "/" + target + "/" + string(typ) + "/" + policy
}
func prefixAttachType(org, target string, typ api.PolicyType) string {
	return "attach/" + org + "/" + target + "/" + string(typ) + "/"
}
func prefixAttachTarget(org, target string) string { return "attach/" + org + "/" + target + "/" }
func keyAttached(org, policy, target string) string {
	return "attached/" + org + "/" + policy + "/" + target
}
func prefixAttached(org, policy string) string { return "attached/" + org + "/" + policy + "/" }

// policy is the stored form of a customer-managed policy.
type policy struct {
	ID          string
	Org         string
	Name        string
	Description string
	Type        api.PolicyType
	Content     string
	// Updated is when the policy was created, changed, attached or
	// detached; effective policies report the latest such time among
	// their policies.
	Updated time.Time `json:",omitzero"`
}

// awsManaged are the AWS-managed policies, by ID.
var awsManaged = map[string]*policy{
	fullAWSAccessID: {
		ID: fullAWSAccessID, Name: "FullAWSAccess", Type: api.PolicyTypeServiceControlPolicy,
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	},
	rcpFullAWSAccessID: {
		ID: rcpFullAWSAccessID, Name: "RCPFullAWSAccess", Type: api.PolicyTypeResourceControlPolicy,
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
	},
}

const (
	fullAWSAccessID    = "p-FullAWSAccess"
	rcpFullAWSAccessID = "p-RCPFullAWSAccess"
)

// defaultPolicy is the AWS-managed policy attached to every root, OU and
// account while its type is enabled.
var defaultPolicy = map[api.PolicyType]string{
	api.PolicyTypeServiceControlPolicy:  fullAWSAccessID,
	api.PolicyTypeResourceControlPolicy: rcpFullAWSAccessID,
}

// policyLimits are AWS's per-type quotas: document size in characters,
// policies attached to one target, and policies per organization.
type policyLimits struct {
	Size, PerTarget, PerOrg int
}

func limitsFor(typ api.PolicyType) policyLimits {
	switch typ {
	case api.PolicyTypeServiceControlPolicy:
		return policyLimits{Size: 10240, PerTarget: 10, PerOrg: 10000}
	case api.PolicyTypeResourceControlPolicy:
		return policyLimits{Size: 5120, PerTarget: 5, PerOrg: 1000}
	case api.PolicyTypeAiservicesOptOutPolicy:
		return policyLimits{Size: effective.MaxSize(string(typ)), PerTarget: 5, PerOrg: 1000}
	}
	return policyLimits{Size: effective.MaxSize(string(typ)), PerTarget: 10, PerOrg: 1000}
}

func init() {
	onMemberJoined = append(onMemberJoined, func(t *txn, o *organization, a *account) error {
		return t.attachDefaults(o, a.ID)
	})
	onOUCreated = append(onOUCreated, func(t *txn, o *organization, u *ou) error {
		return t.attachDefaults(o, u.ID)
	})
	beforeRemoveMember = append(beforeRemoveMember, func(t *txn, o *organization, a *account) error {
		return t.detachAll(o, a.ID)
	})
	beforeOUDeleted = append(beforeOUDeleted, func(t *txn, o *organization, u *ou) error {
		return t.detachAll(o, u.ID)
	})
	beforeDeleteOrganization = append(beforeDeleteOrganization, func(t *txn, o *organization) error {
		return t.deleteOrgPolicies(o)
	})
	taggableResources["p-"] = func(t *txn, o *organization, id string) (bool, error) {
		p, ok, err := t.policy(o, id)
		return ok && !isAWSManaged(p), err
	}
}

func isAWSManaged(p *policy) bool { return p.Org == "" }

func (t *txn) policy(o *organization, id string) (*policy, bool, error) {
	if p := awsManaged[id]; p != nil {
		return p, true, nil
	}
	var p policy
	ok, err := t.getJSON(keyPolicy(id), &p)
	if err != nil || !ok || p.Org != o.ID {
		return nil, false, err
	}
	return &p, true, nil
}

// policyOrNotFound returns the policy or PolicyNotFoundException.
func (t *txn) policyOrNotFound(o *organization, id string) (*policy, error) {
	p, ok, err := t.policy(o, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, api.NewPolicyNotFound("We can't find a policy with the PolicyId %s.", id)
	}
	return p, nil
}

func (s *Service) policyARN(o *organization, p *policy) string {
	typ := lowerPolicyType(p.Type)
	if isAWSManaged(p) {
		return "arn:" + s.cfg.Partition + ":organizations::aws:policy/" + typ + "/" + p.ID
	}
	// s.arn's form in one concatenation: every listed policy has one.
	return "arn:" + s.cfg.Partition + ":organizations::" + o.Management + ":policy/" + o.ID + "/" + typ + "/" + p.ID
}

// lowerPolicyType is a policy type as ARNs write it, lower case.
func lowerPolicyType(typ api.PolicyType) string {
	if l, ok := lowerPolicyTypes[typ]; ok {
		return l
	}
	return strings.ToLower(string(typ))
}

// lowerPolicyTypes holds the lower-case form of every policy type, made
// once rather than on each ARN.
var lowerPolicyTypes = func() map[api.PolicyType]string {
	m := map[api.PolicyType]string{}
	for _, t := range api.PolicyType("").Values() {
		m[t] = strings.ToLower(string(t))
	}
	return m
}()

func (t *txn) policySummary(o *organization, p *policy) api.PolicySummary {
	return api.PolicySummary{Id: p.ID, Arn: t.s.policyARN(o, p), Name: p.Name, Description: p.Description, Type: p.Type, AwsManaged: isAWSManaged(p)}
}

// appendPolicySummaries is a t.list visitor over keys that end in a
// policy ID of o: it appends each policy's summary to *into.
func (t *txn) appendPolicySummaries(o *organization, into *[]api.PolicySummary) func(k string, _ []byte) error {
	return func(k string, _ []byte) error {
		p, ok, err := t.policy(o, lastSegment(k))
		if err != nil || !ok {
			return err
		}
		*into = append(*into, t.policySummary(o, p))
		return nil
	}
}

func (t *txn) policyView(o *organization, p *policy) *api.Policy {
	sum := t.policySummary(o, p)
	return &api.Policy{PolicySummary: &sum, Content: p.Content}
}

// typeEnabled reports whether policy type typ is enabled in o's root.
func (t *txn) typeEnabled(o *organization, typ api.PolicyType) (bool, *root, error) {
	r, ok, err := t.root(o.Root)
	if err != nil || !ok {
		return false, nil, err
	}
	for _, pt := range r.PolicyTypes {
		if pt.Type == typ {
			return true, r, nil
		}
	}
	return false, r, nil
}

// attachDefaults attaches the default AWS-managed policy of every enabled
// type to a new target.
func (t *txn) attachDefaults(o *organization, target string) error {
	r, ok, err := t.root(o.Root)
	if err != nil || !ok {
		return err
	}
	for _, pt := range r.PolicyTypes {
		if id := defaultPolicy[pt.Type]; id != "" {
			if err := t.attach(o, target, pt.Type, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// attach attaches a policy to a target. The attachment remembers when it
// was made: policies attached to one target merge in that order.
func (t *txn) attach(o *organization, target string, typ api.PolicyType, policy string) error {
	if err := t.Put(keyAttach(o.ID, target, typ, policy), appendNanos(make([]byte, 0, 20), t.now().UnixNano())); err != nil {
		return err
	}
	return t.Put(keyAttached(o.ID, policy, target), nil)
}

// appendNanos appends n as fmt's "%020d" does, without fmt's cost: every
// new OU and account is attached a policy.
func appendNanos(b []byte, n int64) []byte {
	if n < 0 {
		return fmt.Appendf(b, "%020d", n)
	}
	var d [20]byte
	digits := strconv.AppendInt(d[:0], n, 10)
	for range 20 - len(digits) {
		b = append(b, '0')
	}
	return append(b, digits...)
}

func (t *txn) detach(o *organization, target string, typ api.PolicyType, policy string) error {
	if err := t.Delete(keyAttach(o.ID, target, typ, policy)); err != nil {
		return err
	}
	return t.Delete(keyAttached(o.ID, policy, target))
}

// detachAll removes every policy attachment of a target.
func (t *txn) detachAll(o *organization, target string) error {
	prefix := prefixAttachTarget(o.ID, target)
	keys, err := t.keysWithPrefix(prefix)
	if err != nil {
		return err
	}
	for _, k := range keys {
		typ, pol, _ := strings.Cut(strings.TrimPrefix(k, prefix), "/")
		if err := t.detach(o, target, api.PolicyType(typ), pol); err != nil {
			return err
		}
	}
	return nil
}

// attachedCount counts the policies of a type attached to a target, up to
// limit+1.
func (t *txn) attachedCount(o *organization, target string, typ api.PolicyType, limit int) (int, error) {
	n := 0
	err := t.Scan(prefixAttachType(o.ID, target, typ), "", func(string, []byte) bool { n++; return n <= limit })
	return n, err
}

// deleteOrgPolicies discards an organization's policies and attachments.
func (t *txn) deleteOrgPolicies(o *organization) error {
	var keys []string
	for _, prefix := range []string{"orgpolicy/" + o.ID + "/", "policyname/" + o.ID + "/", "attach/" + o.ID + "/", "attached/" + o.ID + "/"} {
		if err := t.Scan(prefix, "", func(k string, _ []byte) bool {
			keys = append(keys, k)
			if strings.HasPrefix(k, "orgpolicy/") {
				if id := lastSegment(k); awsManaged[id] == nil {
					keys = append(keys, keyPolicy(id), keyTags(id))
				}
			}
			return true
		}); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := t.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// target resolves a policy target ID (root, OU or account) of o.
type policyTarget struct {
	ID   string
	Type api.TargetType
	Name string
}

func (t *txn) policyTarget(o *organization, id string) (*policyTarget, error) {
	notFound := api.NewTargetNotFound("We can't find a root, OU, account, or policy with the TargetId %s.", id)
	switch {
	case strings.HasPrefix(id, "r-"):
		r, ok, err := t.root(id)
		if err != nil {
			return nil, err
		}
		if !ok || r.Org != o.ID {
			return nil, notFound
		}
		return &policyTarget{ID: id, Type: api.TargetTypeRoot, Name: r.Name}, nil
	case strings.HasPrefix(id, "ou-"):
		u, ok, err := t.ou(id)
		if err != nil {
			return nil, err
		}
		if !ok || u.Org != o.ID {
			return nil, notFound
		}
		return &policyTarget{ID: id, Type: api.TargetTypeOrganizationalUnit, Name: u.Name}, nil
	case identity.IsAccountID(id):
		a, err := t.account(id)
		if err != nil {
			return nil, err
		}
		if a.Org != o.ID {
			return nil, notFound
		}
		return &policyTarget{ID: id, Type: api.TargetTypeAccount, Name: a.Name}, nil
	}
	return nil, notFound
}

func (t *txn) targetARN(o *organization, pt *policyTarget) string {
	switch pt.Type {
	case api.TargetTypeRoot:
		return t.s.rootARN(o, pt.ID)
	case api.TargetTypeOrganizationalUnit:
		return t.s.ouARN(o, pt.ID)
	}
	return t.s.accountARN(o, pt.ID)
}

// checkPolicyContent validates a document for its type and its size
// against the type's quota.
func checkPolicyContent(typ api.PolicyType, content string) error {
	if err := validatePolicyDocument(typ, content); err != nil {
		return err
	}
	if n := len([]rune(content)); n > limitsFor(typ).Size {
		return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonPolicyContentLimitExceeded,
			"The policy is %d characters; a %s can have at most %d.", n, typ, limitsFor(typ).Size)
	}
	return nil
}

func malformed(format string, args ...any) error {
	return api.NewMalformedPolicyDocument(format, args...)
}

// validatePolicyDocument checks that content is one JSON object; the
// grammar of each type is checked by validateGrammar.
func validatePolicyDocument(typ api.PolicyType, content string) error {
	var doc map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(content))
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return malformed("The policy document is not a single valid JSON object.")
	}
	if dec.More() {
		return malformed("The policy document has more than one JSON object.")
	}
	return validateGrammar(typ, content)
}

// --- operations ---------------------------------------------------------------

// rootFor resolves the caller of op and root id of its organization.
func (t *txn) rootFor(op string, in any, id string) (*organization, *root, error) {
	c, err := t.caller(op, in)
	if err != nil {
		return nil, nil, err
	}
	r, ok, err := t.root(id)
	if err != nil {
		return nil, nil, err
	}
	if !ok || r.Org != c.Org.ID {
		return nil, nil, api.NewRootNotFound("We can't find a root with the RootId %s.", id)
	}
	return c.Org, r, nil
}

func (s *Service) EnablePolicyType(ctx context.Context, in *api.EnablePolicyTypeRequest) (*api.EnablePolicyTypeResponse, error) {
	var out api.EnablePolicyTypeResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		o, r, err := t.rootFor("EnablePolicyType", in, in.RootId)
		if err != nil {
			return err
		}
		for _, pt := range r.PolicyTypes {
			if pt.Type == in.PolicyType {
				return api.NewPolicyTypeAlreadyEnabled("The policy type %s is already enabled in the root.", in.PolicyType)
			}
		}
		r.PolicyTypes = append(r.PolicyTypes, api.PolicyTypeSummary{Type: in.PolicyType, Status: api.PolicyTypeStatusEnabled})
		if err := t.putRoot(r); err != nil {
			return err
		}
		if err := t.attachDefaultEverywhere(o, in.PolicyType); err != nil {
			return err
		}
		view := t.rootView(o, r)
		out.Root = &view
		return nil
	}))
}

// attachDefaultEverywhere attaches a type's default AWS-managed policy to
// the root, every OU and every account, as enabling the type does.
func (t *txn) attachDefaultEverywhere(o *organization, typ api.PolicyType) error {
	id := defaultPolicy[typ]
	if id == "" {
		return nil
	}
	var targets []string
	var walk func(parent string) error
	walk = func(parent string) error {
		targets = append(targets, parent)
		children, err := t.keysWithPrefix(prefixChildren(parent))
		if err != nil {
			return err
		}
		for _, k := range children {
			id := lastSegment(k)
			if strings.HasPrefix(id, "ou-") {
				if err := walk(id); err != nil {
					return err
				}
			} else {
				targets = append(targets, id)
			}
		}
		return nil
	}
	if err := walk(o.Root); err != nil {
		return err
	}
	for _, target := range targets {
		if err := t.attach(o, target, typ, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) DisablePolicyType(ctx context.Context, in *api.DisablePolicyTypeRequest) (*api.DisablePolicyTypeResponse, error) {
	var out api.DisablePolicyTypeResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		o, r, err := t.rootFor("DisablePolicyType", in, in.RootId)
		if err != nil {
			return err
		}
		kept := r.PolicyTypes[:0:0]
		for _, pt := range r.PolicyTypes {
			if pt.Type != in.PolicyType {
				kept = append(kept, pt)
			}
		}
		if len(kept) == len(r.PolicyTypes) {
			return api.NewPolicyTypeNotEnabled("The policy type %s is not enabled in the root.", in.PolicyType)
		}
		r.PolicyTypes = kept
		if err := t.putRoot(r); err != nil {
			return err
		}
		// Disabling a type detaches all its policies; the policies remain.
		var keys []string
		if err := t.Scan("attach/"+o.ID+"/", "", func(k string, _ []byte) bool {
			if strings.Contains(k, "/"+string(in.PolicyType)+"/") {
				keys = append(keys, k)
			}
			return true
		}); err != nil {
			return err
		}
		for _, k := range keys {
			parts := strings.Split(k, "/") // attach, org, target, type, policy
			if err := t.detach(o, parts[2], api.PolicyType(parts[3]), parts[4]); err != nil {
				return err
			}
		}
		view := t.rootView(o, r)
		out.Root = &view
		return nil
	}))
}

func (s *Service) CreatePolicy(ctx context.Context, in *api.CreatePolicyRequest) (*api.CreatePolicyResponse, error) {
	var out api.CreatePolicyResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, err := t.caller("CreatePolicy", in)
		if err != nil {
			return err
		}
		o := c.Org
		if err := checkPolicyContent(in.Type, in.Content); err != nil {
			return err
		}
		if err := validateTags(in.Tags, t.s.cfg.Quotas.TagsPerResource); err != nil {
			return err
		}
		if taken, err := t.has(keyPolicyName(o.ID, in.Type, in.Name)); err != nil {
			return err
		} else if taken {
			return api.NewDuplicatePolicy("A policy with the name %s already exists.", in.Name)
		}
		n := 0
		limit := limitsFor(in.Type).PerOrg
		if err := t.Scan(prefixOrgPolicies(o.ID, in.Type), "", func(k string, _ []byte) bool {
			if awsManaged[lastSegment(k)] == nil {
				n++
			}
			return n < limit
		}); err != nil {
			return err
		}
		if n >= limit {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonPolicyNumberLimitExceeded,
				"The organization has the most policies of type %s it can have (%d).", in.Type, limit)
		}
		id, err := t.newID("p-", idShape{alphabet: lowerAlnum, n: policyIDLength}, keyPolicy)
		if err != nil {
			return err
		}
		p := &policy{ID: id, Org: o.ID, Name: in.Name, Description: in.Description, Type: in.Type, Content: in.Content, Updated: t.now()}
		if err := t.putJSON(keyPolicy(id), p); err != nil {
			return err
		}
		if err := t.Put(keyOrgPolicy(o.ID, p.Type, id), nil); err != nil {
			return err
		}
		if err := t.Put(keyPolicyName(o.ID, p.Type, p.Name), []byte(id)); err != nil {
			return err
		}
		if err := t.putTags(id, in.Tags); err != nil {
			return err
		}
		out.Policy = t.policyView(o, p)
		return nil
	}))
}

// touchPolicy records that a customer-managed policy changed now.
func (t *txn) touchPolicy(p *policy) error {
	if isAWSManaged(p) {
		return nil
	}
	p.Updated = t.now()
	return t.putJSON(keyPolicy(p.ID), p)
}

func errImmutable(p *policy) error {
	return api.NewInvalidInput(api.InvalidInputExceptionReasonImmutablePolicy, "The AWS-managed policy %s can't be modified or deleted.", p.Name)
}

func (s *Service) UpdatePolicy(ctx context.Context, in *api.UpdatePolicyRequest) (*api.UpdatePolicyResponse, error) {
	var out api.UpdatePolicyResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, err := t.caller("UpdatePolicy", in)
		if err != nil {
			return err
		}
		o := c.Org
		p, err := t.policyOrNotFound(o, in.PolicyId)
		if err != nil {
			return err
		}
		if isAWSManaged(p) {
			return errImmutable(p)
		}
		if in.Content != "" {
			if err := checkPolicyContent(p.Type, in.Content); err != nil {
				return err
			}
			p.Content = in.Content
		}
		if in.Name != "" && in.Name != p.Name {
			if taken, err := t.has(keyPolicyName(o.ID, p.Type, in.Name)); err != nil {
				return err
			} else if taken {
				return api.NewDuplicatePolicy("A policy with the name %s already exists.", in.Name)
			}
			if err := t.Delete(keyPolicyName(o.ID, p.Type, p.Name)); err != nil {
				return err
			}
			if err := t.Put(keyPolicyName(o.ID, p.Type, in.Name), []byte(p.ID)); err != nil {
				return err
			}
			p.Name = in.Name
		}
		if in.Description != "" {
			p.Description = in.Description
		}
		p.Updated = t.now()
		if err := t.putJSON(keyPolicy(p.ID), p); err != nil {
			return err
		}
		out.Policy = t.policyView(o, p)
		return nil
	}))
}

func (s *Service) DeletePolicy(ctx context.Context, in *api.DeletePolicyRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, err := t.caller("DeletePolicy", in)
		if err != nil {
			return err
		}
		o := c.Org
		p, err := t.policyOrNotFound(o, in.PolicyId)
		if err != nil {
			return err
		}
		if isAWSManaged(p) {
			return errImmutable(p)
		}
		if inUse, err := t.hasPrefix(prefixAttached(o.ID, p.ID)); err != nil {
			return err
		} else if inUse {
			return api.NewPolicyInUse("The policy is attached to one or more targets; detach it first.")
		}
		for _, k := range []string{keyPolicy(p.ID), keyOrgPolicy(o.ID, p.Type, p.ID), keyPolicyName(o.ID, p.Type, p.Name), keyTags(p.ID)} {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Service) DescribePolicy(ctx context.Context, in *api.DescribePolicyRequest) (*api.DescribePolicyResponse, error) {
	var out api.DescribePolicyResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("DescribePolicy", in)
		if err != nil {
			return err
		}
		p, err := t.policyOrNotFound(c.Org, in.PolicyId)
		if err != nil {
			return err
		}
		out.Policy = t.policyView(c.Org, p)
		return nil
	}))
}

func (s *Service) ListPolicies(ctx context.Context, in *api.ListPoliciesRequest) (*api.ListPoliciesResponse, error) {
	out := api.ListPoliciesResponse{Policies: []api.PolicySummary{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("ListPolicies", in)
		if err != nil {
			return err
		}
		o := c.Org
		out.NextToken, err = t.list("ListPolicies", c, []string{string(in.Filter)}, prefixOrgPolicies(o.ID, in.Filter), in.NextToken, in.MaxResults, nil,
			t.appendPolicySummaries(o, &out.Policies))
		return err
	}))
}

// indexManagedPolicies puts the AWS-managed policies in an organization's
// policy index, so that ListPolicies lists them first.
func (t *txn) indexManagedPolicies(o *organization) error {
	for id, p := range awsManaged {
		if err := t.Put(keyOrgPolicy(o.ID, p.Type, id), nil); err != nil {
			return err
		}
	}
	return nil
}

// attachment resolves what AttachPolicy and DetachPolicy act on: the
// caller's organization, the policy and the target; the policy's type
// must be enabled in the root.
func (t *txn) attachment(op string, in any, policyID, targetID string) (*organization, *policy, *policyTarget, error) {
	c, err := t.caller(op, in)
	if err != nil {
		return nil, nil, nil, err
	}
	o := c.Org
	p, err := t.policyOrNotFound(o, policyID)
	if err != nil {
		return nil, nil, nil, err
	}
	target, err := t.policyTarget(o, targetID)
	if err != nil {
		return nil, nil, nil, err
	}
	if enabled, _, err := t.typeEnabled(o, p.Type); err != nil {
		return nil, nil, nil, err
	} else if !enabled {
		return nil, nil, nil, api.NewPolicyTypeNotEnabled("The policy type %s is not enabled in the root.", p.Type)
	}
	return o, p, target, nil
}

func (s *Service) AttachPolicy(ctx context.Context, in *api.AttachPolicyRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		o, p, target, err := t.attachment("AttachPolicy", in, in.PolicyId, in.TargetId)
		if err != nil {
			return err
		}
		if dup, err := t.has(keyAttach(o.ID, target.ID, p.Type, p.ID)); err != nil {
			return err
		} else if dup {
			return api.NewDuplicatePolicyAttachment("The policy is already attached to %s.", target.ID)
		}
		limit := limitsFor(p.Type).PerTarget
		if n, err := t.attachedCount(o, target.ID, p.Type, limit); err != nil {
			return err
		} else if n >= limit {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded,
				"%s already has %d policies of type %s attached, the most it can have.", target.ID, limit, p.Type)
		}
		if err := t.attach(o, target.ID, p.Type, p.ID); err != nil {
			return err
		}
		return t.touchPolicy(p)
	}))
}

func (s *Service) DetachPolicy(ctx context.Context, in *api.DetachPolicyRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		o, p, target, err := t.attachment("DetachPolicy", in, in.PolicyId, in.TargetId)
		if err != nil {
			return err
		}
		if p.ID == rcpFullAWSAccessID {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonNonDetachablePolicy, "The policy RCPFullAWSAccess can't be detached.")
		}
		if attached, err := t.has(keyAttach(o.ID, target.ID, p.Type, p.ID)); err != nil {
			return err
		} else if !attached {
			return api.NewPolicyNotAttached("The policy is not attached to %s.", target.ID)
		}
		if p.Type == api.PolicyTypeServiceControlPolicy {
			// A target must keep at least one SCP while SCPs are enabled.
			if n, err := t.attachedCount(o, target.ID, p.Type, 1); err != nil {
				return err
			} else if n <= 1 {
				return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded,
					"%s must keep at least one service control policy attached.", target.ID)
			}
		}
		if err := t.detach(o, target.ID, p.Type, p.ID); err != nil {
			return err
		}
		return t.touchPolicy(p)
	}))
}

func (s *Service) ListPoliciesForTarget(ctx context.Context, in *api.ListPoliciesForTargetRequest) (*api.ListPoliciesForTargetResponse, error) {
	out := api.ListPoliciesForTargetResponse{Policies: []api.PolicySummary{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("ListPoliciesForTarget", in)
		if err != nil {
			return err
		}
		o := c.Org
		target, err := t.policyTarget(o, in.TargetId)
		if err != nil {
			return err
		}
		out.NextToken, err = t.list("ListPoliciesForTarget", c, []string{target.ID, string(in.Filter)}, prefixAttachType(o.ID, target.ID, in.Filter), in.NextToken, in.MaxResults, nil,
			t.appendPolicySummaries(o, &out.Policies))
		return err
	}))
}

func (s *Service) ListTargetsForPolicy(ctx context.Context, in *api.ListTargetsForPolicyRequest) (*api.ListTargetsForPolicyResponse, error) {
	out := api.ListTargetsForPolicyResponse{Targets: []api.PolicyTargetSummary{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("ListTargetsForPolicy", in)
		if err != nil {
			return err
		}
		o := c.Org
		p, err := t.policyOrNotFound(o, in.PolicyId)
		if err != nil {
			return err
		}
		out.NextToken, err = t.list("ListTargetsForPolicy", c, []string{p.ID}, prefixAttached(o.ID, p.ID), in.NextToken, in.MaxResults, nil,
			func(k string, _ []byte) error {
				target, err := t.policyTarget(o, lastSegment(k))
				if err != nil {
					return err
				}
				out.Targets = append(out.Targets, api.PolicyTargetSummary{TargetId: target.ID, Arn: t.targetARN(o, target), Name: target.Name, Type: target.Type})
				return nil
			})
		return err
	}))
}
