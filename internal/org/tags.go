package org

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
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
		return errTooManyTags(max)
	}
	return nil
}

func errTooManyTags(max int) error {
	return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonMaxTagLimitExceeded, "A resource can have at most %d tags.", max)
}

// taggableResources resolves the taggable resources that other features
// own, keyed by the ID prefix up to and including its first "-" ("p-",
// "rp-"). A resolver reports whether id exists in organization o; the
// resource's tags are then stored under keyTags(id), so the resolver must
// refuse IDs that several organizations share. Features register in an
// init function.
var taggableResources = map[string]func(t *txn, o *organization, id string) (bool, error){
	"r-": func(t *txn, o *organization, id string) (bool, error) { return id == o.Root, nil },
	"ou-": func(t *txn, o *organization, id string) (bool, error) {
		_, ok, err := t.ouIn(o, id)
		return ok, err
	},
}

// taggable fails with TargetNotFoundException unless id names a taggable
// resource of o.
func (t *txn) taggable(o *organization, id string) error {
	found, err := t.isTaggable(o, id)
	if err != nil {
		return err
	}
	if !found {
		return api.NewTargetNotFound("No taggable resource with ID %s exists in your organization.", id)
	}
	return nil
}

// isTaggable reports whether id names a taggable resource of o: its root,
// one of its OUs or accounts, or a resource a registered resolver finds.
func (t *txn) isTaggable(o *organization, id string) (bool, error) {
	if identity.IsAccountID(id) {
		a, found, err := t.storedAccount(id)
		return found && a.Org == o.ID, err
	}
	if i := strings.IndexByte(id, '-'); i > 0 {
		if resolve := taggableResources[id[:i+1]]; resolve != nil {
			return resolve(t, o, id)
		}
	}
	return false, nil
}

// resourceTags resolves the caller of op and resource id, which must be
// taggable in the caller's organization, and reads the resource's tags.
func (t *txn) resourceTags(op string, in any, id string) (*caller, []api.Tag, error) {
	c, err := t.caller(op, in)
	if err != nil {
		return nil, nil, err
	}
	if err := t.taggable(c.Org, id); err != nil {
		return nil, nil, err
	}
	tags, err := t.tags(id)
	if err != nil {
		return nil, nil, err
	}
	return c, tags, nil
}

func (s *Service) TagResource(ctx context.Context, in *api.TagResourceRequest) (*api.Empty, error) {
	if s.hints {
		ctx = s.prefetch(ctx, keyTags(in.ResourceId))
	}
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		max := s.cfg.Quotas.TagsPerResource
		// Input validation comes before the caller checks (spec 6.3).
		if err := validateTags(in.Tags, max); err != nil {
			return err
		}
		_, old, err := t.resourceTags("TagResource", in, in.ResourceId)
		if err != nil {
			return err
		}
		// old is this transaction's copy, so the new tags merge into it in
		// place; with at most max tags on either side, a linear search
		// costs less than a map.
		tags := old
		for _, tag := range in.Tags {
			if i := slices.IndexFunc(tags, func(o api.Tag) bool { return o.Key == tag.Key }); i >= 0 {
				tags[i].Value = tag.Value
			} else {
				tags = append(tags, tag)
			}
		}
		if len(tags) > max {
			return errTooManyTags(max)
		}
		return t.putTags(in.ResourceId, tags)
	}))
}

func (s *Service) UntagResource(ctx context.Context, in *api.UntagResourceRequest) (*api.Empty, error) {
	if s.hints {
		ctx = s.prefetch(ctx, keyTags(in.ResourceId))
	}
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		_, old, err := t.resourceTags("UntagResource", in, in.ResourceId)
		if err != nil {
			return err
		}
		drop := make(map[string]bool, len(in.TagKeys))
		for _, k := range in.TagKeys {
			drop[k] = true
		}
		// Keys the resource lacks are ignored, as AWS does.
		kept := old[:0]
		for _, tag := range old {
			if !drop[tag.Key] {
				kept = append(kept, tag)
			}
		}
		if len(kept) == len(old) {
			return nil
		}
		return t.putTags(in.ResourceId, kept)
	}))
}

// tagsPageSize is the page size of ListTagsForResource, whose request has
// no MaxResults.
const tagsPageSize = defaultPageSize

func (s *Service) ListTagsForResource(ctx context.Context, in *api.ListTagsForResourceRequest) (*api.ListTagsForResourceResponse, error) {
	out := api.ListTagsForResourceResponse{Tags: []api.Tag{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListTagsForResource"
		c, tags, err := t.resourceTags(op, in, in.ResourceId)
		if err != nil {
			return err
		}
		// Tags are one record per resource, so t.list's key scan does not
		// apply; the token carries the last tag key returned instead, in a
		// scope built as t.list builds its own.
		scope := op + "\x00" + c.ID + "\x00" + in.ResourceId
		if in.NextToken != "" {
			after, err := s.tokens.After(scope, in.NextToken)
			if err != nil {
				return errInvalidNextToken()
			}
			tags = tags[sort.Search(len(tags), func(i int) bool { return tags[i].Key > after }):]
		}
		if len(tags) > tagsPageSize {
			tags = tags[:tagsPageSize]
			out.NextToken = s.tokens.Token(scope, tags[len(tags)-1].Key)
		}
		out.Tags = append(out.Tags, tags...)
		return nil
	}))
}
