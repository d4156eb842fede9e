// Package sessionpolicy decides what the session policies of an STS
// session let it do. On AWS a session's permissions are the intersection
// of its identity's permissions and its session policies. orgd keeps no
// IAM identity policies (a principal has its account's rights, within
// its SCPs), so for orgd a session with session policies may do only
// what they allow, on top of every other check.
//
// Session policies are IAM identity policies, compiled and evaluated by
// package scp, whose grammar and evaluator they share. It does no I/O:
// callers hand it the session's policies and the request's facts.
package sessionpolicy

import (
	"strings"
	"sync"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/policy/scp"
)

// Check validates an inline session policy (the Policy parameter) as
// Evaluate will read it; grammar errors are *scp.ValidationError, which
// STS answers as MalformedPolicyDocument.
func Check(inline string) error {
	_, err := compile(inline)
	return err
}

// Evaluate decides req for a session limited by sets: each set (the
// policies one STS call passed) must have a statement that allows req,
// and no statement of any set may deny it, an explicit deny winning as
// everywhere in IAM. A set allows only through what orgd can read of it:
// its inline policy and the AWS managed policies Managed knows; any
// other policy ARN grants nothing, so a set of unknown ARNs allows
// nothing. A statement whose outcome hangs on a condition key orgd does
// not model (see Determined) leaves the decision ReasonUndetermined,
// which callers must refuse. No sets allow nothing either: callers ask
// only about sessions that have some.
//
// The SCP exemptions (management account, service-linked roles) do not
// apply to session policies; Evaluate clears them.
func Evaluate(partition string, sets identity.SessionPolicies, req scp.Request) scp.Decision {
	levels := make([]scp.Level, len(sets))
	for i, set := range sets {
		lv := &levels[i]
		lv.TargetID, lv.TargetName = "session", "session policies"
		if set.Policy != "" {
			// STS checked the policy when it issued the session; one that
			// no longer compiles grants nothing.
			if doc, err := compile(set.Policy); err == nil {
				lv.Policies = append(lv.Policies, scp.Policy{ID: "inline", Name: "inline session policy", Doc: doc})
			}
		}
		for _, arn := range set.PolicyArns {
			if doc := Managed(partition, arn); doc != nil {
				lv.Policies = append(lv.Policies, scp.Policy{ID: arn, Name: arn[strings.LastIndexByte(arn, '/')+1:], Doc: doc})
			}
		}
	}
	req.ManagementAccount, req.ServiceLinkedRole = false, false
	req.Unknown = undetermined
	return scp.Evaluate(levels, req)
}

// Determined lists the condition keys whose absence from a request's
// Context orgd knows to mean that the key is absent, because callers put
// them there whenever they have a value: aws:PrincipalOrgID (the caller's
// organization; absent for a standalone account), and the STS keys of
// AssumeRole (absent on every other call). aws:PrincipalArn and
// aws:PrincipalAccount come from Request itself. Every other key that a
// request's Context lacks is one orgd cannot know (aws:SourceIp,
// aws:SecureTransport, aws:PrincipalTag/…, aws:CurrentTime, …), and a
// session policy that depends on one is refused rather than guessed.
var Determined = []string{"aws:PrincipalOrgID", "sts:RoleSessionName", "sts:ExternalId", "sts:SourceIdentity"}

func undetermined(key string) bool {
	for _, k := range Determined {
		if strings.EqualFold(k, key) {
			return false
		}
	}
	return true
}

// cacheSize bounds the compiled inline policies kept. A restricted
// session's every request would otherwise parse its policy again; the
// bound keeps a caller who makes many distinct policies from growing the
// cache without end.
const cacheSize = 512

var cache = struct {
	sync.Mutex
	docs map[string]*scp.Document
}{docs: make(map[string]*scp.Document)}

// compile parses an inline session policy, from the cache when it can.
// A Document is read-only once parsed, so one serves every request.
func compile(text string) (*scp.Document, error) {
	cache.Lock()
	doc := cache.docs[text]
	cache.Unlock()
	if doc != nil {
		return doc, nil
	}
	doc, err := scp.ParseSessionPolicy(text)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	if len(cache.docs) >= cacheSize {
		clear(cache.docs)
	}
	cache.docs[text] = doc
	cache.Unlock()
	return doc, nil
}
