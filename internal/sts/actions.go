package sts

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/pattern"
	"github.com/orgd/orgd/internal/policy/scp"
	"github.com/orgd/orgd/internal/policy/sessionpolicy"
)

// --- responses ----------------------------------------------------------------

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type errorBody struct {
	Type    string
	Code    string
	Message string
}

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     errorBody
	RequestID string `xml:"RequestId"`
}

type callerIdentity struct {
	Arn     string
	UserId  string
	Account string
}

type getCallerIdentityResponse struct {
	XMLName  xml.Name         `xml:"GetCallerIdentityResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   callerIdentity   `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type credentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type assumedRoleUser struct {
	AssumedRoleId string
	Arn           string
}

type assumeRoleResult struct {
	Credentials      credentials
	AssumedRoleUser  assumedRoleUser
	PackedPolicySize *int   `xml:",omitempty"`
	SourceIdentity   string `xml:",omitempty"`
}

type assumeRoleResponse struct {
	XMLName  xml.Name         `xml:"AssumeRoleResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   assumeRoleResult `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

// --- GetCallerIdentity ----------------------------------------------------------

func (h *Handler) callerIdentity(c identity.Caller) callerIdentity {
	return callerIdentity{
		Arn:     identity.PrincipalOf(c, h.partition()),
		UserId:  identity.UserID(c, h.partition()),
		Account: c.AccountID,
	}
}

// --- AssumeRole -------------------------------------------------------------------

// AssumeRole's limits, from the STS model.
const (
	minDuration     = 900
	maxDuration     = 43200
	defaultDuration = 3600
	// maxChainedDuration bounds a session assumed with a session's
	// credentials (role chaining).
	maxChainedDuration = 3600
	maxPolicyArns      = 10
	maxTags            = 50
	maxPolicyChars     = 2048
)

var (
	roleARNRe     = regexp.MustCompile(`^arn:([a-z][a-z0-9-]*):iam::(\d{12}):role/((?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})$`)
	sessionNameRe = pattern.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRe  = pattern.MustCompile(`^[\w+=,.@:/-]+$`)
	serialRe      = pattern.MustCompile(`^[\w+=/:,.@-]{9,256}$`)
	tokenCodeRe   = pattern.MustCompile(`^\d{6}$`)
	// tagCharsRe is the characters of a session tag's key and value; their
	// lengths, which differ, are checked apart.
	tagCharsRe = pattern.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Session credentials as AWS shapes them.
const (
	upperAlnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	keySuffixLen = 16
	secretLen    = 40
	tokenBytes   = 192
)

// roleRequest is what every AssumeRole action names: the role, the
// session's name and its duration.
type roleRequest struct {
	arn, partition, account, role, session string
	duration                               int
}

// parseRoleRequest checks RoleArn, RoleSessionName (unless the session
// name comes from elsewhere: name is then "") and DurationSeconds.
func parseRoleRequest(p url.Values, name string) (*roleRequest, error) {
	roleARN := p.Get("RoleArn")
	if name == "" {
		name = p.Get("RoleSessionName")
		if roleARN != "" && name == "" {
			return nil, validation("RoleSessionName is required.")
		}
	}
	if roleARN == "" {
		return nil, validation("RoleArn is required.")
	}
	if name == "" {
		return nil, validation("RoleSessionName is required.")
	}
	if len(roleARN) < 20 || len(roleARN) > 2048 {
		return nil, validation("RoleArn must be 20 to 2048 characters long.")
	}
	m := roleARNRe.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, validation("RoleArn %q is not the ARN of a role (arn:<partition>:iam::<account>:role/[path/]name).", roleARN)
	}
	if !sessionNameRe.MatchString(name) {
		return nil, validation("RoleSessionName must be 2 to 64 characters from letters, digits and _+=,.@-.")
	}
	r := &roleRequest{arn: roleARN, partition: m[1], account: m[2], role: m[4], session: name, duration: defaultDuration}
	if v := p.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minDuration || n > maxDuration {
			return nil, validation("DurationSeconds must be a whole number from %d to %d; it is %q.", minDuration, maxDuration, v)
		}
		r.duration = n
	}
	return r, nil
}

// roleSession issues a session of the role r names, for source, limited
// by policies (nil for none).
func (h *Handler) roleSession(ctx context.Context, r *roleRequest, source, sourceIdentity string, policies identity.SessionPolicies, now time.Time) (credentials, assumedRoleUser, error) {
	s := identity.Session{
		Expiration:     now.Add(time.Duration(r.duration) * time.Second).Truncate(time.Second).UTC(),
		AccountID:      r.account,
		RoleName:       r.role,
		RoleARN:        r.arn,
		SessionName:    r.session,
		Principal:      identity.AssumedRoleARN(r.partition, r.account, r.role, r.session),
		Source:         source,
		SourceIdentity: sourceIdentity,
		Policies:       policies,
	}
	creds, err := h.issue(ctx, &s)
	if err != nil {
		return credentials{}, assumedRoleUser{}, err
	}
	return creds, assumedRoleUser{AssumedRoleId: identity.RoleID(r.partition, r.account, r.role) + ":" + r.session, Arn: s.Principal}, nil
}

func (h *Handler) assumeRole(ctx context.Context, caller identity.Caller, p url.Values, now time.Time) (*assumeRoleResult, error) {
	r, err := parseRoleRequest(p, "")
	if err != nil {
		return nil, err
	}
	roleARN, partition, account, role, duration := r.arn, r.partition, r.account, r.role, r.duration
	if identity.KindOf(caller) == identity.RoleSession && duration > maxChainedDuration {
		return nil, validation("DurationSeconds may be at most %d when a role session assumes a role.", maxChainedDuration)
	}
	if v := p.Get("ExternalId"); v != "" && (len(v) < 2 || len(v) > 1224 || !externalIDRe.MatchString(v)) {
		return nil, validation("ExternalId must be 2 to 1224 characters from letters, digits and _+=,.@:/-.")
	}
	if v := p.Get("SerialNumber"); v != "" && !serialRe.MatchString(v) {
		return nil, validation("SerialNumber must be 9 to 256 characters from letters, digits and _+=/:,.@-.")
	}
	if v := p.Get("TokenCode"); v != "" && !tokenCodeRe.MatchString(v) {
		return nil, validation("TokenCode must be six digits.")
	}
	source := p.Get("SourceIdentity")
	if source != "" && (!sessionNameRe.MatchString(source) || strings.HasPrefix(strings.ToLower(source), "aws:")) {
		return nil, validation("SourceIdentity must be 2 to 64 characters from letters, digits and _+=,.@- and must not start with aws:.")
	}
	packed, own, err := sessionPolicies(p)
	if err != nil {
		return nil, err
	}
	// A restricted session assumes a role (role chaining) only if its
	// session policies allow sts:AssumeRole on the role.
	if caller.Policies != nil {
		keys := map[string][]string{"sts:RoleSessionName": {r.session}}
		if v := p.Get("ExternalId"); v != "" {
			keys["sts:ExternalId"] = []string{v}
		}
		if source != "" {
			keys["sts:SourceIdentity"] = []string{source}
		}
		if err := h.sessionAllows(ctx, caller, "AssumeRole", roleARN, keys); err != nil {
			return nil, err
		}
	}
	policies, err := chain(caller.Policies, own)
	if err != nil {
		return nil, err
	}

	denied := &stsError{http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
		identity.PrincipalOf(caller, h.partition()), roleARN)}
	if partition != h.partition() {
		return nil, denied
	}
	ok, err := h.Service.CanAssumeRole(ctx, caller, account, role)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, denied
	}

	creds, user, err := h.roleSession(ctx, r, identity.PrincipalOf(caller, h.partition()), source, policies, now)
	if err != nil {
		return nil, err
	}
	return &assumeRoleResult{Credentials: creds, AssumedRoleUser: user, PackedPolicySize: packed, SourceIdentity: source}, nil
}

// issue draws the keys of s, stores it and returns its credentials as
// STS shows them.
func (h *Handler) issue(ctx context.Context, s *identity.Session) (credentials, error) {
	s.SecretAccessKey = randomString(secretChars, secretLen)
	s.SessionToken = randomToken(tokenBytes)
	for try := 0; ; try++ {
		s.AccessKeyID = identity.SessionKeyPrefix + randomString(upperAlnum, keySuffixLen)
		err := h.Service.PutSession(ctx, *s)
		if err == nil {
			break
		}
		// A key that is taken is astronomically unlikely; draw another
		// rather than fail.
		if try == 2 || !errors.Is(err, identity.ErrSessionExists) {
			return credentials{}, err
		}
	}
	return credentials{
		AccessKeyId:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		Expiration:      s.Expiration.Format(time.RFC3339),
	}, nil
}

// sessionPolicies checks the session policies (Policy, PolicyArns),
// which the session will be limited by, and the session tags, which orgd
// does not apply. It returns the PackedPolicySize to report when there
// are any (the share of AWS's packed limit their text would use) and the
// session policies.
func sessionPolicies(p url.Values) (*int, identity.SessionPolicy, error) {
	var own identity.SessionPolicy
	size := 0
	if pol := p.Get("Policy"); pol != "" {
		if len(pol) > maxPolicyChars {
			return nil, own, validation("Policy must be at most %d characters.", maxPolicyChars)
		}
		if !json.Valid([]byte(pol)) {
			return nil, own, &stsError{http.StatusBadRequest, "MalformedPolicyDocument", "The session policy is not valid JSON."}
		}
		// The grammar the policy will be enforced with: a policy orgd
		// could not read must not become a session that it cannot limit.
		if err := sessionpolicy.Check(pol); err != nil {
			var ve *scp.ValidationError
			if errors.As(err, &ve) {
				return nil, own, &stsError{http.StatusBadRequest, "MalformedPolicyDocument", "The session policy is not valid: " + ve.Message + "."}
			}
			return nil, own, err
		}
		own.Policy = pol
		size += len(pol)
	}
	arns := members(p, "PolicyArns", "arn")
	if len(arns) > maxPolicyArns {
		return nil, own, validation("PolicyArns may list at most %d policies.", maxPolicyArns)
	}
	for _, a := range arns {
		size += len(a)
	}
	own.PolicyArns = arns
	keys, values := members(p, "Tags", "Key"), members(p, "Tags", "Value")
	if len(keys) > maxTags {
		return nil, own, validation("Tags may have at most %d tags.", maxTags)
	}
	for i, k := range keys {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		if nk, nv := utf8.RuneCountInString(k), utf8.RuneCountInString(v); nk < 1 || nk > 128 || nv > 256 || !tagCharsRe.MatchString(k) || !tagCharsRe.MatchString(v) {
			return nil, own, validation("Tag %q=%q: keys are 1 to 128 and values 0 to 256 letters, digits, spaces and _.:/=+-@.", k, v)
		}
		size += len(k) + len(v)
	}
	if size == 0 {
		return nil, own, nil
	}
	pct := min(100, (size*100+maxPolicyChars-1)/maxPolicyChars)
	return &pct, own, nil
}

// maxPolicySets bounds the session policies one session carries: those
// of each restricted session in its chain, and its own.
const maxPolicySets = 10

// chain returns the session policies of a session that a caller limited
// by parent (nil for none) issues with its own session policies own.
// AWS does not carry a session's policies over to the session it assumes;
// orgd does, because it trusts every role of an account to every
// principal in it (CanAssumeRole): without them, a session restricted to
// reading could assume a role and be unrestricted. A chained session is
// so never wider than the session that made it, and its own policies
// narrow it further.
func chain(parent *identity.SessionPolicies, own identity.SessionPolicy) (identity.SessionPolicies, error) {
	var sets identity.SessionPolicies
	if parent != nil {
		sets = append(sets, *parent...)
	}
	if own.Policy != "" || len(own.PolicyArns) != 0 {
		sets = append(sets, own)
	}
	if len(sets) > maxPolicySets {
		return nil, &stsError{http.StatusBadRequest, "PackedPolicyTooLarge",
			fmt.Sprintf("The session would carry the session policies of %d calls, more than the %d orgd keeps: a chained session keeps the session policies of the sessions that assumed it.", len(sets), maxPolicySets)}
	}
	return sets, nil
}

// sessionAllows refuses action (sts:<action>) on resource ("" for none)
// to a caller whose session policies do not allow it; callers without
// session policies pass. keys are the request's STS condition keys.
func (h *Handler) sessionAllows(ctx context.Context, caller identity.Caller, action, resource string, keys map[string][]string) error {
	if caller.Policies == nil {
		return nil
	}
	principal := identity.PrincipalOf(caller, h.partition())
	req := scp.Request{
		Action:    "sts:" + action,
		Resource:  resource,
		Principal: principal,
		Account:   caller.AccountID,
		Context:   map[string][]string{"aws:PrincipalAccount": {caller.AccountID}},
	}
	for k, v := range keys {
		req.Context[k] = v
	}
	if caller.Region != "" {
		req.Context["aws:RequestedRegion"] = []string{caller.Region}
	}
	org, err := h.Service.OrganizationOf(ctx, caller.AccountID)
	if err != nil {
		return err
	}
	if org != "" {
		req.Context["aws:PrincipalOrgID"] = []string{org}
	}
	d := sessionpolicy.Evaluate(h.partition(), *caller.Policies, req)
	if d.Allowed {
		return nil
	}
	on := ""
	if resource != "" {
		on = " on resource: " + resource
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s%s because no session policy allows the %s action", principal, req.Action, on, req.Action)
	if d.Reason == scp.ReasonExplicitDeny {
		msg = fmt.Sprintf("User: %s is not authorized to perform: %s%s with an explicit deny in a session policy", principal, req.Action, on)
	}
	return &stsError{http.StatusForbidden, "AccessDenied", msg}
}

// members returns the values of a query-protocol list of structures,
// prefix.member.N.field for N = 1, 2, … until one is missing.
func members(p url.Values, prefix, field string) []string {
	var out []string
	for i := 1; ; i++ {
		k := prefix + ".member." + strconv.Itoa(i) + "." + field
		if !p.Has(k) {
			return out
		}
		out = append(out, p.Get(k))
	}
}
