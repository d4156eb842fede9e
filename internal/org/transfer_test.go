package org

import (
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// The fixture's clock starts on 2026-01-01, so February is the first month
// a transfer may start in.
var (
	feb1 = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	mar1 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	apr1 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

// rtOrgs makes the organizations of mgmtID and otherID, and of the
// further management accounts given.
func (f *fixture) rtOrgs(more ...string) {
	f.t.Helper()
	for _, m := range append([]string{mgmtID, otherID}, more...) {
		f.newOrg(m, api.OrganizationFeatureSetAll)
	}
}

func (f *fixture) rtInviteErr(from string, target *api.HandshakeParty, start time.Time) (*api.Handshake, error) {
	out, err := f.svc.InviteOrganizationToTransferResponsibility(as(from), &api.InviteOrganizationToTransferResponsibilityRequest{
		Type: api.ResponsibilityTransferTypeBilling, Target: target, StartTimestamp: api.NewTime(start),
		SourceName: "billing for " + target.Id,
	})
	if err != nil {
		return nil, err
	}
	return out.Handshake, nil
}

// rtInvite invites target to make from responsible for its billing from
// start on, and returns the handshake and the transfer's ID.
func (f *fixture) rtInvite(from string, target *api.HandshakeParty, start time.Time) (*api.Handshake, string) {
	f.t.Helper()
	h, err := f.rtInviteErr(from, target, start)
	if err != nil {
		f.t.Fatalf("InviteOrganizationToTransferResponsibility to %s: %v", target.Id, err)
	}
	r, ok := resource(h.Resources, api.HandshakeResourceTypeResponsibilityTransfer)
	if !ok {
		f.t.Fatalf("handshake without a RESPONSIBILITY_TRANSFER resource: %+v", h.Resources)
	}
	return h, r.Value
}

func (f *fixture) rtDescribe(caller, id string) *api.ResponsibilityTransfer {
	f.t.Helper()
	out, err := f.svc.DescribeResponsibilityTransfer(as(caller), &api.DescribeResponsibilityTransferRequest{Id: id})
	if err != nil {
		f.t.Fatalf("DescribeResponsibilityTransfer %s as %s: %v", id, caller, err)
	}
	return out.ResponsibilityTransfer
}

func (f *fixture) rtTerminate(caller, id string, end time.Time) (*api.ResponsibilityTransfer, error) {
	in := &api.TerminateResponsibilityTransferRequest{Id: id}
	if !end.IsZero() {
		in.EndTimestamp = api.NewTime(end)
	}
	out, err := f.svc.TerminateResponsibilityTransfer(as(caller), in)
	if err != nil {
		return nil, err
	}
	return out.ResponsibilityTransfer, nil
}

func (f *fixture) rtRename(caller, id, name string) (*api.ResponsibilityTransfer, error) {
	out, err := f.svc.UpdateResponsibilityTransfer(as(caller), &api.UpdateResponsibilityTransferRequest{Id: id, Name: name})
	if err != nil {
		return nil, err
	}
	return out.ResponsibilityTransfer, nil
}

// rtInbound and rtOutbound walk the listings to the end and return the IDs.
func (f *fixture) rtInbound(caller string, max int32) []string {
	f.t.Helper()
	all, _ := walkPages(f, max, func(token string) ([]api.ResponsibilityTransfer, string, error) {
		out, err := f.svc.ListInboundResponsibilityTransfers(as(caller), &api.ListInboundResponsibilityTransfersRequest{
			Type: api.ResponsibilityTransferTypeBilling, NextToken: token, MaxResults: max})
		if err != nil {
			return nil, "", fmt.Errorf("ListInboundResponsibilityTransfers as %s: %w", caller, err)
		}
		return out.ResponsibilityTransfers, out.NextToken, nil
	})
	return transferIDs(all)
}

func (f *fixture) rtOutbound(caller string, max int32) []string {
	f.t.Helper()
	all, _ := walkPages(f, max, func(token string) ([]api.ResponsibilityTransfer, string, error) {
		out, err := f.svc.ListOutboundResponsibilityTransfers(as(caller), &api.ListOutboundResponsibilityTransfersRequest{
			Type: api.ResponsibilityTransferTypeBilling, NextToken: token, MaxResults: max})
		if err != nil {
			return nil, "", fmt.Errorf("ListOutboundResponsibilityTransfers as %s: %w", caller, err)
		}
		return out.ResponsibilityTransfers, out.NextToken, nil
	})
	return transferIDs(all)
}

func transferIDs(trs []api.ResponsibilityTransfer) []string {
	var ids []string
	for _, tr := range trs {
		ids = append(ids, tr.Id)
	}
	return ids
}

var transferARNRe = regexp.MustCompile(`^arn:aws:organizations::(\d{12}):transfer/(o-[a-z0-9]{10,32})/billing/(inbound|outbound)/rt-[0-9a-z]{8,32}$`)

// The whole story: invitation, acceptance, renaming and withdrawal, as
// both organizations see it.
func TestTransferLifecycle(t *testing.T) {
	f := newFixture(t)
	f.rtOrgs()
	a, b := f.orgRecord(mgmtID), f.orgRecord(otherID)
	out, err := f.svc.InviteOrganizationToTransferResponsibility(as(mgmtID), &api.InviteOrganizationToTransferResponsibilityRequest{
		Type: api.ResponsibilityTransferTypeBilling, Target: acctParty(otherID), StartTimestamp: api.NewTime(feb1),
		SourceName: "Acme billing", Notes: "we pay", Tags: []api.Tag{{Key: "cost", Value: "center"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := out.Handshake
	rtRes, _ := resource(h.Resources, api.HandshakeResourceTypeResponsibilityTransfer)
	id := rtRes.Value
	if !regexp.MustCompile(`^rt-[0-9a-z]{8,32}$`).MatchString(id) {
		t.Fatalf("transfer ID %q", id)
	}

	// The invitation: a TRANSFER_RESPONSIBILITY handshake from A's
	// organization to B's management account, open until 15 days on.
	wantARN := "arn:aws:organizations::" + mgmtID + ":handshake/" + a.ID + "/transfer_responsibility/" + h.Id
	if h.Action != api.ActionTypeTransferResponsibility || h.State != api.HandshakeStateOpen || h.Arn != wantARN {
		t.Fatalf("handshake %+v", h)
	}
	if got := h.ExpirationTimestamp.Sub(h.RequestedTimestamp.Time); got != inviteLifetime {
		t.Fatalf("handshake lasts %v", got)
	}
	if len(h.Parties) != 2 || h.Parties[0] != (api.HandshakeParty{Id: a.ID, Type: api.HandshakePartyTypeOrganization}) ||
		h.Parties[1] != *acctParty(otherID) {
		t.Fatalf("parties %+v", h.Parties)
	}
	orgRes, _ := resource(h.Resources, api.HandshakeResourceTypeOrganization)
	if m, _ := resource(orgRes.Resources, api.HandshakeResourceTypeManagementAccount); orgRes.Value != a.ID || m.Value != mgmtID {
		t.Fatalf("ORGANIZATION resource %+v", orgRes)
	}
	if typ, _ := resource(rtRes.Resources, api.HandshakeResourceTypeTransferType); typ.Value != "BILLING" {
		t.Fatalf("RESPONSIBILITY_TRANSFER resource %+v", rtRes)
	}
	if st, _ := resource(rtRes.Resources, api.HandshakeResourceTypeTransferStartTimestamp); st.Value != "2026-02-01T00:00:00Z" {
		t.Fatalf("start resource %+v", st)
	}
	if n, ok := resource(h.Resources, api.HandshakeResourceTypeNotes); !ok || n.Value != "we pay" {
		t.Fatalf("resources %+v", h.Resources)
	}
	// The recipient finds it among its handshakes.
	if got := handshakeIDs(f.listForAccount(otherID, &api.HandshakeFilter{ActionType: api.ActionTypeTransferResponsibility}, 0)); !slices.Equal(got, []string{h.Id}) {
		t.Fatalf("recipient's handshakes %v", got)
	}

	// Both sides see the requested transfer, each under its own ARN.
	check := func(caller string, want api.ResponsibilityTransferStatus, wantHandshake string) *api.ResponsibilityTransfer {
		t.Helper()
		tr := f.rtDescribe(caller, id)
		m := transferARNRe.FindStringSubmatch(tr.Arn)
		dir, o := "inbound", a
		if caller == otherID {
			dir, o = "outbound", b
		}
		if m == nil || m[1] != caller || m[2] != o.ID || m[3] != dir {
			t.Fatalf("ARN as %s: %s", caller, tr.Arn)
		}
		if tr.Status != want || tr.ActiveHandshakeId != wantHandshake || tr.Type != api.ResponsibilityTransferTypeBilling ||
			!tr.StartTimestamp.Equal(feb1) || tr.Target.ManagementAccountId != mgmtID || tr.Source.ManagementAccountId != otherID ||
			tr.Source.ManagementAccountEmail != defaultEmail(otherID) || tr.Target.ManagementAccountEmail != defaultEmail(mgmtID) {
			t.Fatalf("transfer as %s: %+v %+v %+v", caller, tr, tr.Source, tr.Target)
		}
		return tr
	}
	check(mgmtID, api.ResponsibilityTransferStatusRequested, h.Id)
	check(otherID, api.ResponsibilityTransferStatusRequested, h.Id)
	if in, outb := f.rtInbound(mgmtID, 0), f.rtOutbound(otherID, 0); !slices.Equal(in, []string{id}) || !slices.Equal(outb, []string{id}) {
		t.Fatalf("inbound of A %v, outbound of B %v", in, outb)
	}
	if in, outb := f.rtInbound(otherID, 0), f.rtOutbound(mgmtID, 0); len(in)+len(outb) != 0 {
		t.Fatalf("inbound of B %v, outbound of A %v", in, outb)
	}
	// The invitation's tags are not attached yet.
	tags, err := f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: id})
	if err != nil || len(tags.Tags) != 0 {
		t.Fatalf("tags before acceptance %+v %v", tags, err)
	}

	// B's management account accepts.
	if got := f.accept(otherID, h.Id); got.State != api.HandshakeStateAccepted {
		t.Fatalf("accepted handshake %+v", got)
	}
	check(mgmtID, api.ResponsibilityTransferStatusAccepted, "")
	check(otherID, api.ResponsibilityTransferStatusAccepted, "")
	tags, err = f.svc.ListTagsForResource(as(mgmtID), &api.ListTagsForResourceRequest{ResourceId: id})
	if err != nil || !slices.Equal(tags.Tags, []api.Tag{{Key: "cost", Value: "center"}}) {
		t.Fatalf("tags after acceptance %+v %v", tags, err)
	}

	// Either side renames it, and both see the name.
	if _, err := f.rtRename(otherID, id, "Paid by A"); err != nil {
		t.Fatal(err)
	}
	if got := f.rtDescribe(mgmtID, id).Name; got != "Paid by A" {
		t.Fatalf("name %q", got)
	}

	// A withdraws it at the end of March.
	end := time.Date(2026, 3, 31, 23, 59, 59, 999e6, time.UTC)
	tr, err := f.rtTerminate(mgmtID, id, end)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Status != api.ResponsibilityTransferStatusWithdrawn || !tr.EndTimestamp.Equal(end) {
		t.Fatalf("withdrawn %+v", tr)
	}
	if got := check(otherID, api.ResponsibilityTransferStatusWithdrawn, ""); !got.EndTimestamp.Equal(end) {
		t.Fatalf("end as B %v", got.EndTimestamp)
	}
	// A withdrawn transfer can neither be withdrawn again nor renamed.
	_, err = f.rtTerminate(otherID, id, time.Time{})
	wantErr(t, err, api.ErrResponsibilityTransferAlreadyInStatus, "")
	_, err = f.rtRename(mgmtID, id, "again")
	wantErr(t, err, api.ErrConstraintViolation, string(reasonUpdateNotAllowed))
}

// The start date rules of the invitation.
func TestTransferStartDate(t *testing.T) {
	f := newFixture(t)
	f.rtOrgs()
	for _, tc := range []struct {
		name   string
		start  time.Time
		reason api.InvalidInputExceptionReason // "" for accepted
	}{
		{"first of next month", feb1, ""},
		{"twelve months ahead", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"mid-month", time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC), api.InvalidInputExceptionReasonStartDateNotBeginningOfMonth},
		{"last of the month", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), api.InvalidInputExceptionReasonStartDateNotBeginningOfMonth},
		{"first, but not midnight", feb1.Add(time.Hour), api.InvalidInputExceptionReasonStartDateNotBeginningOfDay},
		{"first, a millisecond late", feb1.Add(time.Millisecond), api.InvalidInputExceptionReasonStartDateNotBeginningOfDay},
		{"midnight in another zone", time.Date(2026, 2, 1, 0, 0, 0, 0, time.FixedZone("EST", -5*3600)), api.InvalidInputExceptionReasonStartDateNotBeginningOfDay},
		{"now", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), api.InvalidInputExceptionReasonStartDateTooEarly},
		{"past", time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), api.InvalidInputExceptionReasonStartDateTooEarly},
		{"thirteen months ahead", time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), api.InvalidInputExceptionReasonStartDateTooLate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := f.rtInviteErr(mgmtID, acctParty(otherID), tc.start)
			if tc.reason != "" {
				wantErr(t, err, api.ErrInvalidInput, string(tc.reason))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f.cancel(mgmtID, h.Id) // so that the next case is no duplicate
		})
	}

	// The invitation must leave 24 hours to accept it: on January 30 at
	// 23:59:59.999 February still can; a millisecond later it cannot.
	g := newFixture(t)
	g.rtOrgs()
	g.advance(feb1.Add(-acceptBefore - time.Millisecond).Sub(g.now()))
	h, err := g.rtInviteErr(mgmtID, acctParty(otherID), feb1)
	if err != nil {
		t.Fatal(err)
	}
	// It expires when it can no longer be accepted, before 15 days.
	if !h.ExpirationTimestamp.Equal(feb1.Add(-acceptBefore)) {
		t.Fatalf("expires %v", h.ExpirationTimestamp)
	}
	g.cancel(mgmtID, h.Id)
	g.advance(time.Millisecond)
	_, err = g.rtInviteErr(mgmtID, acctParty(otherID), feb1)
	wantErr(t, err, api.ErrInvalidInput, string(api.InvalidInputExceptionReasonStartDateTooEarly))
}

// Refused invitations.
func TestTransferInviteErrors(t *testing.T) {
	f := newFixture(t)
	f.rtOrgs(fourthID, fifthID)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, thirdID)
	// Transfers that already exist: fourthID's organization pays for
	// fifthID's from February on.
	h, _ := f.rtInvite(fourthID, acctParty(fifthID), feb1)
	f.accept(fifthID, h.Id)
	// And mgmtID has an open invitation to sixthID.
	f.rtInvite(mgmtID, acctParty(sixthID), feb1)
	for _, tc := range []struct {
		name, caller string
		target       *api.HandshakeParty
		tags         []api.Tag
		typ, reason  string
	}{
		{"organization target", mgmtID, &api.HandshakeParty{Type: api.HandshakePartyTypeOrganization, Id: "o-abcdefghij"}, nil,
			api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidPartyTypeTarget)},
		{"malformed email", mgmtID, emailParty("nobody@nowhere"), nil,
			api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidEmailAddressTarget)},
		{"system tag", mgmtID, acctParty(otherID), []api.Tag{{Key: "aws:x", Value: ""}},
			api.ErrInvalidInput, string(api.InvalidInputExceptionReasonInvalidSystemTagsParameter)},
		{"member caller", thirdID, acctParty(otherID), nil, api.ErrAccessDenied, ""},
		{"standalone caller", seventhID, acctParty(otherID), nil, api.ErrAWSOrganizationsNotInUse, ""},
		{"itself", mgmtID, acctParty(mgmtID), nil,
			api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch)},
		{"itself by email", mgmtID, emailParty(defaultEmail(mgmtID)), nil,
			api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch)},
		{"a member of its own organization", mgmtID, acctParty(thirdID), nil,
			api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch)},
		{"open invitation to the same account", mgmtID, acctParty(sixthID), nil, api.ErrDuplicateHandshake, ""},
		{"open invitation to the same account by email", mgmtID, emailParty(defaultEmail(sixthID)), nil, api.ErrDuplicateHandshake, ""},
		{"organization already transferred", mgmtID, acctParty(fifthID), nil,
			api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonResponsibilityTransferAlreadyExists)},
		{"the responsible organization back", fifthID, acctParty(fourthID), nil,
			api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonResponsibilityTransferAlreadyExists)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.InviteOrganizationToTransferResponsibility(as(tc.caller), &api.InviteOrganizationToTransferResponsibilityRequest{
				Type: api.ResponsibilityTransferTypeBilling, Target: tc.target, StartTimestamp: api.NewTime(feb1), SourceName: "x", Tags: tc.tags,
			})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	// None of the refused requests left an invitation behind.
	if got := f.rtInbound(mgmtID, 0); len(got) != 1 {
		t.Fatalf("mgmtID's inbound transfers %v", got)
	}
}

// An invitation that ends unaccepted gives the transfer its status, and
// the transfer can then neither be withdrawn nor renamed.
func TestTransferInvitationEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(f *fixture, handshake string)
		want api.ResponsibilityTransferStatus
	}{
		{"declined", func(f *fixture, h string) { f.decline(otherID, h) }, api.ResponsibilityTransferStatusDeclined},
		{"canceled", func(f *fixture, h string) { f.cancel(mgmtID, h) }, api.ResponsibilityTransferStatusCanceled},
		{"expired", func(f *fixture, h string) { f.advance(inviteLifetime) }, api.ResponsibilityTransferStatusExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.rtOrgs()
			h, id := f.rtInvite(mgmtID, acctParty(otherID), mar1)
			tc.end(f, h.Id)
			for _, caller := range []string{mgmtID, otherID} {
				if tr := f.rtDescribe(caller, id); tr.Status != tc.want || tr.ActiveHandshakeId != "" {
					t.Fatalf("as %s: %+v", caller, tr)
				}
			}
			_, err := f.rtTerminate(mgmtID, id, time.Time{})
			wantErr(t, err, api.ErrInvalidResponsibilityTransferTransition, "")
			_, err = f.rtRename(otherID, id, "late")
			wantErr(t, err, api.ErrConstraintViolation, string(reasonUpdateNotAllowed))
			// The ended invitation no longer blocks a new one.
			f.advance(time.Second) // listings are in creation order
			if _, err := f.rtInviteErr(mgmtID, acctParty(otherID), apr1); err != nil {
				t.Fatal(err)
			}
			if got := f.rtInbound(mgmtID, 0); len(got) != 2 || got[0] != id {
				t.Fatalf("inbound %v", got)
			}
		})
	}
}

// Who may accept, and the conflicts acceptance checks.
func TestTransferAccept(t *testing.T) {
	f := newFixture(t)
	f.rtOrgs(fourthID)
	f.join(otherID, "", api.AccountJoinedMethodInvited, fifthID)
	toStandalone, _ := f.rtInvite(mgmtID, acctParty(thirdID), feb1)
	toMember, _ := f.rtInvite(mgmtID, acctParty(fifthID), feb1)
	toB, idB := f.rtInvite(mgmtID, acctParty(otherID), feb1)
	// fourthID's organization also invites B, for February and for April.
	competing, _ := f.rtInvite(fourthID, acctParty(otherID), feb1)
	for _, tc := range []struct {
		name, caller, handshake string
		typ, reason             string
	}{
		{"recipient in no organization", thirdID, toStandalone.Id, api.ErrAWSOrganizationsNotInUse, ""},
		{"recipient not a management account", fifthID, toMember.Id, api.ErrAccessDenied, ""},
		{"the inviter", mgmtID, toB.Id, api.ErrAccessDenied, ""},
		{"no party", fourthID, toB.Id, api.ErrHandshakeNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.AcceptHandshake(as(tc.caller), &api.AcceptHandshakeRequest{HandshakeId: tc.handshake})
			wantErr(t, err, tc.typ, tc.reason)
		})
	}
	f.accept(otherID, toB.Id)
	// B's billing is A's from February on: fourthID's overlapping offer
	// can't be accepted, and stays open.
	_, err := f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: competing.Id})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonResponsibilityTransferAlreadyExists))
	f.wantState(otherID, competing.Id, api.HandshakeStateOpen)
	// Once A's transfer ends with March, an offer from April on fits.
	if _, err := f.rtTerminate(otherID, idB, time.Date(2026, 3, 31, 23, 59, 59, 999e6, time.UTC)); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: competing.Id})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonResponsibilityTransferAlreadyExists))
	f.cancel(fourthID, competing.Id)
	later, laterID := f.rtInvite(fourthID, acctParty(otherID), apr1)
	f.accept(otherID, later.Id)
	if tr := f.rtDescribe(fourthID, laterID); tr.Status != api.ResponsibilityTransferStatusAccepted || tr.Source.ManagementAccountId != otherID {
		t.Fatalf("April transfer %+v", tr)
	}
}

// An invitation by email is the email owner's to accept; an
// organization can't accept an invitation it sent itself.
func TestTransferAcceptByEmail(t *testing.T) {
	f := newFixture(t)
	f.rtOrgs()
	ctx := as(mgmtID)
	must[struct{}](t)(struct{}{}, f.svc.RegisterAccount(ctx, otherID, "b@example.org", "B"))
	h, id := f.rtInvite(mgmtID, emailParty("B@example.org"), feb1)
	if tr := f.rtDescribe(otherID, id); tr.Source.ManagementAccountId != otherID || tr.Source.ManagementAccountEmail != "B@example.org" {
		t.Fatalf("source before acceptance %+v", tr.Source)
	}
	f.accept(otherID, h.Id)
	if tr := f.rtDescribe(mgmtID, id); tr.Source.ManagementAccountId != otherID || tr.Source.ManagementAccountEmail != "b@example.org" {
		t.Fatalf("source after acceptance %+v", tr.Source)
	}
	// The transfer stays B's after B gives up the address.
	must[struct{}](t)(struct{}{}, f.svc.RegisterAccount(ctx, otherID, "b2@example.org", "B"))
	if got := f.rtOutbound(otherID, 0); !slices.Equal(got, []string{id}) {
		t.Fatalf("B's outbound %v", got)
	}

	// An invitation to an address nobody owns yet, which the inviting
	// management account then takes.
	h2, _ := f.rtInvite(mgmtID, emailParty("future@example.org"), mar1)
	must[struct{}](t)(struct{}{}, f.svc.RegisterAccount(ctx, mgmtID, "future@example.org", "A"))
	_, err := f.svc.AcceptHandshake(as(mgmtID), &api.AcceptHandshakeRequest{HandshakeId: h2.Id})
	wantErr(t, err, api.ErrHandshakeConstraintViolation, string(api.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch))
}

// Listings, pagination, the Id filter and who sees what.
func TestTransferVisibility(t *testing.T) {
	f := newFixture(t)
	f.rtOrgs(fourthID)
	f.join(mgmtID, "", api.AccountJoinedMethodInvited, thirdID, fifthID)
	f.plantDelegatedAdmin(mgmtID, fifthID)
	var ids []string
	for _, target := range []string{otherID, sixthID, seventhID} {
		_, id := f.rtInvite(mgmtID, acctParty(target), feb1)
		ids = append(ids, id)
		f.advance(time.Second) // listings are in creation order
	}
	_, foreign := f.rtInvite(fourthID, acctParty(otherID), feb1)
	if got := f.rtInbound(mgmtID, 2); !slices.Equal(got, ids) {
		t.Fatalf("inbound by pages of 2: %v, want %v", got, ids)
	}
	if got := f.rtOutbound(otherID, 1); !slices.Equal(got, []string{ids[0], foreign}) {
		t.Fatalf("B's outbound by pages of 1: %v", got)
	}
	// A delegated administrator of A reads A's transfers but can't change them.
	if got := f.rtInbound(fifthID, 0); !slices.Equal(got, ids) {
		t.Fatalf("inbound as delegated administrator %v", got)
	}
	f.rtDescribe(fifthID, ids[1])
	_, err := f.rtRename(fifthID, ids[1], "x")
	wantErr(t, err, api.ErrAccessDenied, "")

	inbound := func(caller, id string) error {
		_, err := f.svc.ListInboundResponsibilityTransfers(as(caller), &api.ListInboundResponsibilityTransfersRequest{Type: api.ResponsibilityTransferTypeBilling, Id: id})
		return err
	}
	for _, tc := range []struct {
		name string
		call func() error
		typ  string
	}{
		{"describe another organization's transfer", func() error {
			_, err := f.svc.DescribeResponsibilityTransfer(as(mgmtID), &api.DescribeResponsibilityTransferRequest{Id: foreign})
			return err
		}, api.ErrResponsibilityTransferNotFound},
		{"describe an unknown transfer", func() error {
			_, err := f.svc.DescribeResponsibilityTransfer(as(mgmtID), &api.DescribeResponsibilityTransferRequest{Id: "rt-0123456789abcdef"})
			return err
		}, api.ErrResponsibilityTransferNotFound},
		{"terminate another organization's transfer", func() error { _, err := f.rtTerminate(mgmtID, foreign, time.Time{}); return err }, api.ErrResponsibilityTransferNotFound},
		{"inbound Id of an outbound transfer", func() error { return inbound(otherID, ids[0]) }, api.ErrResponsibilityTransferNotFound},
		{"inbound Id of another organization's transfer", func() error { return inbound(mgmtID, foreign) }, api.ErrResponsibilityTransferNotFound},
		{"member lists", func() error { return inbound(thirdID, "") }, api.ErrAccessDenied},
		{"standalone account lists", func() error {
			_, err := f.svc.ListOutboundResponsibilityTransfers(as(sixthID), &api.ListOutboundResponsibilityTransfersRequest{Type: api.ResponsibilityTransferTypeBilling})
			return err
		}, api.ErrAWSOrganizationsNotInUse},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.call(), tc.typ, "") })
	}
	// The Id filter finds the caller's own inbound transfer.
	out, err := f.svc.ListInboundResponsibilityTransfers(as(mgmtID), &api.ListInboundResponsibilityTransfersRequest{Type: api.ResponsibilityTransferTypeBilling, Id: ids[2]})
	if err != nil || len(out.ResponsibilityTransfers) != 1 || out.ResponsibilityTransfers[0].Id != ids[2] || out.NextToken != "" {
		t.Fatalf("Id filter: %+v %v", out, err)
	}
	// Only the inviting organization tags a transfer.
	_, err = f.svc.TagResource(as(otherID), &api.TagResourceRequest{ResourceId: ids[0], Tags: []api.Tag{{Key: "k", Value: "v"}}})
	wantErr(t, err, api.ErrTargetNotFound, "")
	if _, err := f.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: ids[0], Tags: []api.Tag{{Key: "k", Value: "v"}}}); err != nil {
		t.Fatal(err)
	}
}

// The end date rules of TerminateResponsibilityTransfer.
func TestTransferEndDate(t *testing.T) {
	endMar := time.Date(2026, 3, 31, 23, 59, 59, 999e6, time.UTC)
	for _, tc := range []struct {
		name    string
		advance time.Duration // after acceptance
		end     time.Time     // zero: none given
		want    time.Time     // zero: refused with reason
		reason  api.InvalidInputExceptionReason
	}{
		// Not started yet: the end of its first month at the earliest.
		{"default before the start", 0, time.Time{}, time.Date(2026, 2, 28, 23, 59, 59, 999e6, time.UTC), ""},
		{"end of the start month", 0, time.Date(2026, 2, 28, 23, 59, 59, 999e6, time.UTC), time.Date(2026, 2, 28, 23, 59, 59, 999e6, time.UTC), ""},
		{"a later month", 0, endMar, endMar, ""},
		{"before the start", 0, time.Date(2026, 1, 31, 23, 59, 59, 999e6, time.UTC), time.Time{}, api.InvalidInputExceptionReasonEndDateTooEarly},
		{"mid-month", 0, time.Date(2026, 3, 15, 23, 59, 59, 999e6, time.UTC), time.Time{}, api.InvalidInputExceptionReasonEndDateNotEndOfMonth},
		{"a second short", 0, endMar.Add(-time.Second), time.Time{}, api.InvalidInputExceptionReasonEndDateNotEndOfMonth},
		{"midnight after", 0, endMar.Add(time.Millisecond), time.Time{}, api.InvalidInputExceptionReasonEndDateNotEndOfMonth},
		// In March: the end of March at the earliest.
		{"default while in effect", 60 * day, time.Time{}, endMar, ""},
		{"a past month while in effect", 60 * day, time.Date(2026, 2, 28, 23, 59, 59, 999e6, time.UTC), time.Time{}, api.InvalidInputExceptionReasonEndDateTooEarly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.rtOrgs()
			h, id := f.rtInvite(mgmtID, acctParty(otherID), feb1)
			f.accept(otherID, h.Id)
			f.advance(tc.advance)
			tr, err := f.rtTerminate(otherID, id, tc.end)
			if tc.reason != "" {
				wantErr(t, err, api.ErrInvalidInput, string(tc.reason))
				if got := f.rtDescribe(mgmtID, id); got.Status != api.ResponsibilityTransferStatusAccepted {
					t.Fatalf("refused withdrawal changed the transfer: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.Status != api.ResponsibilityTransferStatusWithdrawn || !tr.EndTimestamp.Equal(tc.want) {
				t.Fatalf("withdrawn %+v, want end %v", tr, tc.want)
			}
		})
	}
}

// DeleteOrganization waits for every transfer process of the
// organization to end, on either side.
func TestDeleteOrganizationDuringTransfer(t *testing.T) {
	endFeb := time.Date(2026, 2, 28, 23, 59, 59, 999e6, time.UTC)
	for _, tc := range []struct {
		name string
		// setup leaves a transfer from mgmtID's organization to otherID's.
		setup func(f *fixture, handshake, id string)
		// blocked: the organizations that can't be deleted now.
		blocked []string
		// after, if set, ends the process; then both can be deleted.
		after func(f *fixture, handshake, id string)
	}{
		{"open invitation", func(*fixture, string, string) {}, []string{mgmtID, otherID},
			func(f *fixture, h, _ string) { f.decline(otherID, h) }},
		{"accepted", func(f *fixture, h, _ string) { f.accept(otherID, h) }, []string{mgmtID, otherID}, nil},
		{"withdrawn, not ended yet", func(f *fixture, h, id string) {
			f.accept(otherID, h)
			must[*api.ResponsibilityTransfer](f.t)(f.rtTerminate(mgmtID, id, endFeb))
		}, []string{mgmtID, otherID}, func(f *fixture, _, _ string) { f.advance(endFeb.Add(time.Millisecond).Sub(f.now())) }},
		{"canceled", func(f *fixture, h, _ string) { f.cancel(mgmtID, h) }, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.rtOrgs()
			h, id := f.rtInvite(mgmtID, acctParty(otherID), feb1)
			tc.setup(f, h.Id, id)
			for _, m := range tc.blocked {
				_, err := f.svc.DeleteOrganization(as(m), &api.Empty{})
				wantErr(t, err, api.ErrConstraintViolation, string(api.ConstraintViolationExceptionReasonActiveResponsibilityTransferProcess))
			}
			if tc.blocked != nil && tc.after == nil {
				return
			}
			if tc.after != nil {
				tc.after(f, h.Id, id)
			}
			for _, m := range []string{mgmtID, otherID} {
				if _, err := f.svc.DeleteOrganization(as(m), &api.Empty{}); err != nil {
					t.Fatalf("DeleteOrganization as %s: %v", m, err)
				}
			}
			// The transfer's record outlives both organizations.
			f.inspect(func(t *txn) error {
				_, ok, err := t.transfer(id)
				if err == nil && !ok {
					f.t.Error("transfer record deleted")
				}
				return err
			})
		})
	}
}
