package org

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/store"
)

// The invariants: what every committed state must satisfy, whatever the
// sequence of operations, crashes and concurrent servers that led to it.
// Operations keep records and their index keys in step inside one
// transaction, so a violation means a bug, a torn write or a hand-edited
// state. CheckInvariants reads the whole state (its cost is O(state)); it
// backs the crash tests and the check Import makes before it commits.

// InvariantError lists the invariants a state breaks.
type InvariantError struct {
	Violations []string
}

// maxReported bounds the violations Error spells out; Violations has all.
const maxReported = 50

func (e *InvariantError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invariant violation(s):", len(e.Violations))
	for i, v := range e.Violations {
		if i == maxReported {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Violations)-maxReported)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(v)
	}
	return b.String()
}

// CheckInvariants checks the stored state in one read-only snapshot and
// returns an *InvariantError listing every violation, or nil. It settles
// no due work: it looks at the state as committed.
func (s *Service) CheckInvariants(ctx context.Context) error {
	var violations []string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		violations, err = checkInvariants(tx)
		return err
	})
	if err != nil {
		return err
	}
	if len(violations) > 0 {
		return &InvariantError{Violations: violations}
	}
	return nil
}

// checker holds one snapshot of the state, its records decoded.
type checker struct {
	kv         map[string][]byte
	keys       []string // in key order
	orgs       map[string]*organization
	roots      map[string]*root
	ous        map[string]*ou
	accounts   map[string]*account
	creates    map[string]*createStatus
	handshakes map[string]*handshake
	policies   map[string]*policy
	resPols    map[string]*resourcePolicy // by organization
	sessions   map[string]*session
	due        map[string]bool // "kind/id" of scheduled work
	// hsIndex is every handshake index key the handshakes imply, with its value.
	hsIndex    map[string]string
	violations []string
}

func (c *checker) fail(format string, args ...any) {
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
}

func (c *checker) has(key string) bool {
	_, ok := c.kv[key]
	return ok
}

// value returns an index key's value and whether the key exists.
func (c *checker) value(key string) (string, bool) {
	v, ok := c.kv[key]
	return string(v), ok
}

// wantValue fails unless key exists with value want.
func (c *checker) wantValue(what, key, want string) {
	if v, ok := c.value(key); !ok {
		c.fail("%s: index key %s is missing", what, key)
	} else if v != want {
		c.fail("%s: index key %s holds %q, want %q", what, key, v, want)
	}
}

// wantKey fails unless key exists.
func (c *checker) wantKey(what, key string) {
	if !c.has(key) {
		c.fail("%s: index key %s is missing", what, key)
	}
}

// split cuts the part of key after prefix into n "/"-separated fields, the
// last one taking the rest; ok is false when there are fewer.
func split(key, prefix string, n int) ([]string, bool) {
	parts := strings.SplitN(strings.TrimPrefix(key, prefix), "/", n)
	if len(parts) != n {
		return nil, false
	}
	for _, p := range parts {
		if p == "" {
			return nil, false
		}
	}
	return parts, true
}

// checkInvariants reads the whole state through tx and returns the
// violations, sorted.
func checkInvariants(tx store.Tx) ([]string, error) {
	c := &checker{
		kv: map[string][]byte{}, orgs: map[string]*organization{}, roots: map[string]*root{},
		ous: map[string]*ou{}, accounts: map[string]*account{}, creates: map[string]*createStatus{},
		handshakes: map[string]*handshake{}, policies: map[string]*policy{}, resPols: map[string]*resourcePolicy{},
		sessions: map[string]*session{}, due: map[string]bool{}, hsIndex: map[string]string{},
	}
	if err := tx.Scan("", "", func(k string, v []byte) bool {
		c.kv[k] = append([]byte(nil), v...)
		c.keys = append(c.keys, k)
		return true
	}); err != nil {
		return nil, err
	}
	c.load()
	c.checkOrgs()
	c.checkAccounts()
	c.checkOUs()
	c.checkCreates()
	c.checkHandshakes()
	c.checkPolicies()
	c.checkIndexes()
	sort.Strings(c.violations)
	return c.violations, nil
}

// decode decodes the record at key into v, failing when it does not.
func (c *checker) decode(key string, v any) bool {
	if err := decodeRecord(key, c.kv[key], v); err != nil {
		c.fail("%s: record does not decode: %v", key, err)
		return false
	}
	return true
}

// load decodes the records, checks that each is stored under its own ID
// and that every key is of a known kind.
func (c *checker) load() {
	for _, k := range c.keys {
		if k == keyTokenSecret {
			continue
		}
		if _, ok := kindOf(k); !ok {
			c.fail("%s: key of no known kind", k)
			continue
		}
		switch {
		case strings.HasPrefix(k, "org/"):
			loadRecord(c, k, "org/", c.orgs, func(o *organization) string { return o.ID })
		case strings.HasPrefix(k, "root/"):
			loadRecord(c, k, "root/", c.roots, func(r *root) string { return r.ID })
		case strings.HasPrefix(k, "ou/"):
			loadRecord(c, k, "ou/", c.ous, func(u *ou) string { return u.ID })
		case strings.HasPrefix(k, "acct/"):
			loadRecord(c, k, "acct/", c.accounts, func(a *account) string { return a.ID })
		case strings.HasPrefix(k, "car/"):
			loadRecord(c, k, "car/", c.creates, func(cs *createStatus) string { return cs.ID })
		case strings.HasPrefix(k, "hs/"):
			if h := loadRecord(c, k, "hs/", c.handshakes, func(h *handshake) string { return h.ID }); h != nil {
				for ik, iv := range handshakeIndexes(h) {
					c.hsIndex[ik] = iv
				}
			}
		case strings.HasPrefix(k, "policy/"):
			loadRecord(c, k, "policy/", c.policies, func(p *policy) string { return p.ID })
		case strings.HasPrefix(k, "rp/"):
			loadRecord(c, k, "rp/", c.resPols, func(rp *resourcePolicy) string { return rp.Org })
		case strings.HasPrefix(k, "session/"):
			loadRecord(c, k, "session/", c.sessions, func(se *session) string { return se.AccessKeyID })
		case strings.HasPrefix(k, "tags/"):
			var tags []api.Tag
			c.decode(k, &tags)
		case strings.HasPrefix(k, "due/"):
			parts := strings.SplitN(k, "/", 4)
			if len(parts) != 4 || len(parts[1]) != 20 || parts[3] == "" {
				c.fail("%s: malformed due work key", k)
				continue
			}
			if _, err := strconv.ParseUint(parts[1], 10, 64); err != nil {
				c.fail("%s: malformed due work time", k)
			}
			if dueWork[parts[2]] == nil {
				c.fail("%s: due work of unknown kind %q", k, parts[2])
			}
			c.due[parts[2]+"/"+parts[3]] = true
		case k == keyClock:
			if _, err := strconv.ParseInt(string(c.kv[k]), 10, 64); err != nil {
				c.fail("%s: clock offset %q is not an integer", k, c.kv[k])
			}
		}
	}
}

// loadRecord decodes the record at key, which must be stored under its own
// ID (the rest of the key after prefix, as id reads it from the record),
// and files it in into under that ID. It returns the record, or nil when
// it fails.
func loadRecord[R any](c *checker, key, prefix string, into map[string]*R, id func(*R) string) *R {
	r := new(R)
	if !c.decode(key, r) {
		return nil
	}
	if got, want := id(r), strings.TrimPrefix(key, prefix); got != want {
		c.fail("%s: record has ID %q", key, got)
		return nil
	}
	into[id(r)] = r
	return r
}

// wantDue fails unless work of kind is scheduled for id.
func (c *checker) wantDue(what, kind, id string) {
	if !c.due[kind+"/"+id] {
		c.fail("%s: no %s work is scheduled", what, kind)
	}
}

// isParentIn reports whether id is organization o's root or one of its OUs.
func (c *checker) isParentIn(o *organization, id string) bool {
	if id == o.Root {
		return true
	}
	u := c.ous[id]
	return u != nil && u.Org == o.ID
}

// checkOrgs: each organization has its root and management account, a
// valid feature set, and counters that agree with the records.
func (c *checker) checkOrgs() {
	type counts struct{ members, ous, invites, creates, closures int }
	n := map[string]*counts{}
	for id := range c.orgs {
		n[id] = &counts{}
	}
	for _, a := range c.accounts {
		if cnt := n[a.Org]; cnt != nil {
			cnt.members++
			if a.State == api.AccountStatePendingClosure {
				cnt.closures++
			}
		}
	}
	for _, u := range c.ous {
		if cnt := n[u.Org]; cnt != nil {
			cnt.ous++
		}
	}
	for _, h := range c.handshakes {
		if cnt := n[h.Org]; cnt != nil && h.Action == api.ActionTypeInvite && h.open() {
			cnt.invites++
		}
	}
	for _, cs := range c.creates {
		if cnt := n[cs.Org]; cnt != nil && cs.State == api.CreateAccountStateInProgress {
			cnt.creates++
		}
	}
	for id, o := range c.orgs {
		what := "organization " + id
		if r := c.roots[o.Root]; r == nil {
			c.fail("%s: root %q does not exist", what, o.Root)
		} else if r.Org != id {
			c.fail("%s: root %s belongs to %q", what, o.Root, r.Org)
		}
		if m := c.accounts[o.Management]; m == nil || m.Org != id {
			c.fail("%s: management account %q is not a member", what, o.Management)
		}
		if o.FeatureSet != api.OrganizationFeatureSetAll && o.FeatureSet != api.OrganizationFeatureSetConsolidatedBilling {
			c.fail("%s: feature set %q", what, o.FeatureSet)
		}
		cnt := n[id]
		for _, f := range []struct {
			name       string
			stored, is int
		}{
			{"Members", o.Members, cnt.members},
			{"OUs", o.OUs, cnt.ous},
			{"OpenInvitations", o.OpenInvitations, cnt.invites},
			{"CreatesInProgress", o.CreatesInProgress, cnt.creates},
			{"ClosuresInProgress", o.ClosuresInProgress, cnt.closures},
		} {
			if f.stored != f.is {
				c.fail("%s: counter %s is %d but the records say %d", what, f.name, f.stored, f.is)
			}
		}
	}
	for id, r := range c.roots {
		if o := c.orgs[r.Org]; o == nil || o.Root != id {
			c.fail("root %s: organization %q does not have it as its root", id, r.Org)
		}
	}
}

// checkAccounts: every stored account owns its email; a member has one
// parent in its organization and the member and child index entries.
func (c *checker) checkAccounts() {
	for id, a := range c.accounts {
		what := "account " + id
		if !identity.IsAccountID(id) {
			c.fail("%s: not a 12-digit account ID", what)
		}
		c.wantValue(what, keyEmail(a.Email), id)
		if a.Org == "" {
			if a.Parent != "" {
				c.fail("%s: standalone but has parent %q", what, a.Parent)
			}
			continue
		}
		o := c.orgs[a.Org]
		if o == nil {
			c.fail("%s: organization %q does not exist", what, a.Org)
			continue
		}
		c.wantKey(what, keyMember(a.Org, id))
		if !c.isParentIn(o, a.Parent) {
			c.fail("%s: parent %q is not a root or OU of %s", what, a.Parent, a.Org)
		} else {
			c.wantKey(what, keyChildAccount(a.Parent, id))
		}
		switch a.State {
		case api.AccountStatePendingClosure:
			c.wantDue(what+" (PENDING_CLOSURE)", workCloseAccount, id)
		case api.AccountStateClosed:
			c.wantDue(what+" (CLOSED)", workRetireAccount, id)
		}
	}
}

// checkOUs: every OU hangs under a root or OU of its own organization,
// one level deeper, with its child and name index entries.
func (c *checker) checkOUs() {
	for id, u := range c.ous {
		what := "OU " + id
		o := c.orgs[u.Org]
		if o == nil {
			c.fail("%s: organization %q does not exist", what, u.Org)
			continue
		}
		switch p := c.ous[u.Parent]; {
		case u.Parent == o.Root:
			if u.Depth != 1 {
				c.fail("%s: depth %d under the root, want 1", what, u.Depth)
			}
		case p == nil || p.Org != u.Org:
			c.fail("%s: parent %q is not a root or OU of %s", what, u.Parent, u.Org)
		case u.Depth != p.Depth+1:
			// Depths that grow by one along every parent link also rule
			// out cycles.
			c.fail("%s: depth %d under %s of depth %d", what, u.Depth, p.ID, p.Depth)
		}
		c.wantKey(what, keyChildOU(u.Parent, id))
		c.wantValue(what, keyOUName(u.Parent, u.Name), id)
	}
}

// checkCreates: every CreateAccount request belongs to an organization,
// is in its index, is scheduled while in progress and names the account
// it made.
func (c *checker) checkCreates() {
	for id, cs := range c.creates {
		what := "create request " + id
		if c.orgs[cs.Org] == nil {
			c.fail("%s: organization %q does not exist", what, cs.Org)
		}
		c.wantKey(what, keyOrgCreateStatus(cs.Org, cs.Requested, id))
		switch cs.State {
		case api.CreateAccountStateInProgress:
			c.wantDue(what, workCreateAccount, id)
		case api.CreateAccountStateSucceeded:
			if c.accounts[cs.AccountID] == nil {
				c.fail("%s: succeeded but account %q does not exist", what, cs.AccountID)
			}
		}
	}
}

// checkHandshakes: every handshake belongs to an existing organization and
// has its indexes; open ones are scheduled to expire and ended ones to be
// purged; a pending migration is the organization's only one, on an
// organization that lacks all features, and counts what blocks it.
func (c *checker) checkHandshakes() {
	blocking := map[string]int{}
	for _, k := range c.keys {
		if !strings.HasPrefix(k, "hsblock/") {
			continue
		}
		if p, ok := split(k, "hsblock/", 2); ok {
			blocking[p[0]]++
		}
	}
	for id, h := range c.handshakes {
		what := "handshake " + id
		o := c.orgs[h.Org]
		if o == nil {
			c.fail("%s: organization %q does not exist", what, h.Org)
			continue
		}
		for k, v := range handshakeIndexes(h) {
			c.wantValue(what, k, v)
		}
		switch {
		case h.open() && h.Parent == "":
			c.wantDue(what+" ("+string(h.State)+")", workExpireHandshake, id)
		case h.ended():
			c.wantDue(what+" ("+string(h.State)+")", workPurgeHandshake, id)
		}
		switch h.Action {
		case api.ActionTypeInvite:
			if !h.open() {
				break
			}
			c.wantKey(what, keyOpenInvitation(h.Org, id))
			c.wantValue(what, keyInvitedTo(h.Org, h.recipient()), id)
			if mig, ok := c.value(keyMigration(h.Org)); ok && h.Migration == mig {
				c.wantKey(what, keyMigrationInvite(mig, id))
			}
		case api.ActionTypeEnableAllFeatures:
			switch {
			case h.open():
				c.wantValue(what, keyMigration(h.Org), id)
				if o.FeatureSet != api.OrganizationFeatureSetConsolidatedBilling {
					c.fail("%s: migration pending in an organization with feature set %s", what, o.FeatureSet)
				}
				if blocking[id] != h.Pending {
					c.fail("%s: Pending is %d but %d children block it", what, h.Pending, blocking[id])
				}
				if (h.State == api.HandshakeStateRequested) != (h.Pending > 0) {
					c.fail("%s: %s with %d blocking children", what, h.State, h.Pending)
				}
			case h.State == api.HandshakeStateAccepted:
				if o.FeatureSet != api.OrganizationFeatureSetAll {
					c.fail("%s: accepted but the organization has feature set %s", what, o.FeatureSet)
				}
			}
		}
	}
}

// checkPolicies: every customer-managed policy belongs to an organization
// and is in its policy and name indexes.
func (c *checker) checkPolicies() {
	for id, p := range c.policies {
		what := "policy " + id
		if c.orgs[p.Org] == nil {
			c.fail("%s: organization %q does not exist", what, p.Org)
			continue
		}
		c.wantKey(what, keyOrgPolicy(p.Org, p.Type, id))
		c.wantValue(what, keyPolicyName(p.Org, p.Type, p.Name), id)
	}
	for org, rp := range c.resPols {
		what := "resource policy of " + org
		if c.orgs[org] == nil {
			c.fail("%s: organization does not exist", what)
		}
		c.wantValue(what, keyResourcePolicyID(rp.ID), org)
	}
	for id := range c.sessions {
		c.wantDue("session "+id, dueSessionExpired, id)
	}
}

// policyIn returns the policy id of organization o, AWS-managed or not.
func (c *checker) policyIn(o, id string) *policy {
	if p := awsManaged[id]; p != nil {
		return p
	}
	if p := c.policies[id]; p != nil && p.Org == o {
		return p
	}
	return nil
}

// targetIn reports whether id is a root, OU or member account of org.
func (c *checker) targetIn(org, id string) bool {
	if r := c.roots[id]; r != nil {
		return r.Org == org
	}
	if u := c.ous[id]; u != nil {
		return u.Org == org
	}
	a := c.accounts[id]
	return a != nil && a.Org == org
}

// indexParts is how many parts, separated by "/", follow the first
// segment of the keys that checkIndexes takes apart.
var indexParts = map[string]int{
	"member": 2, "child": 3, "ouname": 2, "orgcar": 3, "orgclose": 3,
	"hsopeninv": 2, "hsinvto": 2, "hsmiginv": 2, "hsblock": 2, "hsrate": 3,
	"orgpolicy": 4, "policyname": 3, "attach": 4, "attached": 3,
	"svcaccess": 2, "delegated": 3, "delegatedsvc": 3,
}

// checkIndexes: every index key points at a record that agrees with it,
// so that no listing finds what is not there.
func (c *checker) checkIndexes() {
	for _, k := range c.keys {
		v := string(c.kv[k])
		prefix, _, _ := strings.Cut(k, "/")
		bad := func(format string, args ...any) { c.fail("%s: %s", k, fmt.Sprintf(format, args...)) }
		var p []string
		if n := indexParts[prefix]; n > 0 {
			var ok bool
			if p, ok = split(k, prefix+"/", n); !ok {
				bad("malformed")
				continue
			}
		}
		switch prefix {
		case "email":
			if a := c.accounts[v]; a == nil || strings.ToLower(a.Email) != strings.TrimPrefix(k, "email/") {
				bad("names account %q, which does not have this email", v)
			}
		case "member":
			if a := c.accounts[p[1]]; a == nil || a.Org != p[0] {
				bad("account is not a member of %s", p[0])
			}
		case "child":
			switch p[1] {
			case "a":
				if a := c.accounts[p[2]]; a == nil || a.Org == "" || a.Parent != p[0] {
					bad("account is not a member under %s", p[0])
				}
			case "o":
				if u := c.ous[p[2]]; u == nil || u.Parent != p[0] {
					bad("OU does not exist under %s", p[0])
				}
			default:
				bad("malformed")
			}
		case "ouname":
			if u := c.ous[v]; u == nil || u.Parent != p[0] || u.Name != p[1] {
				bad("names OU %q, which is not named so under %s", v, p[0])
			}
		case "orgcar":
			if cs := c.creates[p[2]]; cs == nil || cs.Org != p[0] {
				bad("create request of %s does not exist", p[0])
			}
		case "orgclose":
			if c.accounts[p[2]] == nil {
				bad("account does not exist")
			}
		case "hsorg", "hsorgact", "hsrcpt", "hschild":
			if want, ok := c.hsIndex[k]; !ok {
				bad("no handshake has this index entry")
			} else if v != want {
				bad("holds %q, want %q", v, want)
			}
		case "hsopeninv":
			if h := c.handshakes[p[1]]; h == nil || h.Org != p[0] || h.Action != api.ActionTypeInvite || !h.open() {
				bad("not an open invitation of %s", p[0])
			}
		case "hsinvto":
			if h := c.handshakes[v]; h == nil || h.Org != p[0] || h.Action != api.ActionTypeInvite || !h.open() || h.recipient() != p[1] {
				bad("names %q, not an open invitation of %s to %s", v, p[0], p[1])
			}
		case "hsmig":
			org := strings.TrimPrefix(k, "hsmig/")
			if h := c.handshakes[v]; h == nil || h.Org != org || !h.isParent() || !h.open() {
				bad("names %q, not a pending ENABLE_ALL_FEATURES handshake of %s", v, org)
			}
		case "hsmiginv":
			if h := c.handshakes[p[1]]; h == nil || h.Action != api.ActionTypeInvite || !h.open() || h.Migration != p[0] {
				bad("not an open invitation issued during migration %s", p[0])
			} else if parent := c.handshakes[p[0]]; parent == nil || !parent.open() {
				bad("migration %s is not pending", p[0])
			}
		case "hsblock":
			if parent := c.handshakes[p[0]]; parent == nil || !parent.isParent() || !parent.open() {
				bad("migration %s is not pending", p[0])
			}
		case "hsrate":
			if h := c.handshakes[p[2]]; h == nil || h.Org != p[0] || h.Action != api.ActionTypeInvite {
				bad("not an invitation of %s", p[0])
			}
		case "orgpolicy":
			pol := c.policyIn(p[0], p[3])
			if c.orgs[p[0]] == nil || pol == nil || string(pol.Type) != p[1] || (p[2] == "0") != (pol.Org == "") {
				bad("no such policy of type %s in %s", p[1], p[0])
			}
		case "policyname":
			if pol := c.policies[v]; pol == nil || pol.Org != p[0] || string(pol.Type) != p[1] || pol.Name != p[2] {
				bad("names %q, which is not so named", v)
			}
		case "attach":
			if pol := c.policyIn(p[0], p[3]); pol == nil || string(pol.Type) != p[2] {
				bad("policy %s of type %s does not exist in %s", p[3], p[2], p[0])
			}
			if !c.targetIn(p[0], p[1]) {
				bad("target %s is not in %s", p[1], p[0])
			}
			c.wantKey(k, keyAttached(p[0], p[3], p[1]))
		case "attached":
			if pol := c.policyIn(p[0], p[1]); pol == nil {
				bad("policy %s does not exist in %s", p[1], p[0])
			} else {
				c.wantKey(k, keyAttach(p[0], p[2], pol.Type, p[1]))
			}
		case "rpid":
			id := strings.TrimPrefix(k, "rpid/")
			if rp := c.resPols[v]; rp == nil || rp.ID != id {
				bad("names organization %q, whose resource policy is not %s", v, id)
			}
		case "svcaccess":
			if c.orgs[p[0]] == nil {
				bad("organization does not exist")
			}
		case "delegated":
			if a := c.accounts[p[1]]; a == nil || a.Org != p[0] {
				bad("account is not a member of %s", p[0])
			}
			c.wantKey(k, keyServiceDelegate(p[0], p[2], p[1]))
		case "delegatedsvc":
			c.wantKey(k, keyDelegated(p[0], p[2], p[1]))
		}
	}
}
