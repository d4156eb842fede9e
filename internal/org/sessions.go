package org

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// STS sessions live in the store, not in a server, so that they survive
// restarts and every server sharing the store accepts them.

func keySession(accessKeyID string) string { return "session/" + accessKeyID }

// sessionRetention is how long an expired session is kept, so that its
// key is refused as expired rather than as unknown.
const sessionRetention = 24 * time.Hour

const dueSessionExpired = "session-expired"

func init() {
	dueWork[dueSessionExpired] = func(t *txn, id string) error { return t.Delete(keySession(id)) }
}

// session is the stored form of an STS session: identity.Session as JSON.
type session identity.Session

// PutSession stores a session that STS issued; an access key ID in use
// is identity.ErrSessionExists.
func (s *Service) PutSession(ctx context.Context, in identity.Session) error {
	return s.write(ctx, func(t *txn) error {
		if taken, err := t.has(keySession(in.AccessKeyID)); err != nil || taken {
			if taken {
				return identity.ErrSessionExists
			}
			return err
		}
		rec := session(in)
		if err := t.putJSON(keySession(in.AccessKeyID), &rec); err != nil {
			return err
		}
		return t.schedule(in.Expiration.Add(sessionRetention), dueSessionExpired, in.AccessKeyID)
	})
}

// Session returns the session of an access key ID. It implements
// identity.SessionSource.
func (s *Service) Session(ctx context.Context, accessKeyID string) (identity.Session, bool, error) {
	var rec session
	var ok bool
	err := s.read(ctx, func(t *txn) error {
		var err error
		ok, err = t.getJSON(keySession(accessKeyID), &rec)
		return err
	})
	if err != nil || !ok {
		return identity.Session{}, false, err
	}
	return identity.Session(rec), true, nil
}

var _ identity.SessionSource = (*Service)(nil)

// CanAssumeRole reports whether caller may assume role in account. orgd
// keeps no IAM roles or trust policies, so it stands in for them with the
// trust that AWS Organizations sets up:
//   - any role in the caller's own account;
//   - any role in an active member account of the organization the
//     caller manages. This covers the role CreateAccount makes
//     (OrganizationAccountAccessRole unless RoleName says otherwise), and
//     also any other role name, as if the management account had set up
//     the same trust in every member.
//
// Anything else, including one member assuming into another, is refused.
func (s *Service) CanAssumeRole(ctx context.Context, caller identity.Caller, account, role string) (bool, error) {
	if !identity.IsAccountID(account) || role == "" {
		return false, nil
	}
	if caller.AccountID == account {
		return true, nil
	}
	var ok bool
	err := s.read(ctx, func(t *txn) error {
		a, stored, err := t.storedAccount(account)
		if err != nil || !stored || a.Org == "" {
			return err
		}
		if a.State != "" && a.State != api.AccountStateActive {
			return nil
		}
		o, found, err := t.org(a.Org)
		if err != nil || !found {
			return err
		}
		ok = o.Management == caller.AccountID
		return nil
	})
	return ok, err
}
