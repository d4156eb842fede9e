package org

import (
	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/policy/scp"
)

// access is who may call an operation (spec section 6.2).
type access uint8

const (
	anyAccount     access = iota // standalone callers too; the operation checks the rest
	inOrg                        // any account in an organization
	management                   // the management account only
	managementOrDA               // the management account or a delegated administrator
)

// operationAccess is the one table of who may call what.
var operationAccess = map[string]access{
	"AcceptHandshake":                            anyAccount,
	"AttachPolicy":                               managementOrDA,
	"CancelHandshake":                            anyAccount,
	"CloseAccount":                               management,
	"CreateAccount":                              management,
	"CreateGovCloudAccount":                      management,
	"CreateOrganization":                         anyAccount,
	"CreateOrganizationalUnit":                   management,
	"CreatePolicy":                               managementOrDA,
	"DeclineHandshake":                           anyAccount,
	"DeleteOrganization":                         management,
	"DeleteOrganizationalUnit":                   management,
	"DeletePolicy":                               managementOrDA,
	"DeleteResourcePolicy":                       management,
	"DeregisterDelegatedAdministrator":           management,
	"DescribeAccount":                            managementOrDA,
	"DescribeCreateAccountStatus":                managementOrDA,
	"DescribeEffectivePolicy":                    inOrg,
	"DescribeHandshake":                          anyAccount,
	"DescribeOrganization":                       inOrg,
	"DescribeOrganizationalUnit":                 managementOrDA,
	"DescribePolicy":                             managementOrDA,
	"DescribeResourcePolicy":                     managementOrDA,
	"DescribeResponsibilityTransfer":             managementOrDA,
	"DetachPolicy":                               managementOrDA,
	"DisableAWSServiceAccess":                    management,
	"DisablePolicyType":                          managementOrDA,
	"EnableAWSServiceAccess":                     management,
	"EnableAllFeatures":                          management,
	"EnablePolicyType":                           managementOrDA,
	"InviteAccountToOrganization":                management,
	"InviteOrganizationToTransferResponsibility": management,
	"LeaveOrganization":                          inOrg,
	"ListAWSServiceAccessForOrganization":        managementOrDA,
	"ListAccounts":                               managementOrDA,
	"ListAccountsForParent":                      managementOrDA,
	"ListAccountsWithInvalidEffectivePolicy":     managementOrDA,
	"ListChildren":                               managementOrDA,
	"ListCreateAccountStatus":                    managementOrDA,
	"ListDelegatedAdministrators":                managementOrDA,
	"ListDelegatedServicesForAccount":            managementOrDA,
	"ListEffectivePolicyValidationErrors":        managementOrDA,
	"ListHandshakesForAccount":                   anyAccount,
	"ListHandshakesForOrganization":              managementOrDA,
	"ListInboundResponsibilityTransfers":         managementOrDA,
	"ListOrganizationalUnitsForParent":           managementOrDA,
	"ListOutboundResponsibilityTransfers":        managementOrDA,
	"ListParents":                                managementOrDA,
	"ListPolicies":                               managementOrDA,
	"ListPoliciesForTarget":                      managementOrDA,
	"ListRoots":                                  managementOrDA,
	"ListTagsForResource":                        managementOrDA,
	"ListTargetsForPolicy":                       managementOrDA,
	"MoveAccount":                                management,
	"PutResourcePolicy":                          management,
	"RegisterDelegatedAdministrator":             management,
	"RemoveAccountFromOrganization":              management,
	"TagResource":                                managementOrDA,
	"TerminateResponsibilityTransfer":            management,
	"UntagResource":                              managementOrDA,
	"UpdateOrganizationalUnit":                   management,
	"UpdatePolicy":                               managementOrDA,
	"UpdateResponsibilityTransfer":               management,
}

// caller is the account an operation acts as, and where it stands.
type caller struct {
	ID      string
	Account *account
	Org     *organization // nil for a standalone account
	Mgmt    bool          // the management account of Org
	DA      bool          // a delegated administrator in Org
	// authz is the request policies decide this call on, once built
	// (authzRequest): session policies and SCPs both read it.
	authz *scp.Request
}

// Messages AWS is seen to send (spec section 7.4).
const (
	msgNotInUse     = "Your account is not a member of an organization."
	msgAccessDenied = "You don't have permissions to access this resource."
)

func errNotInUse() error     { return api.NewAWSOrganizationsNotInUse(msgNotInUse) }
func errAccessDenied() error { return api.NewAccessDenied(msgAccessDenied) }

// caller resolves the calling account and checks, in the order of spec
// section 6.3, that it may call op: membership, then role. A session
// with session policies must have their leave first. in is the
// operation's input, or nil: the policy checks take its resource from it.
func (t *txn) caller(op string, in any) (*caller, error) {
	ident := callerOf(t.ctx)
	id := ident.AccountID
	a, err := t.account(id)
	if err != nil {
		return nil, err
	}
	// The first caller of the transaction lives in it; a second one, rare,
	// gets its own, so that neither changes the other.
	var c *caller
	if t.hasWho {
		c = new(caller)
	} else {
		c, t.hasWho = &t.who, true
	}
	*c = caller{ID: id, Account: a}
	if t.s.hints {
		t.s.noteOrgOf(id, a.Org)
	}
	if a.Org != "" {
		o, ok, err := t.org(a.Org)
		if err != nil {
			return nil, err
		}
		if ok {
			c.Org = o
			c.Mgmt = o.Management == id
			if !c.Mgmt {
				if c.DA, err = t.hasPrefix(prefixDelegated(o.ID, id)); err != nil {
					return nil, err
				}
			}
		}
	}
	acc, known := operationAccess[op]
	if !known {
		return nil, api.NotImplemented(op)
	}
	// Session policies limit what the caller itself may ask, as IAM does
	// before the service weighs the call: first, so that a restricted
	// session learns nothing from the checks after (sessionpolicy.go).
	if ident.Policies != nil {
		if err := t.enforceSessionPolicies(c, op, in, ident.Policies); err != nil {
			return nil, err
		}
	}
	if acc != anyAccount {
		if c.Org == nil {
			return nil, errNotInUse()
		}
		switch acc {
		case management:
			if !c.Mgmt {
				return nil, errAccessDenied()
			}
		case managementOrDA:
			if !c.Mgmt && !c.DA {
				return nil, errAccessDenied()
			}
		}
		if c.DA {
			// Policy writes need the delegation policy's grant (delegation.go).
			if err := t.checkDelegation(op, c, in); err != nil {
				return nil, err
			}
		}
		if err := checkFeatureSet(op, c.Org); err != nil {
			return nil, err
		}
	}
	// SCPs apply to every call a member makes, the handshake operations
	// that standalone accounts may also call included.
	if err := t.enforceSCPs(c, op, in); err != nil {
		return nil, err
	}
	return c, nil
}
