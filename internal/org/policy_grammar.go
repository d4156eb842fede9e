package org

import (
	"errors"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/policy/effective"
	"github.com/orgd/orgd/internal/policy/scp"
)

// validateGrammar checks a policy document against the grammar of its
// type: the IAM policy language for SCPs and RCPs, the inheritance
// operators for every management policy type.
func validateGrammar(typ api.PolicyType, content string) error {
	var err error
	switch typ {
	case api.PolicyTypeServiceControlPolicy, api.PolicyTypeResourceControlPolicy:
		_, err = scp.Parse(string(typ), content)
		var ve *scp.ValidationError
		if errors.As(err, &ve) {
			return malformed("%s", ve.Message)
		}
	default:
		err = effective.Validate(string(typ), content)
		var ve *effective.ValidationError
		if errors.As(err, &ve) {
			return malformed("%s", ve.Error())
		}
	}
	if err != nil {
		return malformed("%v", err)
	}
	return nil
}
