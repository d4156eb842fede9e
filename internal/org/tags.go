package org

import (
	"strings"

	"github.com/orgd/orgd/internal/api"
)

// validateTags checks tags given to a Create or Tag operation beyond what
// the model's shapes check: unique keys, no "aws:" system keys, and at
// most max tags.
func validateTags(tags []api.Tag, max int) error {
	seen := make(map[string]bool, len(tags))
	for _, tag := range tags {
		if strings.HasPrefix(strings.ToLower(tag.Key), "aws:") {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidSystemTagsParameter, "Tag keys starting with aws: are reserved for AWS use.")
		}
		if seen[tag.Key] {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonDuplicateTagKey, "Duplicate tag key %q.", tag.Key)
		}
		seen[tag.Key] = true
	}
	if len(tags) > max {
		return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded, "A resource can have at most %d tags.", max)
	}
	return nil
}
