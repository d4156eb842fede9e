package clone

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/throttle"
)

// DefaultPace is the share of AWS's documented rate a clone calls each
// operation at, leaving room for whatever else uses the account's quota.
const DefaultPace = 0.8

// DefaultConcurrency is how many calls a clone has in flight at once.
const DefaultConcurrency = 8

// pageSize is the most items every List operation gives in one page.
var pageSize = aws.Int32(20)

// Options configure a crawl.
type Options struct {
	// Pace is the share of each operation's documented rate (package
	// throttle) to call it at; 0 calls as fast as the source answers,
	// which only a test against a local source should do.
	Pace float64
	// Concurrency bounds the calls in flight; 0 means DefaultConcurrency.
	Concurrency int
	// Progress, if not nil, hears how far the crawl is.
	Progress Progress
	// Now is the clock of the snapshot's Taken time; nil means time.Now.
	Now func() time.Time
	// Skip names operations of Skippable not to call, for a source that
	// does not serve them (moto has no handshakes); what they would have
	// read is then missing from the copy.
	Skip map[string]bool
}

// Skippable are the operations Options.Skip may name: each reads one part
// of the organization that the rest does not depend on.
var Skippable = []string{
	"ListCreateAccountStatus", "ListHandshakesForOrganization", "ListAWSServiceAccessForOrganization",
	"ListDelegatedAdministrators", "DescribeResourcePolicy",
}

// Counts say how far a crawl is.
type Counts struct {
	// Accounts is how many accounts are read in full (placed and
	// tagged), of AccountsTotal that ListAccounts showed.
	Accounts, AccountsTotal int
	OUs                     int
	Policies                int
	Handshakes              int
	// Calls is how many API calls were made.
	Calls int
}

// Progress hears a crawl's counts as they change, from any goroutine.
type Progress interface {
	Update(Counts)
}

// crawler is one crawl's state.
type crawler struct {
	c     Client
	opt   Options
	sem   chan struct{}
	mu    sync.Mutex // guards limits, snap and counts
	limit map[string]*rate.Limiter
	snap  *org.Snapshot
	n     Counts
}

// Crawl reads the organization the client's credentials manage into a
// snapshot. Every error names the operation that failed and why.
func Crawl(ctx context.Context, c Client, opt Options) (*org.Snapshot, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	cr := &crawler{c: c, opt: opt, sem: make(chan struct{}, opt.Concurrency), limit: map[string]*rate.Limiter{},
		snap: &org.Snapshot{Tags: map[string][]api.Tag{}, Delegations: map[string][]api.DelegatedService{}}}
	cr.snap.Taken = opt.Now().UTC()
	if err := cr.crawl(ctx); err != nil {
		return nil, err
	}
	return cr.snap, nil
}

// wait paces op and takes a slot of the concurrency bound; release gives
// it back.
func (cr *crawler) wait(ctx context.Context, op string) error {
	if l := cr.limiter(op); l != nil {
		if err := l.Wait(ctx); err != nil {
			return err
		}
	}
	select {
	case cr.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (cr *crawler) release() { <-cr.sem }

// limiter returns op's pace: Pace times its documented rate, one call at
// a time; nil when the crawl is not paced.
func (cr *crawler) limiter(op string) *rate.Limiter {
	if cr.opt.Pace <= 0 {
		return nil
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	l := cr.limit[op]
	if l == nil {
		lim, ok := throttle.Limits[op]
		if !ok {
			lim = throttle.Default
		}
		l = rate.NewLimiter(rate.Limit(lim.Rate*cr.opt.Pace), 1)
		cr.limit[op] = l
	}
	return l
}

// call makes one paced call of op.
func call[I, O any](ctx context.Context, cr *crawler, op string, f func(context.Context, *I, ...func(*organizations.Options)) (*O, error), in *I) (*O, error) {
	if err := cr.wait(ctx, op); err != nil {
		return nil, err
	}
	out, err := f(ctx, in)
	cr.release()
	cr.count(func(n *Counts) { n.Calls++ })
	if err != nil {
		return nil, &CallError{Op: op, Err: err}
	}
	return out, nil
}

// pages calls op for every page: in makes the input for a token, page
// takes an output and returns the next token.
func pages[I, O any](ctx context.Context, cr *crawler, op string, f func(context.Context, *I, ...func(*organizations.Options)) (*O, error), in func(token *string) *I, page func(*O) *string) error {
	return pagesFrom(ctx, cr, nil, op, f, in, page)
}

// pagesFrom is pages from the page of token on.
func pagesFrom[I, O any](ctx context.Context, cr *crawler, token *string, op string, f func(context.Context, *I, ...func(*organizations.Options)) (*O, error), in func(token *string) *I, page func(*O) *string) error {
	for {
		out, err := call(ctx, cr, op, f, in(token))
		if err != nil {
			return err
		}
		if token = page(out); aws.ToString(token) == "" {
			return nil
		}
	}
}

// count changes the counts and tells Progress.
func (cr *crawler) count(change func(*Counts)) {
	cr.mu.Lock()
	change(&cr.n)
	n := cr.n
	cr.mu.Unlock()
	if cr.opt.Progress != nil {
		cr.opt.Progress.Update(n)
	}
}

// locked runs fn holding the snapshot's lock.
func (cr *crawler) locked(fn func(s *org.Snapshot)) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	fn(cr.snap)
}

// tags reads a resource's tags into the snapshot.
func (cr *crawler) tags(ctx context.Context, id string) error {
	var tags []api.Tag
	err := pages(ctx, cr, "ListTagsForResource", cr.c.ListTagsForResource,
		func(t *string) *organizations.ListTagsForResourceInput {
			return &organizations.ListTagsForResourceInput{ResourceId: &id, NextToken: t}
		},
		func(o *organizations.ListTagsForResourceOutput) *string {
			for _, t := range o.Tags {
				tags = append(tags, api.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
			}
			return o.NextToken
		})
	if err != nil || len(tags) == 0 {
		return err
	}
	cr.locked(func(s *org.Snapshot) { s.Tags[id] = tags })
	return nil
}

func (cr *crawler) crawl(ctx context.Context) error {
	do, err := call(ctx, cr, "DescribeOrganization", cr.c.DescribeOrganization, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return err
	}
	cr.snap.Organization = orgOf(do.Organization)
	// The first page of ListAccounts before anything else: it is what a
	// caller that is no administrator is refused. The other pages come
	// with the rest of the crawl.
	var listedMu sync.Mutex
	listed := map[string]bool{}
	listIn := func(t *string) *organizations.ListAccountsInput {
		return &organizations.ListAccountsInput{NextToken: t, MaxResults: pageSize}
	}
	listPage := func(o *organizations.ListAccountsOutput) *string {
		listedMu.Lock()
		for _, a := range o.Accounts {
			listed[aws.ToString(a.Id)] = true
		}
		listedMu.Unlock()
		cr.count(func(n *Counts) { n.AccountsTotal += len(o.Accounts) })
		return o.NextToken
	}
	first, err := call(ctx, cr, "ListAccounts", cr.c.ListAccounts, listIn(nil))
	if err != nil {
		return err
	}
	next := listPage(first)
	roots, err := call(ctx, cr, "ListRoots", cr.c.ListRoots, &organizations.ListRootsInput{})
	if err != nil {
		return err
	}
	if len(roots.Roots) != 1 {
		return fmt.Errorf("ListRoots: the organization has %d roots, not one", len(roots.Roots))
	}
	cr.snap.Root = rootOf(roots.Roots[0])

	g, gctx := errgroup.WithContext(ctx)
	if aws.ToString(next) != "" {
		g.Go(func() error { return pagesFrom(gctx, cr, next, "ListAccounts", cr.c.ListAccounts, listIn, listPage) })
	}
	g.Go(func() error { return cr.tree(gctx, g, cr.snap.Root.Id) })
	g.Go(func() error { return cr.tags(gctx, cr.snap.Root.Id) })
	g.Go(func() error { return cr.policies(gctx, g) })
	optional := func(op string, read func(context.Context) error) {
		if !cr.opt.Skip[op] {
			g.Go(func() error { return read(gctx) })
		}
	}
	optional("ListCreateAccountStatus", cr.createStatuses)
	optional("ListHandshakesForOrganization", cr.handshakes)
	if cr.snap.Organization.FeatureSet == api.OrganizationFeatureSetAll {
		// Trusted access and delegation need all features.
		optional("ListAWSServiceAccessForOrganization", cr.serviceAccess)
		optional("ListDelegatedAdministrators", func(ctx context.Context) error { return cr.delegations(ctx, g) })
		optional("DescribeResourcePolicy", cr.resourcePolicy)
	}
	if err := g.Wait(); err != nil {
		return err
	}
	found := map[string]bool{}
	for _, a := range cr.snap.Accounts {
		if found[a.Id] {
			return fmt.Errorf("account %s is under two parents: it moved during the clone; run it again", a.Id)
		}
		found[a.Id] = true
	}
	for id := range listed {
		if !found[id] {
			return fmt.Errorf("account %s is in ListAccounts but under no root or OU: it moved during the clone; run it again", id)
		}
	}
	return nil
}

// tree reads parent's child OUs and accounts, and under each OU the same.
func (cr *crawler) tree(ctx context.Context, g *errgroup.Group, parent string) error {
	if err := pages(ctx, cr, "ListOrganizationalUnitsForParent", cr.c.ListOrganizationalUnitsForParent,
		func(t *string) *organizations.ListOrganizationalUnitsForParentInput {
			return &organizations.ListOrganizationalUnitsForParentInput{ParentId: &parent, NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListOrganizationalUnitsForParentOutput) *string {
			for _, u := range o.OrganizationalUnits {
				ou := org.SnapshotOU{OrganizationalUnit: api.OrganizationalUnit{Id: aws.ToString(u.Id), Arn: aws.ToString(u.Arn), Name: aws.ToString(u.Name)}, Parent: parent}
				cr.locked(func(s *org.Snapshot) { s.OUs = append(s.OUs, ou) })
				cr.count(func(n *Counts) { n.OUs++ })
				g.Go(func() error { return cr.tree(ctx, g, ou.Id) })
				g.Go(func() error { return cr.tags(ctx, ou.Id) })
			}
			return o.NextToken
		}); err != nil {
		return err
	}
	return pages(ctx, cr, "ListAccountsForParent", cr.c.ListAccountsForParent,
		func(t *string) *organizations.ListAccountsForParentInput {
			return &organizations.ListAccountsForParentInput{ParentId: &parent, NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListAccountsForParentOutput) *string {
			for _, a := range o.Accounts {
				sa := org.SnapshotAccount{Account: accountOf(a), Parent: parent}
				cr.locked(func(s *org.Snapshot) { s.Accounts = append(s.Accounts, sa) })
				g.Go(func() error {
					if err := cr.tags(ctx, sa.Id); err != nil {
						return err
					}
					cr.count(func(n *Counts) { n.Accounts++ })
					return nil
				})
			}
			return o.NextToken
		})
}

// policies reads the policies of every type, their content, targets and
// tags.
func (cr *crawler) policies(ctx context.Context, g *errgroup.Group) error {
	for _, typ := range types.PolicyType("").Values() {
		err := pages(ctx, cr, "ListPolicies", cr.c.ListPolicies,
			func(t *string) *organizations.ListPoliciesInput {
				return &organizations.ListPoliciesInput{Filter: typ, NextToken: t, MaxResults: pageSize}
			},
			func(o *organizations.ListPoliciesOutput) *string {
				for _, p := range o.Policies {
					g.Go(func() error { return cr.policy(ctx, p) })
				}
				return o.NextToken
			})
		var ii *types.InvalidInputException
		if errors.As(err, &ii) {
			// A source that does not know the type has no policy of it.
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (cr *crawler) policy(ctx context.Context, sum types.PolicySummary) error {
	id := aws.ToString(sum.Id)
	if sum.AwsManaged && !org.IsAWSManagedPolicy(id) {
		return fmt.Errorf("policy %s (%s) is an AWS-managed policy orgd does not have; it can't be copied", id, aws.ToString(sum.Name))
	}
	sp := org.SnapshotPolicy{PolicySummary: api.PolicySummary{
		Id: id, Arn: aws.ToString(sum.Arn), Name: aws.ToString(sum.Name), Description: aws.ToString(sum.Description),
		Type: api.PolicyType(sum.Type), AwsManaged: sum.AwsManaged,
	}}
	if !sum.AwsManaged {
		out, err := call(ctx, cr, "DescribePolicy", cr.c.DescribePolicy, &organizations.DescribePolicyInput{PolicyId: &id})
		if err != nil {
			return err
		}
		if out.Policy != nil {
			sp.Content = aws.ToString(out.Policy.Content)
		}
		if err := cr.tags(ctx, id); err != nil {
			return err
		}
	}
	if err := pages(ctx, cr, "ListTargetsForPolicy", cr.c.ListTargetsForPolicy,
		func(t *string) *organizations.ListTargetsForPolicyInput {
			return &organizations.ListTargetsForPolicyInput{PolicyId: &id, NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListTargetsForPolicyOutput) *string {
			for _, t := range o.Targets {
				sp.Targets = append(sp.Targets, aws.ToString(t.TargetId))
			}
			return o.NextToken
		}); err != nil {
		return err
	}
	cr.locked(func(s *org.Snapshot) { s.Policies = append(s.Policies, sp) })
	cr.count(func(n *Counts) { n.Policies++ })
	return nil
}

func (cr *crawler) createStatuses(ctx context.Context) error {
	return pages(ctx, cr, "ListCreateAccountStatus", cr.c.ListCreateAccountStatus,
		func(t *string) *organizations.ListCreateAccountStatusInput {
			return &organizations.ListCreateAccountStatusInput{NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListCreateAccountStatusOutput) *string {
			for _, c := range o.CreateAccountStatuses {
				cs := api.CreateAccountStatus{
					Id: aws.ToString(c.Id), AccountName: aws.ToString(c.AccountName), State: api.CreateAccountState(c.State),
					RequestedTimestamp: timeOf(c.RequestedTimestamp), CompletedTimestamp: timeOf(c.CompletedTimestamp),
					AccountId: aws.ToString(c.AccountId), FailureReason: api.CreateAccountFailureReason(c.FailureReason),
				}
				cr.locked(func(s *org.Snapshot) { s.CreateStatuses = append(s.CreateStatuses, cs) })
			}
			return o.NextToken
		})
}

func (cr *crawler) handshakes(ctx context.Context) error {
	return pages(ctx, cr, "ListHandshakesForOrganization", cr.c.ListHandshakesForOrganization,
		func(t *string) *organizations.ListHandshakesForOrganizationInput {
			return &organizations.ListHandshakesForOrganizationInput{NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListHandshakesForOrganizationOutput) *string {
			for _, h := range o.Handshakes {
				v := handshakeOf(h)
				cr.locked(func(s *org.Snapshot) { s.Handshakes = append(s.Handshakes, v) })
				cr.count(func(n *Counts) { n.Handshakes++ })
			}
			return o.NextToken
		})
}

func (cr *crawler) serviceAccess(ctx context.Context) error {
	return pages(ctx, cr, "ListAWSServiceAccessForOrganization", cr.c.ListAWSServiceAccessForOrganization,
		func(t *string) *organizations.ListAWSServiceAccessForOrganizationInput {
			return &organizations.ListAWSServiceAccessForOrganizationInput{NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListAWSServiceAccessForOrganizationOutput) *string {
			for _, p := range o.EnabledServicePrincipals {
				sp := api.EnabledServicePrincipal{ServicePrincipal: aws.ToString(p.ServicePrincipal), DateEnabled: timeOf(p.DateEnabled)}
				cr.locked(func(s *org.Snapshot) { s.ServiceAccess = append(s.ServiceAccess, sp) })
			}
			return o.NextToken
		})
}

func (cr *crawler) delegations(ctx context.Context, g *errgroup.Group) error {
	return pages(ctx, cr, "ListDelegatedAdministrators", cr.c.ListDelegatedAdministrators,
		func(t *string) *organizations.ListDelegatedAdministratorsInput {
			return &organizations.ListDelegatedAdministratorsInput{NextToken: t, MaxResults: pageSize}
		},
		func(o *organizations.ListDelegatedAdministratorsOutput) *string {
			for _, d := range o.DelegatedAdministrators {
				id := aws.ToString(d.Id)
				g.Go(func() error {
					var services []api.DelegatedService
					err := pages(ctx, cr, "ListDelegatedServicesForAccount", cr.c.ListDelegatedServicesForAccount,
						func(t *string) *organizations.ListDelegatedServicesForAccountInput {
							return &organizations.ListDelegatedServicesForAccountInput{AccountId: &id, NextToken: t, MaxResults: pageSize}
						},
						func(o *organizations.ListDelegatedServicesForAccountOutput) *string {
							for _, s := range o.DelegatedServices {
								services = append(services, api.DelegatedService{ServicePrincipal: aws.ToString(s.ServicePrincipal), DelegationEnabledDate: timeOf(s.DelegationEnabledDate)})
							}
							return o.NextToken
						})
					if err != nil {
						return err
					}
					cr.locked(func(s *org.Snapshot) { s.Delegations[id] = services })
					return nil
				})
			}
			return o.NextToken
		})
}

func (cr *crawler) resourcePolicy(ctx context.Context) error {
	out, err := call(ctx, cr, "DescribeResourcePolicy", cr.c.DescribeResourcePolicy, &organizations.DescribeResourcePolicyInput{})
	var nf *types.ResourcePolicyNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return err
	}
	rp := out.ResourcePolicy
	if rp == nil || rp.ResourcePolicySummary == nil {
		return nil
	}
	id := aws.ToString(rp.ResourcePolicySummary.Id)
	cr.locked(func(s *org.Snapshot) {
		s.ResourcePolicy = &api.ResourcePolicy{
			ResourcePolicySummary: &api.ResourcePolicySummary{Id: id, Arn: aws.ToString(rp.ResourcePolicySummary.Arn)},
			Content:               aws.ToString(rp.Content),
		}
	})
	return cr.tags(ctx, id)
}

// --- from the SDK's shapes to orgd's ---------------------------------------------

func timeOf(t *time.Time) api.Time {
	if t == nil {
		return api.Time{}
	}
	return api.NewTime(t.UTC())
}

func orgOf(o *types.Organization) api.Organization {
	if o == nil {
		return api.Organization{}
	}
	return api.Organization{
		Id: aws.ToString(o.Id), Arn: aws.ToString(o.Arn), FeatureSet: api.OrganizationFeatureSet(o.FeatureSet),
		MasterAccountArn: aws.ToString(o.MasterAccountArn), MasterAccountId: aws.ToString(o.MasterAccountId),
		MasterAccountEmail: aws.ToString(o.MasterAccountEmail),
	}
}

func rootOf(r types.Root) api.Root {
	v := api.Root{Id: aws.ToString(r.Id), Arn: aws.ToString(r.Arn), Name: aws.ToString(r.Name)}
	for _, pt := range r.PolicyTypes {
		v.PolicyTypes = append(v.PolicyTypes, api.PolicyTypeSummary{Type: api.PolicyType(pt.Type), Status: api.PolicyTypeStatus(pt.Status)})
	}
	return v
}

func accountOf(a types.Account) api.Account {
	return api.Account{
		Id: aws.ToString(a.Id), Arn: aws.ToString(a.Arn), Email: aws.ToString(a.Email), Name: aws.ToString(a.Name),
		Status: api.AccountStatus(a.Status), State: api.AccountState(a.State),
		JoinedMethod: api.AccountJoinedMethod(a.JoinedMethod), JoinedTimestamp: timeOf(a.JoinedTimestamp),
	}
}

func handshakeOf(h types.Handshake) api.Handshake {
	v := api.Handshake{
		Id: aws.ToString(h.Id), Arn: aws.ToString(h.Arn), State: api.HandshakeState(h.State), Action: api.ActionType(h.Action),
		RequestedTimestamp: timeOf(h.RequestedTimestamp), ExpirationTimestamp: timeOf(h.ExpirationTimestamp),
	}
	for _, p := range h.Parties {
		v.Parties = append(v.Parties, api.HandshakeParty{Id: aws.ToString(p.Id), Type: api.HandshakePartyType(p.Type)})
	}
	v.Resources = resourcesOf(h.Resources)
	return v
}

func resourcesOf(rs []types.HandshakeResource) []api.HandshakeResource {
	var out []api.HandshakeResource
	for _, r := range rs {
		out = append(out, api.HandshakeResource{Type: api.HandshakeResourceType(r.Type), Value: aws.ToString(r.Value), Resources: resourcesOf(r.Resources)})
	}
	return out
}
