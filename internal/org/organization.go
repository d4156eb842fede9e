package org

import (
	"context"

	"github.com/orgd/orgd/internal/api"
)

func (s *Service) CreateOrganization(ctx context.Context, in *api.CreateOrganizationRequest) (*api.CreateOrganizationResponse, error) {
	var out api.CreateOrganizationResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, err := t.caller("CreateOrganization", in)
		if err != nil {
			return err
		}
		if c.Org != nil {
			return api.NewAlreadyInOrganization("The AWS account is already a member of an organization.")
		}
		fs := in.FeatureSet
		if fs == "" {
			fs = api.OrganizationFeatureSetAll
		}
		orgID, err := t.newID("o-", idShape{alphabet: lowerAlnum, n: 10}, keyOrg)
		if err != nil {
			return err
		}
		rootID, err := t.newID("r-", idShape{alphabet: lowerAlnum, n: 4}, keyRoot)
		if err != nil {
			return err
		}
		o := &organization{ID: orgID, Management: c.ID, FeatureSet: fs, Root: rootID, Created: t.now(), Members: 1}
		r := &root{ID: rootID, Org: orgID, Name: "Root", PolicyTypes: []api.PolicyTypeSummary{}}
		if fs == api.OrganizationFeatureSetAll {
			// An organization created with all features has SCPs enabled.
			if err := t.enableDefaultPolicyTypes(o, r); err != nil {
				return err
			}
		}
		a := c.Account
		a.Org, a.Parent, a.Joined, a.JoinedAt, a.State = orgID, rootID, api.AccountJoinedMethodInvited, t.now(), api.AccountStateActive
		if err := t.putOrg(o); err != nil {
			return err
		}
		if err := t.putRoot(r); err != nil {
			return err
		}
		if err := t.addMember(o, a, rootID); err != nil {
			return err
		}
		if err := t.indexManagedPolicies(o); err != nil {
			return err
		}
		if err := t.attachDefaults(o, rootID); err != nil {
			return err
		}
		if err := t.memberJoined(o, a); err != nil {
			return err
		}
		view, err := t.orgView(o)
		out.Organization = view
		return err
	}))
}

// enableDefaultPolicyTypes enables what CreateOrganization enables in the
// root of an organization with all features: service control policies.
// FullAWSAccess is attached once the root and members exist.
func (t *txn) enableDefaultPolicyTypes(o *organization, r *root) error {
	r.PolicyTypes = append(r.PolicyTypes, api.PolicyTypeSummary{Type: api.PolicyTypeServiceControlPolicy, Status: api.PolicyTypeStatusEnabled})
	return nil
}

// addMember stores a as a member of o under parent and indexes it. It
// does not change o's counters.
func (t *txn) addMember(o *organization, a *account, parent string) error {
	a.Org, a.Parent = o.ID, parent
	if err := t.putAccount(a); err != nil {
		return err
	}
	if err := t.Put(keyMember(o.ID, a.ID), nil); err != nil {
		return err
	}
	return t.Put(keyChildAccount(parent, a.ID), nil)
}

// dropMember makes a standalone again: out of its parent and the
// organization's indexes, its tags in the organization deleted.
func (t *txn) dropMember(a *account) error {
	for _, k := range []string{keyMember(a.Org, a.ID), keyChildAccount(a.Parent, a.ID), keyTags(a.ID)} {
		if err := t.Delete(k); err != nil {
			return err
		}
	}
	a.Org, a.Parent, a.Joined, a.JoinedAt = "", "", "", timeZero
	return t.putAccount(a)
}

// managementAccount returns o's management account; the caller's account
// serves when the caller is it, as it is for most calls that show o.
func (t *txn) managementAccount(o *organization) (*account, error) {
	if t.hasWho && t.who.ID == o.Management {
		return t.who.Account, nil
	}
	return t.account(o.Management)
}

func (s *Service) DescribeOrganization(ctx context.Context, _ *api.Empty) (*api.DescribeOrganizationResponse, error) {
	var out api.DescribeOrganizationResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("DescribeOrganization", nil)
		if err != nil {
			return err
		}
		out.Organization, err = t.orgView(c.Org)
		return err
	}))
}

func (s *Service) DeleteOrganization(ctx context.Context, _ *api.Empty) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, err := t.caller("DeleteOrganization", nil)
		if err != nil {
			return err
		}
		o := c.Org
		if o.Members > 1 {
			return api.NewOrganizationNotEmpty("To delete an organization you must first remove all member accounts (except the master).")
		}
		for _, hook := range beforeDeleteOrganization {
			if err := hook(t, o); err != nil {
				return err
			}
		}
		// Discard everything the organization owns: OUs, root, requests.
		keys, err := t.keysWithPrefix(prefixOrgCreateStatus(o.ID))
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := t.Delete(keyCreateStatus(lastSegment(k))); err != nil {
				return err
			}
		}
		if err := t.deleteSubtree(o.Root); err != nil {
			return err
		}
		if err := t.deleteKeys(append(keys, keyRoot(o.Root), keyTags(o.Root), keyOrg(o.ID))...); err != nil {
			return err
		}
		return t.dropMember(c.Account)
	}))
}

// beforeDeleteOrganization lets other parts of the domain (handshakes,
// policies, delegated administrators) refuse or clean up when an
// organization is deleted.
var beforeDeleteOrganization []func(t *txn, o *organization) error

// deleteSubtree deletes every OU below parent with its indexes and tags.
func (t *txn) deleteSubtree(parent string) error {
	ous, err := t.idsWithPrefix(prefixChildOUs(parent))
	if err != nil {
		return err
	}
	for _, id := range ous {
		if err := t.deleteSubtree(id); err != nil {
			return err
		}
		u, ok, err := t.ou(id)
		if err != nil {
			return err
		}
		if ok {
			if err := t.Delete(keyOUName(u.Parent, u.Name)); err != nil {
				return err
			}
		}
		for _, k := range []string{keyChildOU(parent, id), keyOU(id), keyTags(id)} {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) ListRoots(ctx context.Context, in *api.ListRootsRequest) (*api.ListRootsResponse, error) {
	out := api.ListRootsResponse{Roots: []api.Root{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("ListRoots", in)
		if err != nil {
			return err
		}
		// One root per organization: the listing is that root.
		if in.NextToken != "" {
			return errInvalidNextToken()
		}
		r, ok, err := t.root(c.Org.Root)
		if err != nil || !ok {
			return err
		}
		out.Roots = append(out.Roots, t.rootView(c.Org, r))
		return nil
	}))
}
