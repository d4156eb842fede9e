package org

import (
	"context"
	"strings"

	"github.com/orgd/orgd/internal/api"
)

func init() {
	beforeRemoveMember = append(beforeRemoveMember, (*txn).cancelMemberHandshakes)
	beforeDeleteOrganization = append(beforeDeleteOrganization, (*txn).discardOrgHandshakes)
}

// LeaveOrganization takes the calling member out of its organization, by
// the rules it shares with RemoveAccountFromOrganization (spec 5.5).
func (s *Service) LeaveOrganization(ctx context.Context, _ *api.Empty) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, err := t.caller("LeaveOrganization", nil)
		if err != nil {
			return err
		}
		if c.Mgmt {
			return api.NewMasterCannotLeaveOrganization("The management account can't leave its organization; delete the organization instead.")
		}
		// A service control policy denying organizations:LeaveOrganization
		// has already refused the call in t.caller, before any effect.
		return t.removeMember(c.Org, c.Account)
	}))
}

// cancelMemberHandshakes is the beforeRemoveMember hook: the open
// handshakes o sent to a leaving account are canceled, and the account no
// longer blocks a pending migration, which may therefore open (spec 3.6,
// inferred). o's counters change in place; removeMember stores o.
func (t *txn) cancelMemberHandshakes(o *organization, a *account) error {
	var prefixes []string
	for _, rcpt := range []string{a.ID, strings.ToLower(a.Email)} {
		if rcpt != "" {
			prefixes = append(prefixes, prefixRecipientHandshakes(rcpt))
		}
	}
	if err := t.eachHandshake(prefixes, func(h *handshake) error {
		if h.Org != o.ID || !h.open() {
			return nil
		}
		return t.finishHandshake(o, h, api.HandshakeStateCanceled, t.now())
	}); err != nil {
		return err
	}
	parent, err := t.pendingMigration(o.ID)
	if err != nil || parent == "" {
		return err
	}
	return t.unblockMigration(parent, a.ID)
}

// discardOrgHandshakes is the beforeDeleteOrganization hook: an
// organization's handshakes go with it (spec 5.7, inferred).
func (t *txn) discardOrgHandshakes(o *organization) error {
	if err := t.eachHandshake([]string{prefixOrgHandshakes(o.ID)}, t.deleteHandshake); err != nil {
		return err
	}
	// Whatever is left of the rate index and the open markers.
	if err := t.deletePrefixes(prefixInvitationsSent(o.ID), prefixOpenInvitations(o.ID), "hsinvto/"+o.ID+"/"); err != nil {
		return err
	}
	return t.Delete(keyMigration(o.ID))
}
