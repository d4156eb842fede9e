// Package effective validates AWS Organizations management policies (tag,
// backup, AI services opt-out, chatbot, declarative, Security Hub and the
// other non-authorization types) and merges the policies attached along an
// account's path into its effective policy using the inheritance
// operators. It does no I/O.
package effective

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Management policy types: every PolicyType of the model except SCPs and
// RCPs (the model's EffectivePolicyType enum).
const (
	TypeTag                     = "TAG_POLICY"
	TypeBackup                  = "BACKUP_POLICY"
	TypeAIServicesOptOut        = "AISERVICES_OPT_OUT_POLICY"
	TypeChatbot                 = "CHATBOT_POLICY"
	TypeDeclarativeEC2          = "DECLARATIVE_POLICY_EC2"
	TypeSecurityHub             = "SECURITYHUB_POLICY"
	TypeInspector               = "INSPECTOR_POLICY"
	TypeUpgradeRollout          = "UPGRADE_ROLLOUT_POLICY"
	TypeBedrock                 = "BEDROCK_POLICY"
	TypeS3                      = "S3_POLICY"
	TypeNetworkSecurityDirector = "NETWORK_SECURITY_DIRECTOR_POLICY"
)

// Inheritance operators.
const (
	OpAssign       = "@@assign"
	OpAppend       = "@@append"
	OpRemove       = "@@remove"
	OpChildControl = "@@operators_allowed_for_child_policies"
)

const (
	childAll       = "@@all"
	childNone      = "@@none"
	operatorPrefix = "@@"

	// Quotas from the user guide; the types it does not list (Inspector,
	// Bedrock, S3, network security director) are assumed to share the
	// common 10,000.
	defaultMaxSize  = 10000
	upgradeMaxSize  = 5120
	aiOptOutMaxSize = 2500
)

type typeInfo struct {
	// root is the fixed top-level key of the type's documents; "" where
	// no source names it and any single setting tree is accepted.
	root    string
	maxSize int
	// assignOnly types accept no @@append/@@remove (AI opt-out policies).
	assignOnly bool
	// foldUnder lists paths whose child keys are identifiers AWS compares
	// without case; they are stored lower case so policies that spell
	// them differently merge into one entry.
	foldUnder [][]string
	check     func(path []string, n *object) error
}

var types = map[string]typeInfo{
	TypeTag:                     {root: "tags", maxSize: defaultMaxSize, foldUnder: [][]string{{"tags"}}, check: checkTag},
	TypeBackup:                  {root: "plans", maxSize: defaultMaxSize, foldUnder: backupFold},
	TypeAIServicesOptOut:        {root: "services", maxSize: aiOptOutMaxSize, assignOnly: true, check: checkAIOptOut},
	TypeChatbot:                 {root: "chatbot", maxSize: defaultMaxSize},
	TypeDeclarativeEC2:          {root: "ec2_attributes", maxSize: defaultMaxSize},
	TypeSecurityHub:             {root: "securityhub", maxSize: defaultMaxSize},
	TypeInspector:               {root: "inspector", maxSize: defaultMaxSize},
	TypeUpgradeRollout:          {root: "upgrade_rollout", maxSize: upgradeMaxSize},
	TypeBedrock:                 {root: "bedrock", maxSize: defaultMaxSize},
	TypeS3:                      {maxSize: defaultMaxSize},
	TypeNetworkSecurityDirector: {maxSize: defaultMaxSize},
}

var backupFold = [][]string{
	{"plans", "*", "rules"},
	{"plans", "*", "rules", "*", "recovery_point_tags"},
	{"plans", "*", "selections", "tags"},
	{"plans", "*", "backup_plan_tags"},
}

// Types lists the management policy types in a stable order.
func Types() []string {
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// IsManagementType reports whether policyType is one this package handles.
func IsManagementType(policyType string) bool {
	_, ok := types[policyType]
	return ok
}

// MaxSize is the quota on a document of the type, in characters as Size
// counts them, or 0 for a type this package does not know.
func MaxSize(policyType string) int { return types[policyType].maxSize }

// Size counts a document as the quota does: every character, whitespace
// included, since the API stores the text as sent.
func Size(content string) int { return utf8.RuneCountInString(content) }

// ValidationError reports a document that breaks the management policy
// grammar; callers answer MalformedPolicyDocumentException. Path is the
// "/"-separated location of the problem ("" for the whole document).
type ValidationError struct {
	Path    string
	Message string
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Document is a validated management policy, ready for Compute.
type Document struct {
	PolicyType string
	root       *object
}

// Validate checks content against the grammar of policyType.
func Validate(policyType, content string) error {
	_, err := Parse(policyType, content)
	return err
}

// Parse validates content as a policy of policyType and keeps it for
// Compute. Grammar errors are *ValidationError.
func Parse(policyType, content string) (*Document, error) {
	info, ok := types[policyType]
	if !ok {
		return nil, fmt.Errorf("effective: %q is not a management policy type", policyType)
	}
	v, err := decode(content)
	if err != nil {
		return nil, err
	}
	top, ok := v.(*object)
	if !ok {
		return nil, &ValidationError{Message: "the policy must be a JSON object"}
	}
	if len(top.keys) == 0 {
		return nil, &ValidationError{Message: "the policy has no settings"}
	}
	root := newObject()
	for _, k := range top.keys {
		if strings.HasPrefix(k, operatorPrefix) {
			return nil, &ValidationError{Path: k, Message: "inheritance operators cannot be used at the top level"}
		}
		if info.root != "" && k != info.root {
			return nil, &ValidationError{Path: k, Message: fmt.Sprintf("unsupported top-level key; %s policies start with %q", policyType, info.root)}
		}
		n, err := validateNode(&info, []string{k}, top.vals[k])
		if err != nil {
			return nil, err
		}
		root.set(k, n)
	}
	return &Document{PolicyType: policyType, root: root}, nil
}

func validateNode(info *typeInfo, path []string, v interface{}) (*object, error) {
	p := strings.Join(path, "/")
	o, ok := v.(*object)
	if !ok {
		return nil, &ValidationError{Path: p, Message: "a setting must be an object holding inheritance operators or further settings"}
	}
	out := newObject()
	valueOps, children := 0, 0
	fold := foldsUnder(info, path)
	for _, k := range o.keys {
		val := o.vals[k]
		if strings.HasPrefix(k, operatorPrefix) {
			if err := checkOperator(info, join(p, k), k, val); err != nil {
				return nil, err
			}
			if k != OpChildControl {
				valueOps++
			}
			out.set(k, val)
			continue
		}
		children++
		name := k
		if fold {
			name = strings.ToLower(k)
		}
		if _, dup := out.vals[name]; dup {
			return nil, &ValidationError{Path: join(p, k), Message: "duplicate key (keys here are not case sensitive)"}
		}
		n, err := validateNode(info, append(path[:len(path):len(path)], name), val)
		if err != nil {
			return nil, err
		}
		out.set(name, n)
	}
	if valueOps > 0 && children > 0 {
		return nil, &ValidationError{Path: p, Message: "a setting cannot hold both value operators and further settings"}
	}
	if info.check != nil {
		if err := info.check(path, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func foldsUnder(info *typeInfo, path []string) bool {
outer:
	for _, f := range info.foldUnder {
		if len(f) != len(path) {
			continue
		}
		for i := range f {
			if f[i] != "*" && f[i] != path[i] {
				continue outer
			}
		}
		return true
	}
	return false
}

func checkOperator(info *typeInfo, path, op string, v interface{}) error {
	bad := func(msg string) error { return &ValidationError{Path: path, Message: msg} }
	switch op {
	case OpAssign:
		if _, isList := v.([]interface{}); !isList && !isScalar(v) {
			return bad("@@assign takes a string, number, boolean or an array of them")
		}
		if list, isList := v.([]interface{}); isList && !allScalars(list) {
			return bad("@@assign takes a string, number, boolean or an array of them")
		}
	case OpAppend, OpRemove:
		if info.assignOnly {
			return bad(op + " is not supported by this policy type")
		}
		list, isList := v.([]interface{})
		if !isList || !allScalars(list) {
			return bad(op + " applies to multi-valued settings and takes an array")
		}
	case OpChildControl:
		list, isList := v.([]interface{})
		if !isList || len(list) == 0 {
			return bad("@@operators_allowed_for_child_policies takes a non-empty array")
		}
		for _, e := range list {
			s, _ := e.(string)
			switch s {
			case childAll, childNone:
				if len(list) != 1 {
					return bad(s + " must be the only value of @@operators_allowed_for_child_policies")
				}
			case OpAssign:
			case OpAppend, OpRemove:
				if info.assignOnly {
					return bad(s + " is not supported by this policy type")
				}
			default:
				return bad(fmt.Sprintf("unknown value %v in @@operators_allowed_for_child_policies", e))
			}
		}
	default:
		return bad("unknown inheritance operator " + quote(op))
	}
	return nil
}

func isScalar(v interface{}) bool {
	switch v.(type) {
	case string, bool, json.Number:
		return true
	}
	return false
}

func allScalars(list []interface{}) bool {
	for _, e := range list {
		if !isScalar(e) {
			return false
		}
	}
	return true
}

var tagSettings = map[string]bool{"tag_key": true, "tag_value": true, "enforced_for": true, "report_required_tag_for": true}

// checkTag applies the tag policy rules: each policy key holds only the
// known settings, and tag_key assigns one string equal to the policy key
// apart from case (it fixes the capitalization resources must use).
func checkTag(path []string, n *object) error {
	switch {
	case len(path) == 2:
		for _, k := range n.keys {
			if !strings.HasPrefix(k, operatorPrefix) && !tagSettings[k] {
				return &ValidationError{Path: join(strings.Join(path, "/"), k), Message: "unsupported tag policy setting"}
			}
		}
	case len(path) == 3 && path[2] == "tag_key":
		p := strings.Join(path, "/")
		if _, ok := n.vals[OpAppend]; ok {
			return &ValidationError{Path: p, Message: "tag_key is single-valued; use @@assign"}
		}
		if _, ok := n.vals[OpRemove]; ok {
			return &ValidationError{Path: p, Message: "tag_key is single-valued; use @@assign"}
		}
		if v, ok := n.vals[OpAssign]; ok {
			s, isStr := v.(string)
			if !isStr || !strings.EqualFold(s, path[1]) {
				return &ValidationError{Path: p, Message: fmt.Sprintf("tag_key must be the policy key %q in some capitalization", path[1])}
			}
		}
	}
	return nil
}

// checkAIOptOut applies the AI services opt-out rules: under each service
// only opt_out_policy, whose value is optIn or optOut.
func checkAIOptOut(path []string, n *object) error {
	p := strings.Join(path, "/")
	switch {
	case len(path) == 2:
		for _, k := range n.keys {
			if !strings.HasPrefix(k, operatorPrefix) && k != "opt_out_policy" {
				return &ValidationError{Path: join(p, k), Message: "only opt_out_policy is allowed under a service"}
			}
		}
	case len(path) == 3:
		if v, ok := n.vals[OpAssign]; ok && v != "optIn" && v != "optOut" {
			return &ValidationError{Path: p, Message: "opt_out_policy must be optIn or optOut"}
		}
	case len(path) > 3:
		return &ValidationError{Path: p, Message: "unsupported setting"}
	}
	return nil
}
