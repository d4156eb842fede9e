package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/org"
)

// The account lifecycle end to end (spec section 5), as the management
// account, a member and a standalone account see it through the SDK.

// Server-time delays of the account harness: long enough that a test sees
// creations and closures in progress however slow the machine, since only
// h.advance moves the server clock that far.
const (
	createDelay = time.Minute
	closeDelay  = 10 * time.Minute
	// createdWait is how long a created account must stay (spec 5.5).
	createdWait = 4 * 24 * time.Hour
)

var (
	carIDRe     = regexp.MustCompile(`^car-[a-z0-9]{8,32}$`)
	accountIDRe = regexp.MustCompile(`^\d{12}$`)
)

// accountsHarness is a harness with the delays above; configure may
// change more (quotas).
func accountsHarness(t testing.TB, configure ...func(*org.Config)) *harness {
	t.Helper()
	delays := func(c *org.Config) { c.CreateAccountDelay, c.CloseAccountDelay = createDelay, closeDelay }
	return newHarness(t, append([]func(*org.Config){delays}, configure...)...)
}

// withQuotas configures the harness's quotas.
func withQuotas(f func(*org.Quotas)) func(*org.Config) {
	return func(c *org.Config) { f(&c.Quotas) }
}

// rootOf returns the organization's root ID as the management account
// lists it.
func rootOf(t testing.TB, mgmt *organizations.Client) string {
	t.Helper()
	out, err := mgmt.ListRoots(ctx(t), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Roots) != 1 {
		t.Fatalf("%d roots", len(out.Roots))
	}
	return aws.ToString(out.Roots[0].Id)
}

// startCreateAccount calls CreateAccount and checks its first answer: a
// request IN_PROGRESS, with nothing of a completed one.
func startCreateAccount(t testing.TB, mgmt *organizations.Client, email, name string) *types.CreateAccountStatus {
	t.Helper()
	out, err := mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String(email), AccountName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccount %s: %v", email, err)
	}
	s := out.CreateAccountStatus
	if s == nil || !carIDRe.MatchString(aws.ToString(s.Id)) || s.State != types.CreateAccountStateInProgress {
		t.Fatalf("CreateAccount answered %+v", s)
	}
	if aws.ToString(s.AccountName) != name || s.RequestedTimestamp == nil {
		t.Errorf("CreateAccount: AccountName %q RequestedTimestamp %v", aws.ToString(s.AccountName), s.RequestedTimestamp)
	}
	if s.AccountId != nil || s.CompletedTimestamp != nil || s.FailureReason != "" || s.GovCloudAccountId != nil {
		t.Errorf("an IN_PROGRESS request with completion members: %+v", s)
	}
	return s
}

// createStatus describes a CreateAccount request.
func createStatus(t testing.TB, c *organizations.Client, id string) *types.CreateAccountStatus {
	t.Helper()
	out, err := c.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeCreateAccountStatus %s: %v", id, err)
	}
	if aws.ToString(out.CreateAccountStatus.Id) != id {
		t.Fatalf("DescribeCreateAccountStatus %s answered %s", id, aws.ToString(out.CreateAccountStatus.Id))
	}
	return out.CreateAccountStatus
}

// newAccount creates an account in the management account's organization,
// advancing the clock until it exists, and returns its ID.
func newAccount(t testing.TB, h *harness, mgmt *organizations.Client, email, name string) string {
	t.Helper()
	s := startCreateAccount(t, mgmt, email, name)
	h.advance(t, createDelay)
	done := createStatus(t, mgmt, aws.ToString(s.Id))
	if done.State != types.CreateAccountStateSucceeded || !accountIDRe.MatchString(aws.ToString(done.AccountId)) {
		t.Fatalf("CreateAccount %s ended %s %s", email, done.State, done.FailureReason)
	}
	return aws.ToString(done.AccountId)
}

func describeAccount(t testing.TB, c *organizations.Client, id string) *types.Account {
	t.Helper()
	out, err := c.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeAccount %s: %v", id, err)
	}
	if aws.ToString(out.Account.Id) != id {
		t.Fatalf("DescribeAccount %s answered %s", id, aws.ToString(out.Account.Id))
	}
	return out.Account
}

// sameTime compares a decoded timestamp with server time at the wire's
// millisecond precision.
func sameTime(got *time.Time, want time.Time) bool {
	return got != nil && got.Equal(want.Truncate(time.Millisecond))
}

// within reports whether a decoded timestamp lies in [from, to], at the
// wire's millisecond precision.
func within(got *time.Time, from, to time.Time) bool {
	return got != nil && !got.Before(from.Truncate(time.Millisecond)) && !got.After(to)
}

// accountIDs lists every account of the organization through the SDK
// paginator with the given page size (0: the server's default), checking
// that no page is larger.
func accountIDs(t testing.TB, mgmt *organizations.Client, pageSize int32) (ids []string, pages int) {
	t.Helper()
	in := &organizations.ListAccountsInput{}
	max := int32(20)
	if pageSize > 0 {
		in.MaxResults, max = aws.Int32(pageSize), pageSize
	}
	p := organizations.NewListAccountsPaginator(mgmt, in)
	for p.HasMorePages() {
		if pages++; pages > 100 {
			t.Fatal("ListAccounts paginator does not end")
		}
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if int32(len(out.Accounts)) > max {
			t.Fatalf("page of %d accounts, MaxResults %d", len(out.Accounts), max)
		}
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids, pages
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// editToken returns a token that decodes as the original with its last
// byte changed: the edit a client would make to skip ahead in a listing.
func editToken(t testing.TB, token *string) *string {
	t.Helper()
	if token == nil || *token == "" {
		t.Fatal("no NextToken to edit")
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil {
		// Opaque tokens need not be base64; change a character then.
		s := []byte(*token)
		s[len(s)/2] ^= 1
		return aws.String(string(s))
	}
	b[len(b)-1] ^= 1
	return aws.String(base64.RawURLEncoding.EncodeToString(b))
}

// --- CreateAccount ----------------------------------------------------------

func TestCreateAccount(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	h.registerAccount(t, mgmtID, "mgmt@example.com", "Management Account")
	before := h.now(t)
	w := h.world(t, false)
	orgCreated := h.now(t)
	orgID := aws.ToString(w.Org.Id)
	rootID := rootOf(t, w.Mgmt)

	// CreateAccount answers at once with a request in progress.
	out, err := w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{
		Email:       aws.String("dev@example.com"),
		AccountName: aws.String("Dev"),
		Tags:        []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("empty"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	requested := h.now(t)
	s := out.CreateAccountStatus
	if !carIDRe.MatchString(aws.ToString(s.Id)) || s.State != types.CreateAccountStateInProgress || aws.ToString(s.AccountName) != "Dev" {
		t.Fatalf("CreateAccount answered %+v", s)
	}
	if !within(s.RequestedTimestamp, orgCreated, requested) {
		t.Errorf("RequestedTimestamp %v, want between %v and %v", s.RequestedTimestamp, orgCreated, requested)
	}
	if s.AccountId != nil || s.CompletedTimestamp != nil || s.FailureReason != "" {
		t.Errorf("IN_PROGRESS with completion members: %+v", s)
	}
	carID := aws.ToString(s.Id)

	// Until the clock moves it stays in progress, and no account exists.
	if got := createStatus(t, w.Mgmt, carID); got.State != types.CreateAccountStateInProgress || got.AccountId != nil || !got.RequestedTimestamp.Equal(*s.RequestedTimestamp) {
		t.Fatalf("before the delay: %+v", got)
	}
	if ids, _ := accountIDs(t, w.Mgmt, 0); len(ids) != 1 {
		t.Fatalf("accounts while the creation runs: %v", ids)
	}

	// Once the delay has passed in server time it has succeeded, completed
	// when it fell due rather than when someone looked (well after).
	h.advance(t, createDelay+time.Hour)
	done := createStatus(t, w.Mgmt, carID)
	if done.State != types.CreateAccountStateSucceeded || done.FailureReason != "" {
		t.Fatalf("after the delay: %s %s", done.State, done.FailureReason)
	}
	newID := aws.ToString(done.AccountId)
	if !accountIDRe.MatchString(newID) || newID == mgmtID {
		t.Fatalf("AccountId %q", newID)
	}
	if aws.ToString(done.AccountName) != "Dev" || !done.RequestedTimestamp.Equal(*s.RequestedTimestamp) {
		t.Errorf("completed status %+v", done)
	}
	if done.CompletedTimestamp == nil || done.CompletedTimestamp.Sub(*done.RequestedTimestamp) != createDelay {
		t.Errorf("CompletedTimestamp %v, RequestedTimestamp %v, want %v apart", done.CompletedTimestamp, done.RequestedTimestamp, createDelay)
	}

	// The account: created, active, in the root, with the request's tags.
	a := describeAccount(t, w.Mgmt, newID)
	if want := "arn:aws:organizations::" + mgmtID + ":account/" + orgID + "/" + newID; aws.ToString(a.Arn) != want {
		t.Errorf("Arn %s, want %s", aws.ToString(a.Arn), want)
	}
	if aws.ToString(a.Email) != "dev@example.com" || aws.ToString(a.Name) != "Dev" {
		t.Errorf("Email %s Name %s", aws.ToString(a.Email), aws.ToString(a.Name))
	}
	if a.Status != types.AccountStatusActive || a.State != types.AccountStateActive || a.JoinedMethod != types.AccountJoinedMethodCreated {
		t.Errorf("Status %s State %s JoinedMethod %s", a.Status, a.State, a.JoinedMethod)
	}
	if a.JoinedTimestamp == nil || !a.JoinedTimestamp.Equal(*done.CompletedTimestamp) {
		t.Errorf("JoinedTimestamp %v, want the completion %v", a.JoinedTimestamp, done.CompletedTimestamp)
	}
	if want := []string{orgID + "/" + rootID + "/" + newID + "/"}; !slices.Equal(a.Paths, want) {
		t.Errorf("Paths %v, want %v", a.Paths, want)
	}
	tags, err := w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(newID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagMap(t, tags.Tags); len(got) != 2 || got["team"] != "platform" || got["empty"] != "" {
		t.Errorf("tags %v", got)
	}

	// The management account joined as INVITED when it created the
	// organization (spec 1.6).
	m := describeAccount(t, w.Mgmt, mgmtID)
	if m.JoinedMethod != types.AccountJoinedMethodInvited || !within(m.JoinedTimestamp, before, orgCreated) {
		t.Errorf("management account JoinedMethod %s JoinedTimestamp %v", m.JoinedMethod, m.JoinedTimestamp)
	}
	if aws.ToString(m.Email) != "mgmt@example.com" || aws.ToString(m.Name) != "Management Account" || m.State != types.AccountStateActive || m.Status != types.AccountStatusActive {
		t.Errorf("management account %+v", m)
	}
	if want := "arn:aws:organizations::" + mgmtID + ":account/" + orgID + "/" + mgmtID; aws.ToString(m.Arn) != want {
		t.Errorf("management account Arn %s", aws.ToString(m.Arn))
	}

	// An invited account joins as INVITED when it accepts.
	joinStart := h.now(t)
	h.join(t, mgmtID, memberID)
	joinEnd := h.now(t)
	inv := describeAccount(t, w.Mgmt, memberID)
	if inv.JoinedMethod != types.AccountJoinedMethodInvited || !within(inv.JoinedTimestamp, joinStart, joinEnd) || inv.State != types.AccountStateActive {
		t.Errorf("invited account %+v", inv)
	}
	if want := []string{orgID + "/" + rootID + "/" + memberID + "/"}; !slices.Equal(inv.Paths, want) {
		t.Errorf("invited account Paths %v", inv.Paths)
	}
}

// A request for an email an account already has fails asynchronously
// with EMAIL_ALREADY_EXISTS; so does the later of two requests in
// progress for one email.
func TestCreateAccountDuplicateEmail(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	h.registerAccount(t, mgmtID, "mgmt@example.com", "Management Account")
	h.registerAccount(t, standaloneID, "alone@example.com", "Alone")
	w := h.world(t, false)
	newAccount(t, h, w.Mgmt, "taken@example.com", "First")

	for _, email := range []string{"taken@example.com", "TAKEN@example.com", "mgmt@example.com", "alone@example.com"} {
		t.Run(email, func(t *testing.T) {
			s := startCreateAccount(t, w.Mgmt, email, "Second")
			h.advance(t, createDelay)
			got := createStatus(t, w.Mgmt, aws.ToString(s.Id))
			if got.State != types.CreateAccountStateFailed || got.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists {
				t.Fatalf("%s %q, want FAILED EMAIL_ALREADY_EXISTS", got.State, got.FailureReason)
			}
			if got.AccountId != nil || got.CompletedTimestamp == nil || aws.ToString(got.AccountName) != "Second" {
				t.Errorf("failed status %+v", got)
			}
		})
	}

	// Two requests in flight for one new address: the first wins.
	first := startCreateAccount(t, w.Mgmt, "race@example.com", "Race 1")
	second := startCreateAccount(t, w.Mgmt, "race@example.com", "Race 2")
	h.advance(t, createDelay)
	if got := createStatus(t, w.Mgmt, aws.ToString(first.Id)); got.State != types.CreateAccountStateSucceeded {
		t.Errorf("first request %s %s", got.State, got.FailureReason)
	}
	if got := createStatus(t, w.Mgmt, aws.ToString(second.Id)); got.State != types.CreateAccountStateFailed || got.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists {
		t.Errorf("second request %s %s", got.State, got.FailureReason)
	}
	// Failures took no account: the organization has the management
	// account and the two successes.
	if ids, _ := accountIDs(t, w.Mgmt, 0); len(ids) != 3 {
		t.Errorf("accounts %v", ids)
	}
}

func TestCreateAccountInput(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, false)
	_, err := w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String("X"), RoleName: aws.String("AWSServiceRoleForThing")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_ROLE_NAME")
	_, err = w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("not-an-email"), AccountName: aws.String("X")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_PATTERN")
	_, err = w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String(strings.Repeat("n", 51))})
	wantAPIError(t, err, "InvalidInputException", "MAX_LENGTH_EXCEEDED")
	_, err = w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("x@example.com"), AccountName: aws.String("X"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	// None of them started a request.
	out, err := w.Mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CreateAccountStatuses) != 0 {
		t.Fatalf("requests %+v", out.CreateAccountStatuses)
	}
}

// --- DescribeCreateAccountStatus / ListCreateAccountStatus --------------------

func TestCreateAccountStatusListing(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, false)

	// Four successes, one failure, and two requests still in progress.
	want := map[types.CreateAccountState][]string{}
	for i := range 4 {
		s := startCreateAccount(t, w.Mgmt, fmt.Sprintf("ok%d@example.com", i), fmt.Sprintf("OK %d", i))
		want[types.CreateAccountStateSucceeded] = append(want[types.CreateAccountStateSucceeded], aws.ToString(s.Id))
	}
	s := startCreateAccount(t, w.Mgmt, "ok0@example.com", "Duplicate")
	want[types.CreateAccountStateFailed] = []string{aws.ToString(s.Id)}
	h.advance(t, createDelay)
	for i := range 2 {
		s := startCreateAccount(t, w.Mgmt, fmt.Sprintf("wip%d@example.com", i), fmt.Sprintf("WIP %d", i))
		want[types.CreateAccountStateInProgress] = append(want[types.CreateAccountStateInProgress], aws.ToString(s.Id))
	}

	// list walks the listing with the SDK paginator, pageSize at a time,
	// and checks every status against its state.
	list := func(t *testing.T, states []types.CreateAccountState, pageSize int32) (ids []string, pages int) {
		t.Helper()
		p := organizations.NewListCreateAccountStatusPaginator(w.Mgmt, &organizations.ListCreateAccountStatusInput{States: states, MaxResults: aws.Int32(pageSize)})
		for p.HasMorePages() {
			if pages++; pages > 50 {
				t.Fatal("paginator does not end")
			}
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(out.CreateAccountStatuses) > int(pageSize) {
				t.Fatalf("%d statuses in a page of %d", len(out.CreateAccountStatuses), pageSize)
			}
			for _, s := range out.CreateAccountStatuses {
				if len(states) > 0 && !slices.Contains(states, s.State) {
					t.Errorf("filter %v returned a %s request", states, s.State)
				}
				switch s.State {
				case types.CreateAccountStateSucceeded:
					if s.AccountId == nil || s.CompletedTimestamp == nil || s.FailureReason != "" {
						t.Errorf("succeeded %+v", s)
					}
				case types.CreateAccountStateFailed:
					if s.AccountId != nil || s.CompletedTimestamp == nil || s.FailureReason != types.CreateAccountFailureReasonEmailAlreadyExists {
						t.Errorf("failed %+v", s)
					}
				case types.CreateAccountStateInProgress:
					if s.AccountId != nil || s.CompletedTimestamp != nil || s.FailureReason != "" {
						t.Errorf("in progress %+v", s)
					}
				}
				if s.RequestedTimestamp == nil || s.AccountName == nil {
					t.Errorf("status without RequestedTimestamp or AccountName: %+v", s)
				}
				ids = append(ids, aws.ToString(s.Id))
			}
		}
		return ids, pages
	}
	all := slices.Concat(want[types.CreateAccountStateSucceeded], want[types.CreateAccountStateFailed], want[types.CreateAccountStateInProgress])
	for _, tc := range []struct {
		name   string
		states []types.CreateAccountState
		want   []string
	}{
		{"no filter", nil, all},
		{"SUCCEEDED", []types.CreateAccountState{types.CreateAccountStateSucceeded}, want[types.CreateAccountStateSucceeded]},
		{"FAILED", []types.CreateAccountState{types.CreateAccountStateFailed}, want[types.CreateAccountStateFailed]},
		{"IN_PROGRESS", []types.CreateAccountState{types.CreateAccountStateInProgress}, want[types.CreateAccountStateInProgress]},
		{"FAILED and IN_PROGRESS", []types.CreateAccountState{types.CreateAccountStateFailed, types.CreateAccountStateInProgress}, slices.Concat(want[types.CreateAccountStateFailed], want[types.CreateAccountStateInProgress])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int32{1, 2, 20} {
				ids, pages := list(t, tc.states, size)
				if !slices.Equal(sorted(ids), sorted(tc.want)) {
					t.Fatalf("page size %d: %v, want %v", size, ids, tc.want)
				}
				if wantPages := max(1, (len(tc.want)+int(size)-1)/int(size)); pages != wantPages {
					t.Errorf("page size %d: %d pages, want %d", size, pages, wantPages)
				}
			}
		})
	}

	// A token belongs to its filter and cannot be edited.
	first, err := w.Mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{MaxResults: aws.Int32(2), NextToken: editToken(t, first.NextToken)})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = w.Mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{States: []types.CreateAccountState{types.CreateAccountStateSucceeded}, NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	if _, err := w.Mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{MaxResults: aws.Int32(2), NextToken: first.NextToken}); err != nil {
		t.Fatalf("the unedited token: %v", err)
	}

	// Unknown requests, well-formed, are not found; another
	// organization's requests are unknown to this one.
	_, err = w.Mgmt.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String("car-0123456789abcdef0123456789abcdef")})
	wantAPIError(t, err, "CreateAccountStatusNotFoundException", "")
	h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
	_, err = h.client(t, otherID).DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(all[0])})
	wantAPIError(t, err, "CreateAccountStatusNotFoundException", "")
	theirs, err := h.client(t, otherID).ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
	if err != nil || len(theirs.CreateAccountStatuses) != 0 || theirs.NextToken != nil {
		t.Fatalf("the other organization lists %+v, %v", theirs, err)
	}
	_, err = w.Mgmt.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String("car-NOPE")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_PATTERN")
}

// --- DescribeAccount, ListAccounts, ListAccountsForParent ---------------------

// More accounts than a page holds, walked with the SDK's paginators.
func TestListAccountsPaginator(t *testing.T) {
	t.Parallel()
	const n = 22
	h := accountsHarness(t, withQuotas(func(q *org.Quotas) {
		q.AccountsPerOrganization, q.ConcurrentCreateAccount = n+1, n
	}))
	w := h.world(t, false)
	orgID := aws.ToString(w.Org.Id)
	rootID := rootOf(t, w.Mgmt)
	var reqs []string
	for i := range n {
		s := startCreateAccount(t, w.Mgmt, fmt.Sprintf("acct%02d@example.com", i), fmt.Sprintf("Account %02d", i))
		reqs = append(reqs, aws.ToString(s.Id))
	}
	h.advance(t, createDelay)
	want := []string{mgmtID}
	for _, id := range reqs {
		s := createStatus(t, w.Mgmt, id)
		if s.State != types.CreateAccountStateSucceeded {
			t.Fatalf("request %s: %s %s", id, s.State, s.FailureReason)
		}
		want = append(want, aws.ToString(s.AccountId))
	}
	want = sorted(want)

	for _, tc := range []struct {
		pageSize int32
		pages    int
	}{{0, 2}, {20, 2}, {7, 4}, {1, n + 1}} {
		ids, pages := accountIDs(t, w.Mgmt, tc.pageSize)
		if !slices.Equal(sorted(ids), want) || len(ids) != len(want) {
			t.Fatalf("MaxResults %d: %d accounts %v, want %v", tc.pageSize, len(ids), ids, want)
		}
		if pages != tc.pages {
			t.Errorf("MaxResults %d: %d pages, want %d", tc.pageSize, pages, tc.pages)
		}
	}

	// Every listed account has the full shape.
	out, err := w.Mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Accounts) != 20 || out.NextToken == nil {
		t.Fatalf("first page: %d accounts, NextToken %v", len(out.Accounts), out.NextToken)
	}
	for _, a := range out.Accounts {
		id := aws.ToString(a.Id)
		if aws.ToString(a.Arn) != "arn:aws:organizations::"+mgmtID+":account/"+orgID+"/"+id || a.Email == nil || a.Name == nil ||
			a.Status != types.AccountStatusActive || a.State != types.AccountStateActive || a.JoinedTimestamp == nil ||
			!slices.Equal(a.Paths, []string{orgID + "/" + rootID + "/" + id + "/"}) {
			t.Errorf("listed account %+v", a)
		}
		wantMethod := types.AccountJoinedMethodCreated
		if id == mgmtID {
			wantMethod = types.AccountJoinedMethodInvited
		}
		if a.JoinedMethod != wantMethod {
			t.Errorf("account %s JoinedMethod %s, want %s", id, a.JoinedMethod, wantMethod)
		}
	}
	// An edited token is refused, and a token of ListAccounts is no token
	// of ListAccountsForParent.
	_, err = w.Mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{NextToken: editToken(t, out.NextToken)})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = w.Mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID), NextToken: out.NextToken})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = w.Mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{NextToken: aws.String(*out.NextToken + "x")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")

	// ListAccountsForParent: all in the root, then split with an OU.
	forParent := func(parent string, pageSize int32) []string {
		t.Helper()
		p := organizations.NewListAccountsForParentPaginator(w.Mgmt, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent), MaxResults: aws.Int32(pageSize)})
		var ids []string
		for pages := 0; p.HasMorePages(); pages++ {
			if pages > 50 {
				t.Fatal("paginator does not end")
			}
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.Accounts {
				ids = append(ids, aws.ToString(a.Id))
			}
		}
		return sorted(ids)
	}
	if got := forParent(rootID, 6); !slices.Equal(got, want) {
		t.Fatalf("ListAccountsForParent root: %v", got)
	}
	ou := createOU(t, w.Mgmt, rootID, "Moved")
	moved := want[:3]
	for _, id := range moved {
		if _, err := w.Mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(ou)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := forParent(ou, 2); !slices.Equal(got, moved) {
		t.Errorf("ListAccountsForParent OU: %v, want %v", got, moved)
	}
	if got := forParent(rootID, 20); !slices.Equal(got, want[3:]) {
		t.Errorf("ListAccountsForParent root: %v, want %v", got, want[3:])
	}
	// A token of one parent is no token of another.
	rootPage, err := w.Mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(ou), NextToken: rootPage.NextToken})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = w.Mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID), NextToken: editToken(t, rootPage.NextToken)})
	wantAPIError(t, err, "InvalidInputException", "INVALID_NEXT_TOKEN")
	_, err = w.Mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-" + strings.TrimPrefix(rootID, "r-") + "-zzzzzzzz")})
	wantAPIError(t, err, "ParentNotFoundException", "")
}

func TestDescribeAccountNotFound(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, false)
	h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
	// A standalone account, and another organization's management account,
	// are not in this organization.
	for _, id := range []string{standaloneID, otherID, "999999999999"} {
		_, err := w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		wantAPIError(t, err, "AccountNotFoundException", "")
	}
}

// --- MoveAccount ----------------------------------------------------------------

func TestMoveAccount(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, true)
	orgID := aws.ToString(w.Org.Id)
	rootID := rootOf(t, w.Mgmt)
	dev := createOU(t, w.Mgmt, rootID, "Dev")
	prod := createOU(t, w.Mgmt, rootID, "Prod")
	team := createOU(t, w.Mgmt, dev, "Team")
	acct := newAccount(t, h, w.Mgmt, "moving@example.com", "Moving")
	move := func(id, from, to string) error {
		_, err := w.Mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(from), DestinationParentId: aws.String(to)})
		return err
	}
	wantParent := func(id, parent string, typ types.ParentType, path string) {
		t.Helper()
		out, err := w.Mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parents) != 1 || aws.ToString(out.Parents[0].Id) != parent || out.Parents[0].Type != typ {
			t.Fatalf("parents of %s: %+v, want %s %s", id, out.Parents, parent, typ)
		}
		if a := describeAccount(t, w.Mgmt, id); !slices.Equal(a.Paths, []string{path + id + "/"}) {
			t.Fatalf("Paths of %s: %v, want %s%s/", id, a.Paths, path, id)
		}
	}

	if err := move(acct, rootID, team); err != nil {
		t.Fatal(err)
	}
	wantParent(acct, team, types.ParentTypeOrganizationalUnit, orgID+"/"+rootID+"/"+dev+"/"+team+"/")
	if err := move(acct, team, prod); err != nil {
		t.Fatal(err)
	}
	wantParent(acct, prod, types.ParentTypeOrganizationalUnit, orgID+"/"+rootID+"/"+prod+"/")
	// Invited members and the management account move too.
	if err := move(memberID, rootID, dev); err != nil {
		t.Fatal(err)
	}
	wantParent(memberID, dev, types.ParentTypeOrganizationalUnit, orgID+"/"+rootID+"/"+dev+"/")
	if err := move(mgmtID, rootID, prod); err != nil {
		t.Fatal(err)
	}
	if err := move(mgmtID, prod, rootID); err != nil {
		t.Fatal(err)
	}
	wantParent(mgmtID, rootID, types.ParentTypeRoot, orgID+"/"+rootID+"/")

	// The exceptions, each in its turn: the account, then the source, then
	// the destination, then the move itself.
	h.newOrg(t, otherID, types.OrganizationFeatureSetAll)
	otherRoot := rootOf(t, h.client(t, otherID))
	otherOU := createOU(t, h.client(t, otherID), otherRoot, "Theirs")
	missingOU := "ou-" + strings.TrimPrefix(rootID, "r-") + "-zzzzzzzz"
	for _, tc := range []struct {
		name, id, from, to, code string
	}{
		{"unknown account", "999999999999", prod, dev, "AccountNotFoundException"},
		{"standalone account", standaloneID, rootID, dev, "AccountNotFoundException"},
		{"another organization's account", otherID, otherRoot, dev, "AccountNotFoundException"},
		{"unknown account before unknown parents", "999999999999", missingOU, missingOU, "AccountNotFoundException"},
		{"unknown source", acct, missingOU, dev, "SourceParentNotFoundException"},
		{"source that does not hold the account", acct, rootID, dev, "SourceParentNotFoundException"},
		{"another organization's root as source", acct, otherRoot, dev, "SourceParentNotFoundException"},
		{"unknown source before unknown destination", acct, missingOU, missingOU, "SourceParentNotFoundException"},
		{"unknown destination", acct, prod, missingOU, "DestinationParentNotFoundException"},
		{"another organization's OU", acct, prod, otherOU, "DestinationParentNotFoundException"},
		{"another organization's root", acct, prod, otherRoot, "DestinationParentNotFoundException"},
		{"already there", acct, prod, prod, "DuplicateAccountException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, move(tc.id, tc.from, tc.to), tc.code, "")
		})
	}
	_, err := w.Mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(acct), SourceParentId: aws.String(prod), DestinationParentId: aws.String("p-FullAWSAccess")})
	wantAPIError(t, err, "InvalidInputException", "INVALID_PATTERN")
	// Nothing moved by the refusals.
	wantParent(acct, prod, types.ParentTypeOrganizationalUnit, orgID+"/"+rootID+"/"+prod+"/")
	theirs, err := h.client(t, otherID).ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(otherOU)})
	if err != nil || len(theirs.Accounts) != 0 {
		t.Fatalf("the other organization's OU holds %+v, %v", theirs, err)
	}
}

// --- CloseAccount -----------------------------------------------------------------

func TestCloseAccount(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, true)
	acct := newAccount(t, h, w.Mgmt, "closing@example.com", "Closing")
	closeAcct := func(id string) error {
		_, err := w.Mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(id)})
		return err
	}
	wantState := func(id string, status types.AccountStatus, state types.AccountState) {
		t.Helper()
		a := describeAccount(t, w.Mgmt, id)
		if a.Status != status || a.State != state {
			t.Fatalf("account %s: Status %s State %s, want %s %s", id, a.Status, a.State, status, state)
		}
		// ListAccounts agrees.
		out, err := w.Mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range out.Accounts {
			if aws.ToString(l.Id) == id && (l.Status != status || l.State != state) {
				t.Fatalf("ListAccounts has %s %s %s", id, l.Status, l.State)
			}
		}
	}

	wantAPIError(t, closeAcct(mgmtID), "ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
	wantAPIError(t, closeAcct("999999999999"), "AccountNotFoundException", "")
	wantAPIError(t, closeAcct(standaloneID), "AccountNotFoundException", "")

	if err := closeAcct(acct); err != nil {
		t.Fatal(err)
	}
	wantState(acct, types.AccountStatusPendingClosure, types.AccountStatePendingClosure)
	wantAPIError(t, closeAcct(acct), "AccountAlreadyClosedException", "")
	h.advance(t, closeDelay-time.Second)
	wantState(acct, types.AccountStatusPendingClosure, types.AccountStatePendingClosure)
	h.advance(t, time.Second)
	wantState(acct, types.AccountStatusSuspended, types.AccountStateClosed)
	wantAPIError(t, closeAcct(acct), "AccountAlreadyClosedException", "")

	// An invited member closes the same way; a closed account cannot be
	// removed while it stays in the organization.
	if err := closeAcct(memberID); err != nil {
		t.Fatal(err)
	}
	h.advance(t, closeDelay)
	wantState(memberID, types.AccountStatusSuspended, types.AccountStateClosed)
	_, err := w.Mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(memberID)})
	wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_ORGANIZATION")
	// ... and it blocks DeleteOrganization.
	_, err = w.Mgmt.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
	wantAPIError(t, err, "OrganizationNotEmptyException", "")

	// After 90 days closed accounts leave the organization for good.
	h.advance(t, 90*24*time.Hour)
	ids, _ := accountIDs(t, w.Mgmt, 0)
	if !slices.Equal(ids, []string{mgmtID}) {
		t.Fatalf("accounts 90 days after the closures: %v", ids)
	}
	_, err = w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(acct)})
	wantAPIError(t, err, "AccountNotFoundException", "")
	if _, err := w.Mgmt.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{}); err != nil {
		t.Fatalf("DeleteOrganization once the closed accounts left: %v", err)
	}
}

// CloseAccount needs all features (spec 2.2).
func TestCloseAccountConsolidatedBilling(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	h.newOrg(t, mgmtID, types.OrganizationFeatureSetConsolidatedBilling)
	mgmt := h.client(t, mgmtID)
	acct := newAccount(t, h, mgmt, "cb@example.com", "CB")
	_, err := mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(acct)})
	wantAPIError(t, err, "ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
	if a := describeAccount(t, mgmt, acct); a.State != types.AccountStateActive {
		t.Fatalf("State %s", a.State)
	}
}

// --- RemoveAccountFromOrganization -----------------------------------------------

func TestRemoveAccountFromOrganization(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	h.registerAccount(t, memberID, "member@example.com", "Member")
	w := h.world(t, true)
	rootID := rootOf(t, w.Mgmt)
	remove := func(id string) error {
		_, err := w.Mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(id)})
		return err
	}

	_, err := w.Mgmt.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(mgmtID)})
	wantAPIError(t, err, "MasterCannotLeaveOrganizationException", "")
	_, err = w.Mgmt.LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{})
	wantAPIError(t, err, "MasterCannotLeaveOrganizationException", "")
	wantAPIError(t, remove("999999999999"), "AccountNotFoundException", "")
	wantAPIError(t, remove(standaloneID), "AccountNotFoundException", "")

	// A created account must wait 4 days from its creation.
	created := newAccount(t, h, w.Mgmt, "young@example.com", "Young")
	wantAPIError(t, remove(created), "ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
	h.advance(t, createdWait-time.Minute)
	wantAPIError(t, remove(created), "ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
	h.advance(t, time.Minute)
	if err := remove(created); err != nil {
		t.Fatalf("4 days after creation: %v", err)
	}
	_, err = h.client(t, created).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")

	// An invited account may go at once and is then standalone, with its
	// tags in the organization gone.
	if _, err := w.Mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(memberID), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	if err := remove(memberID); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, remove(memberID), "AccountNotFoundException", "")
	_, err = w.Member.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	var niu *types.AWSOrganizationsNotInUseException
	if !errors.As(err, &niu) || niu.ErrorMessage() != "Your account is not a member of an organization." {
		t.Errorf("message %v", err)
	}
	_, err = w.Member.LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{})
	wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
	_, err = w.Mgmt.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(memberID)})
	wantAPIError(t, err, "AccountNotFoundException", "")
	_, err = w.Mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(memberID)})
	wantAPIError(t, err, "TargetNotFoundException", "")
	if ids, _ := accountIDs(t, w.Mgmt, 0); !slices.Equal(ids, []string{mgmtID}) {
		t.Fatalf("accounts after the removals: %v", ids)
	}
	kids, err := w.Mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount})
	if err != nil || len(kids.Children) != 1 {
		t.Fatalf("root's accounts %+v, %v", kids, err)
	}

	// As a standalone account it may create an organization of its own,
	// to which its tags in the old one do not follow (spec 5.5).
	ownTags := func() map[string]string {
		t.Helper()
		if o := h.newOrg(t, memberID, ""); aws.ToString(o.MasterAccountId) != memberID {
			t.Fatalf("organization %+v", o)
		}
		got, _ := tagsOf(t, w.Member, memberID)
		if _, err := w.Member.DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := ownTags(); len(got) != 0 {
		t.Fatalf("tags after the removal: %v", got)
	}

	// It may join again, as INVITED; leaving drops its tags the same way.
	h.join(t, mgmtID, memberID)
	if a := describeAccount(t, w.Mgmt, memberID); a.JoinedMethod != types.AccountJoinedMethodInvited || aws.ToString(a.Email) != "member@example.com" {
		t.Fatalf("rejoined %+v", a)
	}
	if _, err := w.Mgmt.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: aws.String(memberID), Tags: tagList("k", "v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Member.LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	if got := ownTags(); len(got) != 0 {
		t.Fatalf("tags after leaving: %v", got)
	}
}

// --- quotas -------------------------------------------------------------------------

func TestAccountQuotas(t *testing.T) {
	t.Parallel()
	t.Run("accounts per organization", func(t *testing.T) {
		t.Parallel()
		// The management account and two more.
		h := accountsHarness(t, withQuotas(func(q *org.Quotas) { q.AccountsPerOrganization = 3 }))
		w := h.world(t, false)
		startCreateAccount(t, w.Mgmt, "a@example.com", "A")
		// Requests in progress count.
		dup := startCreateAccount(t, w.Mgmt, "a@example.com", "A again")
		_, err := w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("c@example.com"), AccountName: aws.String("C")})
		wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		// A failed request frees its place; a successful one keeps it.
		h.advance(t, createDelay)
		if s := createStatus(t, w.Mgmt, aws.ToString(dup.Id)); s.State != types.CreateAccountStateFailed {
			t.Fatalf("duplicate %s", s.State)
		}
		startCreateAccount(t, w.Mgmt, "b@example.com", "B")
		h.advance(t, createDelay)
		_, err = w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("c@example.com"), AccountName: aws.String("C")})
		wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		if ids, _ := accountIDs(t, w.Mgmt, 0); len(ids) != 3 {
			t.Fatalf("accounts %v", ids)
		}
	})
	t.Run("open invitations count", func(t *testing.T) {
		t.Parallel()
		h := accountsHarness(t, withQuotas(func(q *org.Quotas) { q.AccountsPerOrganization = 2 }))
		w := h.world(t, false)
		inv, err := w.Mgmt.InviteAccountToOrganization(ctx(t), &organizations.InviteAccountToOrganizationInput{
			Target: &types.HandshakeParty{Id: aws.String(memberID), Type: types.HandshakePartyTypeAccount},
		})
		skipIfNotImplemented(t, err)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("c@example.com"), AccountName: aws.String("C")})
		wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
		if _, err := w.Mgmt.CancelHandshake(ctx(t), &organizations.CancelHandshakeInput{HandshakeId: inv.Handshake.Id}); err != nil {
			t.Fatal(err)
		}
		startCreateAccount(t, w.Mgmt, "c@example.com", "C")
	})
	t.Run("creations in progress", func(t *testing.T) {
		t.Parallel()
		h := accountsHarness(t, withQuotas(func(q *org.Quotas) { q.ConcurrentCreateAccount = 2 }))
		w := h.world(t, false)
		startCreateAccount(t, w.Mgmt, "a@example.com", "A")
		startCreateAccount(t, w.Mgmt, "b@example.com", "B")
		_, err := w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("c@example.com"), AccountName: aws.String("C")})
		wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED")
		h.advance(t, createDelay)
		startCreateAccount(t, w.Mgmt, "c@example.com", "C")
	})
	t.Run("the default quota is 5 creations in progress", func(t *testing.T) {
		t.Parallel()
		h := accountsHarness(t)
		w := h.world(t, false)
		for i := range 5 {
			startCreateAccount(t, w.Mgmt, fmt.Sprintf("d%d@example.com", i), "D")
		}
		_, err := w.Mgmt.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("d5@example.com"), AccountName: aws.String("D")})
		wantAPIError(t, err, "ConstraintViolationException", "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED")
	})
	t.Run("closures in progress", func(t *testing.T) {
		t.Parallel()
		h := accountsHarness(t, withQuotas(func(q *org.Quotas) { q.ConcurrentCloseAccount = 1 }))
		w := h.world(t, false)
		a := newAccount(t, h, w.Mgmt, "a@example.com", "A")
		b := newAccount(t, h, w.Mgmt, "b@example.com", "B")
		if _, err := w.Mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(a)}); err != nil {
			t.Fatal(err)
		}
		_, err := w.Mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(b)})
		wantAPIError(t, err, "ConstraintViolationException", "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED")
		h.advance(t, closeDelay)
		if _, err := w.Mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	})
}

// --- who may call what ----------------------------------------------------------

// Every account operation as a member (AccessDeniedException) and as a
// standalone account (AWSOrganizationsNotInUseException), with AWS's
// messages, and without effect (spec 6.1, 6.2).
func TestAccountCallers(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	w := h.world(t, true)
	rootID := rootOf(t, w.Mgmt)
	ou := createOU(t, w.Mgmt, rootID, "Target")
	s := startCreateAccount(t, w.Mgmt, "first@example.com", "First")
	h.advance(t, createDelay)
	acct := aws.ToString(createStatus(t, w.Mgmt, aws.ToString(s.Id)).AccountId)
	h.advance(t, createdWait)

	ops := []struct {
		name string
		call func(c *organizations.Client) error
	}{
		{"CreateAccount", func(c *organizations.Client) error {
			_, err := c.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String("new@example.com"), AccountName: aws.String("New")})
			return err
		}},
		{"DescribeCreateAccountStatus", func(c *organizations.Client) error {
			_, err := c.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: s.Id})
			return err
		}},
		{"ListCreateAccountStatus", func(c *organizations.Client) error {
			_, err := c.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
			return err
		}},
		{"DescribeAccount", func(c *organizations.Client) error {
			_, err := c.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(acct)})
			return err
		}},
		{"DescribeAccount of itself", func(c *organizations.Client) error {
			_, err := c.DescribeAccount(ctx(t), &organizations.DescribeAccountInput{AccountId: aws.String(memberID)})
			return err
		}},
		{"ListAccounts", func(c *organizations.Client) error {
			_, err := c.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
			return err
		}},
		{"ListAccountsForParent", func(c *organizations.Client) error {
			_, err := c.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID)})
			return err
		}},
		{"MoveAccount", func(c *organizations.Client) error {
			_, err := c.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(acct), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(ou)})
			return err
		}},
		{"CloseAccount", func(c *organizations.Client) error {
			_, err := c.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(acct)})
			return err
		}},
		{"RemoveAccountFromOrganization", func(c *organizations.Client) error {
			_, err := c.RemoveAccountFromOrganization(ctx(t), &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(acct)})
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.call(w.Member)
			wantAPIError(t, err, "AccessDeniedException", "")
			if msg := apiMessage(err); msg != "You don't have permissions to access this resource." {
				t.Errorf("AccessDeniedException message %q", msg)
			}
			err = op.call(w.Standalone)
			wantAPIError(t, err, "AWSOrganizationsNotInUseException", "")
			if msg := apiMessage(err); msg != "Your account is not a member of an organization." {
				t.Errorf("AWSOrganizationsNotInUseException message %q", msg)
			}
		})
	}
	// The refused calls changed nothing.
	a := describeAccount(t, w.Mgmt, acct)
	if a.State != types.AccountStateActive || !strings.Contains(a.Paths[0], "/"+rootID+"/"+acct+"/") {
		t.Fatalf("account after the refused calls: %+v", a)
	}
	out, err := w.Mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
	if err != nil || len(out.CreateAccountStatuses) != 1 {
		t.Fatalf("requests after the refused calls: %+v, %v", out, err)
	}
	// The management account may make each call (but CloseAccount, after
	// which the account could not be removed).
	for _, op := range ops {
		if op.name == "CloseAccount" {
			continue
		}
		if err := op.call(w.Mgmt); err != nil {
			t.Errorf("%s as the management account: %v", op.name, err)
		}
	}
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// --- the wire ---------------------------------------------------------------------

// wireChecker is an HTTP client that checks every response body before
// the SDK reads it: a JSON object, without nulls, with timestamps as
// numbers (spec 7.3, 7.5).
type wireChecker struct {
	t         testing.TB
	responses atomic.Int64
}

func (c *wireChecker) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.responses.Add(1)
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AWSOrganizationsV20161128.")
	if len(bytes.TrimSpace(body)) > 0 {
		checkWireJSON(c.t, op, body)
	}
	return resp, nil
}

// checkWireJSON fails the test for a body that is not a JSON object, has
// a null anywhere, or has a timestamp that is not a number.
func checkWireJSON(t testing.TB, op string, body []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s: body is not JSON: %v: %s", op, err, body)
		return
	}
	if _, ok := v.(map[string]any); !ok {
		t.Errorf("%s: body is not a JSON object: %s", op, body)
		return
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s: null at %s: %s", op, path, body)
		case map[string]any:
			for k, m := range v {
				if strings.HasSuffix(k, "Timestamp") || strings.HasSuffix(k, "Date") || k == "DateEnabled" {
					if _, ok := m.(json.Number); !ok {
						t.Errorf("%s: %s.%s is %T, want a number of epoch seconds", op, path, k, m)
					}
				}
				walk(path+"."+k, m)
			}
		case []any:
			for i, m := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), m)
			}
		}
	}
	walk("$", v)
}

// checkedClient is h.client(t, id) over a wireChecker.
func (h *harness) checkedClient(t testing.TB, id string) (*organizations.Client, *wireChecker) {
	t.Helper()
	wc := &wireChecker{t: t}
	return organizations.New(h.client(t, id).Options(), func(o *organizations.Options) { o.HTTPClient = wc }), wc
}

// authFor is the Authorization header of a request from account id, as
// permissive mode reads it.
func authFor(id string) map[string]string {
	return map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=" + id + "/20250101/us-east-1/organizations/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"}
}

// Every response of the account lifecycle, through the SDK, has
// timestamps the SDK decodes as times at server time, and no nulls; raw,
// absent members are left out rather than null.
func TestAccountResponsesOnTheWire(t *testing.T) {
	t.Parallel()
	h := accountsHarness(t)
	start := h.now(t)
	mgmt, wc := h.checkedClient(t, mgmtID)
	if _, err := mgmt.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	rootID := rootOf(t, mgmt)
	ou := createOU(t, mgmt, rootID, "Wire")
	s := startCreateAccount(t, mgmt, "wire@example.com", "Wire")
	dup := startCreateAccount(t, mgmt, "mgmt-dup@example.com", "Dup")
	h.registerAccount(t, standaloneID, "mgmt-dup@example.com", "Taken")

	// Raw: an IN_PROGRESS status has no completion members at all.
	status, _, body := h.raw(t, "DescribeCreateAccountStatus", `{"CreateAccountRequestId":"`+aws.ToString(s.Id)+`"}`, authFor(mgmtID))
	if status != http.StatusOK {
		t.Fatalf("DescribeCreateAccountStatus: %d %v", status, body)
	}
	cs, _ := body["CreateAccountStatus"].(map[string]any)
	for _, k := range []string{"CompletedTimestamp", "AccountId", "FailureReason", "GovCloudAccountId"} {
		if v, present := cs[k]; present {
			t.Errorf("IN_PROGRESS status has %s: %v", k, v)
		}
	}
	if _, ok := cs["RequestedTimestamp"].(float64); !ok || cs["State"] != "IN_PROGRESS" || cs["Id"] != aws.ToString(s.Id) {
		t.Errorf("raw status %v", cs)
	}
	raw, _ := json.Marshal(body)
	checkWireJSON(t, "DescribeCreateAccountStatus", raw)

	end := h.advance(t, createDelay)
	done := createStatus(t, mgmt, aws.ToString(s.Id))
	acct := aws.ToString(done.AccountId)
	if _, err := mgmt.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: aws.String(acct), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(ou)}); err != nil {
		t.Fatal(err)
	}
	if f := createStatus(t, mgmt, aws.ToString(dup.Id)); f.State != types.CreateAccountStateFailed {
		t.Fatalf("duplicate %s", f.State)
	}

	// Raw: a failed status has no AccountId; an account has every member.
	_, _, body = h.raw(t, "DescribeCreateAccountStatus", `{"CreateAccountRequestId":"`+aws.ToString(dup.Id)+`"}`, authFor(mgmtID))
	cs, _ = body["CreateAccountStatus"].(map[string]any)
	if _, present := cs["AccountId"]; present || cs["FailureReason"] != "EMAIL_ALREADY_EXISTS" {
		t.Errorf("raw failed status %v", cs)
	}
	_, _, body = h.raw(t, "DescribeAccount", `{"AccountId":"`+acct+`"}`, authFor(mgmtID))
	a, _ := body["Account"].(map[string]any)
	for _, k := range []string{"Id", "Arn", "Email", "Name", "Status", "State", "JoinedMethod", "JoinedTimestamp", "Paths"} {
		if _, present := a[k]; !present {
			t.Errorf("raw account lacks %s: %v", k, a)
		}
	}
	raw, _ = json.Marshal(body)
	checkWireJSON(t, "DescribeAccount", raw)

	// Through the SDK: every timestamp decodes into a time between the
	// start of the test and now, in server time.
	stamp := func(what string, ts *time.Time) {
		t.Helper()
		if !within(ts, start, end) {
			t.Errorf("%s %v, want between %v and %v", what, ts, start, end)
		}
	}
	lc, err := mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range lc.CreateAccountStatuses {
		stamp("RequestedTimestamp", s.RequestedTimestamp)
		stamp("CompletedTimestamp", s.CompletedTimestamp)
	}
	la, err := mgmt.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range la.Accounts {
		stamp("JoinedTimestamp of "+aws.ToString(a.Id), a.JoinedTimestamp)
	}
	lp, err := mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(ou)})
	if err != nil || len(lp.Accounts) != 1 {
		t.Fatalf("ListAccountsForParent %+v, %v", lp, err)
	}
	stamp("JoinedTimestamp", lp.Accounts[0].JoinedTimestamp)
	stamp("JoinedTimestamp", describeAccount(t, mgmt, acct).JoinedTimestamp)
	if _, err := mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(acct)}); err != nil {
		t.Fatal(err)
	}
	// Empty listings are empty arrays, not nulls.
	empty := createOU(t, mgmt, rootID, "Empty")
	if out, err := mgmt.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(empty)}); err != nil || out.Accounts == nil || len(out.Accounts) != 0 {
		t.Fatalf("empty ListAccountsForParent %+v, %v", out, err)
	}
	if out, err := mgmt.ListChildren(ctx(t), &organizations.ListChildrenInput{ParentId: aws.String(empty), ChildType: types.ChildTypeOrganizationalUnit}); err != nil || len(out.Children) != 0 {
		t.Fatalf("empty ListChildren %+v, %v", out, err)
	}
	if out, err := mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: aws.String(empty)}); err != nil || len(out.Tags) != 0 {
		t.Fatalf("empty ListTagsForResource %+v, %v", out, err)
	}
	if out, err := mgmt.ListCreateAccountStatus(ctx(t), &organizations.ListCreateAccountStatusInput{States: []types.CreateAccountState{types.CreateAccountStateInProgress}}); err != nil || len(out.CreateAccountStatuses) != 0 {
		t.Fatalf("empty ListCreateAccountStatus %+v, %v", out, err)
	}
	// Raw, they are there as [] (the model's lists are never left out of
	// a List response).
	for _, c := range []struct{ op, body, member string }{
		{"ListAccountsForParent", `{"ParentId":"` + empty + `"}`, "Accounts"},
		{"ListChildren", `{"ParentId":"` + empty + `","ChildType":"ACCOUNT"}`, "Children"},
		{"ListOrganizationalUnitsForParent", `{"ParentId":"` + empty + `"}`, "OrganizationalUnits"},
		{"ListTagsForResource", `{"ResourceId":"` + empty + `"}`, "Tags"},
		{"ListCreateAccountStatus", `{"States":["IN_PROGRESS"]}`, "CreateAccountStatuses"},
	} {
		status, _, body := h.raw(t, c.op, c.body, authFor(mgmtID))
		if l, ok := body[c.member].([]any); status != http.StatusOK || !ok || len(l) != 0 {
			t.Errorf("%s: %d %v, want %s: []", c.op, status, body, c.member)
		}
		if _, present := body["NextToken"]; present {
			t.Errorf("%s: NextToken in %v", c.op, body)
		}
	}
	// Errors go through the checker too.
	_, err = mgmt.CloseAccount(ctx(t), &organizations.CloseAccountInput{AccountId: aws.String(acct)})
	wantAPIError(t, err, "AccountAlreadyClosedException", "")
	if n := wc.responses.Load(); n < 12 {
		t.Fatalf("the checker saw %d responses", n)
	}
}

// The checker itself: it must catch what it is there to catch.
func TestWireChecker(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"Account":{"Id":"111111111111","JoinedTimestamp":1.5}}`, true},
		{`{"Account":{"Id":"111111111111","Email":null}}`, false},
		{`{"Accounts":[null]}`, false},
		{`{"Account":{"JoinedTimestamp":"2020-01-01T00:00:00Z"}}`, false},
		{`{"Handshake":{"ExpirationTimestamp":{}}}`, false},
		{`[]`, false},
	} {
		ft := &fakeT{TB: t}
		checkWireJSON(ft, "Op", []byte(tc.body))
		if ft.failed == tc.ok {
			t.Errorf("%s: failed %v", tc.body, ft.failed)
		}
	}
}

// fakeT records failures instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
