// Package scp parses, validates and evaluates the authorization policies
// of AWS Organizations — service control policies (SCPs) and resource
// control policies (RCPs) — with the IAM policy semantics AWS applies to
// them, and the STS session policies whose grammar they share. It does
// no I/O: callers hand it policy text and request facts.
package scp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/pattern"
)

// Policy types this package understands (values of the model's PolicyType).
const (
	TypeSCP = "SERVICE_CONTROL_POLICY"
	TypeRCP = "RESOURCE_CONTROL_POLICY"
)

// TypeSession is the Document.PolicyType of an STS session policy, which
// ParseSessionPolicy reads. It is not a PolicyType of the Organizations
// model.
const TypeSession = "SESSION_POLICY"

// Size counts a document the way the quota does (the quota itself is the
// caller's: exceeding it is a ConstraintViolation, not a malformed
// document, so Parse does not check it): every character,
// whitespace included. AWS only drops whitespace when the console saves a
// policy; the API stores and counts the text as sent.
func Size(content string) int { return utf8.RuneCountInString(content) }

// ValidationError reports a document that breaks the JSON or grammar rules
// of its policy type; callers answer MalformedPolicyDocumentException.
type ValidationError struct {
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

func invalid(format string, args ...interface{}) error {
	return &ValidationError{Message: fmt.Sprintf(format, args...)}
}

// Effect is a statement's Effect.
type Effect uint8

// Effects.
const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "?"
}

// Document is a parsed, validated and compiled SCP or RCP.
type Document struct {
	PolicyType string
	Version    string // as written; "" when absent
	Statements []Statement
}

// Statement is one compiled statement. The exported fields mirror the
// text; the unexported ones are what evaluation uses.
type Statement struct {
	Index       int // position in the Statement array, from 0
	Sid         string
	Effect      Effect
	Principal   string // RCPs only: always "*"
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	Condition   []Condition

	actions     []matcher // Action or NotAction, lower-cased
	notAction   bool
	resources   []resourcePattern
	notResource bool
	conds       []condition
}

type resourcePattern struct {
	m    matcher
	tmpl *template
}

// Language versions IAM knows. Only 2012-10-17 expands policy variables;
// under 2008-10-17 (also the meaning of an absent Version) "${...}" is
// literal text.
const (
	version2012 = "2012-10-17"
	version2008 = "2008-10-17"
)

var sidPattern = pattern.MustCompile(`^[A-Za-z0-9]*$`)

// Parse validates content as a customer-managed policy of policyType and
// compiles it for Evaluate. Grammar errors are *ValidationError.
func Parse(policyType, content string) (*Document, error) {
	return parse(policyType, content, false)
}

// ParseAWSManaged parses an AWS-managed policy (FullAWSAccess,
// RCPFullAWSAccess). Those may use what customer RCPs may not: an Allow
// effect and the bare "*" action.
func ParseAWSManaged(policyType, content string) (*Document, error) {
	return parse(policyType, content, true)
}

// ParseSessionPolicy parses an STS session policy (the Policy of
// AssumeRole and its kin, or an IAM managed policy passed as PolicyArns).
// A session policy is an IAM identity policy. Since AWS opened SCPs to the
// full IAM language, the two grammars differ only in what an identity
// policy may add: the top-level Id element, and an empty Statement list
// (which allows nothing). Like an SCP it names no Principal. Evaluate
// applies session policies as one Level: allowed if one of their
// statements allows and none denies.
func ParseSessionPolicy(content string) (*Document, error) {
	return parse(TypeSession, content, false)
}

var topLevel = map[string]bool{"Version": true, "Statement": true}

// identityTopLevel adds what identity policies may hold beyond SCPs.
var identityTopLevel = map[string]bool{"Version": true, "Statement": true, "Id": true}

var statementKeys = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
	"Condition": true,
}

func parse(policyType, content string, awsManaged bool) (*Document, error) {
	if policyType != TypeSCP && policyType != TypeRCP && policyType != TypeSession {
		return nil, fmt.Errorf("scp: unsupported policy type %q", policyType)
	}
	session := policyType == TypeSession
	if err := checkJSON(content); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &top); err != nil || top == nil {
		return nil, invalid("the policy must be a single JSON object")
	}
	allowed := topLevel
	if session {
		allowed = identityTopLevel
	}
	for _, k := range sortedKeys(top) {
		if !allowed[k] {
			return nil, invalid("unsupported policy element %q", k)
		}
	}
	if raw, ok := top["Id"]; ok {
		var id string
		if json.Unmarshal(raw, &id) != nil {
			return nil, invalid("Id must be a string")
		}
	}
	doc := &Document{PolicyType: policyType}
	if raw, ok := top["Version"]; ok {
		if err := json.Unmarshal(raw, &doc.Version); err != nil {
			return nil, invalid("Version must be a string")
		}
		if doc.Version != version2012 && doc.Version != version2008 {
			return nil, invalid("unsupported Version %q", doc.Version)
		}
	}
	vars := doc.Version == version2012
	raw, ok := top["Statement"]
	if !ok {
		return nil, invalid("the policy has no Statement")
	}
	var list []json.RawMessage
	switch firstByte(raw) {
	case '{':
		list = []json.RawMessage{raw}
	case '[':
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, invalid("Statement must be an object or an array of objects")
		}
	default:
		return nil, invalid("Statement must be an object or an array of objects")
	}
	if len(list) == 0 && !session {
		// A session policy of no statements allows nothing, which is
		// what its caller asked for.
		return nil, invalid("Statement must not be empty")
	}
	sids := map[string]bool{}
	for i, sraw := range list {
		st, err := parseStatement(i, sraw, policyType, awsManaged, vars)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, invalid("duplicate Sid %q", st.Sid)
			}
			sids[st.Sid] = true
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func parseStatement(i int, raw json.RawMessage, policyType string, awsManaged, vars bool) (Statement, error) {
	rcp := policyType == TypeRCP
	st := Statement{Index: i}
	var m map[string]json.RawMessage
	if firstByte(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return st, invalid("statement %d must be an object", i)
	}
	for _, k := range sortedKeys(m) {
		if !statementKeys[k] {
			return st, invalid("statement %d: unsupported element %q", i, k)
		}
	}
	if raw, ok := m["Sid"]; ok {
		if json.Unmarshal(raw, &st.Sid) != nil || !sidPattern.MatchString(st.Sid) {
			return st, invalid("statement %d: Sid must be a string of letters and digits", i)
		}
	}
	var effect string
	if raw, ok := m["Effect"]; !ok || json.Unmarshal(raw, &effect) != nil {
		return st, invalid("statement %d: Effect is required", i)
	}
	switch effect {
	case "Allow":
		st.Effect = Allow
	case "Deny":
		st.Effect = Deny
	default:
		return st, invalid("statement %d: Effect must be Allow or Deny, not %q", i, effect)
	}
	if _, ok := m["NotPrincipal"]; ok {
		return st, invalid("statement %d: NotPrincipal is not supported", i)
	}
	if rcp {
		if st.Effect == Allow && !awsManaged {
			return st, invalid("statement %d: RCPs only support the Deny effect", i)
		}
		raw, ok := m["Principal"]
		var p string
		if !ok {
			return st, invalid("statement %d: RCPs require Principal", i)
		}
		if json.Unmarshal(raw, &p) != nil || p != "*" {
			return st, invalid("statement %d: the Principal of an RCP must be \"*\"", i)
		}
		st.Principal = p
		if _, ok := m["NotAction"]; ok {
			return st, invalid("statement %d: RCPs do not support NotAction", i)
		}
	} else if _, ok := m["Principal"]; ok {
		if policyType == TypeSession {
			return st, invalid("statement %d: a session policy must not name a Principal", i)
		}
		return st, invalid("statement %d: SCPs do not support Principal", i)
	}

	a, hasA := m["Action"]
	na, hasNA := m["NotAction"]
	switch {
	case hasA && hasNA:
		return st, invalid("statement %d: Action and NotAction are mutually exclusive", i)
	case !hasA && !hasNA:
		return st, invalid("statement %d: Action or NotAction is required", i)
	}
	var err error
	if hasA {
		st.Action, err = stringList(a)
	} else {
		st.NotAction, err = stringList(na)
		st.notAction = true
	}
	if err != nil {
		return st, invalid("statement %d: %s must be a string or a non-empty array of strings", i, pick(hasA, "Action", "NotAction"))
	}
	for _, act := range append(st.Action, st.NotAction...) {
		if err := checkAction(act); err != nil {
			return st, invalid("statement %d: %s", i, err.(*ValidationError).Message)
		}
		if rcp && !awsManaged && act == "*" {
			return st, invalid("statement %d: a customer RCP must name a service in Action, not \"*\"", i)
		}
		st.actions = append(st.actions, compileMatcher(act, true))
	}

	r, hasR := m["Resource"]
	nr, hasNR := m["NotResource"]
	switch {
	case hasR && hasNR:
		return st, invalid("statement %d: Resource and NotResource are mutually exclusive", i)
	case !hasR && !hasNR:
		return st, invalid("statement %d: Resource or NotResource is required", i)
	}
	if hasR {
		st.Resource, err = stringList(r)
	} else {
		st.NotResource, err = stringList(nr)
		st.notResource = true
	}
	if err != nil {
		return st, invalid("statement %d: %s must be a string or a non-empty array of strings", i, pick(hasR, "Resource", "NotResource"))
	}
	for _, res := range append(st.Resource, st.NotResource...) {
		if res != "*" && !validARNPattern(res) {
			return st, invalid("statement %d: resource %q must be \"*\" or an ARN", i, res)
		}
		rp := resourcePattern{m: compileMatcher(res, false)}
		if vars {
			if rp.tmpl, err = parseTemplate(res); err != nil {
				return st, invalid("statement %d: %s", i, err.(*ValidationError).Message)
			}
		}
		st.resources = append(st.resources, rp)
	}

	if raw, ok := m["Condition"]; ok {
		st.conds, err = parseConditionBlock(raw, vars)
		if err != nil {
			return st, invalid("statement %d: %s", i, err.(*ValidationError).Message)
		}
		for _, c := range st.conds {
			st.Condition = append(st.Condition, c.Condition)
		}
	}
	return st, nil
}

var servicePrefix = pattern.MustCompile(`^[a-z0-9*?-]+$`)

// checkAction enforces the "service:action" shape; since AWS opened SCPs
// to the full IAM language, wildcards may appear anywhere in either part.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.Contains(name, ":") || !servicePrefix.MatchString(strings.ToLower(svc)) {
		return invalid("action %q must be \"*\" or service:action", a)
	}
	return nil
}

// validARNPattern checks for "arn:" and the six colon-separated parts;
// the parts themselves may hold wildcards and variables.
func validARNPattern(s string) bool {
	return strings.HasPrefix(s, "arn:") && strings.Count(s, ":") >= 5
}

func stringList(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, invalid("empty")
		}
		return []string{s}, nil
	}
	var list []string
	if firstByte(raw) != '[' || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil, invalid("not a string list")
	}
	for _, v := range list {
		if v == "" {
			return nil, invalid("empty")
		}
	}
	return list, nil
}

// checkJSON rejects what encoding/json would silently accept: duplicate
// object keys (the later one would win and hide the first), and text
// after the policy object.
func checkJSON(content string) error {
	d := json.NewDecoder(strings.NewReader(content))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return invalid("the policy is not valid JSON")
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return invalid("the policy must be a single JSON object")
	}
	if err := walkObject(d); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return invalid("the policy must be a single JSON object")
	}
	return nil
}

func walkObject(d *json.Decoder) error {
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return invalid("the policy is not valid JSON")
		}
		k := tok.(string)
		if seen[k] {
			return invalid("duplicate key %q", k)
		}
		seen[k] = true
		if err := walkValue(d); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil {
		return invalid("the policy is not valid JSON")
	}
	return nil
}

func walkValue(d *json.Decoder) error {
	tok, err := d.Token()
	if err != nil {
		return invalid("the policy is not valid JSON")
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(d)
	case json.Delim('['):
		for d.More() {
			if err := walkValue(d); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil {
			return invalid("the policy is not valid JSON")
		}
	}
	return nil
}

func firstByte(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
