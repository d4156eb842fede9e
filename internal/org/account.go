package org

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// The kinds of due work account operations schedule.
const (
	workCreateAccount = "create-account"        // a CreateAccount request completes
	workCloseAccount  = "close-account"         // a PENDING_CLOSURE account becomes CLOSED
	workRetireAccount = "retire-closed-account" // a CLOSED account leaves its organization
)

func init() {
	dueWork[workCreateAccount] = (*txn).completeCreateAccount
	dueWork[workCloseAccount] = (*txn).completeCloseAccount
	dueWork[workRetireAccount] = func(t *txn, id string) error {
		a, ok, err := t.storedAccount(id)
		if err != nil || !ok || a.State != api.AccountStateClosed || a.Org == "" {
			return err
		}
		return t.retireClosedAccount(a)
	}
}

const (
	defaultRoleName = "OrganizationAccountAccessRole"
	// serviceRolePrefix is reserved for service-linked roles.
	serviceRolePrefix = "AWSServiceRoleFor"
	// closureWindow is the rolling period of the closure quota.
	closureWindow = 30 * 24 * time.Hour
)

// closureQuota is how many accounts an organization with members accounts
// may close per closureWindow: the higher of 250 and 20%, at most 1000
// (spec section 8, current value).
func closureQuota(members int) int {
	return min(max(250, members*20/100), 1000)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// memberIn returns account id if it is in organization o.
func (t *txn) memberIn(o *organization, id string) (*account, error) {
	a, ok, err := t.storedAccount(id)
	if err != nil {
		return nil, err
	}
	if !ok || a.Org != o.ID {
		return nil, api.NewAccountNotFound("No account with ID %s exists in your organization.", id)
	}
	return a, nil
}

// memberFor resolves the caller of op and account id, which must be a
// member of the caller's organization.
func (t *txn) memberFor(op string, in any, id string) (*caller, *account, error) {
	c, err := t.caller(op, in)
	if err != nil {
		return nil, nil, err
	}
	a, err := t.memberIn(c.Org, id)
	if err != nil {
		return nil, nil, err
	}
	return c, a, nil
}

// --- CreateAccount ------------------------------------------------------------

func (s *Service) CreateAccount(ctx context.Context, in *api.CreateAccountRequest) (*api.CreateAccountResponse, error) {
	var out api.CreateAccountResponse
	return reply(&out, s.write(ctx, func(t *txn) error {
		cs, err := t.startCreateAccount("CreateAccount", in, createRequest{
			Email: in.Email, AccountName: in.AccountName, RoleName: in.RoleName,
			IamBilling: in.IamUserAccessToBilling, Tags: in.Tags,
		}, nil)
		if err != nil {
			return err
		}
		out.CreateAccountStatus, err = t.createStatusView(cs)
		return err
	}))
}

// createRequest is what CreateAccount and CreateGovCloudAccount both ask.
type createRequest struct {
	Email, AccountName, RoleName string
	IamBilling                   api.IAMUserAccessToBilling
	Tags                         []api.Tag
}

// startCreateAccount is the part CreateAccount and CreateGovCloudAccount
// share (spec 5.1): the input checks, the caller of op (in is the
// request), the quotas, and an IN_PROGRESS request that completes as due
// work. check, when not nil, adds op's own rules once the caller is known.
func (t *txn) startCreateAccount(op string, in any, r createRequest, check func(*caller) error) (*createStatus, error) {
	s := t.s
	// Input checks beyond the model come before the caller checks (spec 6.3).
	role := r.RoleName
	if role == "" {
		role = defaultRoleName
	}
	if strings.HasPrefix(role, serviceRolePrefix) {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidRoleName, "Role names starting with %s are reserved for service-linked roles.", serviceRolePrefix)
	}
	if !validEmail(r.Email) {
		return nil, api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "The email address is not valid.")
	}
	if err := validateTags(r.Tags, s.cfg.Quotas.TagsPerResource); err != nil {
		return nil, err
	}
	billing := r.IamBilling
	if billing == "" {
		billing = api.IAMUserAccessToBillingAllow
	}
	c, err := t.caller(op, in)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(c); err != nil {
			return nil, err
		}
	}
	o := c.Org
	if o.Members+o.CreatesInProgress+o.OpenInvitations >= s.cfg.Quotas.AccountsPerOrganization {
		return nil, api.NewConstraintViolation(api.ConstraintViolationExceptionReasonAccountNumberLimitExceeded,
			"The organization has reached its limit of %d accounts.", s.cfg.Quotas.AccountsPerOrganization)
	}
	if o.CreatesInProgress >= s.cfg.Quotas.ConcurrentCreateAccount {
		return nil, api.NewConstraintViolation(api.ConstraintViolationExceptionReasonAccountCreationRateLimitExceeded,
			"At most %d account creations may be in progress at once.", s.cfg.Quotas.ConcurrentCreateAccount)
	}
	id, err := t.newID("car-", idShape{alphabet: lowerHex, n: 32}, keyCreateStatus)
	if err != nil {
		return nil, err
	}
	cs := &createStatus{
		ID: id, Org: o.ID, AccountName: r.AccountName, Email: r.Email, RoleName: role,
		IamBilling: billing, Tags: r.Tags, State: api.CreateAccountStateInProgress, Requested: t.now(),
	}
	if err := t.putCreateStatus(cs); err != nil {
		return nil, err
	}
	if err := t.Put(keyOrgCreateStatus(o.ID, cs.Requested, id), nil); err != nil {
		return nil, err
	}
	o.CreatesInProgress++
	if err := t.putOrg(o); err != nil {
		return nil, err
	}
	if err := t.schedule(t.now().Add(s.cfg.CreateAccountDelay), workCreateAccount, id); err != nil {
		return nil, err
	}
	return cs, nil
}

// completeCreateAccount finishes CreateAccount request id: it fails or
// makes the account.
func (t *txn) completeCreateAccount(id string) error {
	cs, ok, err := t.createStatus(id)
	if err != nil || !ok || cs.State != api.CreateAccountStateInProgress {
		return err
	}
	o, ok, err := t.org(cs.Org)
	if err != nil {
		return err
	}
	if !ok {
		// The organization was deleted meanwhile (which also discards its
		// requests, so this is only a guard): drop the request quietly.
		return nil
	}
	// Complete at the time the work fell due, not when a request came to
	// settle it, so that timestamps do not depend on traffic.
	done := earlier(t.now(), cs.Requested.Add(t.s.cfg.CreateAccountDelay))
	cs.Completed = done
	o.CreatesInProgress--
	_, taken, err := t.accountIDByEmail(cs.Email)
	if err != nil {
		return err
	}
	// A GovCloud request may also fail for its GovCloud side (govcloud.go).
	govFailure, err := t.govCloudFailure(cs)
	if err != nil {
		return err
	}
	switch {
	case govFailure != "":
		cs.State, cs.FailureReason = api.CreateAccountStateFailed, govFailure
	case taken:
		cs.State, cs.FailureReason = api.CreateAccountStateFailed, api.CreateAccountFailureReasonEmailAlreadyExists
	// This request left CreatesInProgress above; the account must fit beside
	// the members and open invitations, first come first served.
	case o.Members+o.OpenInvitations+1 > t.s.cfg.Quotas.AccountsPerOrganization:
		cs.State, cs.FailureReason = api.CreateAccountStateFailed, api.CreateAccountFailureReasonAccountLimitExceeded
	default:
		acctID, err := t.newID("", idShape{alphabet: digits, n: 12}, keyAccount)
		if err != nil {
			return err
		}
		a := &account{
			ID: acctID, Email: cs.Email, Name: cs.AccountName, Joined: api.AccountJoinedMethodCreated,
			JoinedAt: done, State: api.AccountStateActive, RoleName: cs.RoleName,
		}
		if err := t.addMember(o, a, o.Root); err != nil {
			return err
		}
		if err := t.putTags(a.ID, slices.Clone(cs.Tags)); err != nil {
			return err
		}
		o.Members++
		// Hooks may change o in place; it is stored below.
		if err := t.memberJoined(o, a); err != nil {
			return err
		}
		cs.State, cs.AccountID = api.CreateAccountStateSucceeded, a.ID
		if err := t.govCloudCreated(cs, a); err != nil {
			return err
		}
	}
	if err := t.putOrg(o); err != nil {
		return err
	}
	return t.putCreateStatus(cs)
}

// createStatusView is cs as the API shows it, with the GovCloud account
// of a GovCloud request that succeeded.
func (t *txn) createStatusView(cs *createStatus) (*api.CreateAccountStatus, error) {
	gov, err := t.govCloudAccountOf(cs)
	if err != nil {
		return nil, err
	}
	v := &api.CreateAccountStatus{
		Id:                 cs.ID,
		AccountName:        cs.AccountName,
		State:              cs.State,
		RequestedTimestamp: api.NewTime(cs.Requested),
		AccountId:          cs.AccountID,
		GovCloudAccountId:  gov,
		FailureReason:      cs.FailureReason,
	}
	if !cs.Completed.IsZero() {
		v.CompletedTimestamp = api.NewTime(cs.Completed)
	}
	return v, nil
}

func (s *Service) DescribeCreateAccountStatus(ctx context.Context, in *api.DescribeCreateAccountStatusRequest) (*api.DescribeCreateAccountStatusResponse, error) {
	var out api.DescribeCreateAccountStatusResponse
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, err := t.caller("DescribeCreateAccountStatus", in)
		if err != nil {
			return err
		}
		cs, ok, err := t.createStatus(in.CreateAccountRequestId)
		if err != nil {
			return err
		}
		if !ok || cs.Org != c.Org.ID {
			return api.NewCreateAccountStatusNotFound("No account creation request with ID %s exists in your organization.", in.CreateAccountRequestId)
		}
		out.CreateAccountStatus, err = t.createStatusView(cs)
		return err
	}))
}

func (s *Service) ListCreateAccountStatus(ctx context.Context, in *api.ListCreateAccountStatusRequest) (*api.ListCreateAccountStatusResponse, error) {
	out := api.ListCreateAccountStatusResponse{CreateAccountStatuses: []api.CreateAccountStatus{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListCreateAccountStatus"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		// The filter, normalised, binds the token: a token is valid only
		// with the filter it was made for.
		var states []string
		for _, st := range in.States {
			states = append(states, string(st))
		}
		slices.Sort(states)
		states = slices.Compact(states)
		var keep func(string, []byte) (bool, error)
		if len(states) > 0 {
			keep = func(k string, _ []byte) (bool, error) {
				cs, ok, err := t.createStatus(lastSegment(k))
				if err != nil || !ok {
					return false, err
				}
				_, found := slices.BinarySearch(states, string(cs.State))
				return found, nil
			}
		}
		out.NextToken, err = t.list(op, c, states, prefixOrgCreateStatus(c.Org.ID), in.NextToken, in.MaxResults, keep,
			func(k string, _ []byte) error {
				cs, ok, err := t.createStatus(lastSegment(k))
				if err != nil || !ok {
					return err
				}
				v, err := t.createStatusView(cs)
				if err != nil {
					return err
				}
				out.CreateAccountStatuses = append(out.CreateAccountStatuses, *v)
				return nil
			})
		return err
	}))
}

// --- reading accounts ---------------------------------------------------------

func (s *Service) DescribeAccount(ctx context.Context, in *api.DescribeAccountRequest) (*api.DescribeAccountResponse, error) {
	var out api.DescribeAccountResponse
	if s.hints {
		ctx = s.prefetch(ctx, keyAccount(in.AccountId))
	}
	return reply(&out, s.read(ctx, func(t *txn) error {
		c, a, err := t.memberFor("DescribeAccount", in, in.AccountId)
		if err != nil {
			return err
		}
		v, err := t.accountView(c.Org, a)
		out.Account = &v
		return err
	}))
}

func (t *txn) accountView(o *organization, a *account) (api.Account, error) {
	path, err := t.path(o, a.Parent)
	if err != nil {
		return api.Account{}, err
	}
	var v api.Account
	setAccountFields(&v, a)
	v.Arn = t.s.accountARN(o, a.ID)
	v.Paths = []string{path + a.ID + "/"}
	return v, nil
}

// setAccountFields sets v to the view of an account but for its Arn and
// Paths, in place: a page's views are in a slice on the heap, where a
// whole struct assigned would be copied again.
func setAccountFields(v *api.Account, a *account) {
	v.Id = a.ID
	v.Email = a.Email
	v.Name = a.Name
	v.Status = accountStatus(a.State)
	v.State = a.State
	v.JoinedMethod = a.Joined
	v.JoinedTimestamp = api.NewTime(a.JoinedAt)
}

// accountPage renders a page of accounts of organization o as
// accountView does, for a few allocations a page rather than five an
// account: it finds each parent's path once, for the run of accounts that
// share it, uses the view a listing made before of an account that did
// not change and its JSON (listcache.go), writes the page's record keys, and the ARNs
// and paths of the other accounts, into one buffer, and keeps its Paths
// in one array. The strings it hands out are slices of text.String(): a
// Builder never changes bytes it has written, and those of a buffer it
// outgrew stay with the strings that refer to them.
type accountPage struct {
	t            *txn
	o            *organization
	into         *[]api.Account
	arn          string // the accounts' ARN but for their IDs
	parent, path string // the last parent and its path
	text         strings.Builder
	paths        []string
	a            account // each account decoded, read into the same record
}

func newAccountPage(t *txn, o *organization, n int, into *[]api.Account) *accountPage {
	// Room for the page up front instead of growing the slice of large
	// structs five times.
	*into = slices.Grow(*into, n)
	return &accountPage{t: t, o: o, into: into, arn: t.s.accountARN(o, ""), paths: make([]string, 0, n)}
}

// add renders the account whose ID ends the index key k; an index entry
// without its account is skipped.
func (p *accountPage) add(k string) error {
	id := lastSegment(k)
	if p.text.Cap() == 0 {
		p.text.Grow(cap(p.paths) * (len("acct/") + len(id)))
	}
	at := p.text.Len()
	p.text.WriteString("acct/")
	p.text.WriteString(id)
	key := p.text.String()[at:]
	b, ok, err := p.t.Get(key)
	if err != nil || !ok {
		return err
	}
	if e := p.t.s.listed.get(key, b, p.arn); e != nil {
		if err := p.parentPath(e.parent); err != nil {
			return err
		}
		if e.path == p.path {
			p.paths = append(p.paths, e.own)
			n := len(p.paths)
			*p.into = append(*p.into, e.v)
			v := &(*p.into)[len(*p.into)-1]
			v.Paths, v.Encoded = p.paths[n-1:n:n], e.json
			return nil
		}
	}
	p.a = account{}
	a := &p.a
	if err := p.t.s.records.decode(key, b, a); err != nil {
		return err
	}
	if err := p.parentPath(a.Parent); err != nil {
		return err
	}
	if need := len(p.arn) + len(p.path) + 2*len(a.ID) + 1; p.text.Cap()-p.text.Len() < need {
		// Room for this account's ARN and path, and for the rest of the
		// page's keys, ARNs and paths should none of them be kept.
		p.text.Grow((cap(p.paths) - len(p.paths)) * (need + len("acct/") + len(id)))
	}
	arn := p.text.Len()
	p.text.WriteString(p.arn)
	p.text.WriteString(a.ID)
	path := p.text.Len()
	p.text.WriteString(p.path)
	p.text.WriteString(a.ID)
	p.text.WriteByte('/')
	text := p.text.String()
	p.paths = append(p.paths, text[path:])
	n := len(p.paths)
	*p.into = append(*p.into, api.Account{})
	v := &(*p.into)[len(*p.into)-1]
	setAccountFields(v, a)
	v.Arn = text[arn:path]
	v.Encoded = p.t.s.listed.put(key, b, p.arn, a.Parent, p.path, v, text[path:])
	v.Paths = p.paths[n-1 : n : n] // capped: an append must not reach the next account's
	return nil
}

// parentPath sets p.path to the path of parent.
func (p *accountPage) parentPath(parent string) error {
	if p.path != "" && parent == p.parent {
		return nil
	}
	path, err := p.t.path(p.o, parent)
	if err != nil {
		return err
	}
	p.parent, p.path = parent, path
	return nil
}

// listAccounts pages through an index whose keys end in account IDs.
func (t *txn) listAccounts(op string, c *caller, scope []string, prefix, token string, max int32, into *[]api.Account) (string, error) {
	page := newAccountPage(t, c.Org, pageSize(max), into)
	return t.list(op, c, scope, prefix, token, max, nil, func(k string, _ []byte) error { return page.add(k) })
}

func (s *Service) ListAccounts(ctx context.Context, in *api.ListAccountsRequest) (*api.ListAccountsResponse, error) {
	out := api.ListAccountsResponse{Accounts: []api.Account{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListAccounts"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		out.NextToken, err = t.listAccounts(op, c, nil, prefixMembers(c.Org.ID), in.NextToken, in.MaxResults, &out.Accounts)
		return err
	}))
}

func (s *Service) ListAccountsForParent(ctx context.Context, in *api.ListAccountsForParentRequest) (*api.ListAccountsForParentResponse, error) {
	out := api.ListAccountsForParentResponse{Accounts: []api.Account{}}
	return reply(&out, s.read(ctx, func(t *txn) error {
		const op = "ListAccountsForParent"
		c, err := t.caller(op, in)
		if err != nil {
			return err
		}
		if _, err := t.parentIn(c.Org, in.ParentId); err != nil {
			return err
		}
		out.NextToken, err = t.listAccounts(op, c, []string{in.ParentId}, prefixChildAccounts(in.ParentId), in.NextToken, in.MaxResults, &out.Accounts)
		return err
	}))
}

// --- changing accounts --------------------------------------------------------

func (s *Service) MoveAccount(ctx context.Context, in *api.MoveAccountRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, a, err := t.memberFor("MoveAccount", in, in.AccountId)
		if err != nil {
			return err
		}
		o := c.Org
		// A source that exists but does not hold the account is as unknown
		// as one that does not exist (spec 5.6, inferred).
		if _, ok, err := t.parentDepthIn(o, in.SourceParentId); err != nil {
			return err
		} else if !ok || a.Parent != in.SourceParentId {
			return api.NewSourceParentNotFound("The account %s is not in a parent with ID %s.", a.ID, in.SourceParentId)
		}
		if _, ok, err := t.parentDepthIn(o, in.DestinationParentId); err != nil {
			return err
		} else if !ok {
			return api.NewDestinationParentNotFound("No root or OU with ID %s exists in your organization.", in.DestinationParentId)
		}
		if a.Parent == in.DestinationParentId {
			return api.NewDuplicateAccount("The account %s is already in %s.", a.ID, in.DestinationParentId)
		}
		if err := t.Delete(keyChildAccount(a.Parent, a.ID)); err != nil {
			return err
		}
		if err := t.Put(keyChildAccount(in.DestinationParentId, a.ID), nil); err != nil {
			return err
		}
		a.Parent = in.DestinationParentId
		return t.putAccount(a)
	}))
}

func (s *Service) RemoveAccountFromOrganization(ctx context.Context, in *api.RemoveAccountFromOrganizationRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, a, err := t.memberFor("RemoveAccountFromOrganization", in, in.AccountId)
		if err != nil {
			return err
		}
		return t.removeMember(c.Org, a)
	}))
}

// --- CloseAccount -------------------------------------------------------------

func (s *Service) CloseAccount(ctx context.Context, in *api.CloseAccountRequest) (*api.Empty, error) {
	return reply(&api.Empty{}, s.write(ctx, func(t *txn) error {
		c, a, err := t.memberFor("CloseAccount", in, in.AccountId)
		if err != nil {
			return err
		}
		o := c.Org
		if a.ID == o.Management {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonCannotCloseManagementAccount,
				"The management account can't be closed with CloseAccount.")
		}
		if a.State == api.AccountStatePendingClosure || a.State == api.AccountStateClosed {
			return api.NewAccountAlreadyClosed("The account %s is already closed or closing.", a.ID)
		}
		q := s.cfg.Quotas.ConcurrentCloseAccount
		if o.ClosuresInProgress >= q {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonCloseAccountRequestsLimitExceeded,
				"At most %d account closures may be in progress at once.", q)
		}
		quota := closureQuota(o.Members)
		if n, err := t.recentClosures(o, quota); err != nil {
			return err
		} else if n >= quota {
			return api.NewConstraintViolation(api.ConstraintViolationExceptionReasonCloseAccountQuotaExceeded,
				"The organization has closed %d accounts in the last 30 days, its limit.", n)
		}
		a.State, a.CloseRequested = api.AccountStatePendingClosure, t.now()
		if err := t.putAccount(a); err != nil {
			return err
		}
		if err := t.Put(keyOrgClosure(o.ID, a.CloseRequested, a.ID), nil); err != nil {
			return err
		}
		o.ClosuresInProgress++
		if err := t.putOrg(o); err != nil {
			return err
		}
		return t.schedule(t.now().Add(s.cfg.CloseAccountDelay), workCloseAccount, a.ID)
	}))
}

// recentClosures counts o's closure requests in the rolling window, up to
// limit: the scan starts at the window and stops at the quota, so its cost
// is bounded by the quota, not by the organization's history.
func (t *txn) recentClosures(o *organization, limit int) (int, error) {
	n := 0
	// "\xff" sorts after every account ID: requests made exactly at the
	// window's start are outside it.
	after := keyOrgClosure(o.ID, t.now().Add(-closureWindow), "\xff")
	err := t.Scan(prefixOrgClosure(o.ID), after, func(string, []byte) bool {
		n++
		return n < limit
	})
	return n, err
}

// completeCloseAccount makes a PENDING_CLOSURE account CLOSED.
func (t *txn) completeCloseAccount(id string) error {
	a, ok, err := t.storedAccount(id)
	if err != nil || !ok || a.State != api.AccountStatePendingClosure {
		return err
	}
	// As for CreateAccount, the closure ends when it fell due.
	a.State, a.Closed = api.AccountStateClosed, earlier(t.now(), a.CloseRequested.Add(t.s.cfg.CloseAccountDelay))
	if err := t.putAccount(a); err != nil {
		return err
	}
	if o, ok, err := t.org(a.Org); err != nil {
		return err
	} else if ok {
		o.ClosuresInProgress--
		if err := t.putOrg(o); err != nil {
			return err
		}
	}
	// Should the clock have jumped past the retention too, the work is due
	// at once and the next transaction's settle runs it before anything.
	return t.schedule(a.Closed.Add(closedAccountRetention), workRetireAccount, a.ID)
}

// retireClosedAccount takes a closed account out of its organization for
// good, after the retention period in which it still counted as a member.
// What the organization held for it goes too: the cleanup hooks of a
// removal run (policy attachments, open handshakes) and its delegations
// end. None of them may refuse: the account is gone either way.
func (t *txn) retireClosedAccount(a *account) error {
	if err := t.Delete(keyOrgClosure(a.Org, a.CloseRequested, a.ID)); err != nil {
		return err
	}
	o, ok, err := t.org(a.Org)
	if err != nil {
		return err
	}
	if ok {
		for _, hook := range beforeRemoveMember {
			if err := hook(t, o, a); err != nil {
				return err
			}
		}
		var principals []string
		prefix := prefixDelegated(o.ID, a.ID)
		if err := t.Scan(prefix, "", func(k string, _ []byte) bool {
			principals = append(principals, strings.TrimPrefix(k, prefix))
			return true
		}); err != nil {
			return err
		}
		for _, p := range principals {
			if err := t.dropDelegation(o, a.ID, p); err != nil {
				return err
			}
		}
	}
	if err := t.dropMember(a); err != nil {
		return err
	}
	if !ok {
		return nil
	}
	o.Members--
	return t.putOrg(o)
}
