package org

import (
	"context"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

func TestLeaveOrganization(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	h := f.invite(mgmtID, acctParty(otherID))
	out, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{
		Target: acctParty(thirdID), Tags: []api.Tag{{Key: "k", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.accept(otherID, h.Id)
	f.accept(thirdID, out.Handshake.Id)
	f.join(mgmtID, "", api.AccountJoinedMethodCreated, fourthID)

	for _, tc := range []struct {
		name   string
		caller string
		typ    string
		reason string
	}{
		{"management account", mgmtID, api.ErrMasterCannotLeaveOrganization, ""},
		{"standalone", fifthID, api.ErrAWSOrganizationsNotInUse, ""},
		{"created too recently", fourthID, api.ErrConstraintViolation, "WAIT_PERIOD_ACTIVE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.LeaveOrganization(as(tc.caller), &api.Empty{})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	if o := f.orgRecord(mgmtID); o.Members != 4 {
		t.Fatalf("Members %d after refused leaves", o.Members)
	}

	must[*api.Empty](t)(f.svc.LeaveOrganization(as(thirdID), &api.Empty{}))
	a := f.hsAccount(thirdID)
	if a.Org != "" || a.Parent != "" || a.Joined != "" {
		t.Fatalf("account after leaving %+v", a)
	}
	var tags []api.Tag
	f.svc.read(context.Background(), func(t *txn) error { tags, err = t.tags(thirdID); return err })
	if len(tags) != 0 {
		t.Fatalf("tags after leaving %+v", tags)
	}
	if o := f.orgRecord(mgmtID); o.Members != 3 {
		t.Fatalf("Members %d", o.Members)
	}
	_, err = f.svc.DescribeOrganization(as(thirdID), &api.Empty{})
	wantErr(t, err, api.ErrAWSOrganizationsNotInUse, "")
	// It still sees its old invitation, and may be invited again.
	f.wantState(thirdID, out.Handshake.Id, api.HandshakeStateAccepted)
	f.accept(thirdID, f.invite(mgmtID, acctParty(thirdID)).Id)
}

func TestDeleteOrganizationDiscardsHandshakes(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	open := f.invite(mgmtID, acctParty(otherID))
	byEmail := f.invite(mgmtID, emailParty("someone@example.org"))
	declined := f.decline(thirdID, f.invite(mgmtID, acctParty(thirdID)).Id)
	p := f.enableAllFeatures(mgmtID) // cancels the open invitations; opens at once
	f.accept(mgmtID, p.Id)
	open2 := f.invite(mgmtID, acctParty(otherID))
	must[*api.Empty](t)(f.svc.DeleteOrganization(as(mgmtID), &api.Empty{}))

	for _, id := range []string{open.Id, byEmail.Id, declined.Id, p.Id, open2.Id} {
		for _, caller := range []string{otherID, thirdID, mgmtID} {
			_, err := f.svc.DescribeHandshake(as(caller), &api.DescribeHandshakeRequest{HandshakeId: id})
			wantErr(t, err, api.ErrHandshakeNotFound, "")
		}
	}
	if hs := f.listForAccount(otherID, nil, 0); len(hs) != 0 {
		t.Fatalf("invitee still lists %v", handshakeIDs(hs))
	}
	// Nothing of the organization's handshakes is left in the store, and
	// the scheduled expiries and purges are gone with them.
	var left []string
	f.svc.read(context.Background(), func(t *txn) error {
		for _, prefix := range []string{"hs", "due/"} {
			keys, err := t.keysWithPrefix(prefix)
			if err != nil {
				return err
			}
			left = append(left, keys...)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("keys left behind: %v", left)
	}
	// A new organization starts clean; the former invitee may join it.
	f.newOrg(mgmtID, "")
	f.accept(otherID, f.invite(mgmtID, acctParty(otherID)).Id)
}
