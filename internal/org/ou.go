package org

import (
	"context"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// onOUCreated lets other parts of the domain act on a new OU (policies
// attach FullAWSAccess while SCPs are enabled in the root). The hooks run
// after the OU and its indexes are stored.
var onOUCreated []func(t *txn, o *organization, u *ou) error

// beforeOUDeleted lets other parts of the domain clean up after an OU
// (policy attachments). The hooks run after the OU is known to be empty
// and before it is deleted.
var beforeOUDeleted []func(t *txn, o *organization, u *ou) error

// ouIn returns the OU with the given ID if it belongs to o.
func (t *txn) ouIn(o *organization, id string) (*ou, bool, error) {
	if !strings.HasPrefix(id, "ou-") {
		return nil, false, nil
	}
	u, ok, err := t.ou(id)
	if err != nil || !ok || u.Org != o.ID {
		return nil, false, err
	}
	return u, true, nil
}

// parentDepthIn resolves id as a parent in o: its root, at depth 0, or
// one of its OUs, at the OU's depth.
func (t *txn) parentDepthIn(o *organization, id string) (depth int, ok bool, err error) {
	if id == o.Root {
		return 0, true, nil
	}
	u, ok, err := t.ouIn(o, id)
	if err != nil || !ok {
		return 0, false, err
	}
	return u.Depth, true, nil
}

// parentIn fails with ParentNotFoundException unless id is o's root or
// one of its OUs.
func (t *txn) parentIn(o *organization, id string) (int, error) {
	depth, ok, err := t.parentDepthIn(o, id)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, api.NewParentNotFound("No root or OU with ID %s exists in your organization.", id)
	}
	return depth, nil
}

// ouViewWithPath is ouView with the OU's Path, which the model has on
// OrganizationalUnit: the IDs from the organization down to and including
// the OU, as in an account's Paths ("o-…/r-…/ou-…/").
func (t *txn) ouViewWithPath(o *organization, u *ou) (api.OrganizationalUnit, error) {
	v := t.ouView(o, u)
	p, err := t.appendPath(make([]byte, 0, 64), o, u.Parent)
	v.Path = string(append(append(p, u.ID...), '/'))
	return v, err
}

func errOUNotFound(id string) error {
	return api.NewOrganizationalUnitNotFound("No OU with ID %s exists in your organization.", id)
}

func errDuplicateOU(name string) error {
	return api.NewDuplicateOrganizationalUnit("The parent already has an OU named %q.", name)
}

// ouInOrFail returns o's OU id or OrganizationalUnitNotFoundException.
func (t *txn) ouInOrFail(o *organization, id string) (*ou, error) {
	u, ok, err := t.ouIn(o, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errOUNotFound(id)
	}
	return u, nil
}

func (s *Service) CreateOrganizationalUnit(ctx context.Context, in *api.CreateOrganizationalUnitRequest) (*api.CreateOrganizationalUnitResponse, error) {
	var out api.CreateOrganizationalUnitResponse
	nameKey := keyOUName(in.ParentId, in.Name)
	if s.hints {
		// Only the parent's own kind of key: a read of a key that cannot
		// exist (ou/r-…) lands on the index page every organization inserts
		// OUs next to, and PostgreSQL's SSI then makes organizations conflict.
		parent := keyOU(in.ParentId)
		if strings.HasPrefix(in.ParentId, "r-") {
			parent = keyRoot(in.ParentId)
		}
		ctx = s.prefetch(ctx, nameKey, parent)
		ctx = s.drawID(ctx, ouIDPrefix(rootSuffix(in.ParentId)), ouIDs, keyOU)
	}
	return reply(&out, s.write(ctx, func(t *txn) error {
		// Tag rules are input validation, which comes before the caller
		// checks (spec section 6.3), as the wire layer's does.
		if err := validateTags(in.Tags, s.cfg.Quotas.TagsPerResource); err != nil {
			return err
		}
		c, err := t.caller("CreateOrganizationalUnit", in)
		if err != nil {
			return err
		}
		o := c.Org
		depth, err := t.parentIn(o, in.ParentId)
		if err != nil {
			return err
		}
		if taken, err := t.has(nameKey); err != nil {
			return err
		} else if taken {
			return errDuplicateOU(in.Name)
		}
		if depth+1 > s.cfg.Quotas.OUDepth {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonOuDepthLimitExceeded,
				"OUs can be nested at most %d levels below the root.", s.cfg.Quotas.OUDepth)
		}
		if o.OUs >= s.cfg.Quotas.OUsPerOrganization {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonOuNumberLimitExceeded,
				"An organization can have at most %d OUs.", s.cfg.Quotas.OUsPerOrganization)
		}
		id, err := t.newID(ouIDPrefix(strings.TrimPrefix(o.Root, "r-")), ouIDs, keyOU)
		if err != nil {
			return err
		}
		u := &ou{ID: id, Org: o.ID, Parent: in.ParentId, Name: in.Name, Depth: depth + 1}
		if err := t.putOU(u); err != nil {
			return err
		}
		if err := t.Put(nameKey, []byte(u.ID)); err != nil {
			return err
		}
		if err := t.Put(keyChildOU(u.Parent, u.ID), nil); err != nil {
			return err
		}
		// A new ID has no tags to delete.
		if len(in.Tags) > 0 {
			if err := t.putTags(u.ID, append([]api.Tag(nil), in.Tags...)); err != nil {
				return err
			}
		}
		o.OUs++
		if err := t.putOrg(o); err != nil {
			return err
		}
		for _, hook := range onOUCreated {
			if err := hook(t, o, u); err != nil {
				return err
			}
		}
		view, err := t.ouViewWithPath(o, u)
		out.OrganizationalUnit = &view
		return err
	}))
}

// ouIDPrefix is what the IDs of OUs under the root r-suffix begin with.
func ouIDPrefix(suffix string) string { return "ou-" + suffix + "-" }

// rootSuffix is the part of its root's ID, after "r-", that a root's or an
// OU's ID carries ("" for any other).
func rootSuffix(parent string) string {
	if root, ok := strings.CutPrefix(parent, "r-"); ok {
		return root
	}
	if rest, ok := strings.CutPrefix(parent, "ou-"); ok {
		root, _, _ := strings.Cut(rest, "-")
		return root
	}
	return ""
}

func (s *Service) UpdateOrganizationalUnit(ctx context.Context, in *api.UpdateOrganizationalUnitRequest) (*api.UpdateOrganizationalUnitResponse, error) {
	var out api.UpdateOrganizationalUnitResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, err := t.caller("UpdateOrganizationalUnit", in)
		if err != nil {
			return err
		}
		u, err := t.ouInOrFail(c.Org, in.OrganizationalUnitId)
		if err != nil {
			return err
		}
		// Name is optional in the model; without it, or with the current
		// name, nothing changes.
		if in.Name != "" && in.Name != u.Name {
			if taken, err := t.has(keyOUName(u.Parent, in.Name)); err != nil {
				return err
			} else if taken {
				return errDuplicateOU(in.Name)
			}
			if err := t.Delete(keyOUName(u.Parent, u.Name)); err != nil {
				return err
			}
			u.Name = in.Name
			if err := t.Put(keyOUName(u.Parent, u.Name), []byte(u.ID)); err != nil {
				return err
			}
			if err := t.putOU(u); err != nil {
				return err
			}
		}
		view, err := t.ouViewWithPath(c.Org, u)
		out.OrganizationalUnit = &view
		return err
	}))
}

func (s *Service) DeleteOrganizationalUnit(ctx context.Context, in *api.DeleteOrganizationalUnitRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, err := t.caller("DeleteOrganizationalUnit", in)
		if err != nil {
			return err
		}
		o := c.Org
		u, err := t.ouInOrFail(o, in.OrganizationalUnitId)
		if err != nil {
			return err
		}
		if nonEmpty, err := t.hasPrefix(prefixChildren(u.ID)); err != nil {
			return err
		} else if nonEmpty {
			return api.NewOrganizationalUnitNotEmpty("OU %s still contains accounts or OUs; move or delete them first.", u.ID)
		}
		for _, hook := range beforeOUDeleted {
			if err := hook(t, o, u); err != nil {
				return err
			}
		}
		for _, k := range []string{keyOUName(u.Parent, u.Name), keyChildOU(u.Parent, u.ID), keyTags(u.ID), keyOU(u.ID)} {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
		o.OUs--
		return t.putOrg(o)
	}))
}

func (s *Service) DescribeOrganizationalUnit(ctx context.Context, in *api.DescribeOrganizationalUnitRequest) (*api.DescribeOrganizationalUnitResponse, error) {
	var out api.DescribeOrganizationalUnitResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("DescribeOrganizationalUnit", in)
		if err != nil {
			return err
		}
		u, err := t.ouInOrFail(c.Org, in.OrganizationalUnitId)
		if err != nil {
			return err
		}
		view, err := t.ouViewWithPath(c.Org, u)
		out.OrganizationalUnit = &view
		return err
	}))
}

func (s *Service) ListOrganizationalUnitsForParent(ctx context.Context, in *api.ListOrganizationalUnitsForParentRequest) (*api.ListOrganizationalUnitsForParentResponse, error) {
	out := api.ListOrganizationalUnitsForParentResponse{OrganizationalUnits: []api.OrganizationalUnit{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListOrganizationalUnitsForParent"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		if _, err := t.parentIn(c.Org, in.ParentId); err != nil {
			return err
		}
		out.NextToken, err = t.list(op, c, []string{in.ParentId}, prefixChildOUs(in.ParentId), in.NextToken, in.MaxResults, nil,
			func(k string, _ []byte) error {
				u, ok, err := t.ou(lastSegment(k))
				if err != nil || !ok {
					return err
				}
				view, err := t.ouViewWithPath(c.Org, u)
				out.OrganizationalUnits = append(out.OrganizationalUnits, view)
				return err
			})
		return err
	}))
}

func (s *Service) ListChildren(ctx context.Context, in *api.ListChildrenRequest) (*api.ListChildrenResponse, error) {
	out := api.ListChildrenResponse{Children: make([]api.Child, 0, defaultPageSize)}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListChildren"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		var prefix string
		switch in.ChildType {
		case api.ChildTypeAccount:
			prefix = prefixChildAccounts(in.ParentId)
		case api.ChildTypeOrganizationalUnit:
			prefix = prefixChildOUs(in.ParentId)
		default:
			// The wire layer checks the enum; this guards other callers.
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidEnum, "ChildType must be ACCOUNT or ORGANIZATIONAL_UNIT.")
		}
		if _, err := t.parentIn(c.Org, in.ParentId); err != nil {
			return err
		}
		out.NextToken, err = t.list(op, c, []string{in.ParentId, string(in.ChildType)}, prefix, in.NextToken, in.MaxResults, nil,
			func(k string, _ []byte) error {
				out.Children = append(out.Children, api.Child{Id: lastSegment(k), Type: in.ChildType})
				return nil
			})
		return err
	}))
}

func (s *Service) ListParents(ctx context.Context, in *api.ListParentsRequest) (*api.ListParentsResponse, error) {
	out := api.ListParentsResponse{Parents: []api.Parent{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListParents"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		o := c.Org
		// A child has one parent; its child index key is the one-key
		// listing, so that tokens behave as in every other List op.
		var parent string
		childKey := ""
		if identity.IsAccountID(in.ChildId) {
			a, ok, err := t.storedAccount(in.ChildId)
			if err != nil {
				return err
			}
			if ok && a.Org == o.ID {
				parent, childKey = a.Parent, keyChildAccount(a.Parent, a.ID)
			}
		} else if u, ok, err := t.ouIn(o, in.ChildId); err != nil {
			return err
		} else if ok {
			parent, childKey = u.Parent, keyChildOU(u.Parent, u.ID)
		}
		if childKey == "" {
			return api.NewChildNotFound("No account or OU with ID %s exists in your organization.", in.ChildId)
		}
		typ := api.ParentTypeOrganizationalUnit
		if parent == o.Root {
			typ = api.ParentTypeRoot
		}
		keep := func(k string, _ []byte) (bool, error) { return k == childKey, nil }
		out.NextToken, err = t.list(op, c, []string{in.ChildId}, childKey, in.NextToken, in.MaxResults, keep,
			func(string, []byte) error {
				out.Parents = append(out.Parents, api.Parent{Id: parent, Type: typ})
				return nil
			})
		return err
	}))
}
