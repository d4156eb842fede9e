package identity

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
)

// Session is a set of temporary credentials that STS issued for a role.
// Its JSON form is the one the store keeps.
type Session struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// AccountID and RoleName are the role the session acts as; RoleARN
	// keeps the role's path.
	AccountID   string
	RoleName    string
	RoleARN     string
	SessionName string
	// Principal is the session's ARN,
	// arn:<partition>:sts::<acct>:assumed-role/<role>/<session>.
	Principal string
	// Source is the principal that called AssumeRole.
	Source string
	// SourceIdentity is the value the caller set, if any.
	SourceIdentity string `json:",omitempty"`
	// Policies are the session policies that limit the session; nil when
	// none does. Sessions stored before orgd kept them have none.
	Policies SessionPolicies `json:",omitempty"`
}

// SessionPolicy is the session policies one STS call passed: the inline
// Policy and the managed PolicyArns, of which a request needs one
// statement that allows it and none that denies it.
type SessionPolicy struct {
	Policy     string   `json:",omitempty"`
	PolicyArns []string `json:",omitempty"`
}

// SessionPolicies are the session policies in force for a session: those
// it was issued with and, for a session a restricted session assumed
// (role chaining), those of the session that assumed it, first. Each
// SessionPolicy must allow a request on its own, so a chained session is
// never wider than the one that made it.
type SessionPolicies []SessionPolicy

// Caller is the caller that requests signed with s act as.
func (s Session) Caller() Caller {
	c := Caller{AccountID: s.AccountID, AccessKeyID: s.AccessKeyID, Principal: s.Principal, Temporary: true}
	if len(s.Policies) != 0 {
		// A copy of the slice, declared here, so that only restricted
		// sessions allocate: &s.Policies would move every s to the heap.
		p := s.Policies
		c.Policies = &p
	}
	return c
}

// SessionSource finds sessions by access key ID. The store behind it is
// shared by every orgd server, so a session outlives the server that
// issued it.
type SessionSource interface {
	Session(ctx context.Context, accessKeyID string) (Session, bool, error)
}

// ErrSessionExists is the error for storing a session under an access key
// ID that another session has.
var ErrSessionExists = errors.New("a session with that access key ID exists")

// SessionKeyPrefix starts every access key ID that STS issues, and no
// long-term key.
const SessionKeyPrefix = "ASIA"

func isSessionKey(key string) bool { return strings.HasPrefix(key, SessionKeyPrefix) }

// FederatedUserARN is the principal of a GetFederationToken session.
func FederatedUserARN(partition, account, name string) string {
	return "arn:" + partition + ":sts::" + account + ":federated-user/" + name
}

// Kind is what sort of credentials a caller signs with; STS decides by
// it which of its actions the caller may call.
type Kind int

const (
	// LongTerm is a key from the credentials file (or, in permissive
	// mode, any key that is not a session's).
	LongTerm Kind = iota
	// RoleSession is a session of an assumed role (AssumeRole,
	// AssumeRoleWithWebIdentity, AssumeRoleWithSAML).
	RoleSession
	// FederatedSession is a GetFederationToken session.
	FederatedSession
	// UserSession is a GetSessionToken session: the caller itself, with
	// temporary keys.
	UserSession
)

// KindOf tells what sort of credentials c signs with, from its
// principal.
func KindOf(c Caller) Kind {
	switch {
	case !c.Temporary:
		return LongTerm
	case assumedRoleRe.MatchString(c.Principal):
		return RoleSession
	case federatedUserRe.MatchString(c.Principal):
		return FederatedSession
	}
	return UserSession
}

var federatedUserRe = regexp.MustCompile(`^arn:([a-z][a-z0-9-]*):sts::(\d{12}):federated-user/(.+)$`)

// AssumedRoleARN is the principal of a session of role in account.
func AssumedRoleARN(partition, account, role, session string) string {
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + role + "/" + session
}
