package org

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// snapshotFixture is a small organization as the API would show it.
func snapshotFixture(at time.Time) *Snapshot {
	ms := api.NewTime(at)
	return &Snapshot{
		Taken: at,
		Organization: api.Organization{
			Id: "o-abcdefghij", Arn: "arn:aws:organizations::" + mgmtID + ":organization/o-abcdefghij",
			FeatureSet: api.OrganizationFeatureSetAll, MasterAccountId: mgmtID, MasterAccountEmail: "m@example.com",
		},
		Root: api.Root{Id: "r-abcd", Name: "Root", PolicyTypes: []api.PolicyTypeSummary{{Type: api.PolicyTypeServiceControlPolicy, Status: api.PolicyTypeStatusEnabled}}},
		OUs: []SnapshotOU{
			{OrganizationalUnit: api.OrganizationalUnit{Id: "ou-abcd-22222222", Name: "Inner"}, Parent: "ou-abcd-11111111"},
			{OrganizationalUnit: api.OrganizationalUnit{Id: "ou-abcd-11111111", Name: "Outer"}, Parent: "r-abcd"},
		},
		Accounts: []SnapshotAccount{
			{Account: api.Account{Id: mgmtID, Email: "m@example.com", Name: "M", State: api.AccountStateActive, JoinedMethod: api.AccountJoinedMethodCreated, JoinedTimestamp: ms}, Parent: "r-abcd"},
			{Account: api.Account{Id: otherID, Email: "o@example.com", Name: "O", Status: api.AccountStatusPendingClosure, JoinedMethod: api.AccountJoinedMethodInvited, JoinedTimestamp: ms}, Parent: "ou-abcd-22222222"},
		},
		Policies: []SnapshotPolicy{
			{PolicySummary: api.PolicySummary{Id: fullAWSAccessID, Type: api.PolicyTypeServiceControlPolicy, AwsManaged: true}, Targets: []string{"r-abcd", "ou-abcd-11111111", "ou-abcd-22222222", mgmtID, otherID}},
			{PolicySummary: api.PolicySummary{Id: "p-12345678", Name: "deny", Type: api.PolicyTypeServiceControlPolicy}, Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, Targets: []string{"ou-abcd-22222222"}},
		},
		Tags: map[string][]api.Tag{otherID: {{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}},
		CreateStatuses: []api.CreateAccountStatus{
			{Id: "car-0123456789abcdef0123456789abcdef", AccountName: "Later", State: api.CreateAccountStateInProgress, RequestedTimestamp: ms},
		},
		// Three invitations in one millisecond: the copy lists them in
		// this order although its index sorts by time, then ID.
		Handshakes: []api.Handshake{
			{Id: "h-cccccccc", Action: api.ActionTypeInvite, State: api.HandshakeStateOpen, RequestedTimestamp: ms, ExpirationTimestamp: api.NewTime(at.Add(15 * 24 * time.Hour)),
				Parties: []api.HandshakeParty{{Id: "o-abcdefghij", Type: api.HandshakePartyTypeOrganization}, {Id: thirdID, Type: api.HandshakePartyTypeAccount}}},
			{Id: "h-aaaaaaaa", Action: api.ActionTypeInvite, State: api.HandshakeStateDeclined, RequestedTimestamp: ms, ExpirationTimestamp: api.NewTime(at.Add(15 * 24 * time.Hour)),
				Parties: []api.HandshakeParty{{Id: "o-abcdefghij", Type: api.HandshakePartyTypeOrganization}, {Id: "x@example.com", Type: api.HandshakePartyTypeEmail}}},
			{Id: "h-bbbbbbbb", Action: api.ActionTypeInvite, State: api.HandshakeStateAccepted, RequestedTimestamp: ms, ExpirationTimestamp: api.NewTime(at.Add(15 * 24 * time.Hour)),
				Parties: []api.HandshakeParty{{Id: "o-abcdefghij", Type: api.HandshakePartyTypeOrganization}, {Id: otherID, Type: api.HandshakePartyTypeAccount}}},
		},
	}
}

func TestRestoreSnapshot(t *testing.T) {
	f := newFixture(t)
	snap := snapshotFixture(f.now())
	if err := f.svc.Restore(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckInvariants(context.Background()); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.DescribeOrganization(as(otherID), &api.Empty{})
	if err != nil || o.Organization.Id != "o-abcdefghij" || o.Organization.MasterAccountEmail != "m@example.com" {
		t.Fatalf("DescribeOrganization: %+v %v", o, err)
	}
	a, err := f.svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: otherID})
	if err != nil {
		t.Fatal(err)
	}
	// Only Status was shown: State follows from it.
	if a.Account.State != api.AccountStatePendingClosure || a.Account.Paths[0] != "o-abcdefghij/r-abcd/ou-abcd-11111111/ou-abcd-22222222/"+otherID+"/" {
		t.Errorf("account %+v", a.Account)
	}
	u, err := f.svc.DescribeOrganizationalUnit(as(mgmtID), &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: "ou-abcd-22222222"})
	if err != nil || u.OrganizationalUnit.Name != "Inner" {
		t.Fatalf("OU: %+v %v", u, err)
	}
	pt, err := f.svc.ListPoliciesForTarget(as(mgmtID), &api.ListPoliciesForTargetRequest{TargetId: "ou-abcd-22222222", Filter: api.PolicyTypeServiceControlPolicy})
	if err != nil || len(pt.Policies) != 2 {
		t.Fatalf("policies of the inner OU: %+v %v", pt, err)
	}
	tags, err := f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: otherID})
	if err != nil || len(tags.Tags) != 2 || tags.Tags[0].Key != "a" {
		t.Fatalf("tags: %+v %v", tags, err)
	}
	hs, err := f.svc.ListHandshakesForOrganization(as(mgmtID), &api.ListHandshakesForOrganizationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, h := range hs.Handshakes {
		order = append(order, h.Id)
	}
	if want := []string{"h-cccccccc", "h-aaaaaaaa", "h-bbbbbbbb"}; len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Errorf("handshakes listed %v, want the snapshot's order %v", order, want)
	}
	// The open invitation can be accepted on the copy.
	if _, err := f.svc.AcceptHandshake(as(thirdID), &api.AcceptHandshakeRequest{HandshakeId: "h-cccccccc"}); err != nil {
		t.Fatal(err)
	}
	// The closing account closes, a day after the snapshot; the creation
	// in progress completes, with an email of its own.
	f.advance(25 * time.Hour)
	cs, err := f.svc.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: "car-0123456789abcdef0123456789abcdef"})
	if err != nil || cs.CreateAccountStatus.State != api.CreateAccountStateSucceeded {
		t.Fatalf("the creation in progress: %+v %v", cs, err)
	}
	made, err := f.svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: cs.CreateAccountStatus.AccountId})
	if err != nil || made.Account.Email != "0123456789abcdef0123456789abcdef@clone.invalid" || made.Account.Name != "Later" {
		t.Fatalf("the account it made: %+v %v", made, err)
	}
	if a, err := f.svc.DescribeAccount(as(mgmtID), &api.DescribeAccountRequest{AccountId: otherID}); err != nil || a.Account.State != api.AccountStateClosed {
		t.Fatalf("a day later: %+v %v", a, err)
	}
}

// TestRestoreRefusesInconsistentSnapshots: a snapshot that is no
// organization changes nothing.
func TestRestoreRefusesInconsistentSnapshots(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(*Snapshot)
	}{
		{"no organization", func(s *Snapshot) { s.Organization.Id = "" }},
		{"management account not a member", func(s *Snapshot) { s.Accounts = s.Accounts[1:] }},
		{"account under a parent that is not there", func(s *Snapshot) { s.Accounts[1].Parent = "ou-abcd-99999999" }},
		{"OUs in a cycle", func(s *Snapshot) { s.OUs[1].Parent = "ou-abcd-22222222" }},
		{"policy attached to a stranger", func(s *Snapshot) { s.Policies[1].Targets = []string{thirdID} }},
		{"an ID that would break out of its key", func(s *Snapshot) { s.OUs[0].Id = "ou-abcd-22222222/../x" }},
		{"a policy target that is no ID", func(s *Snapshot) { s.Policies[1].Targets = []string{"acct/" + otherID} }},
		{"approval without its parent", func(s *Snapshot) {
			s.Handshakes[0].Action = api.ActionTypeApproveAllFeatures
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
			var before bytes.Buffer
			if err := f.svc.Export(context.Background(), &before); err != nil {
				t.Fatal(err)
			}
			snap := snapshotFixture(f.now())
			tc.break_(snap)
			err := f.svc.Restore(context.Background(), snap)
			if !errors.Is(err, ErrInvalidState) {
				t.Fatalf("Restore: %v, want ErrInvalidState", err)
			}
			var after bytes.Buffer
			if err := f.svc.Export(context.Background(), &after); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before.Bytes(), after.Bytes()) {
				t.Error("the refused snapshot changed the state")
			}
		})
	}
}
