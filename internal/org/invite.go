package org

import (
	"context"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// invitationWindow is the period of the invitation rate limit (spec 8).
const invitationWindow = 24 * time.Hour

// inviteTarget checks the Target of an invitation beyond the model.
func inviteTarget(p *api.HandshakeParty) error {
	if p == nil {
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInputRequired, "Target is required.")
	}
	switch p.Type {
	case api.HandshakePartyTypeAccount:
		if !identity.IsAccountID(p.Id) {
			// No reason names a malformed account target; INVALID_PATTERN is inferred.
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "An ACCOUNT target must be a 12-digit account ID.")
		}
	case api.HandshakePartyTypeEmail:
		if !validEmail(p.Id) {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidEmailAddressTarget, "The target email address is not valid.")
		}
	default:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPartyTypeTarget, "You can invite only an ACCOUNT or an EMAIL target.")
	}
	return nil
}

func (s *Service) InviteAccountToOrganization(ctx context.Context, in *api.InviteAccountToOrganizationRequest) (*api.InviteAccountToOrganizationResponse, error) {
	var out api.InviteAccountToOrganizationResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		// Input checks beyond the model come before the caller checks (spec 6.3).
		if err := inviteTarget(in.Target); err != nil {
			return err
		}
		if err := validateTags(in.Tags, s.cfg.Quotas.TagsPerResource); err != nil {
			return err
		}
		c, err := t.caller("InviteAccountToOrganization", in)
		if err != nil {
			return err
		}
		o := c.Org
		migration, err := t.pendingMigration(o.ID)
		if err != nil {
			return err
		}
		// CONFLICT 3.8: current AWS allows invitations during a migration.
		if migration != "" && s.cfg.Compat.RejectInvitesDuringMigration {
			return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonInviteDisabledDuringEnableAllFeatures,
				"You can't invite accounts while the organization is enabling all features.")
		}
		// The recipient in both forms: account ID and email, where known.
		target := in.Target
		rcpts := []string{strings.ToLower(target.Id)}
		acct, known := target.Id, target.Type == api.HandshakePartyTypeAccount
		if known {
			a, err := t.account(acct)
			if err != nil {
				return err
			}
			rcpts = append(rcpts, strings.ToLower(a.Email))
		} else if acct, known, err = t.accountIDByEmail(target.Id); err != nil {
			return err
		} else if known {
			rcpts = append(rcpts, acct)
		}
		if known {
			if member, err := t.has(keyMember(o.ID, acct)); err != nil {
				return err
			} else if member {
				// Inferred: inviting a member or the management account.
				return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonAlreadyInAnOrganization,
					"Account %s is already a member of this organization.", acct)
			}
		}
		for _, r := range rcpts {
			if open, err := t.has(keyInvitedTo(o.ID, r)); err != nil {
				return err
			} else if open {
				return api.NewDuplicateHandshake("An open invitation to %s from this organization already exists.", target.Id)
			}
		}
		// An open invitation holds an account slot until it ends (spec 4.1).
		if o.Members+o.CreatesInProgress+o.OpenInvitations >= s.cfg.Quotas.AccountsPerOrganization {
			return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded,
				"The organization has reached its limit of %d accounts, counting open invitations.", s.cfg.Quotas.AccountsPerOrganization)
		}
		if sent, err := t.invitationsSent(o, s.cfg.Quotas.InvitationsPerDay); err != nil {
			return err
		} else if sent >= s.cfg.Quotas.InvitationsPerDay {
			return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonHandshakeRateLimitExceeded,
				"The organization may send at most %d invitations in 24 hours.", s.cfg.Quotas.InvitationsPerDay)
		}
		id, err := t.newHandshakeID()
		if err != nil {
			return err
		}
		fs := o.FeatureSet
		if migration != "" {
			// Such an invitation promises all features (spec 3.8).
			fs = api.OrganizationFeatureSetAll
		}
		h := &handshake{
			ID: id, Org: o.ID, Mgmt: o.Management, Action: api.ActionTypeInvite, State: api.HandshakeStateOpen,
			Requested: t.now(), Expires: t.now().Add(inviteLifetime),
			TargetType: target.Type, Target: target.Id, Notes: in.Notes, Tags: in.Tags,
			MasterEmail: c.Account.Email, MasterName: c.Account.Name, FeatureSet: fs, Migration: migration,
		}
		if err := t.startHandshake(h); err != nil {
			return err
		}
		open := map[string]string{
			keyOpenInvitation(o.ID, id):              "",
			keyInvitedTo(o.ID, h.recipient()):        id,
			keyInvitationSent(o.ID, h.Requested, id): "",
		}
		if migration != "" {
			open[keyMigrationInvite(migration, id)] = ""
		}
		if err := t.putStrings(open); err != nil {
			return err
		}
		o.OpenInvitations++
		if err := t.putOrg(o); err != nil {
			return err
		}
		out.Handshake = s.handshakeView(h)
		return nil
	}))
}

// invitationsSent counts o's invitations of the last 24 hours, up to
// limit, and forgets older ones so that the index stays small.
func (t *txn) invitationsSent(o *organization, limit int) (int, error) {
	prefix := prefixInvitationsSent(o.ID)
	cutoff := t.now().Add(-invitationWindow)
	var old []string
	n := 0
	err := t.Scan(prefix, "", func(k string, _ []byte) bool {
		if at, ok := sortTime(strings.TrimPrefix(k, prefix)); ok && !at.After(cutoff) {
			old = append(old, k)
			return true
		}
		n++
		return n < limit
	})
	if err != nil {
		return 0, err
	}
	for _, k := range old {
		if err := t.Delete(k); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// acceptInvitation makes the caller a member of o through invitation h
// (spec 4.3): in the root, joined by invitation, with the invitation's tags.
func (t *txn) acceptInvitation(c *caller, o *organization, h *handshake) error {
	a := c.Account
	if a.Org != "" {
		return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonAlreadyInAnOrganization,
			"Your account is already a member of an organization; leave it before you accept.")
	}
	// h already holds one of the slots counted here.
	if o.Members+o.CreatesInProgress+o.OpenInvitations > t.s.cfg.Quotas.AccountsPerOrganization {
		return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonAccountNumberLimitExceeded,
			"The organization has reached its limit of %d accounts.", t.s.cfg.Quotas.AccountsPerOrganization)
	}
	if err := t.finishHandshake(o, h, api.HandshakeStateAccepted, t.now()); err != nil {
		return err
	}
	a.Joined, a.JoinedAt = api.AccountJoinedMethodInvited, t.now()
	if a.State == "" {
		a.State = api.AccountStateActive
	}
	if err := t.addMember(o, a, o.Root); err != nil {
		return err
	}
	if err := t.putTags(a.ID, append([]api.Tag(nil), h.Tags...)); err != nil {
		return err
	}
	o.Members++
	if err := t.memberJoined(o, a); err != nil {
		return err
	}
	return t.putOrg(o)
}
