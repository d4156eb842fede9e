package org

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// Handshake lifetimes (spec sections 4.2, 3.4 and 4.7).
const (
	inviteLifetime      = 15 * 24 * time.Hour
	allFeaturesLifetime = 90 * 24 * time.Hour // CONFLICT 3.4: current 90 days, not the old 15
	handshakeRetention  = 30 * 24 * time.Hour // ended handshakes stay visible this long
)

// The kinds of due work handshakes schedule.
const (
	workExpireHandshake = "handshake-expire" // an OPEN or REQUESTED handshake expires
	workPurgeHandshake  = "handshake-purge"  // an ended handshake is deleted
)

func init() {
	dueWork[workExpireHandshake] = (*txn).expireHandshake
	dueWork[workPurgeHandshake] = func(t *txn, id string) error {
		h, ok, err := t.handshake(id)
		if err != nil || !ok || !h.ended() {
			return err
		}
		return t.deleteHandshake(h)
	}
}

// handshake is the stored form of a handshake. Parties and resources are
// derived from it when it is shown, so that the Compat switches apply to
// handshakes stored before a switch changed.
type handshake struct {
	ID        string
	Org       string // the originating organization
	Mgmt      string // its management account, for the ARN
	Action    api.ActionType
	State     api.HandshakeState
	Requested time.Time
	Expires   time.Time
	Ended     time.Time // when it entered a terminal state
	// The recipient party: ACCOUNT or EMAIL. A parent has none.
	TargetType api.HandshakePartyType `json:",omitempty"`
	Target     string                 `json:",omitempty"`
	// INVITE: what the invitation shows and the tags applied on acceptance.
	Notes       string                     `json:",omitempty"`
	Tags        []api.Tag                  `json:",omitempty"`
	MasterEmail string                     `json:",omitempty"`
	MasterName  string                     `json:",omitempty"`
	FeatureSet  api.OrganizationFeatureSet `json:",omitempty"`
	// Migration is the ENABLE_ALL_FEATURES parent an INVITE was issued
	// during; the invitation ends with that migration if it is abandoned.
	Migration string `json:",omitempty"`
	// Parent is the ENABLE_ALL_FEATURES parent of an APPROVE_ALL_FEATURES child.
	Parent string `json:",omitempty"`
	// Pending counts, on a parent, the children that still block it: not
	// accepted, and their account still a member.
	Pending int `json:",omitempty"`
	// Transfer is what a TRANSFER_RESPONSIBILITY handshake offers (transfer.go).
	Transfer *handshakeTransfer `json:",omitempty"`
}

func (h *handshake) open() bool {
	return h.State == api.HandshakeStateOpen || h.State == api.HandshakeStateRequested
}

func (h *handshake) ended() bool { return !h.open() }

func (h *handshake) isParent() bool { return h.Action == api.ActionTypeEnableAllFeatures }

// recipient is the key the handshake is indexed under for its recipient:
// the account ID, or the lowercased email; "" for a parent.
func (h *handshake) recipient() string {
	if h.TargetType == api.HandshakePartyTypeEmail {
		return strings.ToLower(h.Target)
	}
	return h.Target
}

// --- keys ---------------------------------------------------------------------
//
// hs/<id>                           the record
// hsorg/<org>/<sort>                every handshake of an organization
// hsorgact/<org>/<action>/<sort>    the same by action, for the ActionType filter
// hsrcpt/<account or email>/<sort>  by recipient; value "<action> <parent>"
// hschild/<parent>/<sort>           the children of a parent
// hsopeninv/<org>/<id>              the organization's OPEN invitations
// hsinvto/<org>/<recipient>         -> the OPEN invitation to a recipient
// hsmig/<org>                       -> the pending ENABLE_ALL_FEATURES parent
// hsmiginv/<parent>/<id>            OPEN invitations issued during a migration
// hsblock/<parent>/<account>        -> a child that still blocks its parent
// hsrate/<org>/<time>/<id>          invitations sent in the last 24 hours
//
// <sort> is "<requested, ns, 20 digits>/<id>": listings are in creation order.

func keyHandshake(id string) string { return "hs/" + id }

func handshakeSort(h *handshake) string {
	return fmt.Sprintf("%020d/%s", h.Requested.UnixNano(), h.ID)
}

func prefixOrgHandshakes(org string) string { return "hsorg/" + org + "/" }
func prefixOrgHandshakesByAction(org string, a api.ActionType) string {
	return "hsorgact/" + org + "/" + string(a) + "/"
}
func prefixRecipientHandshakes(rcpt string) string { return "hsrcpt/" + rcpt + "/" }
func prefixChildHandshakes(parent string) string   { return "hschild/" + parent + "/" }
func keyOpenInvitation(org, id string) string      { return "hsopeninv/" + org + "/" + id }
func prefixOpenInvitations(org string) string      { return "hsopeninv/" + org + "/" }
func keyInvitedTo(org, rcpt string) string         { return "hsinvto/" + org + "/" + rcpt }
func keyMigration(org string) string               { return "hsmig/" + org }
func keyMigrationInvite(parent, id string) string  { return "hsmiginv/" + parent + "/" + id }
func prefixMigrationInvites(parent string) string  { return "hsmiginv/" + parent + "/" }
func keyBlockingChild(parent, acct string) string  { return "hsblock/" + parent + "/" + acct }
func prefixBlockingChildren(parent string) string  { return "hsblock/" + parent + "/" }
func prefixInvitationsSent(org string) string      { return "hsrate/" + org + "/" }
func keyInvitationSent(org string, at time.Time, id string) string {
	return fmt.Sprintf("hsrate/%s/%020d/%s", org, at.UnixNano(), id)
}

// handshakeIndexes are the index keys a handshake has for all its life,
// with their values.
func handshakeIndexes(h *handshake) map[string]string {
	sort := handshakeSort(h)
	idx := map[string]string{
		prefixOrgHandshakes(h.Org) + sort:                   "",
		prefixOrgHandshakesByAction(h.Org, h.Action) + sort: "",
	}
	if r := h.recipient(); r != "" {
		idx[prefixRecipientHandshakes(r)+sort] = string(h.Action) + " " + h.Parent
	}
	if h.Parent != "" {
		idx[prefixChildHandshakes(h.Parent)+sort] = ""
	}
	return idx
}

// --- storage ------------------------------------------------------------------

func (t *txn) handshake(id string) (*handshake, bool, error) {
	var h handshake
	ok, err := t.getJSON(keyHandshake(id), &h)
	if !ok || err != nil {
		return nil, false, err
	}
	return &h, true, nil
}

func (t *txn) putHandshake(h *handshake) error { return t.putJSON(keyHandshake(h.ID), h) }

// newHandshakeID returns an unused ID: "h-" and 32 lowercase hex digits.
func (t *txn) newHandshakeID() (string, error) {
	return t.newID("h-", idShape{alphabet: lowerHex, n: 32}, keyHandshake)
}

// startHandshake stores a new OPEN or REQUESTED handshake with its indexes
// and, unless it is a child (which ends with its parent), its expiry.
func (t *txn) startHandshake(h *handshake) error {
	if err := t.putStrings(handshakeIndexes(h)); err != nil {
		return err
	}
	if h.Parent == "" {
		if err := t.schedule(h.Expires, workExpireHandshake, h.ID); err != nil {
			return err
		}
	}
	return t.putHandshake(h)
}

// finishHandshake moves h to the terminal state at time at and releases
// what only an open handshake holds: an invitation's quota slot (in o,
// which the caller stores) and its open-invitation indexes. The 30-day
// retention starts at at. A child's effect on its parent is the caller's.
func (t *txn) finishHandshake(o *organization, h *handshake, state api.HandshakeState, at time.Time) error {
	wasOpen := h.open()
	h.State, h.Ended = state, at
	if h.Parent == "" {
		if err := t.unschedule(h.Expires, workExpireHandshake, h.ID); err != nil {
			return err
		}
	}
	if err := t.schedule(at.Add(handshakeRetention), workPurgeHandshake, h.ID); err != nil {
		return err
	}
	if h.Transfer != nil && wasOpen {
		// The transfer's status follows its invitation (transfer.go).
		if err := t.transferInvitationEnded(h, state); err != nil {
			return err
		}
	}
	if h.Action == api.ActionTypeInvite && wasOpen {
		if o != nil && o.ID == h.Org {
			o.OpenInvitations--
		}
		if err := t.dropOpenInvitation(h); err != nil {
			return err
		}
		// Accepted invitations do not count against the daily limit
		// (spec section 8); declined and canceled ones do.
		if state == api.HandshakeStateAccepted {
			if err := t.Delete(keyInvitationSent(h.Org, h.Requested, h.ID)); err != nil {
				return err
			}
		}
	}
	return t.putHandshake(h)
}

// dropOpenInvitation deletes the indexes of an invitation that were kept
// only while it was open.
func (t *txn) dropOpenInvitation(h *handshake) error {
	if err := t.Delete(keyOpenInvitation(h.Org, h.ID)); err != nil {
		return err
	}
	if v, ok, err := t.Get(keyInvitedTo(h.Org, h.recipient())); err != nil {
		return err
	} else if ok && string(v) == h.ID {
		if err := t.Delete(keyInvitedTo(h.Org, h.recipient())); err != nil {
			return err
		}
	}
	if h.Migration != "" {
		return t.Delete(keyMigrationInvite(h.Migration, h.ID))
	}
	return nil
}

// deleteHandshake removes h, its indexes and its scheduled work.
func (t *txn) deleteHandshake(h *handshake) error {
	keys := []string{keyHandshake(h.ID), keyInvitationSent(h.Org, h.Requested, h.ID)}
	for k := range handshakeIndexes(h) {
		keys = append(keys, k)
	}
	if err := t.deleteKeys(keys...); err != nil {
		return err
	}
	if err := t.dropOpenInvitation(h); err != nil {
		return err
	}
	if h.isParent() {
		if err := t.clearMigration(h); err != nil {
			return err
		}
	}
	if err := t.unschedule(h.Expires, workExpireHandshake, h.ID); err != nil {
		return err
	}
	if !h.Ended.IsZero() {
		return t.unschedule(h.Ended.Add(handshakeRetention), workPurgeHandshake, h.ID)
	}
	return nil
}

// expireHandshake is the due work that ends an unanswered handshake at
// its expiration time.
func (t *txn) expireHandshake(id string) error {
	h, ok, err := t.handshake(id)
	if err != nil || !ok || h.ended() {
		return err
	}
	o, ok, err := t.org(h.Org)
	if err != nil {
		return err
	}
	if !ok {
		o = nil
	}
	if h.isParent() {
		err = t.endMigration(o, h, api.HandshakeStateExpired, h.Expires)
	} else {
		err = t.finishHandshake(o, h, api.HandshakeStateExpired, h.Expires)
	}
	if err != nil || o == nil {
		return err
	}
	return t.putOrg(o)
}

// eachHandshake calls fn with each stored handshake whose ID ends a key
// under the prefixes (handshake indexes), reading it only when its turn
// comes, after the earlier calls.
func (t *txn) eachHandshake(prefixes []string, fn func(h *handshake) error) error {
	keys, err := t.keysWithPrefix(prefixes...)
	if err != nil {
		return err
	}
	for _, k := range keys {
		h, ok, err := t.handshake(lastSegment(k))
		if err != nil {
			return err
		}
		if ok {
			if err := fn(h); err != nil {
				return err
			}
		}
	}
	return nil
}

// cancelOpenHandshakes cancels, as of at, the handshakes under the
// prefixes that are still open; o (nil when it is gone) is their
// organization, whose counters change in place.
func (t *txn) cancelOpenHandshakes(o *organization, at time.Time, prefixes ...string) error {
	return t.eachHandshake(prefixes, func(h *handshake) error {
		if !h.open() {
			return nil
		}
		return t.finishHandshake(o, h, api.HandshakeStateCanceled, at)
	})
}

// --- views --------------------------------------------------------------------

// featureSetValue is the ORGANIZATION_FEATURE_SET an invitation shows.
// CONFLICT 4.2: "ALL" by default, "FULL" with Compat.FeatureSetFull.
func (s *Service) featureSetValue(fs api.OrganizationFeatureSet) string {
	if fs == api.OrganizationFeatureSetAll && s.cfg.Compat.FeatureSetFull {
		return "FULL"
	}
	return string(fs)
}

func (s *Service) handshakeARN(h *handshake) string {
	return s.arn(h.Mgmt, "handshake/"+h.Org+"/"+strings.ToLower(string(h.Action))+"/"+h.ID)
}

// handshakeView is h as the API shows it (spec sections 3.3, 4.2, 4.2a).
func (s *Service) handshakeView(h *handshake) *api.Handshake {
	compat := s.cfg.Compat
	v := api.Handshake{
		Id:                  h.ID,
		Arn:                 s.handshakeARN(h),
		State:               h.State,
		RequestedTimestamp:  api.NewTime(h.Requested),
		ExpirationTimestamp: api.NewTime(h.Expires),
		Action:              h.Action,
	}
	org := api.HandshakeResource{Type: api.HandshakeResourceTypeOrganization, Value: h.Org}
	// CONFLICT 3.3: the all-features captures show the organization party
	// without "o-" and the parent without "h-"; INVITE examples keep "o-".
	allFeaturesOrg, parentValue := strings.TrimPrefix(h.Org, "o-"), strings.TrimPrefix(h.Parent, "h-")
	if compat.AllFeaturesPartyWithPrefix {
		allFeaturesOrg, parentValue = h.Org, h.Parent
	}
	switch h.Action {
	case api.ActionTypeInvite:
		orgParty := h.Org
		if compat.InviteOrgPartyWithoutPrefix {
			orgParty = strings.TrimPrefix(h.Org, "o-")
		}
		org.Resources = []api.HandshakeResource{
			{Type: api.HandshakeResourceTypeMasterEmail, Value: h.MasterEmail},
			{Type: api.HandshakeResourceTypeMasterName, Value: h.MasterName},
			{Type: api.HandshakeResourceTypeOrganizationFeatureSet, Value: s.featureSetValue(h.FeatureSet)},
		}
		v.Parties = []api.HandshakeParty{
			{Id: orgParty, Type: api.HandshakePartyTypeOrganization},
			{Id: h.Target, Type: h.TargetType},
		}
		v.Resources = []api.HandshakeResource{org, {Type: api.HandshakeResourceType(h.TargetType), Value: h.Target}}
		if h.Notes != "" {
			v.Resources = append(v.Resources, api.HandshakeResource{Type: api.HandshakeResourceTypeNotes, Value: h.Notes})
		}
	case api.ActionTypeEnableAllFeatures:
		v.Parties = []api.HandshakeParty{{Id: allFeaturesOrg, Type: api.HandshakePartyTypeOrganization}}
		v.Resources = []api.HandshakeResource{org}
	case api.ActionTypeTransferResponsibility:
		transferHandshakeView(h, &v)
	default: // APPROVE_ALL_FEATURES
		v.Parties = []api.HandshakeParty{
			{Id: allFeaturesOrg, Type: api.HandshakePartyTypeOrganization},
			{Id: h.Target, Type: api.HandshakePartyTypeAccount},
		}
		v.Resources = []api.HandshakeResource{
			{Type: api.HandshakeResourceTypeParentHandshake, Value: parentValue},
			org,
			{Type: api.HandshakeResourceTypeAccount, Value: h.Target},
		}
	}
	return &v
}

// --- parties ------------------------------------------------------------------

// handshakeRole is where a caller stands towards a handshake.
type handshakeRole uint8

const (
	roleNone       handshakeRole = iota // not a party: the handshake is not found
	roleRecipient                       // the invited or approving account
	roleOriginator                      // the originating organization's management account
	roleOrgSide                         // another account of the originating organization that may see it
)

// roleIn returns c's role in h (spec 4.6, 4.7, inferred). A parent's only
// party is the organization, so every account in it may see the parent.
func (t *txn) roleIn(c *caller, h *handshake) (handshakeRole, error) {
	switch h.TargetType {
	case api.HandshakePartyTypeAccount:
		if h.Target == c.ID {
			return roleRecipient, nil
		}
	case api.HandshakePartyTypeEmail:
		// Whoever owns the address now is the recipient.
		id, ok, err := t.accountIDByEmail(h.Target)
		if err != nil {
			return roleNone, err
		}
		if ok && id == c.ID {
			return roleRecipient, nil
		}
	}
	if c.Org == nil || c.Org.ID != h.Org {
		return roleNone, nil
	}
	switch {
	case c.Mgmt:
		return roleOriginator, nil
	case c.DA || h.isParent():
		return roleOrgSide, nil
	}
	return roleNone, nil
}

func errHandshakeNotFound(id string) error {
	return api.NewHandshakeNotFound("No handshake with ID %s was found.", id)
}

// handshakeFor resolves the caller and the handshake an operation acts on;
// a caller that is no party to it does not find it.
func (t *txn) handshakeFor(op string, in any, id string) (*caller, *handshake, handshakeRole, error) {
	return partyTo(t, op, in, id, t.handshake, t.roleIn, errHandshakeNotFound)
}

// partyTo resolves the caller of op and the record that get finds under
// id (a handshake or a transfer), with the part relate gives the caller in
// it. A record the caller has no part in (the zero part) is not found,
// like one that does not exist.
func partyTo[R any, P comparable](t *txn, op string, in any, id string,
	get func(id string) (R, bool, error), relate func(*caller, R) (P, error), notFound func(id string) error,
) (*caller, R, P, error) {
	var none R
	var noPart P
	c, err := t.caller(op, in)
	if err != nil {
		return nil, none, noPart, err
	}
	r, ok, err := get(id)
	if err != nil {
		return nil, none, noPart, err
	}
	if !ok {
		return nil, none, noPart, notFound(id)
	}
	part, err := relate(c, r)
	if err != nil {
		return nil, none, noPart, err
	}
	if part == noPart {
		return nil, none, noPart, notFound(id)
	}
	return c, r, part, nil
}

// handshakeOrg returns the organization h came from.
func (t *txn) handshakeOrg(h *handshake) (*organization, error) {
	o, ok, err := t.org(h.Org)
	if err != nil {
		return nil, err
	}
	if !ok {
		// Handshakes go with their organization; this is only a guard.
		return nil, errHandshakeNotFound(h.ID)
	}
	return o, nil
}

// --- transitions (spec 4.6) -------------------------------------------------------

func errAlreadyInState(h *handshake) error {
	return api.NewHandshakeAlreadyInState("The handshake is already %s.", h.State)
}

func errTransition(h *handshake, verb string) error {
	return api.NewInvalidHandshakeTransition("A handshake that is %s can't be %s.", h.State, verb)
}

// canAccept: only OPEN; accepting again is "already in state".
func canAccept(h *handshake) error {
	switch h.State {
	case api.HandshakeStateOpen:
		return nil
	case api.HandshakeStateAccepted:
		return errAlreadyInState(h)
	}
	// REQUESTED: a parent whose members have not all approved (inferred 3.7).
	return errTransition(h, "accepted")
}

// canDecline: only an OPEN handshake with a recipient. A parent has none,
// so declining it is never a valid transition (inferred).
func canDecline(h *handshake) error {
	if h.isParent() {
		return errTransition(h, "declined")
	}
	switch h.State {
	case api.HandshakeStateOpen:
		return nil
	case api.HandshakeStateDeclined:
		return errAlreadyInState(h)
	}
	return errTransition(h, "declined")
}

// canCancel: OPEN or REQUESTED; canceling again is "already in state".
func canCancel(h *handshake) error {
	switch h.State {
	case api.HandshakeStateOpen, api.HandshakeStateRequested:
		return nil
	case api.HandshakeStateCanceled:
		return errAlreadyInState(h)
	}
	return errTransition(h, "canceled")
}

// answering resolves the caller of op, handshake id and its organization
// for an answer to it (accept, decline, cancel): a caller that may not
// give that answer in its role is denied, and a handshake in a state that
// can't take it is refused, in that order.
func (t *txn) answering(op string, in any, id string, may func(*handshake, handshakeRole) bool, can func(*handshake) error) (*caller, *handshake, *organization, error) {
	c, h, role, err := t.handshakeFor(op, in, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if !may(h, role) {
		return nil, nil, nil, errAccessDenied()
	}
	if err := can(h); err != nil {
		return nil, nil, nil, err
	}
	o, err := t.handshakeOrg(h)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, h, o, nil
}

// --- operations -------------------------------------------------------------------

func (s *Service) DescribeHandshake(ctx context.Context, in *api.DescribeHandshakeRequest) (*api.DescribeHandshakeResponse, error) {
	var out api.DescribeHandshakeResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		_, h, _, err := t.handshakeFor("DescribeHandshake", in, in.HandshakeId)
		if err != nil {
			return err
		}
		out.Handshake = s.handshakeView(h)
		return nil
	}))
}

func (s *Service) AcceptHandshake(ctx context.Context, in *api.AcceptHandshakeRequest) (*api.AcceptHandshakeResponse, error) {
	var out api.AcceptHandshakeResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		// The recipient accepts; the management account finalizes the
		// parent (spec 3.7, 4.3). Anyone else is the wrong party.
		c, h, o, err := t.answering("AcceptHandshake", in, in.HandshakeId, func(h *handshake, role handshakeRole) bool {
			if h.isParent() {
				return role == roleOriginator
			}
			return role == roleRecipient
		}, canAccept)
		if err != nil {
			return err
		}
		switch h.Action {
		case api.ActionTypeInvite:
			err = t.acceptInvitation(c, o, h)
		case api.ActionTypeApproveAllFeatures:
			err = t.approveAllFeatures(h)
		case api.ActionTypeEnableAllFeatures:
			err = t.finalizeAllFeatures(o, h)
		case api.ActionTypeTransferResponsibility:
			err = t.acceptTransfer(c, o, h)
		default:
			err = api.NotImplemented("AcceptHandshake for " + string(h.Action))
		}
		if err != nil {
			return err
		}
		out.Handshake = s.handshakeView(h)
		return nil
	}))
}

func (s *Service) DeclineHandshake(ctx context.Context, in *api.DeclineHandshakeRequest) (*api.DeclineHandshakeResponse, error) {
	var out api.DeclineHandshakeResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		// The recipient declines; the originator cancels instead. The
		// management account reaches the parent's transition error.
		_, h, o, err := t.answering("DeclineHandshake", in, in.HandshakeId, func(h *handshake, role handshakeRole) bool {
			return role == roleRecipient || (h.isParent() && role == roleOriginator)
		}, canDecline)
		if err != nil {
			return err
		}
		// A declined approval keeps blocking its parent until the account
		// leaves or the migration ends (spec 3.6).
		if err := t.finishHandshake(o, h, api.HandshakeStateDeclined, t.now()); err != nil {
			return err
		}
		if err := t.putOrg(o); err != nil {
			return err
		}
		out.Handshake = s.handshakeView(h)
		return nil
	}))
}

func (s *Service) CancelHandshake(ctx context.Context, in *api.CancelHandshakeRequest) (*api.CancelHandshakeResponse, error) {
	var out api.CancelHandshakeResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		_, h, o, err := t.answering("CancelHandshake", in, in.HandshakeId, func(_ *handshake, role handshakeRole) bool {
			return role == roleOriginator
		}, canCancel)
		if err != nil {
			return err
		}
		if h.isParent() {
			err = t.endMigration(o, h, api.HandshakeStateCanceled, t.now())
		} else {
			// A canceled approval blocks its parent like a declined one
			// (inferred): canceling children must not skip the approval.
			err = t.finishHandshake(o, h, api.HandshakeStateCanceled, t.now())
		}
		if err != nil {
			return err
		}
		if err := t.putOrg(o); err != nil {
			return err
		}
		out.Handshake = s.handshakeView(h)
		return nil
	}))
}

// handshakeFilter checks a HandshakeFilter: ActionType and
// ParentHandshakeId exclude each other (spec 4.7).
func handshakeFilter(f *api.HandshakeFilter) (api.ActionType, string, error) {
	if f == nil {
		return "", "", nil
	}
	if f.ActionType != "" && f.ParentHandshakeId != "" {
		return "", "", api.NewInvalidInput(api.InvalidInputExceptionReasonMaxLimitExceededFilter,
			"Specify either ActionType or ParentHandshakeId in the filter, not both.")
	}
	return f.ActionType, f.ParentHandshakeId, nil
}

func (s *Service) ListHandshakesForOrganization(ctx context.Context, in *api.ListHandshakesForOrganizationRequest) (*api.ListHandshakesForOrganizationResponse, error) {
	out := api.ListHandshakesForOrganizationResponse{Handshakes: []api.Handshake{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		action, parent, err := handshakeFilter(in.Filter)
		if err != nil {
			return err
		}
		c, err := t.caller("ListHandshakesForOrganization", in)
		if err != nil {
			return err
		}
		prefix := prefixOrgHandshakes(c.Org.ID)
		switch {
		case action != "":
			prefix = prefixOrgHandshakesByAction(c.Org.ID, action)
		case parent != "":
			p, ok, err := t.handshake(parent)
			if err != nil {
				return err
			}
			if !ok || p.Org != c.Org.ID {
				// Another organization's parent has no children here.
				if in.NextToken != "" {
					return errInvalidNextToken()
				}
				return nil
			}
			prefix = prefixChildHandshakes(parent)
		}
		out.NextToken, err = t.list("ListHandshakesForOrganization", c, []string{string(action), parent}, prefix,
			in.NextToken, in.MaxResults, nil, func(k string, _ []byte) error {
				return t.appendHandshake(&out.Handshakes, lastSegment(k))
			})
		return err
	}))
}

func (s *Service) ListHandshakesForAccount(ctx context.Context, in *api.ListHandshakesForAccountRequest) (*api.ListHandshakesForAccountResponse, error) {
	out := api.ListHandshakesForAccountResponse{Handshakes: []api.Handshake{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		action, parent, err := handshakeFilter(in.Filter)
		if err != nil {
			return err
		}
		c, err := t.caller("ListHandshakesForAccount", in)
		if err != nil {
			return err
		}
		// Handshakes to the account, and invitations to its email (inferred).
		prefixes := []string{prefixRecipientHandshakes(c.ID)}
		if c.Account.Email != "" {
			prefixes = append(prefixes, prefixRecipientHandshakes(strings.ToLower(c.Account.Email)))
		}
		keep := func(v []byte) bool {
			a, p, _ := strings.Cut(string(v), " ")
			return (action == "" || a == string(action)) && (parent == "" || p == parent)
		}
		out.NextToken, err = t.listMerged("ListHandshakesForAccount", c, []string{string(action), parent}, prefixes,
			in.NextToken, in.MaxResults, keep, func(id string) error {
				return t.appendHandshake(&out.Handshakes, id)
			})
		return err
	}))
}

func (t *txn) appendHandshake(into *[]api.Handshake, id string) error {
	h, ok, err := t.handshake(id)
	if err != nil || !ok {
		return err
	}
	*into = append(*into, *t.s.handshakeView(h))
	return nil
}

// listMerged is t.list over several prefixes whose keys all end in
// "<sort>" ("<time>/<id>"): one page in sort order across them. keep
// filters on the index value; add gets each handshake ID of the page.
func (t *txn) listMerged(op string, c *caller, scopeParts, prefixes []string, token string, max int32, keep func(val []byte) bool, add func(id string) error) (string, error) {
	scope := op + "\x00" + c.ID + "\x00" + strings.Join(scopeParts, "\x00") + "\x00" + strings.Join(prefixes, "\x00")
	after := ""
	if token != "" {
		var err error
		if after, err = t.s.tokens.After(scope, token); err != nil {
			return "", errInvalidNextToken()
		}
	}
	n := int(max)
	if n <= 0 {
		n = defaultPageSize
	}
	var sorts []string
	for _, prefix := range prefixes {
		var got []string
		start := ""
		if after != "" {
			start = prefix + after
		}
		err := t.Scan(prefix, start, func(k string, v []byte) bool {
			if keep == nil || keep(v) {
				got = append(got, strings.TrimPrefix(k, prefix))
			}
			return len(got) <= n
		})
		if err != nil {
			return "", err
		}
		sorts = mergeSorted(sorts, got)
	}
	next := ""
	if len(sorts) > n {
		sorts = sorts[:n]
		next = t.s.tokens.Token(scope, sorts[n-1])
	}
	for _, sk := range sorts {
		if err := add(lastSegment(sk)); err != nil {
			return "", err
		}
	}
	return next, nil
}

// mergeSorted merges two sorted slices.
func mergeSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0] <= b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// sortTime parses the time of a "<time>/<id>" suffix.
func sortTime(sk string) (time.Time, bool) {
	ns, _, ok := strings.Cut(sk, "/")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n).UTC(), true
}
