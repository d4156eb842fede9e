package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/wire"
)

// ended reports whether a handshake in state s can no longer change.
func ended(s api.HandshakeState) bool {
	return s != api.HandshakeStateRequested && s != api.HandshakeStateOpen
}

// handshakeRow is a handshake with what the console offers to do with it.
type handshakeRow struct {
	api.Handshake
	Recipient  string // the account that may answer it, "" when none may here
	Parent     string // an approval's migration
	CanAccept  bool
	CanDecline bool
}

// row reads who may answer h: the account it asks (an invitation to an
// account, an approval of the migration); for the migration itself, the
// management account, which finalizes it once every approval is in.
func row(h api.Handshake, mgmt string) handshakeRow {
	hr := handshakeRow{Handshake: h}
	for _, r := range h.Resources {
		if r.Type == api.HandshakeResourceTypeParentHandshake {
			hr.Parent = r.Value
			if !strings.HasPrefix(hr.Parent, "h-") {
				hr.Parent = "h-" + hr.Parent
			}
		}
	}
	if ended(h.State) {
		return hr
	}
	switch h.Action {
	case api.ActionTypeInvite, api.ActionTypeApproveAllFeatures:
		if len(h.Parties) == 2 && h.Parties[1].Type == api.HandshakePartyTypeAccount {
			hr.Recipient, hr.CanAccept, hr.CanDecline = h.Parties[1].Id, true, true
		}
	case api.ActionTypeEnableAllFeatures:
		hr.Recipient, hr.CanAccept = mgmt, h.State == api.HandshakeStateOpen
	}
	return hr
}

func (c *Console) listHandshakes(p *page, action api.ActionType) ([]api.Handshake, error) {
	var f *api.HandshakeFilter
	if action != "" {
		f = &api.HandshakeFilter{ActionType: action}
	}
	hs, _, err := collect(0, "", func(next string) ([]api.Handshake, string, error) {
		out, err := c.svc.ListHandshakesForOrganization(p.asMgmt, &api.ListHandshakesForOrganizationRequest{Filter: f, NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.Handshakes, out.NextToken, nil
	})
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].RequestedTimestamp.After(hs[j].RequestedTimestamp.Time) })
	return hs, err
}

type handshakesView struct {
	Action, State string
	Actions       []api.ActionType
	States        []api.HandshakeState
	Rows          []handshakeRow
}

var (
	allActions = []api.ActionType{api.ActionTypeInvite, api.ActionTypeEnableAllFeatures, api.ActionTypeApproveAllFeatures,
		api.ActionTypeAddOrganizationsServiceLinkedRole, api.ActionTypeTransferResponsibility}
	allStates = []api.HandshakeState{api.HandshakeStateRequested, api.HandshakeStateOpen, api.HandshakeStateAccepted,
		api.HandshakeStateDeclined, api.HandshakeStateCanceled, api.HandshakeStateExpired}
)

func (c *Console) handshakes(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	q := r.URL.Query()
	v := handshakesView{Action: q.Get("action"), State: q.Get("state"), Actions: allActions, States: allStates}
	hs, err := c.listHandshakes(p, api.ActionType(v.Action))
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	for _, h := range hs {
		if v.State == "" || string(h.State) == v.State {
			v.Rows = append(v.Rows, row(h, p.Mgmt))
		}
	}
	p.Title, p.Nav, p.Data, p.Live = "Handshakes", "handshakes", v, true
	p.Notice = answeredNotice(q)
	c.render(w, r, http.StatusOK, "handshakes", p)
}

type handshakeView struct {
	Row      handshakeRow
	Children []handshakeRow
	Raw      string
}

func (c *Console) handshake(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	out, err := c.svc.DescribeHandshake(p.asMgmt, &api.DescribeHandshakeRequest{HandshakeId: r.PathValue("id")})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	h := *out.Handshake
	v := handshakeView{Row: row(h, p.Mgmt)}
	if raw, err := json.MarshalIndent(h, "", "  "); err == nil {
		v.Raw = string(raw)
	}
	if h.Action == api.ActionTypeEnableAllFeatures {
		kids, err := c.approvals(p, h.Id)
		if err != nil {
			c.fail(w, r, p, err)
			return
		}
		for _, k := range kids {
			v.Children = append(v.Children, row(k, p.Mgmt))
		}
	}
	p.Title, p.Nav, p.Data, p.Live = "Handshake "+h.Id, "handshakes", v, true
	p.Notice = answeredNotice(r.URL.Query())
	c.render(w, r, http.StatusOK, "handshake", p)
}

// approvals lists the APPROVE_ALL_FEATURES children of migration parent.
func (c *Console) approvals(p *page, parent string) ([]api.Handshake, error) {
	kids, _, err := collect(0, "", func(next string) ([]api.Handshake, string, error) {
		out, err := c.svc.ListHandshakesForOrganization(p.asMgmt, &api.ListHandshakesForOrganizationRequest{
			Filter: &api.HandshakeFilter{ParentHandshakeId: parent}, NextToken: next, MaxResults: maxResults})
		if err != nil {
			return nil, "", err
		}
		return out.Handshakes, out.NextToken, nil
	})
	return kids, err
}

// answerHandshake accepts or declines a handshake as its recipient: the
// request the recipient would send, decoded and validated as the API
// decodes it, dispatched to the same domain operation with the recipient
// as the caller, so that the domain's party checks and SCPs apply.
func (c *Console) answerHandshake(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	if !c.checkPost(r) {
		c.refusePost(w, r, p)
		return
	}
	op := map[string]string{"accept": "AcceptHandshake", "decline": "DeclineHandshake"}[r.PathValue("answer")]
	if op == "" {
		c.notFound(w, r)
		return
	}
	id := r.PathValue("id")
	out, err := c.svc.DescribeHandshake(p.asMgmt, &api.DescribeHandshakeRequest{HandshakeId: id})
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	hr := row(*out.Handshake, p.Mgmt)
	if hr.Recipient == "" || hr.Recipient != r.PostFormValue("as") {
		p.Title, p.Data = "Error", "Handshake "+id+" is not one account "+r.PostFormValue("as")+" can answer here."
		c.render(w, r, http.StatusBadRequest, "error", p)
		return
	}
	raw, _ := json.Marshal(map[string]string{"HandshakeId": id})
	decode, err := wire.Decoder(op, raw)
	if err == nil {
		_, _, err = api.Dispatch(c.as(r.Context(), hr.Recipient), c.svc, op, decode)
	}
	if err != nil {
		p.Title, p.Data = "Refused", op+" as "+hr.Recipient+": "+errorText(err)
		c.render(w, r, http.StatusBadRequest, "error", p)
		return
	}
	back := safeNext(r.PostFormValue("return"))
	if !strings.HasPrefix(back, p.Base+"/") {
		back = p.Base + "/handshakes/" + id
	}
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("answered", id)
	q.Set("answer", r.PathValue("answer"))
	q.Set("as", hr.Recipient)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// answeredNotice says what the last answer did; only its words come from
// the query, checked against what they may be.
func answeredNotice(q url.Values) string {
	id, answer, as := q.Get("answered"), q.Get("answer"), q.Get("as")
	verb := map[string]string{"accept": "accepted", "decline": "declined"}[answer]
	if verb == "" || !accountPath.MatchString(as) || !strings.HasPrefix(id, "h-") || strings.ContainsAny(id, " <>\"'&") {
		return ""
	}
	return "Handshake " + id + " " + verb + " as account " + as + "."
}

// --- the migration ---------------------------------------------------------------

type migrationView struct {
	Parent      *handshakeRow
	Past        []api.Handshake
	Total       int
	Counts      []stateCount
	Approved    int
	Blocking    []blocker
	TimeLeft    string
	AllFeatures bool
}

type stateCount struct {
	State   api.HandshakeState
	Label   string
	Count   int
	Percent float64 // of the bar
	Offset  float64 // where on the bar it starts
}

type blocker struct {
	Account   string
	Name      string
	Handshake string
	State     api.HandshakeState
}

// migration shows the EnableAllFeatures under way: the approvals, who
// holds it up, and how long it has before it expires.
func (c *Console) migration(w http.ResponseWriter, r *http.Request) {
	p := pageOf(r)
	v := migrationView{AllFeatures: p.Org.FeatureSet == api.OrganizationFeatureSetAll}
	parents, err := c.listHandshakes(p, api.ActionTypeEnableAllFeatures)
	if err != nil {
		c.fail(w, r, p, err)
		return
	}
	for _, h := range parents {
		if v.Parent == nil && !ended(h.State) {
			hr := row(h, p.Mgmt)
			v.Parent = &hr
		} else {
			v.Past = append(v.Past, h)
		}
	}
	if v.Parent != nil {
		kids, err := c.approvals(p, v.Parent.Id)
		if err != nil {
			c.fail(w, r, p, err)
			return
		}
		v.Total = len(kids)
		count := map[api.HandshakeState]int{}
		for _, k := range kids {
			count[k.State]++
			if k.State == api.HandshakeStateAccepted {
				continue
			}
			b := blocker{Handshake: k.Id, State: k.State}
			if len(k.Parties) == 2 {
				b.Account = k.Parties[1].Id
			}
			if a, err := c.svc.DescribeAccount(p.asMgmt, &api.DescribeAccountRequest{AccountId: b.Account}); err == nil {
				b.Name = a.Account.Name
			}
			v.Blocking = append(v.Blocking, b)
		}
		v.Approved = count[api.HandshakeStateAccepted]
		for _, s := range []struct {
			state api.HandshakeState
			label string
		}{
			{api.HandshakeStateAccepted, "approved"},
			{api.HandshakeStateOpen, "open"},
			{api.HandshakeStateRequested, "requested"},
			{api.HandshakeStateDeclined, "declined"},
			{api.HandshakeStateCanceled, "canceled"},
			{api.HandshakeStateExpired, "expired"},
		} {
			sc := stateCount{State: s.state, Label: s.label, Count: count[s.state]}
			if v.Total > 0 {
				sc.Percent = 100 * float64(sc.Count) / float64(v.Total)
			}
			if n := len(v.Counts); n > 0 {
				sc.Offset = v.Counts[n-1].Offset + v.Counts[n-1].Percent
			}
			if sc.Count > 0 || s.state != api.HandshakeStateRequested {
				v.Counts = append(v.Counts, sc)
			}
		}
		v.TimeLeft = until(v.Parent.ExpirationTimestamp.Time, p.Now)
	}
	p.Title, p.Nav, p.Data, p.Live = "Migration to all features", "migration", v, true
	p.Notice = answeredNotice(r.URL.Query())
	c.render(w, r, http.StatusOK, "migration", p)
}

// until says how long from now to t, in days, hours and minutes.
func until(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "expired"
	}
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	hours := int(d / time.Hour)
	mins := int((d - time.Duration(hours)*time.Hour) / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, plural(days, "day"))
	}
	if hours > 0 || days > 0 {
		parts = append(parts, plural(hours, "hour"))
	}
	parts = append(parts, plural(mins, "minute"))
	return strings.Join(parts, " ")
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}
