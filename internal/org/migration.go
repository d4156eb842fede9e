package org

import (
	"context"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// migrationSizeLimit is the largest organization the standard all-features
// migration takes (spec 3.1: "less than 5000"; inferred: refuse above 5000).
const migrationSizeLimit = 5000

// onAllFeaturesEnabled lets other parts of the domain act when an
// organization finishes its migration to all features. The root's policy
// types are deliberately left as they are (spec 3.7, inferred).
var onAllFeaturesEnabled []func(t *txn, o *organization) error

// pendingMigration returns the ID of o's REQUESTED or OPEN
// ENABLE_ALL_FEATURES handshake, or "".
func (t *txn) pendingMigration(org string) (string, error) {
	v, ok, err := t.Get(keyMigration(org))
	if err != nil || !ok {
		return "", err
	}
	return string(v), nil
}

// EnableAllFeatures starts the migration from consolidated billing to all
// features (spec 3.9): a parent handshake for the management account, and
// an approval for every member that joined by invitation.
func (s *Service) EnableAllFeatures(ctx context.Context, _ *api.EnableAllFeaturesRequest) (*api.EnableAllFeaturesResponse, error) {
	var out api.EnableAllFeaturesResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, err := t.caller("EnableAllFeatures", nil)
		if err != nil {
			return err
		}
		o := c.Org
		if o.FeatureSet == api.OrganizationFeatureSetAll {
			return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonOrganizationAlreadyHasAllFeatures,
				"The organization already has all features enabled.")
		}
		if pending, err := t.pendingMigration(o.ID); err != nil {
			return err
		} else if pending != "" {
			return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonOrganizationIsAlreadyPendingAllFeaturesMigration,
				"The organization is already enabling all features (handshake %s).", pending)
		}
		if o.Members > migrationSizeLimit {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonAllFeaturesMigrationOrganizationSizeLimitExceeded,
				"Only organizations of at most %d accounts can enable all features this way.", migrationSizeLimit)
		}
		// Invitations still open promised consolidated billing (spec 3.8).
		if err := t.cancelOpenHandshakes(o, t.now(), prefixOpenInvitations(o.ID)); err != nil {
			return err
		}
		id, err := t.newHandshakeID()
		if err != nil {
			return err
		}
		parent := &handshake{
			ID: id, Org: o.ID, Mgmt: o.Management, Action: api.ActionTypeEnableAllFeatures,
			State: api.HandshakeStateRequested, Requested: t.now(), Expires: t.now().Add(allFeaturesLifetime),
		}
		members, err := t.keysWithPrefix(prefixMembers(o.ID))
		if err != nil {
			return err
		}
		for _, k := range members {
			if err := t.requestApproval(o, parent, lastSegment(k)); err != nil {
				return err
			}
		}
		if parent.Pending == 0 {
			// Nobody has to approve: the management account may finalize now.
			parent.State = api.HandshakeStateOpen
		}
		if err := t.startHandshake(parent); err != nil {
			return err
		}
		if err := t.Put(keyMigration(o.ID), []byte(parent.ID)); err != nil {
			return err
		}
		if err := t.putOrg(o); err != nil {
			return err
		}
		out.Handshake = s.handshakeView(parent)
		return nil
	}))
}

// requestApproval sends parent's APPROVE_ALL_FEATURES child to member id if
// it joined by invitation: created accounts have approved implicitly and
// the management account is the one asking (spec 3.2).
func (t *txn) requestApproval(o *organization, parent *handshake, id string) error {
	if id == o.Management {
		return nil
	}
	a, err := t.account(id)
	if err != nil {
		return err
	}
	if a.Joined != api.AccountJoinedMethodInvited || (a.State != "" && a.State != api.AccountStateActive) {
		return nil
	}
	cid, err := t.newHandshakeID()
	if err != nil {
		return err
	}
	child := &handshake{
		ID: cid, Org: o.ID, Mgmt: o.Management, Action: api.ActionTypeApproveAllFeatures,
		State: api.HandshakeStateOpen, Requested: parent.Requested, Expires: parent.Expires,
		TargetType: api.HandshakePartyTypeAccount, Target: id, Parent: parent.ID,
	}
	if err := t.startHandshake(child); err != nil {
		return err
	}
	parent.Pending++
	return t.Put(keyBlockingChild(parent.ID, id), []byte(cid))
}

// approveAllFeatures accepts child h; its parent opens when no child
// blocks it any more.
func (t *txn) approveAllFeatures(h *handshake) error {
	if err := t.finishHandshake(nil, h, api.HandshakeStateAccepted, t.now()); err != nil {
		return err
	}
	return t.unblockMigration(h.Parent, h.Target)
}

// unblockMigration stops account acct from blocking the migration parent,
// because it approved or left the organization. The parent turns OPEN when
// nothing blocks it. A per-parent count keeps this constant-time.
func (t *txn) unblockMigration(parentID, acct string) error {
	k := keyBlockingChild(parentID, acct)
	if blocking, err := t.has(k); err != nil || !blocking {
		return err
	}
	if err := t.Delete(k); err != nil {
		return err
	}
	p, ok, err := t.handshake(parentID)
	if err != nil || !ok {
		return err
	}
	p.Pending--
	if p.Pending <= 0 && p.State == api.HandshakeStateRequested {
		p.State = api.HandshakeStateOpen
	}
	return t.putHandshake(p)
}

// finalizeAllFeatures is the management account accepting the OPEN parent:
// the organization has all features from now on.
func (t *txn) finalizeAllFeatures(o *organization, parent *handshake) error {
	if err := t.finishHandshake(o, parent, api.HandshakeStateAccepted, t.now()); err != nil {
		return err
	}
	if err := t.clearMigration(parent); err != nil {
		return err
	}
	o.FeatureSet = api.OrganizationFeatureSetAll
	for _, hook := range onAllFeaturesEnabled {
		if err := hook(t, o); err != nil {
			return err
		}
	}
	return t.putOrg(o)
}

// endMigration ends parent as canceled or expired at time at, and with it
// every request of that attempt (spec 3.5): its open approvals and the
// invitations issued while it ran. The caller stores o.
func (t *txn) endMigration(o *organization, parent *handshake, state api.HandshakeState, at time.Time) error {
	if err := t.finishHandshake(o, parent, state, at); err != nil {
		return err
	}
	if err := t.cancelOpenHandshakes(o, at, prefixChildHandshakes(parent.ID), prefixMigrationInvites(parent.ID)); err != nil {
		return err
	}
	return t.clearMigration(parent)
}

// clearMigration deletes what marks parent's migration as pending.
func (t *txn) clearMigration(parent *handshake) error {
	if v, ok, err := t.Get(keyMigration(parent.Org)); err != nil {
		return err
	} else if ok && string(v) == parent.ID {
		if err := t.Delete(keyMigration(parent.Org)); err != nil {
			return err
		}
	}
	return t.deletePrefixes(prefixBlockingChildren(parent.ID), prefixMigrationInvites(parent.ID))
}
