package org

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// Responsibility transfers (spec 4.9; choices in docs/transfers.md). A
// management account invites another organization's management account
// to make the inviter responsible for that organization (only BILLING
// exists): the inviter is the transfer's Target, the organization that
// accepts is its Source. The invitation is a TRANSFER_RESPONSIBILITY
// handshake whose end sets the transfer's status.

const (
	// acceptBefore is how long before its start a transfer must be
	// accepted: its invitation expires then at the latest.
	acceptBefore = 24 * time.Hour
	// maxStartAhead is how far ahead a transfer may start (inferred).
	maxStartAhead = 12 // months
)

// reasonUpdateNotAllowed is the reason the newest SDK gives for renaming
// an ended transfer; the model orgd is generated from predates it.
const reasonUpdateNotAllowed api.ConstraintViolationExceptionReason = "TRANSFER_RESPONSIBILITY_UPDATE_NOT_ALLOWED"

// transfer is the stored form of a responsibility transfer.
type transfer struct {
	ID        string
	Type      api.ResponsibilityTransferType
	Name      string
	Status    api.ResponsibilityTransferStatus
	Requested time.Time
	Start     time.Time
	End       time.Time `json:",omitzero"` // set when withdrawn
	Handshake string    // the invitation
	Tags      []api.Tag `json:",omitempty"` // attached on acceptance
	// Target: the inviting organization, which takes the responsibility.
	TargetOrg, TargetMgmt, TargetEmail string
	// The invited party as the invitation names it: ACCOUNT or EMAIL.
	RecipientType api.HandshakePartyType
	Recipient     string
	// Source: the organization that accepted, and its management account.
	SourceOrg, SourceMgmt, SourceEmail string `json:",omitempty"`
}

// handshakeTransfer is what a TRANSFER_RESPONSIBILITY handshake shows of
// its transfer.
type handshakeTransfer struct {
	ID    string
	Type  api.ResponsibilityTransferType
	Start time.Time
}

// recipient is the index key of the invited party: the account ID, or the
// lowercased email (as handshake.recipient).
func (tr *transfer) recipient() string {
	if tr.RecipientType == api.HandshakePartyTypeEmail {
		return strings.ToLower(tr.Recipient)
	}
	return tr.Recipient
}

// inEffectFrom reports whether tr makes its target responsible at some
// time at or after from: accepted, or withdrawn but not yet ended.
func (tr *transfer) inEffectFrom(from time.Time) bool {
	switch tr.Status {
	case api.ResponsibilityTransferStatusAccepted:
		return true
	case api.ResponsibilityTransferStatusWithdrawn:
		return !tr.End.Before(from)
	}
	return false
}

// --- keys ---------------------------------------------------------------------
//
// rt/<id>                          the record
// rtin/<target org>/<sort>         an organization's inbound transfers
// rtrcpt/<recipient>/<sort>        by invited party (account ID or email);
//                                  value: the source organization once accepted
// rtsrc/<source org>/<id>          an organization's accepted outbound transfers
// rtopen/<target org>/<recipient>  -> the transfer whose invitation is open
//
// <sort> is "<requested, ns, 20 digits>/<id>": listings are in creation order.

func keyTransfer(id string) string                { return "rt/" + id }
func prefixInboundTransfers(org string) string    { return "rtin/" + org + "/" }
func prefixRecipientTransfers(rcpt string) string { return "rtrcpt/" + rcpt + "/" }
func prefixSourceTransfers(org string) string     { return "rtsrc/" + org + "/" }
func keyOpenTransfer(org, rcpt string) string     { return "rtopen/" + org + "/" + rcpt }

func transferSort(tr *transfer) string {
	return fmt.Sprintf("%020d/%s", tr.Requested.UnixNano(), tr.ID)
}

func init() {
	beforeDeleteOrganization = append(beforeDeleteOrganization, (*txn).transfersBeforeDelete)
	// A resource has one tag set, so one organization must own it: the
	// inviting one, which gave the invitation's tags (inferred).
	taggableResources["rt-"] = func(t *txn, o *organization, id string) (bool, error) {
		tr, ok, err := t.transfer(id)
		return ok && tr.TargetOrg == o.ID, err
	}
}

func (t *txn) transfer(id string) (*transfer, bool, error) {
	var tr transfer
	ok, err := t.getJSON(keyTransfer(id), &tr)
	if !ok || err != nil {
		return nil, false, err
	}
	return &tr, true, nil
}

func (t *txn) putTransfer(tr *transfer) error { return t.putJSON(keyTransfer(tr.ID), tr) }

func errTransferNotFound(id string) error {
	return api.NewResponsibilityTransferNotFound("No responsibility transfer with ID %s was found.", id)
}

// --- dates --------------------------------------------------------------------

// endOfMonth is the last millisecond of at's month, in UTC.
func endOfMonth(at time.Time) time.Time {
	y, m, _ := at.UTC().Date()
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond)
}

// checkStart applies the start date rules: a transfer starts at
// 00:00:00.000 UTC on the first of a month, late enough to be accepted
// acceptBefore ahead, and at most maxStartAhead months away.
func checkStart(start, now time.Time) error {
	s := start.UTC()
	switch {
	case s.Day() != 1:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonStartDateNotBeginningOfMonth,
			"A transfer starts on the first day of a month.")
	case s.Hour() != 0 || s.Minute() != 0 || s.Second() != 0 || s.Nanosecond() != 0:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonStartDateNotBeginningOfDay,
			"A transfer starts at 00:00:00.000 UTC.")
	case !s.Add(-acceptBefore).After(now):
		return api.NewInvalidInput(api.InvalidInputExceptionReasonStartDateTooEarly,
			"The start date must leave at least 24 hours to accept the invitation.")
	case s.After(now.AddDate(0, maxStartAhead, 0)):
		return api.NewInvalidInput(api.InvalidInputExceptionReasonStartDateTooLate,
			"The start date may be at most %d months ahead.", maxStartAhead)
	}
	return nil
}

// endFor returns when transfer tr ends if withdrawn now with the requested
// end ("zero" for none): the end of a month, no earlier than the end of
// the month in which the transfer is in effect (now, or its start).
func endFor(tr *transfer, requested, now time.Time) (time.Time, error) {
	from := now
	if tr.Start.After(from) {
		from = tr.Start
	}
	earliest := endOfMonth(from)
	if requested.IsZero() {
		return earliest, nil
	}
	end := requested.UTC()
	if !end.Equal(endOfMonth(end)) {
		return time.Time{}, api.NewInvalidInput(api.InvalidInputExceptionReasonEndDateNotEndOfMonth,
			"A transfer ends at 23:59:59.999 UTC on the last day of a month.")
	}
	if end.Before(earliest) {
		return time.Time{}, api.NewInvalidInput(api.InvalidInputExceptionReasonEndDateTooEarly,
			"The transfer can end at %s at the earliest.", earliest.Format(time.RFC3339Nano))
	}
	return end, nil
}

// --- views --------------------------------------------------------------------

// transferSide is where a caller's organization stands towards a transfer.
type transferSide uint8

const (
	sideNone     transferSide = iota // no side: the transfer is not found
	sideInbound                      // the target: it takes the responsibility
	sideOutbound                     // the source, or the invited party until it accepts
)

// sideOf returns c's organization's side of tr. Until the invitation is
// accepted, the outbound side is whoever manages an organization as the
// invited account, or as the owner of the invited email.
func (t *txn) sideOf(c *caller, tr *transfer) (transferSide, error) {
	if c.Org == nil {
		return sideNone, nil
	}
	switch {
	case tr.TargetOrg == c.Org.ID:
		return sideInbound, nil
	case tr.SourceOrg != "":
		if tr.SourceOrg == c.Org.ID {
			return sideOutbound, nil
		}
		return sideNone, nil
	}
	m, err := t.account(c.Org.Management)
	if err != nil {
		return sideNone, err
	}
	if tr.recipient() == m.ID || tr.recipient() == strings.ToLower(m.Email) {
		return sideOutbound, nil
	}
	return sideNone, nil
}

// transferFor resolves the caller of op and the transfer it names; a
// transfer the caller's organization has no side in is not found.
func (t *txn) transferFor(op string, in any, id string) (*caller, *transfer, transferSide, error) {
	return partyTo(t, op, in, id, t.transfer, t.sideOf, errTransferNotFound)
}

// transferView is tr as c's organization sees it from side: the ARN is
// that organization's own, inbound or outbound.
func (t *txn) transferView(c *caller, tr *transfer, side transferSide) (api.ResponsibilityTransfer, error) {
	dir := "inbound"
	if side == sideOutbound {
		dir = "outbound"
	}
	source := &api.TransferParticipant{ManagementAccountId: tr.SourceMgmt, ManagementAccountEmail: tr.SourceEmail}
	if tr.SourceMgmt == "" {
		// Not accepted: the invited party, as far as it is known.
		switch tr.RecipientType {
		case api.HandshakePartyTypeAccount:
			a, err := t.account(tr.Recipient)
			if err != nil {
				return api.ResponsibilityTransfer{}, err
			}
			source = &api.TransferParticipant{ManagementAccountId: a.ID, ManagementAccountEmail: a.Email}
		default:
			source = &api.TransferParticipant{ManagementAccountEmail: tr.Recipient}
			if id, ok, err := t.accountIDByEmail(tr.Recipient); err != nil {
				return api.ResponsibilityTransfer{}, err
			} else if ok {
				source.ManagementAccountId = id
			}
		}
	}
	v := api.ResponsibilityTransfer{
		Arn:            t.s.arn(c.Org.Management, "transfer/"+c.Org.ID+"/"+strings.ToLower(string(tr.Type))+"/"+dir+"/"+tr.ID),
		Name:           tr.Name,
		Id:             tr.ID,
		Type:           tr.Type,
		Status:         tr.Status,
		Source:         source,
		Target:         &api.TransferParticipant{ManagementAccountId: tr.TargetMgmt, ManagementAccountEmail: tr.TargetEmail},
		StartTimestamp: api.NewTime(tr.Start),
	}
	if !tr.End.IsZero() {
		v.EndTimestamp = api.NewTime(tr.End)
	}
	// The handshake is the transfer's active one only while it is open.
	if tr.Status == api.ResponsibilityTransferStatusRequested {
		v.ActiveHandshakeId = tr.Handshake
	}
	return v, nil
}

// transferHandshakeView fills in the parties and resources of a
// TRANSFER_RESPONSIBILITY handshake (inferred, as the INVITE shape: spec
// 4.2a): the inviting organization with its management account, the
// transfer offered, the invited party, and the notes.
func transferHandshakeView(h *handshake, v *api.Handshake) {
	v.Parties = []api.HandshakeParty{
		{Id: h.Org, Type: api.HandshakePartyTypeOrganization},
		{Id: h.Target, Type: h.TargetType},
	}
	v.Resources = []api.HandshakeResource{
		{Type: api.HandshakeResourceTypeOrganization, Value: h.Org, Resources: []api.HandshakeResource{
			{Type: api.HandshakeResourceTypeManagementAccount, Value: h.Mgmt},
			{Type: api.HandshakeResourceTypeManagementEmail, Value: h.MasterEmail},
			{Type: api.HandshakeResourceTypeManagementName, Value: h.MasterName},
		}},
		{Type: api.HandshakeResourceTypeResponsibilityTransfer, Value: h.Transfer.ID, Resources: []api.HandshakeResource{
			{Type: api.HandshakeResourceTypeTransferType, Value: string(h.Transfer.Type)},
			{Type: api.HandshakeResourceTypeTransferStartTimestamp, Value: h.Transfer.Start.UTC().Format(time.RFC3339)},
		}},
		{Type: api.HandshakeResourceType(h.TargetType), Value: h.Target},
	}
	if h.Notes != "" {
		v.Resources = append(v.Resources, api.HandshakeResource{Type: api.HandshakeResourceTypeNotes, Value: h.Notes})
	}
}

// --- rules --------------------------------------------------------------------

// transferConflict refuses a transfer that would make targetOrg
// responsible for sourceOrg from start on: sourceOrg already has a
// transfer in effect then (one responsible organization at a time), or
// the two would be responsible for each other.
func (t *txn) transferConflict(sourceOrg, targetOrg string, start time.Time) error {
	exists := func(format string) error {
		return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonResponsibilityTransferAlreadyExists, format)
	}
	in, err := t.sourceTransfers(sourceOrg)
	if err != nil {
		return err
	}
	for _, tr := range in {
		if tr.inEffectFrom(start) {
			return exists("The organization already has a responsibility transfer in effect for that time.")
		}
	}
	back, err := t.sourceTransfers(targetOrg)
	if err != nil {
		return err
	}
	for _, tr := range back {
		if tr.TargetOrg == sourceOrg && tr.inEffectFrom(t.now()) {
			return exists("The invited organization is already responsible for the inviting one.")
		}
	}
	return nil
}

// sourceTransfers returns the accepted transfers whose source is org.
func (t *txn) sourceTransfers(org string) ([]*transfer, error) {
	keys, err := t.keysWithPrefix(prefixSourceTransfers(org))
	if err != nil {
		return nil, err
	}
	var out []*transfer
	for _, k := range keys {
		tr, ok, err := t.transfer(lastSegment(k))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, tr)
		}
	}
	return out, nil
}

// --- InviteOrganizationToTransferResponsibility ---------------------------------

func (s *Service) InviteOrganizationToTransferResponsibility(ctx context.Context, in *api.InviteOrganizationToTransferResponsibilityRequest) (*api.InviteOrganizationToTransferResponsibilityResponse, error) {
	var out api.InviteOrganizationToTransferResponsibilityResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		// Input checks beyond the model come before the caller checks (spec 6.3).
		if err := inviteTarget(in.Target); err != nil {
			return err
		}
		if err := validateTags(in.Tags, s.cfg.Quotas.TagsPerResource); err != nil {
			return err
		}
		start := in.StartTimestamp.Time
		if err := checkStart(start, t.now()); err != nil {
			return err
		}
		c, err := t.caller("InviteOrganizationToTransferResponsibility", in)
		if err != nil {
			return err
		}
		o := c.Org
		target := in.Target
		// The invited party in both forms, where known.
		rcpts := []string{strings.ToLower(target.Id)}
		acct, known := target.Id, target.Type == api.HandshakePartyTypeAccount
		if !known {
			if acct, known, err = t.accountIDByEmail(target.Id); err != nil {
				return err
			}
		}
		if known {
			a, err := t.account(acct)
			if err != nil {
				return err
			}
			rcpts = append(rcpts, acct, strings.ToLower(a.Email))
			if a.Org == o.ID {
				return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch,
					"The invited account is in your own organization: a transfer is between two organizations.")
			}
			if ro, ok, err := t.org(a.Org); err != nil {
				return err
			} else if ok && ro.Management == a.ID {
				if err := t.transferConflict(ro.ID, o.ID, start); err != nil {
					return err
				}
			}
		}
		for _, r := range rcpts {
			if open, err := t.has(keyOpenTransfer(o.ID, r)); err != nil {
				return err
			} else if open {
				return api.NewDuplicateHandshake("An open responsibility transfer invitation to %s from this organization already exists.", target.Id)
			}
		}
		id, err := t.newID("rt-", idShape{alphabet: lowerHex, n: 32}, keyTransfer)
		if err != nil {
			return err
		}
		hid, err := t.newHandshakeID()
		if err != nil {
			return err
		}
		tr := &transfer{
			ID: id, Type: in.Type, Name: in.SourceName, Status: api.ResponsibilityTransferStatusRequested,
			Requested: t.now(), Start: start.UTC(), Handshake: hid, Tags: in.Tags,
			TargetOrg: o.ID, TargetMgmt: c.ID, TargetEmail: c.Account.Email,
			RecipientType: target.Type, Recipient: target.Id,
		}
		// The invitation lasts as an INVITE does, but no longer than it can
		// still be accepted (inferred).
		expires := t.now().Add(inviteLifetime)
		if deadline := tr.Start.Add(-acceptBefore); deadline.Before(expires) {
			expires = deadline
		}
		h := &handshake{
			ID: hid, Org: o.ID, Mgmt: o.Management, Action: api.ActionTypeTransferResponsibility, State: api.HandshakeStateOpen,
			Requested: t.now(), Expires: expires, TargetType: target.Type, Target: target.Id, Notes: in.Notes,
			MasterEmail: c.Account.Email, MasterName: c.Account.Name,
			Transfer: &handshakeTransfer{ID: id, Type: in.Type, Start: tr.Start},
		}
		if err := t.startHandshake(h); err != nil {
			return err
		}
		sort := transferSort(tr)
		if err := t.putStrings(map[string]string{
			prefixInboundTransfers(o.ID) + sort:             "",
			prefixRecipientTransfers(tr.recipient()) + sort: "",
			keyOpenTransfer(o.ID, tr.recipient()):           id,
		}); err != nil {
			return err
		}
		if err := t.putTransfer(tr); err != nil {
			return err
		}
		out.Handshake = s.handshakeView(h)
		return nil
	}))
}

// acceptTransfer makes the caller's organization the source of the
// transfer h offers (spec 4.3: its management account accepts).
func (t *txn) acceptTransfer(c *caller, o *organization, h *handshake) error {
	if c.Org == nil {
		return errNotInUse()
	}
	if !c.Mgmt {
		return errAccessDenied()
	}
	tr, ok, err := t.transfer(h.Transfer.ID)
	if err != nil {
		return err
	}
	if !ok {
		return errHandshakeNotFound(h.ID)
	}
	if c.Org.ID == tr.TargetOrg {
		return api.NewHandshakeConstraintViolation(api.HandshakeConstraintViolationExceptionReasonSourceAndTargetCannotMatch,
			"An organization can't accept its own responsibility transfer invitation.")
	}
	if err := t.transferConflict(c.Org.ID, tr.TargetOrg, tr.Start); err != nil {
		return err
	}
	tr.SourceOrg, tr.SourceMgmt, tr.SourceEmail = c.Org.ID, c.ID, c.Account.Email
	if err := t.putTransfer(tr); err != nil {
		return err
	}
	// Sets the status (transferInvitationEnded).
	if err := t.finishHandshake(o, h, api.HandshakeStateAccepted, t.now()); err != nil {
		return err
	}
	// From now on the transfer is the source organization's, whatever
	// becomes of the address it was sent to.
	sort := transferSort(tr)
	if err := t.Delete(prefixRecipientTransfers(tr.recipient()) + sort); err != nil {
		return err
	}
	if err := t.Put(prefixRecipientTransfers(c.ID)+sort, []byte(c.Org.ID)); err != nil {
		return err
	}
	if err := t.Put(prefixSourceTransfers(c.Org.ID)+tr.ID, nil); err != nil {
		return err
	}
	if len(tr.Tags) == 0 {
		return nil
	}
	// The invitation's tags are attached now; any the inviter set since
	// stay, and the invitation's win for the same key.
	tags, err := t.tags(tr.ID)
	if err != nil {
		return err
	}
	merged := append([]api.Tag(nil), tr.Tags...)
	for _, old := range tags {
		dup := false
		for _, n := range tr.Tags {
			dup = dup || n.Key == old.Key
		}
		if !dup {
			merged = append(merged, old)
		}
	}
	return t.putTags(tr.ID, merged)
}

// transferInvitationEnded is finishHandshake's hook for a transfer's
// invitation: the transfer takes the handshake's terminal state as its
// status, and no longer holds the open invitation's place.
func (t *txn) transferInvitationEnded(h *handshake, state api.HandshakeState) error {
	tr, ok, err := t.transfer(h.Transfer.ID)
	if err != nil || !ok {
		return err
	}
	tr.Status = map[api.HandshakeState]api.ResponsibilityTransferStatus{
		api.HandshakeStateAccepted: api.ResponsibilityTransferStatusAccepted,
		api.HandshakeStateDeclined: api.ResponsibilityTransferStatusDeclined,
		api.HandshakeStateCanceled: api.ResponsibilityTransferStatusCanceled,
		api.HandshakeStateExpired:  api.ResponsibilityTransferStatusExpired,
	}[state]
	if err := t.Delete(keyOpenTransfer(tr.TargetOrg, tr.recipient())); err != nil {
		return err
	}
	return t.putTransfer(tr)
}

// --- reading ------------------------------------------------------------------

func (s *Service) DescribeResponsibilityTransfer(ctx context.Context, in *api.DescribeResponsibilityTransferRequest) (*api.DescribeResponsibilityTransferResponse, error) {
	var out api.DescribeResponsibilityTransferResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, tr, side, err := t.transferFor("DescribeResponsibilityTransfer", in, in.Id)
		if err != nil {
			return err
		}
		v, err := t.transferView(c, tr, side)
		out.ResponsibilityTransfer = &v
		return err
	}))
}

func (s *Service) ListInboundResponsibilityTransfers(ctx context.Context, in *api.ListInboundResponsibilityTransfersRequest) (*api.ListInboundResponsibilityTransfersResponse, error) {
	out := api.ListInboundResponsibilityTransfersResponse{ResponsibilityTransfers: []api.ResponsibilityTransfer{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListInboundResponsibilityTransfers"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		add := func(tr *transfer) error {
			v, err := t.transferView(c, tr, sideInbound)
			out.ResponsibilityTransfers = append(out.ResponsibilityTransfers, v)
			return err
		}
		if in.Id != "" {
			// One transfer, which must be inbound: a page of its own.
			tr, ok, err := t.transfer(in.Id)
			if err != nil {
				return err
			}
			if !ok || tr.TargetOrg != c.Org.ID || tr.Type != in.Type {
				return errTransferNotFound(in.Id)
			}
			if in.NextToken != "" {
				return errInvalidNextToken()
			}
			return add(tr)
		}
		out.NextToken, err = t.list(op, c, []string{string(in.Type)}, prefixInboundTransfers(c.Org.ID), in.NextToken, in.MaxResults, nil,
			func(k string, _ []byte) error {
				tr, ok, err := t.transfer(lastSegment(k))
				if err != nil || !ok || tr.Type != in.Type {
					return err
				}
				return add(tr)
			})
		return err
	}))
}

func (s *Service) ListOutboundResponsibilityTransfers(ctx context.Context, in *api.ListOutboundResponsibilityTransfersRequest) (*api.ListOutboundResponsibilityTransfersResponse, error) {
	out := api.ListOutboundResponsibilityTransfersResponse{ResponsibilityTransfers: []api.ResponsibilityTransfer{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListOutboundResponsibilityTransfers"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		// Invitations to the management account (by ID or email), and the
		// transfers the organization accepted; not those another
		// organization of the same account accepted.
		m, err := t.account(c.Org.Management)
		if err != nil {
			return err
		}
		prefixes := []string{prefixRecipientTransfers(m.ID), prefixRecipientTransfers(strings.ToLower(m.Email))}
		keep := func(v []byte) bool { return len(v) == 0 || string(v) == c.Org.ID }
		out.NextToken, err = t.listMerged(op, c, []string{string(in.Type), c.Org.ID}, prefixes, in.NextToken, in.MaxResults, keep,
			func(id string) error {
				tr, ok, err := t.transfer(id)
				if err != nil || !ok || tr.Type != in.Type {
					return err
				}
				v, err := t.transferView(c, tr, sideOutbound)
				out.ResponsibilityTransfers = append(out.ResponsibilityTransfers, v)
				return err
			})
		return err
	}))
}

// --- changing -----------------------------------------------------------------

func (s *Service) UpdateResponsibilityTransfer(ctx context.Context, in *api.UpdateResponsibilityTransferRequest) (*api.UpdateResponsibilityTransferResponse, error) {
	var out api.UpdateResponsibilityTransferResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, tr, side, err := t.transferFor("UpdateResponsibilityTransfer", in, in.Id)
		if err != nil {
			return err
		}
		// Only a transfer that is still to come or in force can change.
		if tr.Status != api.ResponsibilityTransferStatusRequested && tr.Status != api.ResponsibilityTransferStatusAccepted {
			return api.NewConstraintViolation(reasonUpdateNotAllowed, "A transfer that is %s can't be changed.", tr.Status)
		}
		tr.Name = in.Name
		if err := t.putTransfer(tr); err != nil {
			return err
		}
		v, err := t.transferView(c, tr, side)
		out.ResponsibilityTransfer = &v
		return err
	}))
}

func (s *Service) TerminateResponsibilityTransfer(ctx context.Context, in *api.TerminateResponsibilityTransferRequest) (*api.TerminateResponsibilityTransferResponse, error) {
	var out api.TerminateResponsibilityTransferResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		c, tr, side, err := t.transferFor("TerminateResponsibilityTransfer", in, in.Id)
		if err != nil {
			return err
		}
		// Either side withdraws an accepted transfer; an invitation is
		// canceled or declined instead (the handshake operations).
		switch tr.Status {
		case api.ResponsibilityTransferStatusAccepted:
		case api.ResponsibilityTransferStatusWithdrawn:
			return api.NewResponsibilityTransferAlreadyInStatus("The transfer is already %s.", tr.Status)
		default:
			return api.NewInvalidResponsibilityTransferTransition("A transfer that is %s can't be withdrawn.", tr.Status)
		}
		end, err := endFor(tr, in.EndTimestamp.Time, t.now())
		if err != nil {
			return err
		}
		tr.Status, tr.End = api.ResponsibilityTransferStatusWithdrawn, end
		if err := t.putTransfer(tr); err != nil {
			return err
		}
		v, err := t.transferView(c, tr, side)
		out.ResponsibilityTransfer = &v
		return err
	}))
}

// --- DeleteOrganization -----------------------------------------------------------

// transfersBeforeDelete is the beforeDeleteOrganization hook: an
// organization in a transfer process can't be deleted: an open invitation
// it sent or its management account received, or a transfer in effect on
// either side (ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS). Otherwise its
// inbound index and the tags of its transfers go with it; the records
// stay for the other side's history.
func (t *txn) transfersBeforeDelete(o *organization) error {
	active := func() error {
		return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonActiveResponsibilityTransferProcess,
			"The organization has a responsibility transfer in progress; resolve it before you delete the organization.")
	}
	busy := func(tr *transfer) bool {
		return tr.Status == api.ResponsibilityTransferStatusRequested || tr.inEffectFrom(t.now())
	}
	m, err := t.account(o.Management)
	if err != nil {
		return err
	}
	keys, err := t.keysWithPrefix(
		prefixInboundTransfers(o.ID), prefixSourceTransfers(o.ID),
		prefixRecipientTransfers(m.ID), prefixRecipientTransfers(strings.ToLower(m.Email)),
	)
	if err != nil {
		return err
	}
	var inbound []string
	for _, k := range keys {
		tr, ok, err := t.transfer(lastSegment(k))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		// A received invitation or an outbound transfer of another
		// organization of the same account is not this one's.
		if strings.HasPrefix(k, "rtrcpt/") && tr.Status != api.ResponsibilityTransferStatusRequested {
			continue
		}
		if busy(tr) {
			return active()
		}
		if strings.HasPrefix(k, prefixInboundTransfers(o.ID)) {
			inbound = append(inbound, tr.ID)
		}
	}
	for _, id := range inbound {
		if err := t.Delete(keyTags(id)); err != nil {
			return err
		}
	}
	return t.deletePrefixes(prefixInboundTransfers(o.ID), prefixSourceTransfers(o.ID))
}
