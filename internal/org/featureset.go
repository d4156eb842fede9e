package org

import "github.com/orgd/orgd/internal/api"

// needsAllFeatures lists the operations that fail in an organization with
// only consolidated billing, and how (spec section 2.2). It is consulted
// for every operation, after the caller's role is checked.
var needsAllFeatures = map[string]func() error{
	"EnablePolicyType": policyTypeNotAvailable,
	"CreatePolicy":     policyTypeNotAvailable,
	"UpdatePolicy":     policyTypeNotAvailable,
	"AttachPolicy":     policyTypeNotEnabled,
	"DetachPolicy":     policyTypeNotEnabled,
	"DescribeEffectivePolicy": func() error {
		return api.NewEffectivePolicyNotFound("No effective policy: the organization does not have all features enabled.")
	},
	"EnableAWSServiceAccess":         notAllFeatures,
	"DisableAWSServiceAccess":        notAllFeatures,
	"RegisterDelegatedAdministrator": notAllFeatures,
	"CloseAccount":                   notAllFeatures,
	"PutResourcePolicy":              notAllFeatures,
}

func policyTypeNotAvailable() error {
	return api.NewPolicyTypeNotAvailableForOrganization("You can use policies only after you enable all features in the organization.")
}

func policyTypeNotEnabled() error {
	return api.NewPolicyTypeNotEnabled("The policy type is not enabled in the root: the organization does not have all features enabled.")
}

func notAllFeatures() error {
	return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonOrganizationNotInAllFeaturesMode,
		"This operation requires an organization with all features enabled.")
}

// checkFeatureSet refuses op in an organization that lacks all features.
func checkFeatureSet(op string, o *organization) error {
	if o == nil || o.FeatureSet == api.OrganizationFeatureSetAll {
		return nil
	}
	if refuse := needsAllFeatures[op]; refuse != nil {
		return refuse()
	}
	return nil
}
