package org

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

func (f *fixture) enableAllFeatures(mgmt string) *api.Handshake {
	f.t.Helper()
	out, err := f.svc.EnableAllFeatures(as(mgmt), &api.EnableAllFeaturesRequest{})
	if err != nil {
		f.t.Fatalf("EnableAllFeatures: %v", err)
	}
	return out.Handshake
}

// approval returns the APPROVE_ALL_FEATURES handshake of member acct.
func (f *fixture) approval(acct string) *api.Handshake {
	f.t.Helper()
	hs := f.listForAccount(acct, &api.HandshakeFilter{ActionType: api.ActionTypeApproveAllFeatures}, 0)
	if len(hs) != 1 {
		f.t.Fatalf("%s has %d approval handshakes", acct, len(hs))
	}
	return &hs[0]
}

func (f *fixture) featureSet(caller string) api.OrganizationFeatureSet {
	f.t.Helper()
	return must[*api.DescribeOrganizationResponse](f.t)(f.svc.DescribeOrganization(as(caller), &api.Empty{})).Organization.FeatureSet
}

// TestMigrationStory is the whole CONSOLIDATED_BILLING → ALL migration of
// an organization with three invited and two created members.
func TestMigrationStory(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	invited := []string{otherID, thirdID, fourthID}
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, invited...)
	f.join(mgmtID, "", api.AccountJoinedMethodCreated, fifthID, sixthID)

	p := f.enableAllFeatures(mgmtID)
	if !handshakeIDRe.MatchString(p.Id) || p.Action != api.ActionTypeEnableAllFeatures || p.State != api.HandshakeStateRequested {
		t.Fatalf("parent %+v", p)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":handshake/" + o.Id + "/enable_all_features/" + p.Id; p.Arn != want {
		t.Errorf("Arn %q, want %q", p.Arn, want)
	}
	if len(p.Parties) != 1 || p.Parties[0] != (api.HandshakeParty{Id: o.Id[2:], Type: api.HandshakePartyTypeOrganization}) {
		t.Errorf("Parties %+v", p.Parties)
	}
	if len(p.Resources) != 1 || p.Resources[0].Type != api.HandshakeResourceTypeOrganization || p.Resources[0].Value != o.Id || p.Resources[0].Resources != nil {
		t.Errorf("Resources %+v", p.Resources)
	}
	if got := p.ExpirationTimestamp.Sub(p.RequestedTimestamp.Time); got != 90*day {
		t.Errorf("parent expires after %v", got)
	}

	// One approval per invited member, none for created ones or management.
	children := f.listForOrg(mgmtID, &api.HandshakeFilter{ParentHandshakeId: p.Id}, 2)
	var got []string
	for _, c := range children {
		got = append(got, c.Parties[1].Id)
	}
	sort.Strings(got)
	if !equal(got, invited) {
		t.Fatalf("approvals for %v, want %v", got, invited)
	}
	for _, id := range []string{mgmtID, fifthID, sixthID} {
		if hs := f.listForAccount(id, nil, 0); len(hs) != 0 {
			t.Fatalf("%s got handshakes %+v", id, hs)
		}
	}
	c := f.approval(otherID)
	if c.State != api.HandshakeStateOpen || c.Action != api.ActionTypeApproveAllFeatures ||
		c.Arn != "arn:aws:organizations::"+mgmtID+":handshake/"+o.Id+"/approve_all_features/"+c.Id ||
		!c.ExpirationTimestamp.Equal(p.ExpirationTimestamp.Time) {
		t.Fatalf("approval %+v", c)
	}
	wantParties := []api.HandshakeParty{{Id: o.Id[2:], Type: api.HandshakePartyTypeOrganization}, {Id: otherID, Type: api.HandshakePartyTypeAccount}}
	if len(c.Parties) != 2 || c.Parties[0] != wantParties[0] || c.Parties[1] != wantParties[1] {
		t.Errorf("approval Parties %+v", c.Parties)
	}
	wantRes := []api.HandshakeResource{
		{Type: api.HandshakeResourceTypeParentHandshake, Value: p.Id[2:]},
		{Type: api.HandshakeResourceTypeOrganization, Value: o.Id},
		{Type: api.HandshakeResourceTypeAccount, Value: otherID},
	}
	if len(c.Resources) != 3 {
		t.Fatalf("approval Resources %+v", c.Resources)
	}
	for i := range wantRes {
		if c.Resources[i].Type != wantRes[i].Type || c.Resources[i].Value != wantRes[i].Value || c.Resources[i].Resources != nil {
			t.Errorf("approval resource %d %+v, want %+v", i, c.Resources[i], wantRes[i])
		}
	}
	if got := f.listForOrg(mgmtID, &api.HandshakeFilter{ActionType: api.ActionTypeEnableAllFeatures}, 0); len(got) != 1 || got[0].Id != p.Id {
		t.Fatalf("ENABLE_ALL_FEATURES listing %v", handshakeIDs(got))
	}
	if n := len(f.listForOrg(mgmtID, nil, 0)); n != 4 {
		t.Fatalf("organization lists %d handshakes, want the parent and 3 approvals", n)
	}

	// Every member may see the parent; none may finalize, decline or cancel it.
	f.describe(fifthID, p.Id)
	for _, call := range []func() error{
		func() error {
			_, err := f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: p.Id})
			return err
		},
		func() error {
			_, err := f.svc.DeclineHandshake(as(fifthID), &api.DeclineHandshakeRequest{HandshakeId: p.Id})
			return err
		},
		func() error {
			_, err := f.svc.CancelHandshake(as(otherID), &api.CancelHandshakeRequest{HandshakeId: p.Id})
			return err
		},
		func() error {
			_, err := f.svc.AcceptHandshake(as(mgmtID), &api.AcceptHandshakeRequest{HandshakeId: c.Id})
			return err
		},
		func() error {
			_, err := f.svc.CancelHandshake(as(otherID), &api.CancelHandshakeRequest{HandshakeId: c.Id})
			return err
		},
	} {
		wantErr(t, call(), api.ErrAccessDenied, "")
	}
	// One member may not see another's approval.
	_, err := f.svc.DescribeHandshake(as(thirdID), &api.DescribeHandshakeRequest{HandshakeId: c.Id})
	wantErr(t, err, api.ErrHandshakeNotFound, "")

	for i, id := range invited {
		_, err := f.svc.AcceptHandshake(as(mgmtID), &api.AcceptHandshakeRequest{HandshakeId: p.Id})
		wantErr(t, err, api.ErrInvalidHandshakeTransition, "") // premature
		if h := f.accept(id, f.approval(id).Id); h.State != api.HandshakeStateAccepted {
			t.Fatalf("approval %s", h.State)
		}
		want := api.HandshakeStateRequested
		if i == len(invited)-1 {
			want = api.HandshakeStateOpen
		}
		f.wantState(mgmtID, p.Id, want)
		if fs := f.featureSet(mgmtID); fs != api.OrganizationFeatureSetConsolidatedBilling {
			t.Fatalf("FeatureSet %s before finalizing", fs)
		}
	}
	_, err = f.svc.EnableAllFeatures(as(mgmtID), &api.EnableAllFeaturesRequest{})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")

	if h := f.accept(mgmtID, p.Id); h.State != api.HandshakeStateAccepted {
		t.Fatalf("finalized parent %s", h.State)
	}
	org := must[*api.DescribeOrganizationResponse](t)(f.svc.DescribeOrganization(as(mgmtID), &api.Empty{})).Organization
	if org.FeatureSet != api.OrganizationFeatureSetAll || len(org.AvailablePolicyTypes) != 1 {
		t.Fatalf("organization after finalizing %+v", org)
	}
	// Finalizing enables no policy type in the root (spec 3.7).
	if roots := must[*api.ListRootsResponse](t)(f.svc.ListRoots(as(mgmtID), &api.ListRootsRequest{})); len(roots.Roots[0].PolicyTypes) != 0 {
		t.Fatalf("root policy types %+v", roots.Roots[0].PolicyTypes)
	}
	_, err = f.svc.EnableAllFeatures(as(mgmtID), &api.EnableAllFeaturesRequest{})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
	_, err = f.svc.AcceptHandshake(as(mgmtID), &api.AcceptHandshakeRequest{HandshakeId: p.Id})
	wantErr(t, err, api.ErrHandshakeAlreadyInState, "")
	// New invitations now promise all features.
	inv := f.invite(mgmtID, acctParty(seventhID))
	if fs, _ := resource(inv.Resources[0].Resources, api.HandshakeResourceTypeOrganizationFeatureSet); fs.Value != "ALL" {
		t.Fatalf("feature set of a new invitation %+v", fs)
	}
}

func TestMigrationWithoutInvitedMembersOpensAtOnce(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodCreated, otherID)
	p := f.enableAllFeatures(mgmtID)
	if p.State != api.HandshakeStateOpen {
		t.Fatalf("parent %s, want OPEN", p.State)
	}
	if n := len(f.listForOrg(mgmtID, &api.HandshakeFilter{ParentHandshakeId: p.Id}, 0)); n != 0 {
		t.Fatalf("%d approvals", n)
	}
	f.accept(mgmtID, p.Id)
	if fs := f.featureSet(otherID); fs != api.OrganizationFeatureSetAll {
		t.Fatalf("FeatureSet %s", fs)
	}
}

func TestEnableAllFeaturesErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(f *fixture)
		caller string
		typ    string
		reason string
	}{
		{"standalone", nil, sixthID, api.ErrAWSOrganizationsNotInUse, ""},
		{"member", nil, otherID, api.ErrAccessDenied, ""},
		{"already all features", func(f *fixture) {
			f.newOrg(seventhID, api.OrganizationFeatureSetAll)
		}, seventhID, api.ErrHandshakeConstraintViolation, "ORGANIZATION_ALREADY_HAS_ALL_FEATURES"},
		{"already pending", func(f *fixture) { f.enableAllFeatures(mgmtID) }, mgmtID,
			api.ErrHandshakeConstraintViolation, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION"},
		{"pending and open", func(f *fixture) {
			f.accept(otherID, f.approval(otherID).Id) // parent OPEN but not finalized
		}, mgmtID, api.ErrHandshakeConstraintViolation, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION"},
		{"more than 5000 accounts", func(f *fixture) {
			f.svc.write(context.Background(), func(t *txn) error {
				o, _, err := t.org(f.orgIDOf(t, mgmtID))
				if err != nil {
					return err
				}
				o.Members = migrationSizeLimit + 1
				return t.putOrg(o)
			})
		}, mgmtID, api.ErrConstraintViolation, "ALL_FEATURES_MIGRATION_ORGANIZATION_SIZE_LIMIT_EXCEEDED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
			f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
			if tc.name == "pending and open" {
				f.enableAllFeatures(mgmtID)
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			_, err := f.svc.EnableAllFeatures(as(tc.caller), &api.EnableAllFeaturesRequest{})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	// Exactly 5000 accounts is still allowed.
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.svc.write(context.Background(), func(t *txn) error {
		o, _, err := t.org(f.orgIDOf(t, mgmtID))
		if err != nil {
			return err
		}
		o.Members = migrationSizeLimit
		return t.putOrg(o)
	})
	f.enableAllFeatures(mgmtID)
}

// orgIDOf returns the organization of account id inside a transaction.
func (f *fixture) orgIDOf(t *txn, id string) string {
	a, err := t.account(id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.Org
}

// TestDeclineBlocksUntilRemoved: a declined approval holds the migration
// until the account leaves or is removed (spec 3.6).
func TestDeclineBlocksUntilRemoved(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove func(f *fixture, id string) error
	}{
		{"leave", func(f *fixture, id string) error {
			_, err := f.svc.LeaveOrganization(as(id), &api.Empty{})
			return err
		}},
		{"remove", func(f *fixture, id string) error {
			_, err := f.svc.RemoveAccountFromOrganization(as(mgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: id})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
			f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID)
			p := f.enableAllFeatures(mgmtID)
			f.accept(otherID, f.approval(otherID).Id)
			declined := f.decline(thirdID, f.approval(thirdID).Id)
			if declined.State != api.HandshakeStateDeclined {
				t.Fatalf("declined %s", declined.State)
			}
			_, err := f.svc.DeclineHandshake(as(thirdID), &api.DeclineHandshakeRequest{HandshakeId: declined.Id})
			wantErr(t, err, api.ErrHandshakeAlreadyInState, "")
			f.advance(time.Hour)
			f.wantState(mgmtID, p.Id, api.HandshakeStateRequested)
			_, err = f.svc.AcceptHandshake(as(mgmtID), &api.AcceptHandshakeRequest{HandshakeId: p.Id})
			wantErr(t, err, api.ErrInvalidHandshakeTransition, "")
			if err := tc.remove(f, thirdID); err != nil {
				t.Fatal(err)
			}
			f.wantState(mgmtID, p.Id, api.HandshakeStateOpen)
			// The declined approval stays declined and visible to its recipient.
			f.wantState(thirdID, declined.Id, api.HandshakeStateDeclined)
			f.accept(mgmtID, p.Id)
			if fs := f.featureSet(mgmtID); fs != api.OrganizationFeatureSetAll {
				t.Fatalf("FeatureSet %s", fs)
			}
		})
	}
}

// TestLeaveCancelsOpenApproval: a member that leaves before answering has
// its approval canceled and no longer holds the migration.
func TestLeaveCancelsOpenApproval(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID)
	p := f.enableAllFeatures(mgmtID)
	f.accept(otherID, f.approval(otherID).Id)
	c := f.approval(thirdID)
	must[*api.Empty](t)(f.svc.LeaveOrganization(as(thirdID), &api.Empty{}))
	f.wantState(thirdID, c.Id, api.HandshakeStateCanceled)
	f.wantState(mgmtID, p.Id, api.HandshakeStateOpen)
	// The account that left may not answer it any more.
	_, err := f.svc.AcceptHandshake(as(thirdID), &api.AcceptHandshakeRequest{HandshakeId: c.Id})
	wantErr(t, err, api.ErrInvalidHandshakeTransition, "")
}

// TestCanceledApprovalStillBlocks: canceling one approval must not let
// the migration skip that member (inferred).
func TestCanceledApprovalStillBlocks(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	p := f.enableAllFeatures(mgmtID)
	c := f.cancel(mgmtID, f.approval(otherID).Id)
	if c.State != api.HandshakeStateCanceled {
		t.Fatalf("approval %s", c.State)
	}
	f.wantState(mgmtID, p.Id, api.HandshakeStateRequested)
	must[*api.Empty](t)(f.svc.LeaveOrganization(as(otherID), &api.Empty{}))
	f.wantState(mgmtID, p.Id, api.HandshakeStateOpen)
}

func TestMigrationCancelAndInvitations(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID)
	before := f.invite(mgmtID, acctParty(fourthID))
	p := f.enableAllFeatures(mgmtID)
	// Invitations pending at the start promised consolidated billing.
	f.wantState(mgmtID, before.Id, api.HandshakeStateCanceled)
	if n := f.orgRecord(mgmtID).OpenInvitations; n != 0 {
		t.Fatalf("OpenInvitations %d", n)
	}
	// Invitations during the migration are allowed and promise ALL.
	during := f.invite(mgmtID, acctParty(fourthID))
	if fs, _ := resource(during.Resources[0].Resources, api.HandshakeResourceTypeOrganizationFeatureSet); fs.Value != "ALL" {
		t.Fatalf("feature set %+v", fs)
	}
	joined := f.invite(mgmtID, acctParty(fifthID))
	f.accept(fifthID, joined.Id) // joins by invitation, needs no approval
	accepted := f.accept(otherID, f.approval(otherID).Id)
	open := f.approval(thirdID)

	f.cancel(mgmtID, p.Id)
	f.wantState(mgmtID, p.Id, api.HandshakeStateCanceled)
	f.wantState(otherID, accepted.Id, api.HandshakeStateAccepted)
	f.wantState(thirdID, open.Id, api.HandshakeStateCanceled)
	f.wantState(mgmtID, during.Id, api.HandshakeStateCanceled)
	f.wantState(mgmtID, joined.Id, api.HandshakeStateAccepted)
	if o := f.orgRecord(mgmtID); o.OpenInvitations != 0 || o.FeatureSet != api.OrganizationFeatureSetConsolidatedBilling || o.Members != 4 {
		t.Fatalf("organization %+v", o)
	}
	// The migration may start again: the invited newcomer must approve now.
	p2 := f.enableAllFeatures(mgmtID)
	if n := len(f.listForOrg(mgmtID, &api.HandshakeFilter{ParentHandshakeId: p2.Id}, 0)); n != 3 {
		t.Fatalf("%d approvals in the second attempt", n)
	}
	if hs := f.listForAccount(fifthID, &api.HandshakeFilter{ParentHandshakeId: p2.Id}, 0); len(hs) != 1 {
		t.Fatalf("newcomer approvals %v", handshakeIDs(hs))
	}
}

func TestMigrationExpiry(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID, thirdID)
	p := f.enableAllFeatures(mgmtID)
	accepted := f.accept(otherID, f.approval(otherID).Id)
	open := f.approval(thirdID)
	f.advance(80 * day)
	late := f.invite(mgmtID, acctParty(fourthID)) // would expire on day 95
	f.advance(10*day - time.Millisecond)
	f.wantState(mgmtID, p.Id, api.HandshakeStateRequested)
	f.advance(time.Millisecond)
	f.wantState(mgmtID, p.Id, api.HandshakeStateExpired)
	f.wantState(thirdID, open.Id, api.HandshakeStateCanceled)
	f.wantState(mgmtID, late.Id, api.HandshakeStateCanceled)
	// The approval accepted on day 0 was purged on day 30, while the
	// parent still waited: it counts as approved all the same.
	_, err := f.svc.DescribeHandshake(as(otherID), &api.DescribeHandshakeRequest{HandshakeId: accepted.Id})
	wantErr(t, err, api.ErrHandshakeNotFound, "")
	if o := f.orgRecord(mgmtID); o.OpenInvitations != 0 || o.FeatureSet != api.OrganizationFeatureSetConsolidatedBilling {
		t.Fatalf("organization %+v", o)
	}
	f.enableAllFeatures(mgmtID) // no longer pending
	// Expired and canceled ones are purged 30 days after they ended.
	f.advance(30 * day)
	for _, id := range []string{p.Id, open.Id, late.Id} {
		_, err := f.svc.DescribeHandshake(as(mgmtID), &api.DescribeHandshakeRequest{HandshakeId: id})
		wantErr(t, err, api.ErrHandshakeNotFound, "")
	}
}

func TestRejectInvitesDuringMigration(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Compat.RejectInvitesDuringMigration = true })
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	p := f.enableAllFeatures(mgmtID)
	_, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: acctParty(thirdID)})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
	f.cancel(mgmtID, p.Id)
	f.invite(mgmtID, acctParty(thirdID))
}

func TestAllFeaturesPartyWithPrefix(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Compat.AllFeaturesPartyWithPrefix = true })
	o := f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
	p := f.enableAllFeatures(mgmtID)
	c := f.approval(otherID)
	if p.Parties[0].Id != o.Id || c.Parties[0].Id != o.Id || c.Resources[0].Value != p.Id {
		t.Fatalf("parent parties %+v, child parties %+v resources %+v", p.Parties, c.Parties, c.Resources)
	}
}

// countingStore counts the keys a service reads and writes, so that cost
// can be asserted without timing.
type countingStore struct {
	store.Store
	ops *int
}

func (s countingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(countingTx{tx, s.ops}) })
}

func (s countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(countingTx{tx, s.ops}) })
}

type countingTx struct {
	store.Tx
	ops *int
}

func (t countingTx) Get(k string) ([]byte, bool, error) { *t.ops++; return t.Tx.Get(k) }
func (t countingTx) Put(k string, v []byte) error       { *t.ops++; return t.Tx.Put(k, v) }
func (t countingTx) Delete(k string) error              { *t.ops++; return t.Tx.Delete(k) }
func (t countingTx) Scan(prefix, after string, fn func(string, []byte) bool) error {
	return t.Tx.Scan(prefix, after, func(k string, v []byte) bool { *t.ops++; return fn(k, v) })
}

// TestMigrationIsLinear guards against work quadratic in members: starting
// the migration costs store operations in proportion to the members, and
// one approval costs the same whatever the organization's size.
func TestMigrationIsLinear(t *testing.T) {
	cost := func(n int) (start, perApproval float64) {
		ops := 0
		cfg := DefaultConfig()
		cfg.Quotas.AccountsPerOrganization = 10000
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		cfg.Now = func() time.Time { return base }
		svc, err := New(context.Background(), countingStore{memstore.New(), &ops}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{t: t, svc: svc}
		f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("9%011d", i)
		}
		f.join(mgmtID, "", api.AccountJoinedMethodInvited, ids...)
		ops = 0
		f.enableAllFeatures(mgmtID)
		start = float64(ops)
		children := f.approvalsByAccount(ids)
		ops = 0
		for _, id := range ids {
			f.accept(id, children[id])
		}
		return start, float64(ops) / float64(n)
	}
	smallStart, smallEach := cost(100)
	largeStart, largeEach := cost(1000)
	if largeStart > 10*smallStart {
		t.Errorf("EnableAllFeatures: %v store operations for 1000 members, %v for 100", largeStart, smallStart)
	}
	if largeEach != smallEach {
		t.Errorf("an approval costs %v store operations among 1000 members, %v among 100", largeEach, smallEach)
	}
}

// newMigrationFixture is a CB organization of n invited members and its
// management account, with EnableAllFeatures called.
func newMigrationFixture(tb testing.TB, n int) (*fixture, []string) {
	f := newFixture(tb, func(c *Config) { c.Quotas.AccountsPerOrganization = 10000 })
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("9%011d", i)
	}
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, ids...)
	f.enableAllFeatures(mgmtID)
	return f, ids
}

// approvalsByAccount maps each member to its approval handshake ID.
func (f *fixture) approvalsByAccount(ids []string) map[string]string {
	m := make(map[string]string, len(ids))
	err := f.svc.read(context.Background(), func(t *txn) error {
		for _, id := range ids {
			keys, err := t.keysWithPrefix(prefixRecipientHandshakes(id))
			if err != nil {
				return err
			}
			m[id] = lastSegment(keys[len(keys)-1])
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// BenchmarkEnableAllFeatures starts the migration of an organization at
// the size limit: 4,999 invited members and the management account.
func BenchmarkEnableAllFeatures(b *testing.B) {
	for _, n := range []int{1000, migrationSizeLimit - 1} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := newFixture(b, func(c *Config) { c.Quotas.AccountsPerOrganization = 10000 })
				f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
				ids := make([]string, n)
				for i := range ids {
					ids[i] = fmt.Sprintf("9%011d", i)
				}
				f.join(mgmtID, "", api.AccountJoinedMethodInvited, ids...)
				b.StartTimer()
				if p := f.enableAllFeatures(mgmtID); p.State != api.HandshakeStateRequested {
					b.Fatal(p.State)
				}
			}
		})
	}
}

// BenchmarkApproveAllFeatures has every member of such an organization
// approve, one AcceptHandshake each, and the management account finalize.
func BenchmarkApproveAllFeatures(b *testing.B) {
	for _, n := range []int{1000, migrationSizeLimit - 1} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f, ids := newMigrationFixture(b, n)
				children := f.approvalsByAccount(ids)
				var parent string
				f.svc.read(context.Background(), func(t *txn) error {
					parent, _ = t.pendingMigration(f.orgIDOf(t, mgmtID))
					return nil
				})
				b.StartTimer()
				start := time.Now()
				for _, id := range ids {
					f.accept(id, children[id])
				}
				if h := f.accept(mgmtID, parent); h.State != api.HandshakeStateAccepted {
					b.Fatal(h.State)
				}
				b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n+1), "ns/accept")
			}
		})
	}
}
