package org

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// Trusted service access: which AWS services an organization lets act in
// its accounts (EnableAWSServiceAccess and friends).

//go:embed serviceprincipals.txt
var servicePrincipalsData string

// servicePrincipal is what orgd knows of one service that integrates with
// Organizations.
type servicePrincipal struct {
	// MaxDelegatedAdmins is how many delegated administrators the service
	// takes at once; 0 when it supports none.
	MaxDelegatedAdmins int
}

// servicePrincipals are the recognised principals, kept as data so that
// the list is easy to extend.
var servicePrincipals = parseServicePrincipals(servicePrincipalsData)

// parseServicePrincipals reads the format serviceprincipals.txt documents.
// The file is embedded, so a malformed line is a build defect: it panics.
func parseServicePrincipals(data string) map[string]servicePrincipal {
	m := map[string]servicePrincipal{}
	for n, line := range strings.Split(data, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		sp := servicePrincipal{MaxDelegatedAdmins: 1}
		bad := len(fields) > 2 || strings.Contains(fields[0], "/")
		if len(fields) == 2 {
			v, err := strconv.Atoi(fields[1])
			bad = bad || err != nil || v < 0
			sp.MaxDelegatedAdmins = v
		}
		if _, dup := m[fields[0]]; bad || dup {
			panic(fmt.Sprintf("org: serviceprincipals.txt line %d is malformed or repeated: %q", n+1, line))
		}
		m[fields[0]] = sp
	}
	return m
}

// knownPrincipal fails unless p is a service that integrates with
// Organizations.
func knownPrincipal(p string) (servicePrincipal, error) {
	sp, ok := servicePrincipals[p]
	if !ok {
		return sp, api.NewInvalidInput(api.InvalidInputExceptionReasonUnrecognizedServicePrincipal,
			"%s is not the service principal of a service that integrates with AWS Organizations.", p)
	}
	return sp, nil
}

// servicePolicyTypes are the policy types a service owns: its access can't
// be disabled while the type is enabled in the root (the model's
// POLICY_TYPE_ENABLED_FOR_THIS_SERVICE names SECURITYHUB_POLICY).
var servicePolicyTypes = map[string][]api.PolicyType{
	"securityhub.amazonaws.com": {api.PolicyTypeSecurityhubPolicy},
}

func keyServiceAccess(org, principal string) string { return "svcaccess/" + org + "/" + principal }
func prefixServiceAccess(org string) string         { return "svcaccess/" + org + "/" }

// serviceAccess is the stored form of one enabled service principal.
type serviceAccess struct {
	Enabled time.Time
}

// serviceAccessEnabled reports whether o has enabled trusted access for
// principal (RegisterDelegatedAdministrator, and policy types that need
// their service, depend on it).
func (t *txn) serviceAccessEnabled(o *organization, principal string) (bool, error) {
	return t.has(keyServiceAccess(o.ID, principal))
}

func (s *Service) EnableAWSServiceAccess(ctx context.Context, in *api.EnableAWSServiceAccessRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		if _, err := knownPrincipal(in.ServicePrincipal); err != nil {
			return err
		}
		c, err := t.caller("EnableAWSServiceAccess", in)
		if err != nil {
			return err
		}
		// Enabling again succeeds and keeps the first DateEnabled.
		k := keyServiceAccess(c.Org.ID, in.ServicePrincipal)
		if on, err := t.has(k); err != nil || on {
			return err
		}
		return t.putJSON(k, serviceAccess{Enabled: t.now()})
	}))
}

func (s *Service) DisableAWSServiceAccess(ctx context.Context, in *api.DisableAWSServiceAccessRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		if _, err := knownPrincipal(in.ServicePrincipal); err != nil {
			return err
		}
		c, err := t.caller("DisableAWSServiceAccess", in)
		if err != nil {
			return err
		}
		o := c.Org
		k := keyServiceAccess(o.ID, in.ServicePrincipal)
		if on, err := t.has(k); err != nil || !on {
			return err // disabling what is not enabled succeeds
		}
		if types := servicePolicyTypes[in.ServicePrincipal]; len(types) > 0 {
			r, ok, err := t.root(o.Root)
			if err != nil {
				return err
			}
			for _, pt := range r.PolicyTypes {
				if ok && slices.Contains(types, pt.Type) {
					return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonPolicyTypeEnabledForThisService,
						"Disable the %s policy type in the root before you disable access for %s.", pt.Type, in.ServicePrincipal)
				}
			}
		}
		// The service's delegated administrators go with its access, so
		// that no delegation outlives the integration it belongs to.
		if err := t.dropServiceDelegations(o, in.ServicePrincipal); err != nil {
			return err
		}
		return t.Delete(k)
	}))
}

func (s *Service) ListAWSServiceAccessForOrganization(ctx context.Context, in *api.ListAWSServiceAccessForOrganizationRequest) (*api.ListAWSServiceAccessForOrganizationResponse, error) {
	out := api.ListAWSServiceAccessForOrganizationResponse{EnabledServicePrincipals: []api.EnabledServicePrincipal{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListAWSServiceAccessForOrganization"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		out.NextToken, err = t.list(op, c, []string{c.Org.ID}, prefixServiceAccess(c.Org.ID), in.NextToken, in.MaxResults, nil,
			func(k string, v []byte) error {
				var sa serviceAccess
				if err := json.Unmarshal(v, &sa); err != nil {
					return err
				}
				out.EnabledServicePrincipals = append(out.EnabledServicePrincipals, api.EnabledServicePrincipal{
					ServicePrincipal: lastSegment(k),
					DateEnabled:      api.NewTime(sa.Enabled),
				})
				return nil
			})
		return err
	}))
}
