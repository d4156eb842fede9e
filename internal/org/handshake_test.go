package org

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

const (
	day       = 24 * time.Hour
	fourthID  = "444444444444"
	fifthID   = "555555555555"
	sixthID   = "666666666666"
	seventhID = "777777777777"
)

// hsAccount returns the account as stored.
func (f *fixture) hsAccount(id string) *account {
	f.t.Helper()
	var a *account
	err := f.svc.read(context.Background(), func(t *txn) error {
		var err error
		a, err = t.account(id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func acctParty(id string) *api.HandshakeParty {
	return &api.HandshakeParty{Type: api.HandshakePartyTypeAccount, Id: id}
}

func emailParty(e string) *api.HandshakeParty {
	return &api.HandshakeParty{Type: api.HandshakePartyTypeEmail, Id: e}
}

func (f *fixture) invite(mgmt string, target *api.HandshakeParty) *api.Handshake {
	f.t.Helper()
	out, err := f.svc.InviteAccountToOrganization(as(mgmt), &api.InviteAccountToOrganizationRequest{Target: target})
	if err != nil {
		f.t.Fatalf("InviteAccountToOrganization %s: %v", target.Id, err)
	}
	return out.Handshake
}

func (f *fixture) describe(caller, id string) *api.Handshake {
	f.t.Helper()
	out, err := f.svc.DescribeHandshake(as(caller), &api.DescribeHandshakeRequest{HandshakeId: id})
	if err != nil {
		f.t.Fatalf("DescribeHandshake %s as %s: %v", id, caller, err)
	}
	return out.Handshake
}

func (f *fixture) accept(caller, id string) *api.Handshake {
	f.t.Helper()
	out, err := f.svc.AcceptHandshake(as(caller), &api.AcceptHandshakeRequest{HandshakeId: id})
	if err != nil {
		f.t.Fatalf("AcceptHandshake %s as %s: %v", id, caller, err)
	}
	return out.Handshake
}

func (f *fixture) decline(caller, id string) *api.Handshake {
	f.t.Helper()
	out, err := f.svc.DeclineHandshake(as(caller), &api.DeclineHandshakeRequest{HandshakeId: id})
	if err != nil {
		f.t.Fatalf("DeclineHandshake %s as %s: %v", id, caller, err)
	}
	return out.Handshake
}

func (f *fixture) cancel(caller, id string) *api.Handshake {
	f.t.Helper()
	out, err := f.svc.CancelHandshake(as(caller), &api.CancelHandshakeRequest{HandshakeId: id})
	if err != nil {
		f.t.Fatalf("CancelHandshake %s as %s: %v", id, caller, err)
	}
	return out.Handshake
}

func (f *fixture) wantState(caller, id string, want api.HandshakeState) {
	f.t.Helper()
	if got := f.describe(caller, id).State; got != want {
		f.t.Fatalf("handshake %s is %s, want %s", id, got, want)
	}
}

// listForAccount returns all of caller's handshakes, page by page.
func (f *fixture) listForAccount(caller string, filter *api.HandshakeFilter, max int32) []api.Handshake {
	f.t.Helper()
	all, _ := walkPages(f, max, func(token string) ([]api.Handshake, string, error) {
		out, err := f.svc.ListHandshakesForAccount(as(caller), &api.ListHandshakesForAccountRequest{Filter: filter, NextToken: token, MaxResults: max})
		if err != nil {
			return nil, "", fmt.Errorf("ListHandshakesForAccount: %w", err)
		}
		return out.Handshakes, out.NextToken, nil
	})
	return all
}

func (f *fixture) listForOrg(caller string, filter *api.HandshakeFilter, max int32) []api.Handshake {
	f.t.Helper()
	all, _ := walkPages(f, max, func(token string) ([]api.Handshake, string, error) {
		out, err := f.svc.ListHandshakesForOrganization(as(caller), &api.ListHandshakesForOrganizationRequest{Filter: filter, NextToken: token, MaxResults: max})
		if err != nil {
			return nil, "", fmt.Errorf("ListHandshakesForOrganization: %w", err)
		}
		return out.Handshakes, out.NextToken, nil
	})
	return all
}

func handshakeIDs(hs []api.Handshake) []string {
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = h.Id
	}
	return ids
}

func resource(rs []api.HandshakeResource, typ api.HandshakeResourceType) (api.HandshakeResource, bool) {
	for _, r := range rs {
		if r.Type == typ {
			return r, true
		}
	}
	return api.HandshakeResource{}, false
}

var handshakeIDRe = regexp.MustCompile(`^h-[0-9a-f]{32}$`)

func TestInviteShape(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fs          api.OrganizationFeatureSet
		compat      Compat
		target      *api.HandshakeParty
		notes       string
		wantFS      string
		wantOrgPart func(org string) string
	}{
		{"account target, CB", api.OrganizationFeatureSetConsolidatedBilling, Compat{}, acctParty(otherID), "welcome", "CONSOLIDATED_BILLING", func(o string) string { return o }},
		{"email target, ALL", api.OrganizationFeatureSetAll, Compat{}, emailParty("Juan@Example.com"), "", "ALL", func(o string) string { return o }},
		{"legacy FULL and bare org party", api.OrganizationFeatureSetAll, Compat{FeatureSetFull: true, InviteOrgPartyWithoutPrefix: true}, acctParty(otherID), "", "FULL",
			func(o string) string { return o[2:] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Compat = tc.compat })
			o := f.newOrg(mgmtID, tc.fs)
			out, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: tc.target, Notes: tc.notes})
			if err != nil {
				t.Fatal(err)
			}
			h := out.Handshake
			if !handshakeIDRe.MatchString(h.Id) {
				t.Errorf("Id %q", h.Id)
			}
			if want := "arn:aws:organizations::" + mgmtID + ":handshake/" + o.Id + "/invite/" + h.Id; h.Arn != want {
				t.Errorf("Arn %q, want %q", h.Arn, want)
			}
			if h.Action != api.ActionTypeInvite || h.State != api.HandshakeStateOpen {
				t.Errorf("Action %s State %s", h.Action, h.State)
			}
			if got := h.ExpirationTimestamp.Sub(h.RequestedTimestamp.Time); got != 15*day || !h.RequestedTimestamp.Equal(f.now()) {
				t.Errorf("requested %v, expires after %v", h.RequestedTimestamp, got)
			}
			wantParties := []api.HandshakeParty{{Id: tc.wantOrgPart(o.Id), Type: api.HandshakePartyTypeOrganization}, *tc.target}
			if len(h.Parties) != 2 || h.Parties[0] != wantParties[0] || h.Parties[1] != wantParties[1] {
				t.Errorf("Parties %+v, want %+v", h.Parties, wantParties)
			}
			wantTypes := []api.HandshakeResourceType{api.HandshakeResourceTypeOrganization, api.HandshakeResourceType(tc.target.Type)}
			if tc.notes != "" {
				wantTypes = append(wantTypes, api.HandshakeResourceTypeNotes)
			}
			if len(h.Resources) != len(wantTypes) {
				t.Fatalf("Resources %+v", h.Resources)
			}
			for i, typ := range wantTypes {
				if h.Resources[i].Type != typ {
					t.Errorf("resource %d is %s, want %s", i, h.Resources[i].Type, typ)
				}
			}
			org := h.Resources[0]
			if org.Value != o.Id || len(org.Resources) != 3 {
				t.Fatalf("ORGANIZATION resource %+v", org)
			}
			nested := map[api.HandshakeResourceType]string{}
			for _, r := range org.Resources {
				nested[r.Type] = r.Value
				if r.Resources != nil {
					t.Errorf("nested too deep: %+v", r)
				}
			}
			if nested[api.HandshakeResourceTypeMasterEmail] != defaultEmail(mgmtID) || nested[api.HandshakeResourceTypeMasterName] != defaultName(mgmtID) ||
				nested[api.HandshakeResourceTypeOrganizationFeatureSet] != tc.wantFS {
				t.Errorf("nested resources %v", nested)
			}
			if h.Resources[1].Value != tc.target.Id {
				t.Errorf("target resource %+v", h.Resources[1])
			}
			if tc.notes != "" && h.Resources[2].Value != tc.notes {
				t.Errorf("NOTES %+v", h.Resources[2])
			}
			if got := f.orgRecord(mgmtID).OpenInvitations; got != 1 {
				t.Errorf("OpenInvitations %d", got)
			}
			// On the wire: epoch seconds, and no empty or null members.
			b, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			if js := string(b); !strings.Contains(js, `"RequestedTimestamp":1767225600,"ExpirationTimestamp":1768521600,`) ||
				strings.Contains(js, "null") || strings.Contains(js, "[]") || strings.Contains(js, `""`) {
				t.Errorf("JSON %s", js)
			}
		})
	}
}

func TestInviteErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller string
		in     api.InviteAccountToOrganizationRequest
		typ    string
		reason string
	}{
		{"organization target", mgmtID, api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Type: api.HandshakePartyTypeOrganization, Id: "o-abcdefghij"}},
			api.ErrInvalidInput, "INVALID_PARTY_TYPE_TARGET"},
		{"malformed email", mgmtID, api.InviteAccountToOrganizationRequest{Target: emailParty("not-an-address")}, api.ErrInvalidInput, "INVALID_EMAIL_ADDRESS_TARGET"},
		{"malformed account", mgmtID, api.InviteAccountToOrganizationRequest{Target: acctParty("12345")}, api.ErrInvalidInput, "INVALID_PATTERN"},
		{"system tag", mgmtID, api.InviteAccountToOrganizationRequest{Target: acctParty(otherID), Tags: []api.Tag{{Key: "aws:x", Value: "y"}}},
			api.ErrInvalidInput, "INVALID_SYSTEM_TAGS_PARAMETER"},
		{"standalone caller", sixthID, api.InviteAccountToOrganizationRequest{Target: acctParty(otherID)}, api.ErrAWSOrganizationsNotInUse, ""},
		{"member caller", fifthID, api.InviteAccountToOrganizationRequest{Target: acctParty(otherID)}, api.ErrAccessDenied, ""},
		{"the management account", mgmtID, api.InviteAccountToOrganizationRequest{Target: acctParty(mgmtID)},
			api.ErrHandshakeConstraintViolation, "ALREADY_IN_AN_ORGANIZATION"},
		{"the management account by email", mgmtID, api.InviteAccountToOrganizationRequest{Target: emailParty(defaultEmail(mgmtID))},
			api.ErrHandshakeConstraintViolation, "ALREADY_IN_AN_ORGANIZATION"},
		{"a member", mgmtID, api.InviteAccountToOrganizationRequest{Target: acctParty(fifthID)},
			api.ErrHandshakeConstraintViolation, "ALREADY_IN_AN_ORGANIZATION"},
		{"duplicate", mgmtID, api.InviteAccountToOrganizationRequest{Target: acctParty(thirdID)}, api.ErrDuplicateHandshake, ""},
		{"duplicate by email", mgmtID, api.InviteAccountToOrganizationRequest{Target: emailParty(defaultEmail(thirdID))}, api.ErrDuplicateHandshake, ""},
		{"duplicate by account of an emailed invitation", mgmtID, api.InviteAccountToOrganizationRequest{Target: acctParty(fourthID)}, api.ErrDuplicateHandshake, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
			f.join(mgmtID, "", api.AccountJoinedMethodInvited, fifthID)
			f.invite(mgmtID, acctParty(thirdID))
			f.invite(mgmtID, emailParty(defaultEmail(fourthID)))
			_, err := f.svc.InviteAccountToOrganization(as(tc.caller), &tc.in)
			wantErr(t, err, tc.typ, tc.reason)
			if got := f.orgRecord(mgmtID).OpenInvitations; got != 2 {
				t.Errorf("OpenInvitations %d after a refused invitation", got)
			}
		})
	}
}

func TestInvitationsInAnotherOrganizationAreIndependent(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.newOrg(seventhID, "")
	a := f.invite(mgmtID, acctParty(otherID))
	b := f.invite(seventhID, acctParty(otherID)) // not a duplicate: another organization
	f.accept(otherID, a.Id)
	// The other invitation stays open, but it can't be accepted now.
	f.wantState(otherID, b.Id, api.HandshakeStateOpen)
	_, err := f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: b.Id})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "ALREADY_IN_AN_ORGANIZATION")
	// Inviting a member of another organization is allowed.
	f.invite(seventhID, acctParty(fifthID))
}

func TestAccountLimitCountsOpenInvitations(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(f *fixture, id string) // frees the slot of invitation id
	}{
		{"decline", func(f *fixture, id string) { f.decline(otherID, id) }},
		{"cancel", func(f *fixture, id string) { f.cancel(mgmtID, id) }},
		{"expiry", func(f *fixture, id string) { f.advance(15 * day) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Quotas.AccountsPerOrganization = 3 })
			f.newOrg(mgmtID, "")
			first := f.invite(mgmtID, acctParty(otherID))
			f.invite(mgmtID, acctParty(thirdID))
			_, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: acctParty(fourthID)})
			wantErr(t, err, api.ErrHandshakeConstraintViolation, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
			tc.end(f, first.Id)
			if tc.name == "expiry" {
				f.wantState(mgmtID, first.Id, api.HandshakeStateExpired)
				if got := f.orgRecord(mgmtID).OpenInvitations; got != 0 {
					t.Fatalf("OpenInvitations %d after both expired", got)
				}
				f.invite(mgmtID, acctParty(thirdID))
			} else if got := f.orgRecord(mgmtID).OpenInvitations; got != 1 {
				t.Fatalf("OpenInvitations %d", got)
			}
			f.invite(mgmtID, acctParty(fourthID))
		})
	}
}

func TestAcceptChecksAccountLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.AccountsPerOrganization = 2 })
	f.newOrg(mgmtID, "")
	h := f.invite(mgmtID, acctParty(otherID))
	// A member joins by another way meanwhile (a lowered quota or a race).
	f.join(mgmtID, "", api.AccountJoinedMethodCreated, thirdID)
	_, err := f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: h.Id})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	f.wantState(otherID, h.Id, api.HandshakeStateOpen)
}

func TestInvitationRateLimit(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Quotas.InvitationsPerDay = 3 })
	f.newOrg(mgmtID, "")
	// An accepted invitation does not count against the daily limit.
	f.accept(otherID, f.invite(mgmtID, acctParty(otherID)).Id)
	for _, id := range []string{thirdID, fourthID, fifthID} {
		// Canceling frees nothing towards the limit.
		f.cancel(mgmtID, f.invite(mgmtID, acctParty(id)).Id)
		f.advance(time.Hour)
	}
	_, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: acctParty(sixthID)})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
	// 24 hours after the first attempt, one more is allowed, then no more.
	f.advance(21 * time.Hour)
	f.invite(mgmtID, acctParty(sixthID))
	_, err = f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: acctParty(seventhID)})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
}

func TestAcceptInvitation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target *api.HandshakeParty
	}{
		{"by account", acctParty(otherID)},
		{"by email", emailParty("ACCOUNT-222222222222@example.com")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
			tags := []api.Tag{{Key: "team", Value: "blue"}, {Key: "env", Value: ""}}
			out, err := f.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: tc.target, Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			f.advance(time.Hour)
			// Only the recipient finds it.
			_, err = f.svc.AcceptHandshake(as(thirdID), &api.AcceptHandshakeRequest{HandshakeId: out.Handshake.Id})
			wantErr(t, err, api.ErrHandshakeNotFound, "")
			h := f.accept(otherID, out.Handshake.Id)
			if h.State != api.HandshakeStateAccepted || h.Id != out.Handshake.Id {
				t.Fatalf("accepted %+v", h)
			}
			a := f.hsAccount(otherID)
			if a.Org != f.orgRecord(mgmtID).ID || a.Parent != f.rootID(mgmtID) || a.Joined != api.AccountJoinedMethodInvited ||
				!a.JoinedAt.Equal(f.now()) || a.State != api.AccountStateActive {
				t.Fatalf("account after accepting: %+v", a)
			}
			o := f.orgRecord(mgmtID)
			if o.Members != 2 || o.OpenInvitations != 0 {
				t.Fatalf("Members %d OpenInvitations %d", o.Members, o.OpenInvitations)
			}
			var got []api.Tag
			f.svc.read(context.Background(), func(t *txn) error { got, err = t.tags(otherID); return err })
			if len(got) != 2 || got[0] != (api.Tag{Key: "env", Value: ""}) || got[1] != (api.Tag{Key: "team", Value: "blue"}) {
				t.Fatalf("tags %+v", got)
			}
			// The member still sees its accepted invitation.
			if hs := f.listForAccount(otherID, nil, 0); len(hs) != 1 || hs[0].State != api.HandshakeStateAccepted {
				t.Fatalf("ListHandshakesForAccount %+v", hs)
			}
			_, err = f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: h.Id})
			wantErr(t, err, api.ErrHandshakeAlreadyInState, "")
		})
	}
}

// TestTransitionTable drives every cell of spec 4.6 for invitations, and
// the REQUESTED column with a migration parent.
func TestTransitionTable(t *testing.T) {
	type op int
	const (
		accept op = iota
		decline
		cancel
	)
	ops := map[op]string{accept: "accept", decline: "decline", cancel: "cancel"}
	// into brings a fresh invitation of otherID into a state.
	into := map[api.HandshakeState]func(f *fixture, id string){
		api.HandshakeStateOpen:     func(*fixture, string) {},
		api.HandshakeStateAccepted: func(f *fixture, id string) { f.accept(otherID, id) },
		api.HandshakeStateDeclined: func(f *fixture, id string) { f.decline(otherID, id) },
		api.HandshakeStateCanceled: func(f *fixture, id string) { f.cancel(mgmtID, id) },
		api.HandshakeStateExpired:  func(f *fixture, id string) { f.advance(15 * day) },
	}
	const (
		ok         = ""
		already    = api.ErrHandshakeAlreadyInState
		transition = api.ErrInvalidHandshakeTransition
	)
	want := map[api.HandshakeState]map[op]string{
		api.HandshakeStateOpen:     {accept: ok, decline: ok, cancel: ok},
		api.HandshakeStateAccepted: {accept: already, decline: transition, cancel: transition},
		api.HandshakeStateDeclined: {accept: transition, decline: already, cancel: transition},
		api.HandshakeStateCanceled: {accept: transition, decline: transition, cancel: already},
		api.HandshakeStateExpired:  {accept: transition, decline: transition, cancel: transition},
	}
	do := func(f *fixture, o op, id string) (*api.Handshake, error) {
		switch o {
		case accept:
			out, err := f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: id})
			if err != nil {
				return nil, err
			}
			return out.Handshake, nil
		case decline:
			out, err := f.svc.DeclineHandshake(as(otherID), &api.DeclineHandshakeRequest{HandshakeId: id})
			if err != nil {
				return nil, err
			}
			return out.Handshake, nil
		}
		out, err := f.svc.CancelHandshake(as(mgmtID), &api.CancelHandshakeRequest{HandshakeId: id})
		if err != nil {
			return nil, err
		}
		return out.Handshake, nil
	}
	result := map[op]api.HandshakeState{accept: api.HandshakeStateAccepted, decline: api.HandshakeStateDeclined, cancel: api.HandshakeStateCanceled}
	for state, row := range want {
		for o, typ := range row {
			t.Run(string(state)+"/"+ops[o], func(t *testing.T) {
				f := newFixture(t)
				f.newOrg(mgmtID, "")
				id := f.invite(mgmtID, acctParty(otherID)).Id
				into[state](f, id)
				f.wantState(otherID, id, state)
				h, err := do(f, o, id)
				if typ == ok {
					if err != nil || h.State != result[o] {
						t.Fatalf("got %v %+v, want %s", err, h, result[o])
					}
					return
				}
				wantErr(t, err, typ, "")
				f.wantState(otherID, id, state)
			})
		}
	}
	t.Run("REQUESTED parent", func(t *testing.T) {
		f := newFixture(t)
		f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
		f.join(mgmtID, "", api.AccountJoinedMethodInvited, otherID)
		p := must[*api.EnableAllFeaturesResponse](t)(f.svc.EnableAllFeatures(as(mgmtID), &api.EnableAllFeaturesRequest{})).Handshake
		if p.State != api.HandshakeStateRequested {
			t.Fatalf("parent %s", p.State)
		}
		_, err := f.svc.AcceptHandshake(as(mgmtID), &api.AcceptHandshakeRequest{HandshakeId: p.Id})
		wantErr(t, err, transition, "")
		_, err = f.svc.DeclineHandshake(as(mgmtID), &api.DeclineHandshakeRequest{HandshakeId: p.Id})
		wantErr(t, err, transition, "")
		if h := f.cancel(mgmtID, p.Id); h.State != api.HandshakeStateCanceled {
			t.Fatalf("canceled parent %s", h.State)
		}
		_, err = f.svc.CancelHandshake(as(mgmtID), &api.CancelHandshakeRequest{HandshakeId: p.Id})
		wantErr(t, err, already, "")
	})
}

func TestHandshakeParties(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, fourthID) // a plain member
	f.join(mgmtID, "", api.AccountJoinedMethodCreated, fifthID)  // a delegated administrator
	orgID := f.orgRecord(mgmtID).ID
	if err := f.svc.write(context.Background(), func(t *txn) error {
		return t.Put(prefixDelegated(orgID, fifthID)+"example.amazonaws.com", nil)
	}); err != nil {
		t.Fatal(err)
	}
	f.newOrg(seventhID, "")
	inv := f.invite(mgmtID, acctParty(otherID)).Id
	for _, tc := range []struct {
		name   string
		caller string
		call   func(ctx context.Context) error
		typ    string
	}{
		{"unknown id", otherID, func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: "h-0123456789abcdef0123456789abcdef"})
			return err
		}, api.ErrHandshakeNotFound},
		{"non-party describes", thirdID, func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrHandshakeNotFound},
		{"plain member describes", fourthID, func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrHandshakeNotFound},
		{"another organization's management describes", seventhID, func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrHandshakeNotFound},
		{"non-party accepts", thirdID, func(ctx context.Context) error {
			_, err := f.svc.AcceptHandshake(ctx, &api.AcceptHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrHandshakeNotFound},
		{"non-party declines", thirdID, func(ctx context.Context) error {
			_, err := f.svc.DeclineHandshake(ctx, &api.DeclineHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrHandshakeNotFound},
		{"non-party cancels", thirdID, func(ctx context.Context) error {
			_, err := f.svc.CancelHandshake(ctx, &api.CancelHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrHandshakeNotFound},
		{"management accepts an invitation", mgmtID, func(ctx context.Context) error {
			_, err := f.svc.AcceptHandshake(ctx, &api.AcceptHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrAccessDenied},
		{"management declines an invitation", mgmtID, func(ctx context.Context) error {
			_, err := f.svc.DeclineHandshake(ctx, &api.DeclineHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrAccessDenied},
		{"recipient cancels", otherID, func(ctx context.Context) error {
			_, err := f.svc.CancelHandshake(ctx, &api.CancelHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrAccessDenied},
		{"delegated administrator cancels", fifthID, func(ctx context.Context) error {
			_, err := f.svc.CancelHandshake(ctx, &api.CancelHandshakeRequest{HandshakeId: inv})
			return err
		}, api.ErrAccessDenied},
		{"delegated administrator describes", fifthID, func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: inv})
			return err
		}, ""},
		{"recipient describes", otherID, func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: inv})
			return err
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(as(tc.caller))
			if tc.typ == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.typ, "")
		})
	}
	f.wantState(otherID, inv, api.HandshakeStateOpen)
}

func TestExpiryAndRetention(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	h := f.invite(mgmtID, acctParty(otherID))
	f.advance(15*day - time.Millisecond)
	f.wantState(otherID, h.Id, api.HandshakeStateOpen)
	f.advance(time.Millisecond)
	f.wantState(otherID, h.Id, api.HandshakeStateExpired)
	if got := f.orgRecord(mgmtID).OpenInvitations; got != 0 {
		t.Fatalf("OpenInvitations %d after expiry", got)
	}
	// Visible for 30 days after it expired, then gone everywhere.
	f.advance(30*day - time.Millisecond)
	f.wantState(mgmtID, h.Id, api.HandshakeStateExpired)
	if n := len(f.listForOrg(mgmtID, nil, 0)); n != 1 {
		t.Fatalf("%d handshakes listed before the purge", n)
	}
	f.advance(time.Millisecond)
	_, err := f.svc.DescribeHandshake(as(otherID), &api.DescribeHandshakeRequest{HandshakeId: h.Id})
	wantErr(t, err, api.ErrHandshakeNotFound, "")
	if n := len(f.listForOrg(mgmtID, nil, 0)) + len(f.listForAccount(otherID, nil, 0)); n != 0 {
		t.Fatalf("%d handshakes listed after the purge", n)
	}
}

func TestRetentionAfterAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(f *fixture, id string)
	}{
		{"accepted", func(f *fixture, id string) { f.accept(otherID, id) }},
		{"declined", func(f *fixture, id string) { f.decline(otherID, id) }},
		{"canceled", func(f *fixture, id string) { f.cancel(mgmtID, id) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.newOrg(mgmtID, "")
			h := f.invite(mgmtID, acctParty(otherID))
			f.advance(5 * day)
			tc.end(f, h.Id)
			// The clock starts when it ended, not when it was sent.
			f.advance(30*day - time.Millisecond)
			f.describe(otherID, h.Id)
			f.advance(time.Millisecond)
			_, err := f.svc.DescribeHandshake(as(otherID), &api.DescribeHandshakeRequest{HandshakeId: h.Id})
			wantErr(t, err, api.ErrHandshakeNotFound, "")
		})
	}
}

func TestListHandshakes(t *testing.T) {
	f := newFixture(t)
	f.newOrg(mgmtID, "")
	f.newOrg(seventhID, "")
	var want []string
	// Invitations to otherID by account and by email, from two organizations.
	want = append(want, f.invite(mgmtID, acctParty(otherID)).Id)
	f.advance(time.Second)
	want = append(want, f.invite(seventhID, emailParty(defaultEmail(otherID))).Id)
	f.advance(time.Second)
	f.invite(mgmtID, acctParty(thirdID))
	f.advance(time.Second)
	f.cancel(mgmtID, want[0])
	want = append(want, f.invite(mgmtID, emailParty(defaultEmail(otherID))).Id)
	f.advance(time.Second)
	f.newOrg(fifthID, "")
	want = append(want, f.invite(fifthID, acctParty(otherID)).Id) // by account again, after the emailed ones

	for _, max := range []int32{0, 1, 2, 20} {
		if got := handshakeIDs(f.listForAccount(otherID, nil, max)); !equal(got, want) {
			t.Fatalf("ListHandshakesForAccount max %d: %v, want %v", max, got, want)
		}
	}
	if got := f.listForAccount(otherID, &api.HandshakeFilter{ActionType: api.ActionTypeEnableAllFeatures}, 1); len(got) != 0 {
		t.Fatalf("filtered by action: %v", handshakeIDs(got))
	}
	if got := f.listForAccount(thirdID, &api.HandshakeFilter{ActionType: api.ActionTypeInvite}, 1); len(got) != 1 {
		t.Fatalf("filtered by action: %v", handshakeIDs(got))
	}
	if got := f.listForAccount(fourthID, nil, 0); len(got) != 0 {
		t.Fatalf("an account never invited sees %v", handshakeIDs(got))
	}
	orgAll := handshakeIDs(f.listForOrg(mgmtID, nil, 1))
	if len(orgAll) != 3 || orgAll[0] != want[0] || orgAll[2] != want[2] {
		t.Fatalf("ListHandshakesForOrganization %v", orgAll)
	}
	if got := f.listForOrg(seventhID, &api.HandshakeFilter{ActionType: api.ActionTypeInvite}, 1); len(got) != 1 || got[0].Id != want[1] {
		t.Fatalf("other organization's invitations %v", handshakeIDs(got))
	}
	// Another organization's parent has no children here.
	f.newOrg(fourthID, api.OrganizationFeatureSetConsolidatedBilling)
	f.join(fourthID, "", api.AccountJoinedMethodInvited, sixthID)
	foreign := f.enableAllFeatures(fourthID)
	if got := f.listForOrg(fourthID, &api.HandshakeFilter{ParentHandshakeId: foreign.Id}, 0); len(got) != 1 {
		t.Fatalf("own children %v", handshakeIDs(got))
	}
	if got := f.listForOrg(mgmtID, &api.HandshakeFilter{ParentHandshakeId: foreign.Id}, 0); len(got) != 0 {
		t.Fatalf("another organization's children %v", handshakeIDs(got))
	}

	for _, tc := range []struct {
		name   string
		call   func() error
		typ    string
		reason string
	}{
		{"both filters, account", func() error {
			_, err := f.svc.ListHandshakesForAccount(as(otherID), &api.ListHandshakesForAccountRequest{Filter: &api.HandshakeFilter{ActionType: api.ActionTypeInvite, ParentHandshakeId: want[0]}})
			return err
		}, api.ErrInvalidInput, "MAX_LIMIT_EXCEEDED_FILTER"},
		{"both filters, organization", func() error {
			_, err := f.svc.ListHandshakesForOrganization(as(mgmtID), &api.ListHandshakesForOrganizationRequest{Filter: &api.HandshakeFilter{ActionType: api.ActionTypeInvite, ParentHandshakeId: want[0]}})
			return err
		}, api.ErrInvalidInput, "MAX_LIMIT_EXCEEDED_FILTER"},
		{"bad token, account", func() error {
			_, err := f.svc.ListHandshakesForAccount(as(otherID), &api.ListHandshakesForAccountRequest{NextToken: "bogus"})
			return err
		}, api.ErrInvalidInput, "INVALID_NEXT_TOKEN"},
		{"bad token, organization", func() error {
			_, err := f.svc.ListHandshakesForOrganization(as(mgmtID), &api.ListHandshakesForOrganizationRequest{NextToken: "bogus"})
			return err
		}, api.ErrInvalidInput, "INVALID_NEXT_TOKEN"},
		{"another caller's token", func() error {
			out, err := f.svc.ListHandshakesForAccount(as(otherID), &api.ListHandshakesForAccountRequest{MaxResults: 1})
			if err != nil {
				return err
			}
			_, err = f.svc.ListHandshakesForAccount(as(thirdID), &api.ListHandshakesForAccountRequest{NextToken: out.NextToken})
			return err
		}, api.ErrInvalidInput, "INVALID_NEXT_TOKEN"},
		{"standalone lists for an organization", func() error {
			_, err := f.svc.ListHandshakesForOrganization(as(otherID), &api.ListHandshakesForOrganizationRequest{})
			return err
		}, api.ErrAWSOrganizationsNotInUse, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.call(), tc.typ, tc.reason) })
	}
	f.accept(thirdID, f.listForAccount(thirdID, nil, 0)[0].Id)
	_, err := f.svc.ListHandshakesForOrganization(as(thirdID), &api.ListHandshakesForOrganizationRequest{})
	wantErr(t, err, api.ErrAccessDenied, "")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
