package e2e

// The CONSOLIDATED_BILLING → ALL migration and the handshakes around it,
// end to end through aws-sdk-go-v2 (spec sections 2–6): invitations, the
// ENABLE_ALL_FEATURES parent and its APPROVE_ALL_FEATURES children, every
// transition of the table in 4.6, expiry and retention on the server
// clock, and the HandshakeConstraintViolationException reasons.
//
// The tests freeze the server clock (migHarness) so that timestamps and
// the expiry and retention boundaries are exact: only h.advance moves it.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/org"
)

// Accounts of these tests besides those of harness_test.go.
const (
	migCarolID = "555555555555" // invited by email
	migDaveID  = "666666666666" // declines the migration
	migEveID   = "777777777777"

	migMgmtEmail  = "mgmt@example.com"
	migMgmtName   = "Management Account"
	migCarolEmail = "carol@example.com"
)

const (
	migDay        = 24 * time.Hour
	migInviteLife = 15 * migDay // INVITE (spec 4.2)
	migMigLife    = 90 * migDay // ENABLE/APPROVE_ALL_FEATURES (spec 3.4)
	migRetention  = 30 * migDay // ended handshakes (spec 4.7)
)

var migHandshakeIDRe = regexp.MustCompile(`^h-[0-9a-z]{8,32}$`)

// migBase is where the frozen server clock starts; the milliseconds make
// the wire carry fractional epoch seconds.
var migBase = time.Date(2025, 3, 3, 9, 30, 0, 250*int(time.Millisecond), time.UTC)

// migHarness is a harness whose server clock stands still but for
// h.advance.
func migHarness(t *testing.T, configure ...func(*org.Config)) *harness {
	t.Helper()
	frozen := func(c *org.Config) { c.Now = func() time.Time { return migBase } }
	return newHarness(t, append([]func(*org.Config){frozen}, configure...)...)
}

// migEnv is a consolidated-billing organization managed by mgmtID.
type migEnv struct {
	h      *harness
	orgID  string
	rootID string
	mgmt   *organizations.Client
}

func newMigEnv(t *testing.T, fs types.OrganizationFeatureSet, configure ...func(*org.Config)) *migEnv {
	t.Helper()
	h := migHarness(t, configure...)
	h.registerAccount(t, mgmtID, migMgmtEmail, migMgmtName)
	o := h.newOrg(t, mgmtID, fs)
	e := &migEnv{h: h, orgID: aws.ToString(o.Id), mgmt: h.client(t, mgmtID)}
	roots, err := e.mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots: %v %v", roots, err)
	}
	e.rootID = aws.ToString(roots.Roots[0].Id)
	return e
}

func (e *migEnv) c(t *testing.T, acct string) *organizations.Client { return e.h.client(t, acct) }

func migAccountTarget(id string) *types.HandshakeParty {
	return &types.HandshakeParty{Id: aws.String(id), Type: types.HandshakePartyTypeAccount}
}

func migEmailTarget(email string) *types.HandshakeParty {
	return &types.HandshakeParty{Id: aws.String(email), Type: types.HandshakePartyTypeEmail}
}

// invite has the management account invite target and checks the new
// invitation: OPEN, requested now, shaped as spec 4.2 says.
func (e *migEnv) invite(t *testing.T, target *types.HandshakeParty, notes string, tags ...types.Tag) types.Handshake {
	t.Helper()
	in := &organizations.InviteAccountToOrganizationInput{Target: target, Tags: tags}
	if notes != "" {
		in.Notes = aws.String(notes)
	}
	out, err := e.mgmt.InviteAccountToOrganization(ctx(t), in)
	if err != nil {
		t.Fatalf("InviteAccountToOrganization %s: %v", aws.ToString(target.Id), err)
	}
	hs := *out.Handshake
	e.shape(t, hs)
	if hs.State != types.HandshakeStateOpen || hs.Action != types.ActionTypeInviteAccountToOrganization {
		t.Fatalf("new invitation %s %s", hs.Action, hs.State)
	}
	if got, want := aws.ToTime(hs.RequestedTimestamp), e.h.now(t); !got.Equal(want) {
		t.Errorf("RequestedTimestamp %v, want the server time %v", got, want)
	}
	if p := hs.Parties[1]; p.Type != target.Type || aws.ToString(p.Id) != aws.ToString(target.Id) {
		t.Errorf("target party %s %s, want %s %s", p.Type, aws.ToString(p.Id), target.Type, aws.ToString(target.Id))
	}
	return hs
}

// accept, decline and cancel answer handshake id as account acct and
// check the state the answer shows.
func (e *migEnv) accept(t *testing.T, acct, id string) types.Handshake {
	t.Helper()
	out, err := e.c(t, acct).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})
	if err != nil {
		t.Fatalf("AcceptHandshake %s as %s: %v", id, acct, err)
	}
	return e.answered(t, *out.Handshake, id, types.HandshakeStateAccepted)
}

func (e *migEnv) decline(t *testing.T, acct, id string) types.Handshake {
	t.Helper()
	out, err := e.c(t, acct).DeclineHandshake(ctx(t), &organizations.DeclineHandshakeInput{HandshakeId: aws.String(id)})
	if err != nil {
		t.Fatalf("DeclineHandshake %s as %s: %v", id, acct, err)
	}
	return e.answered(t, *out.Handshake, id, types.HandshakeStateDeclined)
}

func (e *migEnv) cancel(t *testing.T, id string) types.Handshake {
	t.Helper()
	out, err := e.mgmt.CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: aws.String(id)})
	if err != nil {
		t.Fatalf("CancelHandshake %s: %v", id, err)
	}
	return e.answered(t, *out.Handshake, id, types.HandshakeStateCanceled)
}

func (e *migEnv) answered(t *testing.T, hs types.Handshake, id string, want types.HandshakeState) types.Handshake {
	t.Helper()
	e.shape(t, hs)
	if aws.ToString(hs.Id) != id || hs.State != want {
		t.Fatalf("answer shows %s %s, want %s %s", aws.ToString(hs.Id), hs.State, id, want)
	}
	return hs
}

// describe is DescribeHandshake of id as acct.
func (e *migEnv) describe(t *testing.T, acct, id string) types.Handshake {
	t.Helper()
	out, err := e.c(t, acct).DescribeHandshake(ctx(t), &organizations.DescribeHandshakeInput{HandshakeId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeHandshake %s as %s: %v", id, acct, err)
	}
	e.shape(t, *out.Handshake)
	if aws.ToString(out.Handshake.Id) != id {
		t.Fatalf("DescribeHandshake %s returned %s", id, aws.ToString(out.Handshake.Id))
	}
	return *out.Handshake
}

// wantState fails unless acct sees handshake id in state want.
func (e *migEnv) wantState(t *testing.T, acct, id string, want types.HandshakeState) {
	t.Helper()
	if got := e.describe(t, acct, id).State; got != want {
		t.Fatalf("handshake %s as %s: %s, want %s", id, acct, got, want)
	}
}

// wantGone fails unless handshake id is not found by acct.
func (e *migEnv) wantGone(t *testing.T, acct, id string) {
	t.Helper()
	_, err := e.c(t, acct).DescribeHandshake(ctx(t), &organizations.DescribeHandshakeInput{HandshakeId: aws.String(id)})
	wantAPIError(t, err, "HandshakeNotFoundException", "")
}

// forAccount is every page of ListHandshakesForAccount as acct, two
// handshakes a page so that paging is exercised too.
func (e *migEnv) forAccount(t *testing.T, acct string, f *types.HandshakeFilter) []types.Handshake {
	t.Helper()
	p := organizations.NewListHandshakesForAccountPaginator(e.c(t, acct),
		&organizations.ListHandshakesForAccountInput{Filter: f, MaxResults: aws.Int32(2)})
	var all []types.Handshake
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListHandshakesForAccount as %s: %v", acct, err)
		}
		if len(page.Handshakes) > 2 {
			t.Fatalf("ListHandshakesForAccount: %d handshakes for MaxResults 2", len(page.Handshakes))
		}
		all = append(all, page.Handshakes...)
	}
	for _, hs := range all {
		e.shape(t, hs)
	}
	return all
}

// forOrg is every page of ListHandshakesForOrganization as acct.
func (e *migEnv) forOrg(t *testing.T, acct string, f *types.HandshakeFilter) []types.Handshake {
	t.Helper()
	p := organizations.NewListHandshakesForOrganizationPaginator(e.c(t, acct),
		&organizations.ListHandshakesForOrganizationInput{Filter: f, MaxResults: aws.Int32(2)})
	var all []types.Handshake
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListHandshakesForOrganization as %s: %v", acct, err)
		}
		if len(page.Handshakes) > 2 {
			t.Fatalf("ListHandshakesForOrganization: %d handshakes for MaxResults 2", len(page.Handshakes))
		}
		all = append(all, page.Handshakes...)
	}
	for _, hs := range all {
		e.shape(t, hs)
	}
	return all
}

// enableAllFeatures starts the migration and checks the parent it returns
// (spec 3.3): REQUESTED, or OPEN when nobody has to approve.
func (e *migEnv) enableAllFeatures(t *testing.T, want types.HandshakeState) types.Handshake {
	t.Helper()
	out, err := e.mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	if err != nil {
		t.Fatalf("EnableAllFeatures: %v", err)
	}
	p := *out.Handshake
	e.shape(t, p)
	if p.Action != types.ActionTypeEnableAllFeatures || p.State != want {
		t.Fatalf("EnableAllFeatures returned %s %s, want ENABLE_ALL_FEATURES %s", p.Action, p.State, want)
	}
	if got, now := aws.ToTime(p.RequestedTimestamp), e.h.now(t); !got.Equal(now) {
		t.Errorf("parent RequestedTimestamp %v, want the server time %v", got, now)
	}
	return p
}

// children returns the APPROVE_ALL_FEATURES children of parent by the
// account they were sent to, checking each against the parent.
func (e *migEnv) children(t *testing.T, parent types.Handshake) map[string]types.Handshake {
	t.Helper()
	pid := aws.ToString(parent.Id)
	kids := map[string]types.Handshake{}
	for _, c := range e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}) {
		if c.Action != types.ActionTypeApproveAllFeatures {
			t.Fatalf("child %s of %s is %s", aws.ToString(c.Id), pid, c.Action)
		}
		if got := aws.ToString(c.Resources[0].Value); got != strings.TrimPrefix(pid, "h-") {
			t.Errorf("child %s PARENT_HANDSHAKE %s, want %s without h-", aws.ToString(c.Id), got, pid)
		}
		if !aws.ToTime(c.RequestedTimestamp).Equal(aws.ToTime(parent.RequestedTimestamp)) ||
			!aws.ToTime(c.ExpirationTimestamp).Equal(aws.ToTime(parent.ExpirationTimestamp)) {
			t.Errorf("child %s requested %v expires %v; parent %v %v", aws.ToString(c.Id),
				c.RequestedTimestamp, c.ExpirationTimestamp, parent.RequestedTimestamp, parent.ExpirationTimestamp)
		}
		acct := aws.ToString(c.Parties[1].Id)
		if _, dup := kids[acct]; dup {
			t.Fatalf("two children for account %s", acct)
		}
		kids[acct] = c
	}
	return kids
}

// featureSet is the organization's FeatureSet as acct sees it; it checks
// AvailablePolicyTypes along (spec 2.3).
func (e *migEnv) featureSet(t *testing.T, acct string) types.OrganizationFeatureSet {
	t.Helper()
	out, err := e.c(t, acct).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatalf("DescribeOrganization as %s: %v", acct, err)
	}
	o := out.Organization
	var want []types.PolicyTypeSummary
	if o.FeatureSet == types.OrganizationFeatureSetAll {
		want = []types.PolicyTypeSummary{{Type: types.PolicyTypeServiceControlPolicy, Status: types.PolicyTypeStatusEnabled}}
	}
	samePolicyTypes(t, "AvailablePolicyTypes", o.AvailablePolicyTypes, want)
	return o.FeatureSet
}

// rootPolicyTypes is the root's PolicyTypes.
func (e *migEnv) rootPolicyTypes(t *testing.T) []types.PolicyTypeSummary {
	t.Helper()
	out, err := e.mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Roots[0].PolicyTypes
}

// createAccount creates a member account and waits on the server clock
// until it exists.
func (e *migEnv) createAccount(t *testing.T, email, name string) string {
	t.Helper()
	out, err := e.mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String(email), AccountName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccount %s: %v", email, err)
	}
	if out.CreateAccountStatus.State != types.CreateAccountStateInProgress {
		t.Fatalf("CreateAccount: %s", out.CreateAccountStatus.State)
	}
	e.h.advance(t, 5*time.Second)
	st, err := e.mgmt.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
	if err != nil {
		t.Fatal(err)
	}
	if st.CreateAccountStatus.State != types.CreateAccountStateSucceeded {
		t.Fatalf("CreateAccount %s: %s %s", email, st.CreateAccountStatus.State, st.CreateAccountStatus.FailureReason)
	}
	return aws.ToString(st.CreateAccountStatus.AccountId)
}

// shape checks what every handshake of its kind must look like (spec 1.3,
// 3.3, 4.2, 4.2a): ID, ARN, lifetime, parties and resources in order.
func (e *migEnv) shape(t *testing.T, hs types.Handshake) {
	t.Helper()
	id := aws.ToString(hs.Id)
	if !migHandshakeIDRe.MatchString(id) {
		t.Fatalf("handshake Id %q", id)
	}
	wantARN := "arn:aws:organizations::" + mgmtID + ":handshake/" + e.orgID + "/" + strings.ToLower(string(hs.Action)) + "/" + id
	if got := aws.ToString(hs.Arn); got != wantARN {
		t.Errorf("Arn %s, want %s", got, wantARN)
	}
	if hs.RequestedTimestamp == nil || hs.ExpirationTimestamp == nil {
		t.Fatalf("%s without timestamps", id)
	}
	life := migMigLife
	if hs.Action == types.ActionTypeInviteAccountToOrganization {
		life = migInviteLife
	}
	if got := hs.ExpirationTimestamp.Sub(*hs.RequestedTimestamp); got != life {
		t.Errorf("%s %s lives %v, want %v", hs.Action, id, got, life)
	}
	bareOrg := strings.TrimPrefix(e.orgID, "o-")
	orgRes := func(r types.HandshakeResource) {
		t.Helper()
		if r.Type != types.HandshakeResourceTypeOrganization || aws.ToString(r.Value) != e.orgID {
			t.Errorf("%s resource %s %s, want ORGANIZATION %s", id, r.Type, aws.ToString(r.Value), e.orgID)
		}
	}
	switch hs.Action {
	case types.ActionTypeInviteAccountToOrganization:
		if len(hs.Parties) != 2 || hs.Parties[0].Type != types.HandshakePartyTypeOrganization || aws.ToString(hs.Parties[0].Id) != e.orgID {
			t.Fatalf("INVITE %s parties %s", id, migParties(hs))
		}
		target := hs.Parties[1]
		if target.Type != types.HandshakePartyTypeAccount && target.Type != types.HandshakePartyTypeEmail {
			t.Fatalf("INVITE %s target party %s", id, target.Type)
		}
		if n := len(hs.Resources); n != 2 && n != 3 {
			t.Fatalf("INVITE %s has %d resources", id, n)
		}
		orgRes(hs.Resources[0])
		nested := hs.Resources[0].Resources
		if len(nested) != 3 ||
			nested[0].Type != types.HandshakeResourceTypeMasterEmail || aws.ToString(nested[0].Value) != migMgmtEmail ||
			nested[1].Type != types.HandshakeResourceTypeMasterName || aws.ToString(nested[1].Value) != migMgmtName ||
			nested[2].Type != types.HandshakeResourceTypeOrganizationFeatureSet {
			t.Errorf("INVITE %s ORGANIZATION resources %s", id, migResources(nested))
		}
		if fs := migFeatureSetOf(hs); fs != "CONSOLIDATED_BILLING" && fs != "ALL" {
			t.Errorf("INVITE %s ORGANIZATION_FEATURE_SET %q", id, fs)
		}
		if r := hs.Resources[1]; string(r.Type) != string(target.Type) || aws.ToString(r.Value) != aws.ToString(target.Id) || len(r.Resources) != 0 {
			t.Errorf("INVITE %s target resource %s %s, party %s %s", id, r.Type, aws.ToString(r.Value), target.Type, aws.ToString(target.Id))
		}
		if len(hs.Resources) == 3 && hs.Resources[2].Type != types.HandshakeResourceTypeNotes {
			t.Errorf("INVITE %s third resource %s, want NOTES", id, hs.Resources[2].Type)
		}
	case types.ActionTypeEnableAllFeatures:
		// Parties: the organization only, without "o-" (spec 3.3).
		if len(hs.Parties) != 1 || hs.Parties[0].Type != types.HandshakePartyTypeOrganization || aws.ToString(hs.Parties[0].Id) != bareOrg {
			t.Errorf("ENABLE_ALL_FEATURES %s parties %s", id, migParties(hs))
		}
		if len(hs.Resources) != 1 || len(hs.Resources[0].Resources) != 0 {
			t.Fatalf("ENABLE_ALL_FEATURES %s resources %s", id, migResources(hs.Resources))
		}
		orgRes(hs.Resources[0])
	case types.ActionTypeApproveAllFeatures:
		if len(hs.Parties) != 2 ||
			hs.Parties[0].Type != types.HandshakePartyTypeOrganization || aws.ToString(hs.Parties[0].Id) != bareOrg ||
			hs.Parties[1].Type != types.HandshakePartyTypeAccount {
			t.Fatalf("APPROVE_ALL_FEATURES %s parties %s", id, migParties(hs))
		}
		if len(hs.Resources) != 3 {
			t.Fatalf("APPROVE_ALL_FEATURES %s resources %s", id, migResources(hs.Resources))
		}
		for _, r := range hs.Resources {
			if len(r.Resources) != 0 {
				t.Errorf("APPROVE_ALL_FEATURES %s: nested resources under %s", id, r.Type)
			}
		}
		p, o, a := hs.Resources[0], hs.Resources[1], hs.Resources[2]
		if p.Type != types.HandshakeResourceTypeParentHandshake || strings.HasPrefix(aws.ToString(p.Value), "h-") ||
			!migHandshakeIDRe.MatchString("h-"+aws.ToString(p.Value)) {
			t.Errorf("APPROVE_ALL_FEATURES %s first resource %s %s, want PARENT_HANDSHAKE without h-", id, p.Type, aws.ToString(p.Value))
		}
		orgRes(o)
		if a.Type != types.HandshakeResourceTypeAccount || aws.ToString(a.Value) != aws.ToString(hs.Parties[1].Id) {
			t.Errorf("APPROVE_ALL_FEATURES %s third resource %s %s, want ACCOUNT %s", id, a.Type, aws.ToString(a.Value), aws.ToString(hs.Parties[1].Id))
		}
	default:
		t.Fatalf("handshake %s with action %s", id, hs.Action)
	}
}

func migParties(hs types.Handshake) string {
	var s []string
	for _, p := range hs.Parties {
		s = append(s, string(p.Type)+"="+aws.ToString(p.Id))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func migResources(rs []types.HandshakeResource) string {
	var s []string
	for _, r := range rs {
		x := string(r.Type) + "=" + aws.ToString(r.Value)
		if len(r.Resources) > 0 {
			x += migResources(r.Resources)
		}
		s = append(s, x)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// migFeatureSetOf is the ORGANIZATION_FEATURE_SET an invitation shows.
func migFeatureSetOf(hs types.Handshake) string {
	for _, r := range hs.Resources {
		for _, n := range r.Resources {
			if n.Type == types.HandshakeResourceTypeOrganizationFeatureSet {
				return aws.ToString(n.Value)
			}
		}
	}
	return ""
}

// migNotesOf is the NOTES resource of an invitation, and whether it has one.
func migNotesOf(hs types.Handshake) (string, bool) {
	for _, r := range hs.Resources {
		if r.Type == types.HandshakeResourceTypeNotes {
			return aws.ToString(r.Value), true
		}
	}
	return "", false
}

// migStates is the handshakes expected in a listing, by ID.
type migStates map[string]types.HandshakeState

// migWantListed fails unless got is exactly the handshakes of want, each once
// and in its state.
func migWantListed(t *testing.T, what string, got []types.Handshake, want migStates) {
	t.Helper()
	seen := map[string]bool{}
	for _, hs := range got {
		id := aws.ToString(hs.Id)
		if seen[id] {
			t.Errorf("%s: %s listed twice", what, id)
		}
		seen[id] = true
		w, ok := want[id]
		switch {
		case !ok:
			t.Errorf("%s: unexpected %s %s %s", what, hs.Action, id, hs.State)
		case hs.State != w:
			t.Errorf("%s: %s %s is %s, want %s", what, hs.Action, id, hs.State, w)
		}
	}
	for id, w := range want {
		if !seen[id] {
			t.Errorf("%s: %s (%s) missing", what, id, w)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func migID(hs types.Handshake) string { return aws.ToString(hs.Id) }

// migView is what each account and the organization should see at one step
// of a story: the handshakes of ListHandshakesForAccount per account (its
// invitations and approvals) and of ListHandshakesForOrganization.
type migView struct {
	accounts map[string]migStates
	org      migStates
}

func newMigView(accounts ...string) *migView {
	v := &migView{accounts: map[string]migStates{}, org: migStates{}}
	for _, a := range accounts {
		v.accounts[a] = migStates{}
	}
	return v
}

// set records that handshake id, sent to recipient ("" for a parent), is
// now in state s.
func (v *migView) set(recipient, id string, s types.HandshakeState) {
	if recipient != "" {
		v.accounts[recipient][id] = s
	}
	v.org[id] = s
}

// check lists as every account and as the management account, and
// describes each handshake as its recipient and as the management account.
func (e *migEnv) check(t *testing.T, step string, v *migView) {
	t.Helper()
	for acct, want := range v.accounts {
		migWantListed(t, step+": ListHandshakesForAccount as "+acct, e.forAccount(t, acct, nil), want)
		for id, s := range want {
			if got := e.describe(t, acct, id).State; got != s {
				t.Fatalf("%s: DescribeHandshake %s as %s: %s, want %s", step, id, acct, got, s)
			}
		}
	}
	migWantListed(t, step+": ListHandshakesForOrganization", e.forOrg(t, mgmtID, nil), v.org)
	for id, s := range v.org {
		if got := e.describe(t, mgmtID, id).State; got != s {
			t.Fatalf("%s: DescribeHandshake %s as management: %s, want %s", step, id, got, s)
		}
	}
}

// TestMigrationFullStory walks a whole migration: one management account,
// three invited members (two by account ID, one by email) and two created
// ones; one member declines and is removed; the others approve; the
// management account finalizes and enables SCPs.
func TestMigrationFullStory(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	h := e.h
	alice, carol, dave := memberID, migCarolID, migDaveID
	invited := []string{alice, carol, dave}

	// 1. A consolidated-billing organization: no policy types anywhere.
	if fs := e.featureSet(t, mgmtID); fs != types.OrganizationFeatureSetConsolidatedBilling {
		t.Fatalf("FeatureSet %s", fs)
	}
	samePolicyTypes(t, "Root.PolicyTypes", e.rootPolicyTypes(t), nil)

	// 2. Two created members.
	created1 := e.createAccount(t, "created1@example.com", "Created One")
	created2 := e.createAccount(t, "created2@example.com", "Created Two")
	v := newMigView(alice, carol, dave, created1, created2)
	e.check(t, "created", v)

	// 3. Three invitations: two to account IDs, one to an email.
	h.registerAccount(t, alice, "alice@example.com", "Alice")
	h.registerAccount(t, dave, "dave@example.com", "Dave")
	h.registerAccount(t, carol, migCarolEmail, "Carol")
	invitations := map[string]types.Handshake{
		alice: e.invite(t, migAccountTarget(alice), "Welcome, Alice"),
		dave:  e.invite(t, migAccountTarget(dave), ""),
		carol: e.invite(t, migEmailTarget(migCarolEmail), ""),
	}
	for acct, inv := range invitations {
		if fs := migFeatureSetOf(inv); fs != "CONSOLIDATED_BILLING" {
			t.Errorf("invitation to %s promises %s", acct, fs)
		}
		v.set(acct, migID(inv), types.HandshakeStateOpen)
	}
	if notes, ok := migNotesOf(invitations[alice]); !ok || notes != "Welcome, Alice" {
		t.Errorf("Alice's invitation NOTES %q %v", notes, ok)
	}
	if _, ok := migNotesOf(invitations[dave]); ok {
		t.Error("an invitation without Notes has a NOTES resource")
	}
	if p := invitations[carol].Parties[1]; p.Type != types.HandshakePartyTypeEmail || aws.ToString(p.Id) != migCarolEmail {
		t.Errorf("Carol's invitation is to %s %s", p.Type, aws.ToString(p.Id))
	}
	e.check(t, "invited", v)
	migWantListed(t, "ActionType INVITE", e.forOrg(t, mgmtID, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}), v.org)

	// 4. They accept and join by invitation.
	for _, acct := range invited {
		e.accept(t, acct, migID(invitations[acct]))
		v.set(acct, migID(invitations[acct]), types.HandshakeStateAccepted)
	}
	e.check(t, "joined", v)
	accounts, err := e.mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	joined := map[string]types.AccountJoinedMethod{}
	for _, a := range accounts.Accounts {
		joined[aws.ToString(a.Id)] = a.JoinedMethod
	}
	wantJoined := map[string]types.AccountJoinedMethod{
		mgmtID: types.AccountJoinedMethodInvited, alice: types.AccountJoinedMethodInvited, carol: types.AccountJoinedMethodInvited,
		dave: types.AccountJoinedMethodInvited, created1: types.AccountJoinedMethodCreated, created2: types.AccountJoinedMethodCreated,
	}
	if fmt.Sprint(joined) != fmt.Sprint(wantJoined) {
		t.Fatalf("accounts %v, want %v", joined, wantJoined)
	}

	// Policies need all features.
	_, err = e.mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(e.rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	wantAPIError(t, err, "PolicyTypeNotAvailableForOrganizationException", "")

	// 5. Only the management account may start the migration.
	_, err = e.c(t, alice).EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	wantAPIError(t, err, "AccessDeniedException", "")
	_, err = e.c(t, standaloneID).EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")

	h.advance(t, time.Hour)
	parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
	pid := migID(parent)
	v.set("", pid, types.HandshakeStateRequested)
	// One approval per invited member; created members approved implicitly.
	kids := e.children(t, parent)
	if len(kids) != len(invited) {
		t.Fatalf("%d approvals, want one per invited member %v", len(kids), invited)
	}
	for _, acct := range invited {
		c, ok := kids[acct]
		if !ok {
			t.Fatalf("no approval for %s", acct)
		}
		if c.State != types.HandshakeStateOpen {
			t.Fatalf("approval for %s is %s", acct, c.State)
		}
		v.set(acct, migID(c), types.HandshakeStateOpen)
	}
	e.check(t, "migration started", v)

	// Each member's own view of its approval.
	for _, acct := range invited {
		mine := e.forAccount(t, acct, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures})
		migWantListed(t, acct+" APPROVE_ALL_FEATURES", mine, migStates{migID(kids[acct]): types.HandshakeStateOpen})
		if got := aws.ToString(mine[0].Parties[1].Id); got != acct {
			t.Errorf("%s's approval names account %s", acct, got)
		}
		migWantListed(t, acct+" by parent", e.forAccount(t, acct, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}),
			migStates{migID(kids[acct]): types.HandshakeStateOpen})
		migWantListed(t, acct+" INVITE", e.forAccount(t, acct, &types.HandshakeFilter{ActionType: types.ActionTypeInviteAccountToOrganization}),
			migStates{migID(invitations[acct]): types.HandshakeStateAccepted})
		// The parent's only party is the organization: members see it.
		e.wantState(t, acct, pid, types.HandshakeStateRequested)
		// Another member's approval is none of its business.
		for other, c := range kids {
			if other != acct {
				e.wantGone(t, acct, migID(c))
			}
		}
	}
	for _, acct := range []string{created1, created2} {
		for _, c := range kids {
			e.wantGone(t, acct, migID(c))
		}
	}

	// The organization's view through each filter.
	migWantListed(t, "ActionType ENABLE_ALL_FEATURES", e.forOrg(t, mgmtID, &types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}),
		migStates{pid: types.HandshakeStateRequested})
	approvals := migStates{}
	for _, c := range kids {
		approvals[migID(c)] = types.HandshakeStateOpen
	}
	migWantListed(t, "ActionType APPROVE_ALL_FEATURES", e.forOrg(t, mgmtID, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}), approvals)
	migWantListed(t, "ParentHandshakeId", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}), approvals)
	both := &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures, ParentHandshakeId: aws.String(pid)}
	_, err = e.mgmt.ListHandshakesForOrganization(ctx(t), &organizations.ListHandshakesForOrganizationInput{Filter: both})
	wantAPIError(t, err, "InvalidInputException", "MAX_LIMIT_EXCEEDED_FILTER")
	_, err = e.c(t, alice).ListHandshakesForAccount(ctx(t), &organizations.ListHandshakesForAccountInput{Filter: both})
	wantAPIError(t, err, "InvalidInputException", "MAX_LIMIT_EXCEEDED_FILTER")
	_, err = e.mgmt.ListHandshakesForOrganization(ctx(t), &organizations.ListHandshakesForOrganizationInput{Filter: &types.HandshakeFilter{ActionType: "ENABLE-ALL-FEATURES"}})
	wantAPIError(t, err, "InvalidInputException", "INVALID_ENUM")
	_, err = e.mgmt.ListHandshakesForOrganization(ctx(t), &organizations.ListHandshakesForOrganizationInput{Filter: &types.HandshakeFilter{ParentHandshakeId: aws.String(strings.TrimPrefix(pid, "h-"))}})
	wantAPIError(t, err, "InvalidInputException", "INVALID_PATTERN")
	_, err = e.c(t, alice).ListHandshakesForOrganization(ctx(t), &organizations.ListHandshakesForOrganizationInput{})
	wantAPIError(t, err, "AccessDeniedException", "")

	// While it is pending: no second migration, still no policies.
	_, err = e.mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	wantAPIError(t, err, "HandshakeConstraintViolationException", "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
	_, err = e.mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(e.rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	wantAPIError(t, err, "PolicyTypeNotAvailableForOrganizationException", "")

	// Premature finalization, and the wrong parties.
	finalize := func(acct string) error {
		_, err := e.c(t, acct).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(pid)})
		return err
	}
	wantAPIError(t, finalize(mgmtID), "InvalidHandshakeTransitionException", "")
	wantAPIError(t, finalize(alice), "AccessDeniedException", "")
	wantAPIError(t, finalize(created1), "AccessDeniedException", "")
	_, err = e.mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: kids[alice].Id})
	wantAPIError(t, err, "AccessDeniedException", "")
	e.check(t, "refusals change nothing", v)

	// 6. Alice approves; the parent still waits.
	h.advance(t, time.Hour)
	e.accept(t, alice, migID(kids[alice]))
	v.set(alice, migID(kids[alice]), types.HandshakeStateAccepted)
	e.check(t, "alice approved", v)
	wantAPIError(t, finalize(mgmtID), "InvalidHandshakeTransitionException", "")

	// 7. Dave declines; he can't change his mind.
	e.decline(t, dave, migID(kids[dave]))
	v.set(dave, migID(kids[dave]), types.HandshakeStateDeclined)
	_, err = e.c(t, dave).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: kids[dave].Id})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
	e.check(t, "dave declined", v)

	// 8. Carol approves: Dave's decline still blocks the parent.
	e.accept(t, carol, migID(kids[carol]))
	v.set(carol, migID(kids[carol]), types.HandshakeStateAccepted)
	e.check(t, "carol approved", v)
	wantAPIError(t, finalize(mgmtID), "InvalidHandshakeTransitionException", "")

	// 9. The management account removes Dave: the parent opens. Dave is
	// standalone and still sees his declined approval.
	if _, err := e.mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(dave)}); err != nil {
		t.Fatal(err)
	}
	v.set("", pid, types.HandshakeStateOpen)
	e.check(t, "dave removed", v)
	_, err = e.c(t, dave).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	if fs := e.featureSet(t, alice); fs != types.OrganizationFeatureSetConsolidatedBilling {
		t.Fatalf("FeatureSet before finalization: %s", fs)
	}

	// 10. Finalization.
	h.advance(t, time.Hour)
	done := e.accept(t, mgmtID, pid)
	if done.Action != types.ActionTypeEnableAllFeatures {
		t.Fatalf("finalized %s", done.Action)
	}
	v.set("", pid, types.HandshakeStateAccepted)
	e.check(t, "finalized", v)
	for _, acct := range []string{mgmtID, alice, carol, created1, created2} {
		if fs := e.featureSet(t, acct); fs != types.OrganizationFeatureSetAll {
			t.Fatalf("FeatureSet as %s: %s", acct, fs)
		}
	}
	// The root's policy types do not change by themselves (spec 3.7).
	samePolicyTypes(t, "Root.PolicyTypes after finalization", e.rootPolicyTypes(t), nil)
	wantAPIError(t, finalize(mgmtID), "HandshakeAlreadyInStateException", "")
	_, err = e.mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	wantAPIError(t, err, "HandshakeConstraintViolationException", "ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
	migWantListed(t, "approvals after finalization", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}), migStates{
		migID(kids[alice]): types.HandshakeStateAccepted,
		migID(kids[carol]): types.HandshakeStateAccepted,
		migID(kids[dave]):  types.HandshakeStateDeclined,
	})

	// 11. SCPs can be enabled now, with FullAWSAccess everywhere.
	en, err := e.mgmt.EnablePolicyType(ctx(t), &organizations.EnablePolicyTypeInput{RootId: aws.String(e.rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatalf("EnablePolicyType after finalization: %v", err)
	}
	scp := []types.PolicyTypeSummary{{Type: types.PolicyTypeServiceControlPolicy, Status: types.PolicyTypeStatusEnabled}}
	samePolicyTypes(t, "EnablePolicyType Root.PolicyTypes", en.Root.PolicyTypes, scp)
	samePolicyTypes(t, "ListRoots PolicyTypes", e.rootPolicyTypes(t), scp)
	for _, acct := range []string{alice, created1} {
		pols, err := e.mgmt.ListPoliciesForTarget(ctx(t), &organizations.ListPoliciesForTargetInput{TargetId: aws.String(acct), Filter: types.PolicyTypeServiceControlPolicy})
		if err != nil {
			t.Fatal(err)
		}
		if len(pols.Policies) != 1 || aws.ToString(pols.Policies[0].Id) != "p-FullAWSAccess" {
			t.Errorf("SCPs of %s: %+v", acct, pols.Policies)
		}
	}

	// 12. Invitations now promise all features, and need no approval.
	again := e.invite(t, migAccountTarget(dave), "")
	if fs := migFeatureSetOf(again); fs != "ALL" {
		t.Errorf("invitation after finalization promises %s", fs)
	}
	v.set(dave, migID(again), types.HandshakeStateOpen)
	e.accept(t, dave, migID(again))
	v.set(dave, migID(again), types.HandshakeStateAccepted)
	e.check(t, "dave back", v)
}

// A member that declined may also leave by itself; a member that never
// answered and is removed has its approval canceled. Either way the parent
// opens once nobody blocks it (spec 3.6).
func TestMigrationDeclinerLeaves(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	for _, a := range []string{memberID, migDaveID, migCarolID} {
		e.h.join(t, mgmtID, a)
	}
	parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
	pid := migID(parent)
	kids := e.children(t, parent)

	e.accept(t, memberID, migID(kids[memberID]))
	e.decline(t, migDaveID, migID(kids[migDaveID]))
	if _, err := e.c(t, migDaveID).LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{}); err != nil {
		t.Fatalf("LeaveOrganization: %v", err)
	}
	// Carol has not answered: the parent still waits.
	e.wantState(t, mgmtID, pid, types.HandshakeStateRequested)
	e.wantState(t, migDaveID, migID(kids[migDaveID]), types.HandshakeStateDeclined)
	_, err := e.mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(pid)})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")

	if _, err := e.mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(migCarolID)}); err != nil {
		t.Fatal(err)
	}
	e.wantState(t, migCarolID, migID(kids[migCarolID]), types.HandshakeStateCanceled)
	migWantListed(t, "after the removals", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}), migStates{
		migID(kids[memberID]):   types.HandshakeStateAccepted,
		migID(kids[migDaveID]):  types.HandshakeStateDeclined,
		migID(kids[migCarolID]): types.HandshakeStateCanceled,
	})
	e.wantState(t, mgmtID, pid, types.HandshakeStateOpen)
	_, err = e.c(t, migCarolID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: kids[migCarolID].Id})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")

	e.accept(t, mgmtID, pid)
	if fs := e.featureSet(t, memberID); fs != types.OrganizationFeatureSetAll {
		t.Fatalf("FeatureSet %s", fs)
	}
}

// An organization with no invited members has nothing to wait for: the
// parent is OPEN at once (spec 3.5), and created members get no approval.
func TestMigrationWithCreatedMembersOnly(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	created := e.createAccount(t, "only@example.com", "Only Created")
	parent := e.enableAllFeatures(t, types.HandshakeStateOpen)
	if kids := e.children(t, parent); len(kids) != 0 {
		t.Fatalf("approvals for created members: %v", kids)
	}
	migWantListed(t, "created member", e.forAccount(t, created, nil), migStates{})
	e.accept(t, mgmtID, migID(parent))
	if fs := e.featureSet(t, created); fs != types.OrganizationFeatureSetAll {
		t.Fatalf("FeatureSet %s", fs)
	}
}

// Canceling the parent aborts the migration: its open approvals and the
// invitations issued during it are canceled, approvals already given stay,
// and the management account may start over (spec 3.5, 3.8).
func TestMigrationCancelParent(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	e.h.join(t, mgmtID, memberID)
	e.h.join(t, mgmtID, migDaveID)
	parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
	pid := migID(parent)
	kids := e.children(t, parent)
	during := e.invite(t, migAccountTarget(standaloneID), "")
	if fs := migFeatureSetOf(during); fs != "ALL" {
		t.Errorf("invitation during the migration promises %s, want ALL (spec 3.8)", fs)
	}
	e.accept(t, memberID, migID(kids[memberID]))

	// Only the originator cancels.
	for _, id := range []string{pid, migID(kids[memberID]), migID(kids[migDaveID])} {
		_, err := e.c(t, migDaveID).CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: aws.String(id)})
		if id == migID(kids[memberID]) {
			wantAPIError(t, err, "HandshakeNotFoundException", "") // not Dave's
		} else {
			wantAPIError(t, err, "AccessDeniedException", "")
		}
	}
	_, err := e.c(t, standaloneID).CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: during.Id})
	wantAPIError(t, err, "AccessDeniedException", "")

	e.h.advance(t, time.Minute)
	e.cancel(t, pid)
	migWantListed(t, "children after cancel", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}), migStates{
		migID(kids[memberID]):  types.HandshakeStateAccepted,
		migID(kids[migDaveID]): types.HandshakeStateCanceled,
	})
	e.wantState(t, mgmtID, pid, types.HandshakeStateCanceled)
	e.wantState(t, mgmtID, migID(during), types.HandshakeStateCanceled)
	migWantListed(t, "dave", e.forAccount(t, migDaveID, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}),
		migStates{migID(kids[migDaveID]): types.HandshakeStateCanceled})
	migWantListed(t, "invitee", e.forAccount(t, standaloneID, nil), migStates{migID(during): types.HandshakeStateCanceled})
	_, err = e.c(t, migDaveID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: kids[migDaveID].Id})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
	_, err = e.c(t, standaloneID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: during.Id})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
	_, err = e.mgmt.CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: aws.String(pid)})
	wantAPIError(t, err, "HandshakeAlreadyInStateException", "")
	if fs := e.featureSet(t, mgmtID); fs != types.OrganizationFeatureSetConsolidatedBilling {
		t.Fatalf("FeatureSet after cancel: %s", fs)
	}

	// Starting over sends new approvals to every invited member.
	e.h.advance(t, time.Minute)
	second := e.enableAllFeatures(t, types.HandshakeStateRequested)
	if migID(second) == pid {
		t.Fatal("the same parent again")
	}
	kids2 := e.children(t, second)
	if len(kids2) != 2 || kids2[memberID].State != types.HandshakeStateOpen || kids2[migDaveID].State != types.HandshakeStateOpen {
		t.Fatalf("new approvals %v", kids2)
	}
	migWantListed(t, "old parent's children", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}), migStates{
		migID(kids[memberID]):  types.HandshakeStateAccepted,
		migID(kids[migDaveID]): types.HandshakeStateCanceled,
	})
	migWantListed(t, "parents", e.forOrg(t, mgmtID, &types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}), migStates{
		pid:           types.HandshakeStateCanceled,
		migID(second): types.HandshakeStateRequested,
	})

	// A canceled approval blocks like a declined one until its account
	// leaves (inferred): canceling children can't skip an approval.
	e.cancel(t, migID(kids2[migDaveID]))
	e.accept(t, memberID, migID(kids2[memberID]))
	e.wantState(t, mgmtID, migID(second), types.HandshakeStateRequested)
	if _, err := e.mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(migDaveID)}); err != nil {
		t.Fatal(err)
	}
	e.wantState(t, mgmtID, migID(second), types.HandshakeStateOpen)
	e.accept(t, mgmtID, migID(second))
	if fs := e.featureSet(t, memberID); fs != types.OrganizationFeatureSetAll {
		t.Fatalf("FeatureSet %s", fs)
	}
}

// Invitations open when the migration starts promised consolidated
// billing: they are canceled (spec 3.8). Their quota slots come back, and
// an account invited again during the migration joins without having to
// approve anything.
func TestMigrationCancelsPendingInvitations(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling, func(c *org.Config) { c.Quotas.AccountsPerOrganization = 4 })
	e.h.join(t, mgmtID, memberID)
	e.h.registerAccount(t, migCarolID, migCarolEmail, "Carol")
	byID := e.invite(t, migAccountTarget(standaloneID), "before")
	byEmail := e.invite(t, migEmailTarget(migCarolEmail), "")
	// Management, member and two open invitations fill the quota of 4.
	_, err := e.mgmt.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: migAccountTarget(migEveID)})
	wantAPIError(t, err, "HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")

	parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
	kids := e.children(t, parent)
	if len(kids) != 1 {
		t.Fatalf("approvals %v, want the member's only", kids)
	}
	e.wantState(t, standaloneID, migID(byID), types.HandshakeStateCanceled)
	e.wantState(t, migCarolID, migID(byEmail), types.HandshakeStateCanceled)
	migWantListed(t, "carol", e.forAccount(t, migCarolID, nil), migStates{migID(byEmail): types.HandshakeStateCanceled})
	_, err = e.c(t, standaloneID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: byID.Id})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
	_, err = e.c(t, migCarolID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: byEmail.Id})
	wantAPIError(t, err, "InvalidHandshakeTransitionException", "")

	// The slots are free again; new invitations promise all features.
	again := e.invite(t, migAccountTarget(standaloneID), "")
	if fs := migFeatureSetOf(again); fs != "ALL" {
		t.Errorf("invitation during the migration promises %s", fs)
	}
	e.invite(t, migEmailTarget(migCarolEmail), "")
	e.accept(t, standaloneID, migID(again))
	migWantListed(t, "no approval for an account that joined during the migration",
		e.forAccount(t, standaloneID, &types.HandshakeFilter{ActionType: types.ActionTypeApproveAllFeatures}), migStates{})
	if kids2 := e.children(t, parent); len(kids2) != 1 {
		t.Fatalf("approvals after a join: %v", kids2)
	}
	e.accept(t, memberID, migID(kids[memberID]))
	e.wantState(t, mgmtID, migID(parent), types.HandshakeStateOpen)
	e.accept(t, mgmtID, migID(parent))
	if fs := e.featureSet(t, standaloneID); fs != types.OrganizationFeatureSetAll {
		t.Fatalf("FeatureSet %s", fs)
	}
}

// Unanswered handshakes expire on the server clock: an invitation after 15
// days, a migration after 90, and with it every request of that attempt.
func TestMigrationExpiryByClock(t *testing.T) {
	t.Parallel()
	t.Run("invitation after 15 days", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling, func(c *org.Config) { c.Quotas.AccountsPerOrganization = 2 })
		inv := e.invite(t, migAccountTarget(standaloneID), "")
		if got := aws.ToTime(inv.ExpirationTimestamp); !got.Equal(migBase.Add(migInviteLife)) {
			t.Fatalf("ExpirationTimestamp %v, want %v", got, migBase.Add(migInviteLife))
		}
		// The open invitation holds the second slot.
		_, err := e.mgmt.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: migAccountTarget(migEveID)})
		wantAPIError(t, err, "HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")

		e.h.advance(t, migInviteLife-time.Second)
		e.wantState(t, standaloneID, migID(inv), types.HandshakeStateOpen)
		e.h.advance(t, 2*time.Second)
		e.wantState(t, standaloneID, migID(inv), types.HandshakeStateExpired)
		migWantListed(t, "organization", e.forOrg(t, mgmtID, nil), migStates{migID(inv): types.HandshakeStateExpired})
		_, err = e.c(t, standaloneID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: inv.Id})
		wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
		// Expiry frees the slot and allows a new invitation to the same account.
		e.invite(t, migAccountTarget(standaloneID), "")
	})

	t.Run("migration after 90 days", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
		for _, a := range []string{memberID, migDaveID, migCarolID} {
			e.h.join(t, mgmtID, a)
		}
		start := e.h.advance(t, migDay)
		parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
		pid := migID(parent)
		if got := aws.ToTime(parent.ExpirationTimestamp); !got.Equal(start.Add(migMigLife)) {
			t.Fatalf("parent expires %v, want %v", got, start.Add(migMigLife))
		}
		kids := e.children(t, parent)
		e.accept(t, memberID, migID(kids[memberID]))
		e.decline(t, migCarolID, migID(kids[migCarolID]))
		// An invitation issued late in the migration outlives it on its own.
		e.h.advance(t, 80*migDay)
		late := e.invite(t, migAccountTarget(standaloneID), "")

		e.h.advance(t, 10*migDay-time.Second)
		e.wantState(t, mgmtID, pid, types.HandshakeStateRequested)
		e.wantState(t, migDaveID, migID(kids[migDaveID]), types.HandshakeStateOpen)
		e.wantState(t, standaloneID, migID(late), types.HandshakeStateOpen)

		e.h.advance(t, 2*time.Second)
		migWantListed(t, "expired migration", e.forOrg(t, mgmtID, &types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}),
			migStates{pid: types.HandshakeStateExpired})
		// The approval and the decline of day one ended 30 days later
		// (spec 4.7); the unanswered approval ends with its parent.
		migWantListed(t, "its approvals", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: aws.String(pid)}), migStates{
			migID(kids[migDaveID]): types.HandshakeStateCanceled,
		})
		e.wantGone(t, memberID, migID(kids[memberID]))
		e.wantGone(t, migCarolID, migID(kids[migCarolID]))
		e.wantState(t, migDaveID, migID(kids[migDaveID]), types.HandshakeStateCanceled)
		e.wantState(t, standaloneID, migID(late), types.HandshakeStateCanceled)
		if fs := e.featureSet(t, mgmtID); fs != types.OrganizationFeatureSetConsolidatedBilling {
			t.Fatalf("FeatureSet after expiry: %s", fs)
		}
		_, err := e.mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(pid)})
		wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
		_, err = e.c(t, migDaveID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: kids[migDaveID].Id})
		wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
		// No longer pending: a new attempt may start.
		e.enableAllFeatures(t, types.HandshakeStateRequested)
	})

	t.Run("open parent after 90 days", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
		parent := e.enableAllFeatures(t, types.HandshakeStateOpen)
		e.h.advance(t, migMigLife-time.Second)
		e.wantState(t, mgmtID, migID(parent), types.HandshakeStateOpen)
		e.h.advance(t, 2*time.Second)
		e.wantState(t, mgmtID, migID(parent), types.HandshakeStateExpired)
		_, err := e.mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: parent.Id})
		wantAPIError(t, err, "InvalidHandshakeTransitionException", "")
	})
}

// Ended handshakes stay visible for 30 days after they end, then are not
// found by anyone (spec 4.7); an expired one's 30 days start at expiry.
func TestHandshakeRetentionByClock(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	accepted := e.invite(t, migAccountTarget(memberID), "")
	declined := e.invite(t, migAccountTarget(migDaveID), "")
	canceled := e.invite(t, migAccountTarget(migEveID), "")
	e.accept(t, memberID, migID(accepted))
	e.decline(t, migDaveID, migID(declined))
	e.cancel(t, migID(canceled))
	parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
	child := e.children(t, parent)[memberID]
	e.accept(t, memberID, migID(child))
	e.accept(t, mgmtID, migID(parent))
	expiring := e.invite(t, migAccountTarget(standaloneID), "") // expires at 15 days

	ended := map[string]string{ // handshake → its recipient
		migID(accepted): memberID, migID(declined): migDaveID, migID(canceled): migEveID,
		migID(parent): "", migID(child): memberID,
	}
	all := migStates{
		migID(accepted): types.HandshakeStateAccepted, migID(declined): types.HandshakeStateDeclined,
		migID(canceled): types.HandshakeStateCanceled, migID(parent): types.HandshakeStateAccepted,
		migID(child): types.HandshakeStateAccepted, migID(expiring): types.HandshakeStateExpired,
	}

	e.h.advance(t, migRetention-time.Second)
	migWantListed(t, "29 days on", e.forOrg(t, mgmtID, nil), all)
	for id, rcpt := range ended {
		e.wantState(t, mgmtID, id, all[id])
		if rcpt != "" {
			e.wantState(t, rcpt, id, all[id])
		}
	}
	migWantListed(t, "member 29 days on", e.forAccount(t, memberID, nil), migStates{migID(accepted): all[migID(accepted)], migID(child): all[migID(child)]})

	e.h.advance(t, 2*time.Second)
	for id, rcpt := range ended {
		e.wantGone(t, mgmtID, id)
		if rcpt != "" {
			e.wantGone(t, rcpt, id)
		}
		for _, op := range []func() error{
			func() error {
				_, err := e.mgmt.CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: aws.String(id)})
				return err
			},
			func() error {
				_, err := e.mgmt.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})
				return err
			},
		} {
			wantAPIError(t, op(), "HandshakeNotFoundException", "")
		}
	}
	migWantListed(t, "30 days on", e.forOrg(t, mgmtID, nil), migStates{migID(expiring): types.HandshakeStateExpired})
	migWantListed(t, "purged parent's children", e.forOrg(t, mgmtID, &types.HandshakeFilter{ParentHandshakeId: parent.Id}), migStates{})
	for _, acct := range []string{memberID, migDaveID, migEveID} {
		migWantListed(t, acct+" 30 days on", e.forAccount(t, acct, nil), migStates{})
	}

	// The expired invitation ended at 15 days: visible until 45.
	e.h.advance(t, migInviteLife-2*time.Second)
	e.wantState(t, standaloneID, migID(expiring), types.HandshakeStateExpired)
	e.h.advance(t, 2*time.Second)
	e.wantGone(t, standaloneID, migID(expiring))
	e.wantGone(t, mgmtID, migID(expiring))
	migWantListed(t, "45 days on", e.forOrg(t, mgmtID, nil), migStates{})
	migWantListed(t, "invitee 45 days on", e.forAccount(t, standaloneID, nil), migStates{})
}

// TestHandshakeTransitionTableSDK runs every cell of the table of spec 4.6
// through the SDK, for invitations, the migration parent and its
// approvals. The recipient accepts and declines (the management account
// for a parent, which has none); the management account cancels. A
// refused call leaves the state as it was.
func TestHandshakeTransitionTableSDK(t *testing.T) {
	t.Parallel()
	const (
		ok  = ""
		ais = "HandshakeAlreadyInStateException"
		ite = "InvalidHandshakeTransitionException"
	)
	type setup func(t *testing.T, e *migEnv) (id, recipient string)

	invite := func(end func(t *testing.T, e *migEnv, id string)) setup {
		return func(t *testing.T, e *migEnv) (string, string) {
			id := migID(e.invite(t, migAccountTarget(standaloneID), ""))
			if end != nil {
				end(t, e, id)
			}
			return id, standaloneID
		}
	}
	// parentOf starts a migration with one invited member; approve says
	// whether it approves, end then acts on the parent.
	parentOf := func(approve bool, end func(t *testing.T, e *migEnv, id string)) setup {
		return func(t *testing.T, e *migEnv) (string, string) {
			e.h.join(t, mgmtID, memberID)
			p := e.enableAllFeatures(t, types.HandshakeStateRequested)
			if approve {
				e.accept(t, memberID, migID(e.children(t, p)[memberID]))
			}
			if end != nil {
				end(t, e, migID(p))
			}
			return migID(p), mgmtID
		}
	}
	childOf := func(end func(t *testing.T, e *migEnv, id string)) setup {
		return func(t *testing.T, e *migEnv) (string, string) {
			e.h.join(t, mgmtID, memberID)
			e.h.join(t, mgmtID, migDaveID) // keeps the parent REQUESTED
			id := migID(e.children(t, e.enableAllFeatures(t, types.HandshakeStateRequested))[memberID])
			if end != nil {
				end(t, e, id)
			}
			return id, memberID
		}
	}
	accept := func(acct string) func(*testing.T, *migEnv, string) {
		return func(t *testing.T, e *migEnv, id string) { e.accept(t, acct, id) }
	}
	decline := func(acct string) func(*testing.T, *migEnv, string) {
		return func(t *testing.T, e *migEnv, id string) { e.decline(t, acct, id) }
	}
	cancel := func(t *testing.T, e *migEnv, id string) { e.cancel(t, id) }
	expire := func(life time.Duration) func(*testing.T, *migEnv, string) {
		return func(t *testing.T, e *migEnv, id string) { e.h.advance(t, life+time.Second) }
	}

	rows := []struct {
		name                    string
		state                   types.HandshakeState
		make                    setup
		accept, decline, cancel string
	}{
		{"INVITE", types.HandshakeStateOpen, invite(nil), ok, ok, ok},
		{"INVITE", types.HandshakeStateAccepted, invite(accept(standaloneID)), ais, ite, ite},
		{"INVITE", types.HandshakeStateDeclined, invite(decline(standaloneID)), ite, ais, ite},
		{"INVITE", types.HandshakeStateCanceled, invite(cancel), ite, ite, ais},
		{"INVITE", types.HandshakeStateExpired, invite(expire(migInviteLife)), ite, ite, ite},
		{"ENABLE_ALL_FEATURES", types.HandshakeStateRequested, parentOf(false, nil), ite, ite, ok},
		{"ENABLE_ALL_FEATURES", types.HandshakeStateOpen, parentOf(true, nil), ok, ite, ok},
		{"ENABLE_ALL_FEATURES", types.HandshakeStateAccepted, parentOf(true, accept(mgmtID)), ais, ite, ite},
		{"ENABLE_ALL_FEATURES", types.HandshakeStateCanceled, parentOf(false, cancel), ite, ite, ais},
		{"ENABLE_ALL_FEATURES", types.HandshakeStateExpired, parentOf(false, expire(migMigLife)), ite, ite, ite},
		{"APPROVE_ALL_FEATURES", types.HandshakeStateOpen, childOf(nil), ok, ok, ok},
		{"APPROVE_ALL_FEATURES", types.HandshakeStateAccepted, childOf(accept(memberID)), ais, ite, ite},
		{"APPROVE_ALL_FEATURES", types.HandshakeStateDeclined, childOf(decline(memberID)), ite, ais, ite},
		{"APPROVE_ALL_FEATURES", types.HandshakeStateCanceled, childOf(cancel), ite, ite, ais},
	}
	for _, row := range rows {
		for _, op := range []struct {
			name   string
			want   string
			after  types.HandshakeState
			byMgmt bool
		}{
			{"Accept", row.accept, types.HandshakeStateAccepted, false},
			{"Decline", row.decline, types.HandshakeStateDeclined, false},
			{"Cancel", row.cancel, types.HandshakeStateCanceled, true},
		} {
			t.Run(fmt.Sprintf("%s %s %s", op.name, row.name, row.state), func(t *testing.T) {
				t.Parallel()
				e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
				id, rcpt := row.make(t, e)
				e.wantState(t, mgmtID, id, row.state)
				caller := rcpt
				if op.byMgmt {
					caller = mgmtID
				}
				c, in := e.c(t, caller), aws.String(id)
				var err error
				switch op.name {
				case "Accept":
					_, err = c.AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: in})
				case "Decline":
					_, err = c.DeclineHandshake(ctx(t), &organizations.DeclineHandshakeInput{HandshakeId: in})
				case "Cancel":
					_, err = c.CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: in})
				}
				if op.want == ok {
					if err != nil {
						t.Fatalf("%s as %s: %v", op.name, caller, err)
					}
					e.wantState(t, mgmtID, id, op.after)
					return
				}
				wantAPIError(t, err, op.want, "")
				e.wantState(t, mgmtID, id, row.state)
			})
		}
	}
}

// Wrong parties are refused (spec 4.6, inferred): a party acting out of
// its role gets AccessDeniedException, a non-party does not find the
// handshake at all.
func TestHandshakeWrongParties(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	e.h.join(t, mgmtID, memberID)
	e.h.join(t, mgmtID, migDaveID)
	created := e.createAccount(t, "created@example.com", "Created")
	inv := migID(e.invite(t, migAccountTarget(standaloneID), ""))
	parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
	pid := migID(parent)
	e.wantState(t, standaloneID, inv, types.HandshakeStateCanceled) // by the migration
	inv2 := migID(e.invite(t, migAccountTarget(standaloneID), ""))
	child := migID(e.children(t, parent)[memberID])

	type call func(acct, id string) error
	accept := func(acct, id string) error {
		_, err := e.c(t, acct).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})
		return err
	}
	decline := func(acct, id string) error {
		_, err := e.c(t, acct).DeclineHandshake(ctx(t), &organizations.DeclineHandshakeInput{HandshakeId: aws.String(id)})
		return err
	}
	cancel := func(acct, id string) error {
		_, err := e.c(t, acct).CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: aws.String(id)})
		return err
	}
	describe := func(acct, id string) error {
		_, err := e.c(t, acct).DescribeHandshake(ctx(t), &organizations.DescribeHandshakeInput{HandshakeId: aws.String(id)})
		return err
	}
	for _, tc := range []struct {
		what string
		op   call
		acct string
		id   string
		want string
	}{
		{"management accepts an invitation", accept, mgmtID, inv2, "AccessDeniedException"},
		{"management declines an invitation", decline, mgmtID, inv2, "AccessDeniedException"},
		{"invitee cancels its invitation", cancel, standaloneID, inv2, "AccessDeniedException"},
		{"a member describes an invitation", describe, memberID, inv2, "HandshakeNotFoundException"},
		{"a stranger describes an invitation", describe, otherID, inv2, "HandshakeNotFoundException"},
		{"a stranger accepts an invitation", accept, otherID, inv2, "HandshakeNotFoundException"},
		{"a member accepts the parent", accept, memberID, pid, "AccessDeniedException"},
		{"a created member accepts the parent", accept, created, pid, "AccessDeniedException"},
		{"a member declines the parent", decline, memberID, pid, "AccessDeniedException"},
		{"a member cancels the parent", cancel, memberID, pid, "AccessDeniedException"},
		{"a stranger describes the parent", describe, otherID, pid, "HandshakeNotFoundException"},
		{"the invitee describes the parent", describe, standaloneID, pid, "HandshakeNotFoundException"},
		{"management accepts an approval", accept, mgmtID, child, "AccessDeniedException"},
		{"management declines an approval", decline, mgmtID, child, "AccessDeniedException"},
		{"the member cancels its approval", cancel, memberID, child, "AccessDeniedException"},
		{"another member accepts an approval", accept, migDaveID, child, "HandshakeNotFoundException"},
		{"another member describes an approval", describe, migDaveID, child, "HandshakeNotFoundException"},
		{"a created member describes an approval", describe, created, child, "HandshakeNotFoundException"},
		{"unknown ID", describe, mgmtID, "h-0123456789abcdef0123456789abcdef", "HandshakeNotFoundException"},
		{"unknown ID accepted", accept, mgmtID, "h-0123456789abcdef0123456789abcdef", "HandshakeNotFoundException"},
	} {
		wantAPIError(t, tc.op(tc.acct, tc.id), tc.want, "")
	}
	for _, bad := range []string{"h-ABC", "x-0123456789", "h-1"} {
		wantAPIError(t, describe(mgmtID, bad), "InvalidInputException", "INVALID_PATTERN")
	}
	_, err := e.c(t, standaloneID).ListHandshakesForOrganization(ctx(t), &organizations.ListHandshakesForOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	// Nothing changed.
	e.wantState(t, mgmtID, pid, types.HandshakeStateRequested)
	e.wantState(t, mgmtID, child, types.HandshakeStateOpen)
	e.wantState(t, standaloneID, inv2, types.HandshakeStateOpen)
}

// Every HandshakeConstraintViolationException reason that applies to
// invitations and the migration (spec 4.8).
func TestHandshakeConstraintReasonsSDK(t *testing.T) {
	t.Parallel()
	const hcv = "HandshakeConstraintViolationException"
	inviteErr := func(t *testing.T, e *migEnv, target *types.HandshakeParty) error {
		_, err := e.mgmt.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: target})
		return err
	}

	t.Run("ACCOUNT_NUMBER_LIMIT_EXCEEDED", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling, func(c *org.Config) { c.Quotas.AccountsPerOrganization = 4 })
		e.h.join(t, mgmtID, memberID)
		open := e.invite(t, migAccountTarget(standaloneID), "")
		if _, err := e.mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("new@example.com"), AccountName: aws.String("New")}); err != nil {
			t.Fatal(err)
		}
		// Management, member, an open invitation and a creation: 4 of 4.
		wantAPIError(t, inviteErr(t, e, migAccountTarget(migEveID)), hcv, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		wantAPIError(t, inviteErr(t, e, migEmailTarget("eve@example.com")), hcv, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		// CreateAccount reports the same limit as a ConstraintViolationException (spec 9.10).
		_, err := e.mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("more@example.com"), AccountName: aws.String("More")})
		wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		// Canceling the open invitation frees its slot; declining too.
		e.cancel(t, migID(open))
		eve := e.invite(t, migAccountTarget(migEveID), "")
		e.h.advance(t, 5*time.Second) // the created account exists now
		wantAPIError(t, inviteErr(t, e, migAccountTarget(migDaveID)), hcv, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		e.decline(t, migEveID, migID(eve))
		dave := e.invite(t, migAccountTarget(migDaveID), "")
		e.accept(t, migDaveID, migID(dave))
		wantAPIError(t, inviteErr(t, e, migAccountTarget(migEveID)), hcv, "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
	})

	t.Run("HANDSHAKE_RATE_LIMIT_EXCEEDED", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling, func(c *org.Config) { c.Quotas.InvitationsPerDay = 3 })
		// An accepted invitation does not count (spec 8) ...
		e.accept(t, memberID, migID(e.invite(t, migAccountTarget(memberID), "")))
		// ... canceled, declined and open ones do.
		e.cancel(t, migID(e.invite(t, migAccountTarget(migDaveID), "")))
		e.decline(t, migEveID, migID(e.invite(t, migAccountTarget(migEveID), "")))
		e.h.advance(t, time.Hour)
		e.invite(t, migAccountTarget(migCarolID), "")
		wantAPIError(t, inviteErr(t, e, migAccountTarget(standaloneID)), hcv, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
		// The window is 24 hours from each invitation: the three of the
		// first hour leave it, the fourth stays.
		e.h.advance(t, 23*time.Hour-time.Second)
		wantAPIError(t, inviteErr(t, e, migAccountTarget(standaloneID)), hcv, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
		e.h.advance(t, 2*time.Second)
		e.invite(t, migAccountTarget(standaloneID), "")
		e.invite(t, migAccountTarget(otherID), "")
		wantAPIError(t, inviteErr(t, e, migAccountTarget("888888888888")), hcv, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
	})

	t.Run("HANDSHAKE_RATE_LIMIT_EXCEEDED default 20 a day", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
		// Canceling frees the account slot but not the attempt.
		for i := range 20 {
			e.cancel(t, migID(e.invite(t, migAccountTarget(fmt.Sprintf("9000000000%02d", i)), "")))
		}
		wantAPIError(t, inviteErr(t, e, migAccountTarget(standaloneID)), hcv, "HANDSHAKE_RATE_LIMIT_EXCEEDED")
		e.h.advance(t, migDay+time.Second)
		e.invite(t, migAccountTarget(standaloneID), "")
	})

	t.Run("ALREADY_IN_AN_ORGANIZATION", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
		e.h.registerAccount(t, memberID, "member@example.com", "Member")
		e.h.join(t, mgmtID, memberID)
		// Inviting a member, by ID or email, or the management account.
		wantAPIError(t, inviteErr(t, e, migAccountTarget(memberID)), hcv, "ALREADY_IN_AN_ORGANIZATION")
		wantAPIError(t, inviteErr(t, e, migEmailTarget("member@example.com")), hcv, "ALREADY_IN_AN_ORGANIZATION")
		wantAPIError(t, inviteErr(t, e, migAccountTarget(mgmtID)), hcv, "ALREADY_IN_AN_ORGANIZATION")
		wantAPIError(t, inviteErr(t, e, migEmailTarget(migMgmtEmail)), hcv, "ALREADY_IN_AN_ORGANIZATION")

		// An account of another organization may be invited, but accepts
		// only once it has left that one.
		e.h.registerAccount(t, otherID, "other@example.com", "Other Management")
		e.h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
		e.h.join(t, otherID, standaloneID)
		inv := e.invite(t, migAccountTarget(standaloneID), "")
		toOtherMgmt := e.invite(t, migAccountTarget(otherID), "")
		_, err := e.c(t, standaloneID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: inv.Id})
		wantAPIError(t, err, hcv, "ALREADY_IN_AN_ORGANIZATION")
		_, err = e.c(t, otherID).AcceptHandshake(ctx(t), &organizations.AcceptHandshakeInput{HandshakeId: toOtherMgmt.Id})
		wantAPIError(t, err, hcv, "ALREADY_IN_AN_ORGANIZATION")
		e.wantState(t, standaloneID, migID(inv), types.HandshakeStateOpen)
		if _, err := e.c(t, standaloneID).LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{}); err != nil {
			t.Fatalf("LeaveOrganization: %v", err)
		}
		e.accept(t, standaloneID, migID(inv))
		out, err := e.c(t, standaloneID).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		if err != nil || aws.ToString(out.Organization.Id) != e.orgID {
			t.Fatalf("after joining: %v %v", out, err)
		}
	})

	t.Run("ORGANIZATION_ALREADY_HAS_ALL_FEATURES", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetAll)
		_, err := e.mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
		wantAPIError(t, err, hcv, "ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
		migWantListed(t, "no handshake", e.forOrg(t, mgmtID, nil), migStates{})
	})

	t.Run("ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION", func(t *testing.T) {
		t.Parallel()
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
		e.h.join(t, mgmtID, memberID)
		parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
		_, err := e.mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
		wantAPIError(t, err, hcv, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
		// Still pending once OPEN, until finalized.
		e.accept(t, memberID, migID(e.children(t, parent)[memberID]))
		_, err = e.mgmt.EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
		wantAPIError(t, err, hcv, "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
		migWantListed(t, "one parent", e.forOrg(t, mgmtID, &types.HandshakeFilter{ActionType: types.ActionTypeEnableAllFeatures}),
			migStates{migID(parent): types.HandshakeStateOpen})
	})

	t.Run("INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES", func(t *testing.T) {
		t.Parallel()
		legacy := func(c *org.Config) { c.Compat.RejectInvitesDuringMigration = true }
		e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling, legacy)
		e.h.join(t, mgmtID, memberID)
		e.invite(t, migAccountTarget(migDaveID), "") // fine before the migration
		parent := e.enableAllFeatures(t, types.HandshakeStateRequested)
		wantAPIError(t, inviteErr(t, e, migAccountTarget(standaloneID)), hcv, "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
		wantAPIError(t, inviteErr(t, e, migEmailTarget("someone@example.com")), hcv, "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
		e.accept(t, memberID, migID(e.children(t, parent)[memberID]))
		wantAPIError(t, inviteErr(t, e, migAccountTarget(standaloneID)), hcv, "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
		e.accept(t, mgmtID, migID(parent))
		if fs := migFeatureSetOf(e.invite(t, migAccountTarget(standaloneID), "")); fs != "ALL" {
			t.Errorf("invitation after finalization promises %s", fs)
		}

		// Without the switch, invitations during a migration are allowed.
		cur := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
		cur.h.join(t, mgmtID, memberID)
		cur.enableAllFeatures(t, types.HandshakeStateRequested)
		if fs := migFeatureSetOf(cur.invite(t, migAccountTarget(standaloneID), "")); fs != "ALL" {
			t.Errorf("invitation during the migration promises %s", fs)
		}
	})
}

// One open invitation per recipient and organization, whichever way the
// recipient is named (spec 4.1).
func TestInvitationDuplicateSDK(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	e.h.registerAccount(t, standaloneID, "stand@example.com", "Standalone")
	e.h.registerAccount(t, migCarolID, migCarolEmail, "Carol")
	dup := func(target *types.HandshakeParty) {
		t.Helper()
		_, err := e.mgmt.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: target})
		wantAPIError(t, err, "DuplicateHandshakeException", "")
	}
	first := e.invite(t, migAccountTarget(standaloneID), "")
	dup(migAccountTarget(standaloneID))
	dup(migEmailTarget("stand@example.com"))
	byEmail := e.invite(t, migEmailTarget(migCarolEmail), "")
	dup(migEmailTarget(migCarolEmail))
	dup(migEmailTarget("Carol@Example.COM"))
	dup(migAccountTarget(migCarolID))
	migWantListed(t, "two invitations", e.forOrg(t, mgmtID, nil), migStates{
		migID(first): types.HandshakeStateOpen, migID(byEmail): types.HandshakeStateOpen,
	})

	// Another organization's invitation is independent.
	e.h.registerAccount(t, otherID, "other@example.com", "Other")
	e.h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
	if _, err := e.c(t, otherID).InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{Target: migAccountTarget(standaloneID)}); err != nil {
		t.Fatalf("another organization's invitation: %v", err)
	}
	// Once the invitation ended, a new one may go out.
	e.decline(t, standaloneID, migID(first))
	second := e.invite(t, migAccountTarget(standaloneID), "")
	if migID(second) == migID(first) {
		t.Fatal("same ID again")
	}
	dup(migAccountTarget(standaloneID))
	e.cancel(t, migID(byEmail))
	e.invite(t, migAccountTarget(migCarolID), "")
}

// Notes show as the NOTES resource; tags stay out of the handshake and are
// applied to the account when it accepts (spec 4.1, 4.2). Invalid ones fail
// the request and no invitation goes out.
func TestInvitationNotesAndTags(t *testing.T) {
	t.Parallel()
	e := newMigEnv(t, types.OrganizationFeatureSetConsolidatedBilling)
	tags := []types.Tag{{Key: aws.String("cost-center"), Value: aws.String("42")}, {Key: aws.String("team"), Value: aws.String("")}}
	notes := "Please join: billing moves to us on the 1st.\nQuestions → mgmt@example.com"
	inv := e.invite(t, migAccountTarget(memberID), notes, tags...)
	if got, ok := migNotesOf(inv); !ok || got != notes {
		t.Errorf("NOTES %q %v, want %q", got, ok, notes)
	}
	if len(inv.Resources) != 3 {
		t.Errorf("resources %s: tags must not show", migResources(inv.Resources))
	}
	// The recipient sees the same.
	seen := e.describe(t, memberID, migID(inv))
	if got, _ := migNotesOf(seen); got != notes {
		t.Errorf("recipient sees NOTES %q", got)
	}
	e.accept(t, memberID, migID(inv))
	out, err := e.mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(memberID)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tg := range out.Tags {
		got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if fmt.Sprint(got) != fmt.Sprint(map[string]string{"cost-center": "42", "team": ""}) {
		t.Errorf("tags after acceptance %v", got)
	}

	// A declined invitation's tags go nowhere; the account stays untagged
	// when it later joins through an invitation without tags.
	tagged := e.invite(t, migAccountTarget(migDaveID), "", types.Tag{Key: aws.String("x"), Value: aws.String("y")})
	e.decline(t, migDaveID, migID(tagged))
	e.accept(t, migDaveID, migID(e.invite(t, migAccountTarget(migDaveID), "")))
	out, err = e.mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(migDaveID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != 0 {
		t.Errorf("tags of a declined invitation applied: %v", out.Tags)
	}

	before := len(e.forOrg(t, mgmtID, nil))
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	for _, tc := range []struct {
		name         string
		in           *organizations.InviteAccountToOrganizationInput
		code, reason string
	}{
		{"system tag", &organizations.InviteAccountToOrganizationInput{Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}},
			"InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER"},
		{"duplicate key", &organizations.InviteAccountToOrganizationInput{Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("a"), Value: aws.String("2")}}},
			"InvalidInputException", "DUPLICATE_TAG_KEY"},
		{"too many tags", &organizations.InviteAccountToOrganizationInput{Tags: many},
			"ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED"},
		{"notes too long", &organizations.InviteAccountToOrganizationInput{Notes: aws.String(strings.Repeat("n", 1025))},
			"InvalidInputException", "MAX_LENGTH_EXCEEDED"},
		{"organization target", &organizations.InviteAccountToOrganizationInput{Target: &types.HandshakeParty{Id: aws.String(e.orgID), Type: types.HandshakePartyTypeOrganization}},
			"InvalidInputException", "INVALID_PARTY_TYPE_TARGET"},
		{"bad email", &organizations.InviteAccountToOrganizationInput{Target: migEmailTarget("not-an-email")},
			"InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET"},
	} {
		if tc.in.Target == nil {
			tc.in.Target = migAccountTarget(standaloneID)
		}
		_, err := e.mgmt.InviteAccountToOrganization(ctx(t), tc.in)
		if err == nil {
			t.Fatalf("%s: invitation sent", tc.name)
		}
		wantAPIError(t, err, tc.code, tc.reason)
	}
	if after := e.forOrg(t, mgmtID, nil); len(after) != before {
		t.Fatalf("refused invitations were stored: %d handshakes, had %d", len(after), before)
	}
	migWantListed(t, "the invitee got nothing", e.forAccount(t, standaloneID, nil), migStates{})
}
