package org

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// Delegated administrators: member accounts registered to administer an
// integrated service (RegisterDelegatedAdministrator and friends).
//
// Each registration is one key under prefixDelegated(org, acct), which is
// what access.go and membership.go test to tell a delegated administrator,
// and one key in a by-service index, so that a service's administrators
// are a prefix scan. Both hold the delegation record.

func keyDelegated(org, acct, principal string) string { return prefixDelegated(org, acct) + principal }
func prefixOrgDelegated(org string) string            { return "delegated/" + org + "/" }
func keyServiceDelegate(org, principal, acct string) string {
	return prefixServiceDelegates(org, principal) + acct
}
func prefixServiceDelegates(org, principal string) string {
	return "delegatedsvc/" + org + "/" + principal + "/"
}
func prefixOrgServiceDelegates(org string) string { return "delegatedsvc/" + org + "/" }

// delegation is the stored form of one registration.
type delegation struct {
	Since time.Time
}

// delegationSince reads a registration's date; a value that is not a
// delegation record (as tests plant) has none.
func delegationSince(v []byte) time.Time {
	var d delegation
	if len(v) == 0 || json.Unmarshal(v, &d) != nil {
		return time.Time{}
	}
	return d.Since
}

func init() {
	beforeDeleteOrganization = append(beforeDeleteOrganization, func(t *txn, o *organization) error {
		// The organization's enabled services and delegations go with it.
		return t.deletePrefixes(prefixServiceAccess(o.ID), prefixOrgDelegated(o.ID), prefixOrgServiceDelegates(o.ID))
	})
}

// dropServiceDelegations deregisters every delegated administrator of
// principal in o.
func (t *txn) dropServiceDelegations(o *organization, principal string) error {
	accts, err := t.idsWithPrefix(prefixServiceDelegates(o.ID, principal))
	if err != nil {
		return err
	}
	for _, acct := range accts {
		if err := t.dropDelegation(o, acct, principal); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) dropDelegation(o *organization, acct, principal string) error {
	if err := t.Delete(keyDelegated(o.ID, acct, principal)); err != nil {
		return err
	}
	return t.Delete(keyServiceDelegate(o.ID, principal, acct))
}

func (s *Service) RegisterDelegatedAdministrator(ctx context.Context, in *api.RegisterDelegatedAdministratorRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		sp, err := knownPrincipal(in.ServicePrincipal)
		if err != nil {
			return err
		}
		if sp.MaxDelegatedAdmins == 0 {
			// No documented error fits a service without delegated
			// administration (inferred): the principal is not one this
			// operation recognises.
			return api.NewInvalidInput(api.InvalidInputExceptionReasonUnrecognizedServicePrincipal,
				"The service %s does not support delegated administrators.", in.ServicePrincipal)
		}
		c, a, err := t.memberFor("RegisterDelegatedAdministrator", in, in.AccountId)
		if err != nil {
			return err
		}
		o := c.Org
		if a.ID == o.Management {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonCannotRegisterMasterAsDelegatedAdministrator,
				"The management account can't be a delegated administrator; choose a member account.")
		}
		if accountStatus(a.State) != api.AccountStatusActive {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonCannotRegisterSuspendedAccountAsDelegatedAdministrator,
				"Account %s is closed or closing and can't be a delegated administrator.", a.ID)
		}
		if on, err := t.has(keyDelegated(o.ID, a.ID, in.ServicePrincipal)); err != nil {
			return err
		} else if on {
			return api.NewAccountAlreadyRegistered("Account %s is already a delegated administrator for %s.", a.ID, in.ServicePrincipal)
		}
		if on, err := t.serviceAccessEnabled(o, in.ServicePrincipal); err != nil {
			return err
		} else if !on {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonServiceAccessNotEnabled,
				"Enable trusted access for %s with EnableAWSServiceAccess before you register a delegated administrator for it.", in.ServicePrincipal)
		}
		n := 0
		if err := t.Scan(prefixServiceDelegates(o.ID, in.ServicePrincipal), "", func(string, []byte) bool {
			n++
			return n < sp.MaxDelegatedAdmins
		}); err != nil {
			return err
		}
		if n >= sp.MaxDelegatedAdmins {
			if sp.MaxDelegatedAdmins == 1 {
				return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonDelegatedAdministratorExistsForThisService,
					"%s already has a delegated administrator; deregister it first.", in.ServicePrincipal)
			}
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMaxDelegatedAdministratorsForServiceLimitExceeded,
				"%s takes at most %d delegated administrators.", in.ServicePrincipal, sp.MaxDelegatedAdmins)
		}
		d := delegation{Since: t.now()}
		if err := t.putJSON(keyDelegated(o.ID, a.ID, in.ServicePrincipal), d); err != nil {
			return err
		}
		return t.putJSON(keyServiceDelegate(o.ID, in.ServicePrincipal, a.ID), d)
	}))
}

func (s *Service) DeregisterDelegatedAdministrator(ctx context.Context, in *api.DeregisterDelegatedAdministratorRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		if _, err := knownPrincipal(in.ServicePrincipal); err != nil {
			return err
		}
		c, a, err := t.memberFor("DeregisterDelegatedAdministrator", in, in.AccountId)
		if err != nil {
			return err
		}
		o := c.Org
		if on, err := t.has(keyDelegated(o.ID, a.ID, in.ServicePrincipal)); err != nil {
			return err
		} else if !on {
			return errNotRegistered(a.ID, in.ServicePrincipal)
		}
		return t.dropDelegation(o, a.ID, in.ServicePrincipal)
	}))
}

func errNotRegistered(acct, principal string) error {
	if principal == "" {
		return api.NewAccountNotRegistered("Account %s is not a delegated administrator.", acct)
	}
	return api.NewAccountNotRegistered("Account %s is not a delegated administrator for %s.", acct, principal)
}

// delegatedAdminView is the DelegatedAdministrator entry for account acct.
func (t *txn) delegatedAdminView(o *organization, acct string, since time.Time) (api.DelegatedAdministrator, error) {
	a, err := t.account(acct)
	if err != nil {
		return api.DelegatedAdministrator{}, err
	}
	return api.DelegatedAdministrator{
		Id:                    a.ID,
		Arn:                   t.s.accountARN(o, a.ID),
		Email:                 a.Email,
		Name:                  a.Name,
		Status:                accountStatus(a.State),
		State:                 a.State,
		JoinedMethod:          a.Joined,
		JoinedTimestamp:       api.NewTime(a.JoinedAt),
		DelegationEnabledDate: api.NewTime(since),
	}, nil
}

func (s *Service) ListDelegatedAdministrators(ctx context.Context, in *api.ListDelegatedAdministratorsRequest) (*api.ListDelegatedAdministratorsResponse, error) {
	out := api.ListDelegatedAdministratorsResponse{DelegatedAdministrators: []api.DelegatedAdministrator{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListDelegatedAdministrators"
		if in.ServicePrincipal != "" {
			if _, err := knownPrincipal(in.ServicePrincipal); err != nil {
				return err
			}
		}
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		o := c.Org
		scope := []string{o.ID, in.ServicePrincipal}
		if in.ServicePrincipal != "" {
			// One service: its index, in account order, with that
			// service's delegation date.
			out.NextToken, err = t.list(op, c, scope, prefixServiceDelegates(o.ID, in.ServicePrincipal), in.NextToken, in.MaxResults, nil,
				func(k string, v []byte) error {
					view, err := t.delegatedAdminView(o, lastSegment(k), delegationSince(v))
					out.DelegatedAdministrators = append(out.DelegatedAdministrators, view)
					return err
				})
			return err
		}
		// Every service: one entry per account, at the account's first
		// key, dated by its earliest delegation.
		prefix := prefixOrgDelegated(o.ID)
		accountOf := func(k string) string {
			acct, _, _ := strings.Cut(strings.TrimPrefix(k, prefix), "/")
			return acct
		}
		first := func(k string, _ []byte) (bool, error) {
			var head string
			err := t.Scan(prefixDelegated(o.ID, accountOf(k)), "", func(k string, _ []byte) bool { head = k; return false })
			return head == k, err
		}
		out.NextToken, err = t.list(op, c, scope, prefix, in.NextToken, in.MaxResults, first,
			func(k string, _ []byte) error {
				acct := accountOf(k)
				var since time.Time
				if err := t.Scan(prefixDelegated(o.ID, acct), "", func(_ string, v []byte) bool {
					if d := delegationSince(v); since.IsZero() || (!d.IsZero() && d.Before(since)) {
						since = d
					}
					return true
				}); err != nil {
					return err
				}
				view, err := t.delegatedAdminView(o, acct, since)
				out.DelegatedAdministrators = append(out.DelegatedAdministrators, view)
				return err
			})
		return err
	}))
}

func (s *Service) ListDelegatedServicesForAccount(ctx context.Context, in *api.ListDelegatedServicesForAccountRequest) (*api.ListDelegatedServicesForAccountResponse, error) {
	out := api.ListDelegatedServicesForAccountResponse{DelegatedServices: []api.DelegatedService{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListDelegatedServicesForAccount"
		c, a, err := t.memberFor(op, in, in.AccountId)
		if err != nil {
			return err
		}
		o := c.Org
		prefix := prefixDelegated(o.ID, a.ID)
		if da, err := t.hasPrefix(prefix); err != nil {
			return err
		} else if !da {
			return errNotRegistered(a.ID, "")
		}
		out.NextToken, err = t.list(op, c, []string{o.ID, a.ID}, prefix, in.NextToken, in.MaxResults, nil,
			func(k string, v []byte) error {
				out.DelegatedServices = append(out.DelegatedServices, api.DelegatedService{
					ServicePrincipal:      lastSegment(k),
					DelegationEnabledDate: api.NewTime(delegationSince(v)),
				})
				return nil
			})
		return err
	}))
}
