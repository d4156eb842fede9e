package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
)

// A Snapshot is an organization as the Organizations API shows it to its
// management account: what `orgd clone` reads from a live organization.
// Restore turns it back into the records orgd keeps, with every ID as it
// was, so that Export writes it as a state document. What the API does not
// reveal gets the value docs/clone.md lists.
type Snapshot struct {
	// Taken is when the snapshot was read: the time of whatever the API
	// has no date for.
	Taken        time.Time
	Organization api.Organization
	Root         api.Root
	OUs          []SnapshotOU
	Accounts     []SnapshotAccount
	// CreateStatuses and Handshakes are in the order the source lists
	// them, which the copy keeps.
	CreateStatuses []api.CreateAccountStatus
	Handshakes     []api.Handshake
	Policies       []SnapshotPolicy
	// Tags are by resource ID (root, OU, account, policy, resource policy).
	Tags          map[string][]api.Tag
	ServiceAccess []api.EnabledServicePrincipal
	// Delegations are the services delegated to each account, by account ID.
	Delegations    map[string][]api.DelegatedService
	ResourcePolicy *api.ResourcePolicy
}

// SnapshotOU is an OU and the ID of its parent.
type SnapshotOU struct {
	api.OrganizationalUnit
	Parent string
}

// SnapshotAccount is a member account and the ID of its parent.
type SnapshotAccount struct {
	api.Account
	Parent string
}

// SnapshotPolicy is a policy with the IDs of the roots, OUs and accounts
// it is attached to.
type SnapshotPolicy struct {
	api.PolicySummary
	Content string
	Targets []string
}

// Unknown values a snapshot cannot carry (docs/clone.md).
const (
	// snapshotPendingClosure is how long an account that was closing
	// stays PENDING_CLOSURE on the copy: AWS does not say when it was
	// asked to close.
	snapshotPendingClosure = 24 * time.Hour
	// cloneEmailDomain names the accounts of creations still in progress,
	// whose email AWS does not show.
	cloneEmailDomain = "clone.invalid"
)

// IsAWSManagedPolicy reports whether orgd knows id as an AWS-managed
// policy; a snapshot's other AWS-managed policies cannot be restored.
func IsAWSManagedPolicy(id string) bool { return awsManaged[id] != nil }

// Restore replaces the whole state, but the token secret, with snap, in
// one transaction. The result must pass CheckInvariants; on any error the
// state is left as it was, and an error about the snapshot itself wraps
// ErrInvalidState.
func (s *Service) Restore(ctx context.Context, snap *Snapshot) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		keys, err := t.keysWithPrefix("")
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k != keyTokenSecret {
				if err := t.Delete(k); err != nil {
					return err
				}
			}
		}
		if err := t.restore(snap); err != nil {
			return err
		}
		violations, err := checkInvariants(tx)
		if err != nil {
			return err
		}
		if len(violations) > 0 {
			return fmt.Errorf("%w: %w", ErrInvalidState, &InvariantError{Violations: violations})
		}
		return nil
	})
}

// ordered returns times that keep the source's listing order where the
// copy sorts by time: each is at, to the millisecond the API shows, plus
// as many nanoseconds as needed to come after the one before.
type ordered struct{ last time.Time }

func (o *ordered) next(at time.Time) time.Time {
	at = at.Truncate(time.Millisecond)
	if at.Equal(o.last.Truncate(time.Millisecond)) {
		at = o.last.Add(time.Nanosecond)
	}
	o.last = at
	return at
}

// checkIDs refuses an ID that does not have its shape's pattern in the
// model: IDs become parts of keys, so a source must not choose their form.
func checkIDs(shape string, ids ...string) error {
	p := api.Shapes[shape].Pattern
	for _, id := range ids {
		if !p.MatchString(id) {
			return invalid("%s %q is not one the API could have shown", shape, id)
		}
	}
	return nil
}

// checkSnapshotIDs checks every ID of snap against the model.
func checkSnapshotIDs(snap *Snapshot) error {
	type check struct {
		shape string
		ids   []string
	}
	checks := []check{
		{"OrganizationId", []string{snap.Organization.Id}},
		{"AccountId", []string{snap.Organization.MasterAccountId}},
		{"RootId", []string{snap.Root.Id}},
	}
	for _, u := range snap.OUs {
		checks = append(checks, check{"OrganizationalUnitId", []string{u.Id}}, check{"ParentId", []string{u.Parent}})
	}
	for _, a := range snap.Accounts {
		checks = append(checks, check{"AccountId", []string{a.Id}}, check{"ParentId", []string{a.Parent}})
	}
	for _, c := range snap.CreateStatuses {
		checks = append(checks, check{"CreateAccountRequestId", []string{c.Id}})
		if c.AccountId != "" {
			checks = append(checks, check{"AccountId", []string{c.AccountId}})
		}
	}
	for _, p := range snap.Policies {
		checks = append(checks, check{"PolicyId", []string{p.Id}}, check{"PolicyTargetId", p.Targets})
	}
	for _, h := range snap.Handshakes {
		checks = append(checks, check{"HandshakeId", []string{h.Id}})
	}
	for id := range snap.Tags {
		checks = append(checks, check{"TaggableResourceId", []string{id}})
	}
	for _, sa := range snap.ServiceAccess {
		checks = append(checks, check{"ServicePrincipal", []string{sa.ServicePrincipal}})
	}
	for acct, services := range snap.Delegations {
		checks = append(checks, check{"AccountId", []string{acct}})
		for _, d := range services {
			checks = append(checks, check{"ServicePrincipal", []string{d.ServicePrincipal}})
		}
	}
	if rp := snap.ResourcePolicy; rp != nil && rp.ResourcePolicySummary != nil {
		checks = append(checks, check{"ResourcePolicyId", []string{rp.ResourcePolicySummary.Id}})
	}
	for _, c := range checks {
		if err := checkIDs(c.shape, c.ids...); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) restore(snap *Snapshot) error {
	so := snap.Organization
	taken := snap.Taken.UTC()
	if err := checkSnapshotIDs(snap); err != nil {
		return err
	}
	o := &organization{ID: so.Id, Management: so.MasterAccountId, FeatureSet: so.FeatureSet, Root: snap.Root.Id}
	if err := t.putRoot(&root{ID: snap.Root.Id, Org: o.ID, Name: snap.Root.Name, PolicyTypes: snap.Root.PolicyTypes}); err != nil {
		return err
	}

	// OUs, parents first: a depth is its parent's plus one.
	ous := map[string]*SnapshotOU{}
	for i := range snap.OUs {
		ous[snap.OUs[i].Id] = &snap.OUs[i]
	}
	depth := map[string]int{o.Root: 0}
	var depthOf func(id string, seen int) (int, error)
	depthOf = func(id string, seen int) (int, error) {
		if d, ok := depth[id]; ok {
			return d, nil
		}
		u := ous[id]
		if u == nil || seen > len(ous) {
			return 0, invalid("OU %s: its parents do not lead to root %s", id, o.Root)
		}
		d, err := depthOf(u.Parent, seen+1)
		if err != nil {
			return 0, err
		}
		depth[id] = d + 1
		return d + 1, nil
	}
	for _, u := range snap.OUs {
		d, err := depthOf(u.Id, 0)
		if err != nil {
			return err
		}
		if err := t.putOU(&ou{ID: u.Id, Org: o.ID, Parent: u.Parent, Name: u.Name, Depth: d}); err != nil {
			return err
		}
		if err := t.putStrings(map[string]string{keyChildOU(u.Parent, u.Id): "", keyOUName(u.Parent, u.Name): u.Id}); err != nil {
			return err
		}
		o.OUs++
	}

	// Accounts.
	members := map[string]bool{}
	for _, sa := range snap.Accounts {
		a := &account{
			ID: sa.Id, Email: sa.Email, Name: sa.Name, Org: o.ID, Parent: sa.Parent,
			Joined: sa.JoinedMethod, JoinedAt: sa.JoinedTimestamp.Time, State: sa.State,
		}
		if a.State == "" {
			a.State = stateOfStatus(sa.Status)
		}
		if a.Joined == api.AccountJoinedMethodCreated {
			a.RoleName = defaultRoleName
		}
		switch a.State {
		case api.AccountStatePendingClosure:
			a.CloseRequested = taken
			o.ClosuresInProgress++
			if err := t.Put(keyOrgClosure(o.ID, taken, a.ID), nil); err != nil {
				return err
			}
			if err := t.schedule(taken.Add(snapshotPendingClosure), workCloseAccount, a.ID); err != nil {
				return err
			}
		case api.AccountStateClosed:
			a.Closed = taken
			if err := t.schedule(taken.Add(closedAccountRetention), workRetireAccount, a.ID); err != nil {
				return err
			}
		}
		if err := t.putAccount(a); err != nil {
			return err
		}
		if err := t.putStrings(map[string]string{keyMember(o.ID, a.ID): "", keyChildAccount(a.Parent, a.ID): ""}); err != nil {
			return err
		}
		members[a.ID] = true
		o.Members++
		if a.ID == o.Management {
			o.Created = a.JoinedAt
		}
	}
	emails := map[string]string{}
	for _, sa := range snap.Accounts {
		emails[sa.Id] = sa.Email
	}

	// CreateAccount requests.
	var order ordered
	for _, c := range snap.CreateStatuses {
		cs := &createStatus{
			ID: c.Id, Org: o.ID, AccountName: c.AccountName, Email: emails[c.AccountId], RoleName: defaultRoleName,
			IamBilling: api.IAMUserAccessToBillingAllow, State: c.State, Requested: order.next(c.RequestedTimestamp.Time),
			Completed: c.CompletedTimestamp.Time, AccountID: c.AccountId, FailureReason: c.FailureReason,
		}
		if cs.Email == "" {
			cs.Email = strings.TrimPrefix(c.Id, "car-") + "@" + cloneEmailDomain
		}
		if cs.State == api.CreateAccountStateInProgress {
			o.CreatesInProgress++
			if err := t.schedule(taken.Add(t.s.cfg.CreateAccountDelay), workCreateAccount, cs.ID); err != nil {
				return err
			}
		}
		if err := t.putCreateStatus(cs); err != nil {
			return err
		}
		if err := t.Put(keyOrgCreateStatus(o.ID, cs.Requested, cs.ID), nil); err != nil {
			return err
		}
	}

	// Policies and their attachments.
	if err := t.indexManagedPolicies(o); err != nil {
		return err
	}
	for _, sp := range snap.Policies {
		if !IsAWSManagedPolicy(sp.Id) {
			p := &policy{ID: sp.Id, Org: o.ID, Name: sp.Name, Description: sp.Description, Type: sp.Type, Content: sp.Content, Updated: taken}
			if err := t.putJSON(keyPolicy(p.ID), p); err != nil {
				return err
			}
			if err := t.putStrings(map[string]string{keyOrgPolicy(o.ID, p.Type, p.ID): "", keyPolicyName(o.ID, p.Type, p.Name): p.ID}); err != nil {
				return err
			}
		}
		for _, target := range sp.Targets {
			if err := t.attach(o, target, sp.Type, sp.Id); err != nil {
				return err
			}
		}
	}

	// Trusted access, delegated administrators, the resource policy.
	for _, sa := range snap.ServiceAccess {
		if err := t.putJSON(keyServiceAccess(o.ID, sa.ServicePrincipal), serviceAccess{Enabled: sa.DateEnabled.Time}); err != nil {
			return err
		}
	}
	for acct, services := range snap.Delegations {
		for _, d := range services {
			rec := delegation{Since: d.DelegationEnabledDate.Time}
			if err := t.putJSON(keyDelegated(o.ID, acct, d.ServicePrincipal), rec); err != nil {
				return err
			}
			if err := t.putJSON(keyServiceDelegate(o.ID, d.ServicePrincipal, acct), rec); err != nil {
				return err
			}
		}
	}
	if rp := snap.ResourcePolicy; rp != nil && rp.ResourcePolicySummary != nil {
		id := rp.ResourcePolicySummary.Id
		if err := t.putJSON(keyResourcePolicy(o.ID), resourcePolicy{ID: id, Org: o.ID, Content: rp.Content}); err != nil {
			return err
		}
		if err := t.Put(keyResourcePolicyID(id), []byte(o.ID)); err != nil {
			return err
		}
	}
	for resource, tags := range snap.Tags {
		if err := t.putTags(resource, append([]api.Tag(nil), tags...)); err != nil {
			return err
		}
	}

	if err := t.restoreHandshakes(o, snap, members, taken); err != nil {
		return err
	}
	return t.putOrg(o)
}

// stateOfStatus maps the legacy Status onto State, for sources that show
// only Status.
func stateOfStatus(s api.AccountStatus) api.AccountState {
	switch s {
	case api.AccountStatusPendingClosure:
		return api.AccountStatePendingClosure
	case api.AccountStatusSuspended:
		return api.AccountStateSuspended
	}
	return api.AccountStateActive
}

// restoreHandshakes stores the snapshot's handshakes with their indexes
// and scheduled work, and the migration they make up.
func (t *txn) restoreHandshakes(o *organization, snap *Snapshot, members map[string]bool, taken time.Time) error {
	var hs []*handshake
	var migration *handshake
	var order ordered
	for _, v := range snap.Handshakes {
		h, err := handshakeOfView(o, v)
		if err != nil {
			return err
		}
		if h == nil {
			continue
		}
		h.Requested = order.next(h.Requested)
		if h.ended() {
			h.Ended = taken
		}
		if h.isParent() && h.open() {
			migration = h
		}
		hs = append(hs, h)
	}
	for _, h := range hs {
		switch {
		case h.Action == api.ActionTypeInvite && migration != nil && !h.Requested.Before(migration.Requested):
			h.Migration = migration.ID
		case h.Action == api.ActionTypeApproveAllFeatures && migration != nil && h.Parent == migration.ID &&
			h.State != api.HandshakeStateAccepted && members[h.Target]:
			// Not approved, and still a member: it blocks the migration.
			migration.Pending++
			if err := t.Put(keyBlockingChild(h.Parent, h.Target), []byte(h.ID)); err != nil {
				return err
			}
		}
	}
	for _, h := range hs {
		if err := t.putStrings(handshakeIndexes(h)); err != nil {
			return err
		}
		switch {
		case h.open() && h.Parent == "":
			if err := t.schedule(h.Expires, workExpireHandshake, h.ID); err != nil {
				return err
			}
		case h.ended():
			if err := t.schedule(h.Ended.Add(handshakeRetention), workPurgeHandshake, h.ID); err != nil {
				return err
			}
		}
		if h.Action == api.ActionTypeInvite {
			if h.open() {
				o.OpenInvitations++
				if err := t.putStrings(map[string]string{keyOpenInvitation(o.ID, h.ID): "", keyInvitedTo(o.ID, h.recipient()): h.ID}); err != nil {
					return err
				}
				if h.Migration != "" {
					if err := t.Put(keyMigrationInvite(h.Migration, h.ID), nil); err != nil {
						return err
					}
				}
			}
			// The daily invitation quota counts what was sent in the last
			// 24 hours and not accepted.
			if h.State != api.HandshakeStateAccepted && taken.Sub(h.Requested) < 24*time.Hour {
				if err := t.Put(keyInvitationSent(o.ID, h.Requested, h.ID), nil); err != nil {
					return err
				}
			}
		}
		if err := t.putHandshake(h); err != nil {
			return err
		}
	}
	if migration != nil {
		if err := t.Put(keyMigration(o.ID), []byte(migration.ID)); err != nil {
			return err
		}
	}
	return nil
}

// handshakeOfView is the stored form of a handshake the API showed; nil
// for one of a kind a snapshot does not carry (responsibility transfers).
func handshakeOfView(o *organization, v api.Handshake) (*handshake, error) {
	h := &handshake{
		ID: v.Id, Org: o.ID, Mgmt: o.Management, Action: v.Action, State: v.State,
		Requested: v.RequestedTimestamp.Time, Expires: v.ExpirationTimestamp.Time,
	}
	for _, p := range v.Parties {
		if p.Type == api.HandshakePartyTypeAccount || p.Type == api.HandshakePartyTypeEmail {
			h.TargetType, h.Target = p.Type, p.Id
		}
	}
	for _, r := range v.Resources {
		switch r.Type {
		case api.HandshakeResourceTypeNotes:
			h.Notes = r.Value
		case api.HandshakeResourceTypeParentHandshake:
			// AWS shows the parent without its "h-" (spec 3.3).
			if r.Value != "" {
				h.Parent = "h-" + strings.TrimPrefix(r.Value, "h-")
			}
		case api.HandshakeResourceTypeOrganization:
			for _, n := range r.Resources {
				switch n.Type {
				case api.HandshakeResourceTypeMasterEmail:
					h.MasterEmail = n.Value
				case api.HandshakeResourceTypeMasterName:
					h.MasterName = n.Value
				case api.HandshakeResourceTypeOrganizationFeatureSet:
					h.FeatureSet = api.OrganizationFeatureSet(n.Value)
					if n.Value == "FULL" {
						h.FeatureSet = api.OrganizationFeatureSetAll
					}
				}
			}
		}
	}
	switch v.Action {
	case api.ActionTypeInvite, api.ActionTypeApproveAllFeatures:
		if h.Target == "" {
			return nil, invalid("handshake %s: %s without an account or email party", v.Id, v.Action)
		}
	case api.ActionTypeEnableAllFeatures:
	default:
		return nil, nil
	}
	if v.Action == api.ActionTypeApproveAllFeatures && h.Parent == "" {
		return nil, invalid("handshake %s: an approval without its parent handshake", v.Id)
	}
	return h, nil
}
