package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
)

// pageSize is how many accounts a tree level shows before "more": the
// tree stays quick however large the organization.
const pageSize = 100

// maxResults is the largest page the API's list operations take.
const maxResults = 20

// collect calls fetch with each NextToken until there is none or limit
// items are in (limit 0: no limit), and returns the items and the token
// that would continue.
func collect[T any](limit int, token string, fetch func(next string) ([]T, string, error)) ([]T, string, error) {
	var all []T
	for {
		items, next, err := fetch(token)
		if err != nil {
			return nil, "", err
		}
		all = append(all, items...)
		token = next
		if token == "" || (limit > 0 && len(all) >= limit) {
			return all, token, nil
		}
	}
}

// --- the organization ----------------------------------------------------------

type orgView struct {
	RootPolicyTypes []api.PolicyTypeSummary
	Accounts        int
	ByState         map[string]int
	ByJoined        map[string]int
	OUs             int
	Policies        []typeCount
	OpenHandshakes  int
	Clock           string
	Steps           []clockStep
}

type clockStep struct {
	Label   string
	Seconds int
}

// clockSteps are the clock's buttons: an hour, a day, an invitation's
// lifetime, a migration's.
var clockSteps = []clockStep{{"+1 hour", 3600}, {"+1 day", 86400}, {"+15 days", 15 * 86400}, {"+90 days", 90 * 86400}}

type typeCount struct {
	Type  api.PolicyType
	Count int
}

func (c *Console) organization(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	v := orgView{RootPolicyTypes: p.Root.PolicyTypes, ByState: map[string]int{}, ByJoined: map[string]int{}, Clock: r.URL.Query().Get("clock"), Steps: clockSteps}
	accts, _, err := collect(0, "", func(next string) ([]api.Account, string, error) {
		out, err := c.svc.ListAccounts(p.asMgmt, &api.ListAccountsRequest{NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.Accounts, out.NextToken, nil
	})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	v.Accounts = len(accts)
	for _, a := range accts {
		v.ByState[string(a.State)]++
		v.ByJoined[string(a.JoinedMethod)]++
	}
	if v.OUs, err = c.countOUs(p, p.Root.Id); err != nil {
		c.fail(w, r, p, err)
		return
	}
	for _, t := range p.policyTypes() {
		ps, err := c.listPolicies(p, t)
		if err != nil {
			c.fail(w, r, p, err)
			return
		}
		v.Policies = append(v.Policies, typeCount{t, len(ps)})
	}
	hs, err := c.listHandshakes(p, "")
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	for _, h := range hs {
		if !ended(h.State) {
			v.OpenHandshakes++
		}
	}
	p.Title, p.Nav, p.Data = "Organization "+p.Org.Id, "org", v
	c.render(w, r, http.StatusOK, "organization", p)
}

func (c *Console) countOUs(p *page, parent string) (int, error) {
	ous, err := c.childOUs(p, parent)
	if err != nil {
		return 0, err
	}
	n := len(ous)
	for _, u := range ous {
		m, err := c.countOUs(p, u.Id)
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

// policyTypes are the types a page lists policies of: SCPs, which every
// organization has, and those enabled on the root.
func (p *page) policyTypes() []api.PolicyType {
	types := []api.PolicyType{api.PolicyTypeServiceControlPolicy}
	for _, t := range p.Root.PolicyTypes {
		if t.Status == api.PolicyTypeStatusEnabled && !slices.Contains(types, t.Type) {
			types = append(types, t.Type)
		}
	}
	return types
}

// advanceClock moves the server clock, as POST /_orgd/clock does.
func (c *Console) advanceClock(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	if !c.checkPost(r) {
		c.refusePost(w, r, p)
		return
	}
	secs, err := strconv.ParseFloat(r.PostFormValue("seconds"), 64)
	if err != nil || secs < 0 || secs > 10*365*24*3600 {
		p.Title, p.Data = "Error", "The clock moves forward by a number of seconds between 0 and ten years."
		c.render(w, r, http.StatusBadRequest, "error", p)
		return
	}
	now, err := c.svc.AdvanceClock(r.Context(), time.Duration(secs*float64(time.Second)))
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	http.Redirect(w, r, p.Base+"/?clock="+url.QueryEscape(now.UTC().Format(time.RFC3339)), http.StatusSeeOther)
}

func (c *Console) refusePost(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.Data = "Refused", "This action needs the console's own form (its CSRF token did not match, or it came from another site). Reload the page and try again."
	c.render(w, r, http.StatusForbidden, "error", p)
}

// --- the tree ------------------------------------------------------------------

type treeView struct {
	Parent   string
	Name     string
	Path     []crumb
	Children children
}

type crumb struct{ ID, Name string }

// children is one level of the tree: its OUs and a page of its accounts.
type children struct {
	Base     string
	Parent   string
	OUs      []api.OrganizationalUnit
	Accounts []api.Account
	More     string // the URL of the next page of accounts
	OnlyMore bool   // a further page: accounts only
}

func (c *Console) tree(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	parent := r.URL.Query().Get("parent")
	if parent == "" {
		parent = p.Root.Id
	}
	v := treeView{Parent: parent}
	var err error
	if v.Path, err = c.crumbs(p, parent); err != nil {
		c.fail(w, r, p, err)
		return
	}
	v.Name = v.Path[len(v.Path)-1].Name
	if v.Children, err = c.children(p, parent, r.URL.Query().Get("next")); err != nil {
		c.fail(w, r, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Tree: "+v.Name, "tree", v
	c.render(w, r, http.StatusOK, "tree", p)
}

// treeChildren is the fragment the tree loads when an OU opens, or when
// more of a level's accounts are asked for.
func (c *Console) treeChildren(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	q := r.URL.Query()
	ch, err := c.children(p, q.Get("parent"), q.Get("next"))
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	ch.OnlyMore = q.Get("next") != ""
	p.Data = ch
	c.render(w, r, http.StatusOK, "children", p)
}

func (c *Console) children(p *page, parent, token string) (children, error) {
	ch := children{Base: p.Base, Parent: parent}
	var err error
	if token == "" {
		if ch.OUs, err = c.childOUs(p, parent); err != nil {
			return ch, err
		}
		sort.Slice(ch.OUs, func(i, j int) bool { return strings.ToLower(ch.OUs[i].Name) < strings.ToLower(ch.OUs[j].Name) })
	}
	var next string
	ch.Accounts, next, err = collect(pageSize, token, func(next string) ([]api.Account, string, error) {
		out, err := c.svc.ListAccountsForParent(p.asMgmt, &api.ListAccountsForParentRequest{ParentId: parent, NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.Accounts, out.NextToken, nil
	})
	if err != nil {
		return ch, err
	}
	if next != "" {
		ch.More = p.Base + "/tree?" + url.Values{"parent": {parent}, "next": {next}}.Encode()
	}
	return ch, nil
}

func (c *Console) childOUs(p *page, parent string) ([]api.OrganizationalUnit, error) {
	ous, _, err := collect(0, "", func(next string) ([]api.OrganizationalUnit, string, error) {
		out, err := c.svc.ListOrganizationalUnitsForParent(p.asMgmt, &api.ListOrganizationalUnitsForParentRequest{ParentId: parent, NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.OrganizationalUnits, out.NextToken, nil
	})
	return ous, err
}

// crumbs returns the path from the root down to target (an OU or the
// root), with names.
func (c *Console) crumbs(p *page, target string) ([]crumb, error) {
	var path []crumb
	for id := target; id != ""; {
		if id == p.Root.Id {
			path = append(path, crumb{id, p.Root.Name})
			break
		}
		out, err := c.svc.DescribeOrganizationalUnit(p.asMgmt, &api.DescribeOrganizationalUnitRequest{OrganizationalUnitId: id})
		if err != nil {
			return nil, err
		}
		path = append(path, crumb{id, out.OrganizationalUnit.Name})
		parents, err := c.svc.ListParents(p.asMgmt, &api.ListParentsRequest{ChildId: id})
		if err != nil {
			return nil, err
		}
		id = ""
		if len(parents.Parents) > 0 {
			id = parents.Parents[0].Id
		}
	}
	slices.Reverse(path)
	return path, nil
}

// --- search --------------------------------------------------------------------

// searchLimit bounds the accounts a search shows.
const searchLimit = 100

type searchView struct {
	Query   string
	Results []api.Account
	More    bool
}

// search finds accounts whose ID, name or email contains the query.
func (c *Console) search(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := searchView{Query: q}
	if q != "" {
		needle := strings.ToLower(q)
		_, _, err := collect(0, "", func(next string) ([]api.Account, string, error) {
			out, err := c.svc.ListAccounts(p.asMgmt, &api.ListAccountsRequest{NextToken: next, MaxResults: maxResults})
			if err != nil {
				return nil, "", err
			}
			for _, a := range out.Accounts {
				if strings.Contains(a.Id, needle) || strings.Contains(strings.ToLower(a.Name), needle) || strings.Contains(strings.ToLower(a.Email), needle) {
					if len(v.Results) == searchLimit {
						v.More = true
						return nil, "", nil
					}
					v.Results = append(v.Results, a)
				}
			}
			return nil, out.NextToken, nil
		})
		if err != nil {
			c.fail(w, r, p, err)
			return
		}
	}
	p.Title, p.Nav, p.Data, p.Query = "Search", "tree", v, q
	c.render(w, r, http.StatusOK, "search", p)
}

// --- an account ----------------------------------------------------------------

type accountView struct {
	Account   api.Account
	Path      []crumb
	Tags      []api.Tag
	Policies  []typePolicies
	Effective []effective
	Delegated []api.DelegatedService
	WhatIf    *whatIf
}

// typePolicies are the policies of one type that apply to the account:
// attached at each level from the root down.
type typePolicies struct {
	Type   api.PolicyType
	Levels []level
}

type level struct {
	Target   crumb
	Here     bool // the account itself
	Policies []api.PolicySummary
}

type effective struct {
	Type    api.PolicyType
	Content string
	Problem string
}

type whatIf struct {
	Action, Resource, Principal, Context string
	Result                               *org.AuthorizeResult
	Problem                              string
}

func (c *Console) account(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	id := r.PathValue("id")
	out, err := c.svc.DescribeAccount(p.asMgmt, &api.DescribeAccountRequest{AccountId: id})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	v := accountView{Account: *out.Account}
	parents, err := c.svc.ListParents(p.asMgmt, &api.ListParentsRequest{ChildId: id})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	if len(parents.Parents) > 0 {
		if v.Path, err = c.crumbs(p, parents.Parents[0].Id); err != nil {
			c.fail(w, r, p, err)
			return
		}
	}
	tags, err := c.svc.ListTagsForResource(p.asMgmt, &api.ListTagsForResourceRequest{ResourceId: id})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	v.Tags = tags.Tags
	targets := append(slices.Clone(v.Path), crumb{id, v.Account.Name})
	for _, t := range p.policyTypes() {
		if !p.enabled(t) {
			continue
		}
		tp := typePolicies{Type: t}
		for i, target := range targets {
			ps, _, err := collect(0, "", func(next string) ([]api.PolicySummary, string, error) {
				out, err := c.svc.ListPoliciesForTarget(p.asMgmt, &api.ListPoliciesForTargetRequest{TargetId: target.ID, Filter: t, NextToken: next, MaxResults: maxResults})
				if err != nil {
					return nil, "", err
				}
				return out.Policies, out.NextToken, nil
			})
			if err != nil {
				c.fail(w, r, p, err)
				return
			}
			tp.Levels = append(tp.Levels, level{Target: target, Here: i == len(targets)-1, Policies: ps})
		}
		v.Policies = append(v.Policies, tp)
		if t == api.PolicyTypeServiceControlPolicy || t == api.PolicyTypeResourceControlPolicy {
			continue
		}
		e := effective{Type: t}
		eff, err := c.svc.DescribeEffectivePolicy(p.asMgmt, &api.DescribeEffectivePolicyRequest{PolicyType: api.EffectivePolicyType(t), TargetId: id})
		if err != nil {
			e.Problem = errorText(err)
		} else {
			e.Content = pretty(eff.EffectivePolicy.PolicyContent)
		}
		v.Effective = append(v.Effective, e)
	}
	if da, err := c.svc.ListDelegatedServicesForAccount(p.asMgmt, &api.ListDelegatedServicesForAccountRequest{AccountId: id}); err == nil {
		v.Delegated = da.DelegatedServices
	}
	if q := r.URL.Query(); q.Has("action") {
		v.WhatIf = c.whatIf(p, id, q)
	}
	p.Title, p.Nav, p.Data = "Account "+v.Account.Name, "tree", v
	c.render(w, r, http.StatusOK, "account", p)
}

func (p *page) enabled(t api.PolicyType) bool {
	for _, s := range p.Root.PolicyTypes {
		if s.Type == t {
			return s.Status == api.PolicyTypeStatusEnabled
		}
	}
	return false
}

// whatIf asks the domain's Authorize, the question POST /_orgd/authorize
// answers, whether the SCPs in force allow a request of the account. The
// context is one "key=value" per line; a key given twice has two values.
func (c *Console) whatIf(p *page, account string, q url.Values) *whatIf {
	wi := &whatIf{Action: q.Get("action"), Resource: q.Get("resource"), Principal: q.Get("principal"), Context: q.Get("context")}
	req := org.AuthorizeRequest{Account: account, Action: strings.TrimSpace(wi.Action), Resource: strings.TrimSpace(wi.Resource), Principal: strings.TrimSpace(wi.Principal)}
	for i, line := range strings.Split(wi.Context, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, val, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			wi.Problem = "context line " + strconv.Itoa(i+1) + ": want key=value"
			return wi
		}
		if req.Context == nil {
			req.Context = map[string][]string{}
		}
		k = strings.TrimSpace(k)
		req.Context[k] = append(req.Context[k], strings.TrimSpace(val))
	}
	res, err := c.svc.Authorize(p.asMgmt, req)
	if err != nil {
		wi.Problem = errorText(err)
		return wi
	}
	wi.Result = res
	return wi
}

// pretty indents a JSON document; anything else comes back as it was.
func pretty(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return b.String()
}

// --- policies ------------------------------------------------------------------

type policiesView struct {
	Type     api.PolicyType
	Types    []api.PolicyType
	Policies []api.PolicySummary
}

func (c *Console) policies(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	v := policiesView{Type: api.PolicyType(r.URL.Query().Get("type")), Types: p.policyTypes()}
	if v.Type == "" {
		v.Type = api.PolicyTypeServiceControlPolicy
	}
	var err error
	if v.Policies, err = c.listPolicies(p, v.Type); err != nil {
		c.fail(w, r, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Policies", "policies", v
	c.render(w, r, http.StatusOK, "policies", p)
}

func (c *Console) listPolicies(p *page, t api.PolicyType) ([]api.PolicySummary, error) {
	ps, _, err := collect(0, "", func(next string) ([]api.PolicySummary, string, error) {
		out, err := c.svc.ListPolicies(p.asMgmt, &api.ListPoliciesRequest{Filter: t, NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.Policies, out.NextToken, nil
	})
	return ps, err
}

type policyView struct {
	Policy  api.PolicySummary
	Content string
	Targets []api.PolicyTargetSummary
}

func (c *Console) policy(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	id := r.PathValue("id")
	out, err := c.svc.DescribePolicy(p.asMgmt, &api.DescribePolicyRequest{PolicyId: id})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	v := policyView{Policy: *out.Policy.PolicySummary, Content: pretty(out.Policy.Content)}
	if v.Targets, _, err = collect(0, "", func(next string) ([]api.PolicyTargetSummary, string, error) {
		out, err := c.svc.ListTargetsForPolicy(p.asMgmt, &api.ListTargetsForPolicyRequest{PolicyId: id, NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.Targets, out.NextToken, nil
	}); err != nil {
		c.fail(w, r, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Policy "+v.Policy.Name, "policies", v
	c.render(w, r, http.StatusOK, "policy", p)
}

// --- delegated administrators and trusted services ----------------------------

type delegatedView struct {
	Admins  []delegatedAdmin
	Trusted []api.EnabledServicePrincipal
}

type delegatedAdmin struct {
	Admin    api.DelegatedAdministrator
	Services []api.DelegatedService
}

func (c *Console) delegated(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	var v delegatedView
	admins, _, err := collect(0, "", func(next string) ([]api.DelegatedAdministrator, string, error) {
		out, err := c.svc.ListDelegatedAdministrators(p.asMgmt, &api.ListDelegatedAdministratorsRequest{NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.DelegatedAdministrators, out.NextToken, nil
	})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	for _, a := range admins {
		svcs, _, err := collect(0, "", func(next string) ([]api.DelegatedService, string, error) {
			out, err := c.svc.ListDelegatedServicesForAccount(p.asMgmt, &api.ListDelegatedServicesForAccountRequest{AccountId: a.Id, NextToken: next, MaxResults: maxResults})
			if err != nil {
				return nil, "", err
			}
			return out.DelegatedServices, out.NextToken, nil
		})
		if err != nil {
			c.fail(w, r, p, err)
			return
		}
		v.Admins = append(v.Admins, delegatedAdmin{a, svcs})
	}
	if v.Trusted, _, err = collect(0, "", func(next string) ([]api.EnabledServicePrincipal, string, error) {
		out, err := c.svc.ListAWSServiceAccessForOrganization(p.asMgmt, &api.ListAWSServiceAccessForOrganizationRequest{NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.EnabledServicePrincipals, out.NextToken, nil
	}); err != nil {
		c.fail(w, r, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Delegated administrators", "delegated", v
	c.render(w, r, http.StatusOK, "delegated", p)
}
