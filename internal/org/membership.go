package org

import (
	"time"

	"github.com/orgd/orgd/internal/api"
)

// createdAccountWait is how long a created account must wait before it can
// leave or be removed (spec section 5.5: 4 days, the current value).
const createdAccountWait = 4 * 24 * time.Hour

// closedAccountRetention is how long a closed account stays in its
// organization before it is removed for good.
const closedAccountRetention = 90 * 24 * time.Hour

// beforeRemoveMember lets other parts of the domain refuse a removal (a
// delegated administrator) or clean up after a member (its open handshakes).
// Hooks run after the common rules pass and before the account leaves.
var beforeRemoveMember []func(t *txn, o *organization, a *account) error

// onMemberJoined lets other parts of the domain act when an account joins
// an organization, by creation or invitation (policies attach the default
// FullAWSAccess there). Callers of addMember for a new member run them.
var onMemberJoined []func(t *txn, o *organization, a *account) error

// memberJoined runs the onMemberJoined hooks.
func (t *txn) memberJoined(o *organization, a *account) error {
	for _, hook := range onMemberJoined {
		if err := hook(t, o, a); err != nil {
			return err
		}
	}
	return nil
}

// removeMember takes account a out of organization o, for
// RemoveAccountFromOrganization and LeaveOrganization alike: the rules the
// two share, then the effects (spec section 5.5).
func (t *txn) removeMember(o *organization, a *account) error {
	if a.ID == o.Management {
		return api.NewMasterCannotLeaveOrganization("You can't remove the management account from its organization.")
	}
	if a.Joined == api.AccountJoinedMethodCreated && t.now().Before(a.JoinedAt.Add(createdAccountWait)) {
		return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonWaitPeriodActive,
			"An account created in the organization can leave it only %d days after it was created.", int(createdAccountWait/(24*time.Hour)))
	}
	if da, err := t.hasPrefix(prefixDelegated(o.ID, a.ID)); err != nil {
		return err
	} else if da {
		return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonCannotRemoveDelegatedAdministratorFromOrg,
			"You can't remove a delegated administrator from the organization; deregister it first.")
	}
	if a.State == api.AccountStatePendingClosure || a.State == api.AccountStateSuspended || a.State == api.AccountStateClosed {
		return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonAccountCannotLeaveOrganization,
			"A closed or closing account stays in the organization until it is closed for good.")
	}
	for _, hook := range beforeRemoveMember {
		if err := hook(t, o, a); err != nil {
			return err
		}
	}
	if err := t.dropMember(a); err != nil {
		return err
	}
	o.Members--
	return t.putOrg(o)
}
