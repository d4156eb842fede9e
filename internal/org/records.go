package org

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// Keys. Every record lives under one key; indexes are keys with empty
// values whose order is the order a listing returns.
const (
	keyTokenSecret = "meta/token-secret"
	keyClock       = "meta/clock-offset"
)

func keyOrg(id string) string                    { return "org/" + id }
func keyRoot(id string) string                   { return "root/" + id }
func keyOU(id string) string                     { return "ou/" + id }
func keyAccount(id string) string                { return "acct/" + id }
func keyEmail(email string) string               { return "email/" + strings.ToLower(email) }
func keyMember(org, acct string) string          { return "member/" + org + "/" + acct }
func prefixMembers(org string) string            { return "member/" + org + "/" }
func keyChildAccount(parent, acct string) string { return "child/" + parent + "/a/" + acct }
func keyChildOU(parent, ou string) string        { return "child/" + parent + "/o/" + ou }
func prefixChildren(parent string) string        { return "child/" + parent + "/" }
func prefixChildAccounts(parent string) string   { return "child/" + parent + "/a/" }
func prefixChildOUs(parent string) string        { return "child/" + parent + "/o/" }
func keyOUName(parent, name string) string       { return "ouname/" + parent + "/" + name }
func keyCreateStatus(id string) string           { return "car/" + id }
func keyOrgCreateStatus(org string, at time.Time, id string) string {
	return "orgcar/" + org + "/" + at.UTC().Format("20060102T150405.000000000") + "/" + id
}
func prefixOrgCreateStatus(org string) string { return "orgcar/" + org + "/" }
func keyTags(resource string) string          { return "tags/" + resource }
func prefixDelegated(org, acct string) string { return "delegated/" + org + "/" + acct + "/" }

// keyOrgClosure indexes a CloseAccount request by its time, so that the
// rolling closure quota counts only recent requests.
func keyOrgClosure(org string, at time.Time, acct string) string {
	return "orgclose/" + org + "/" + at.UTC().Format("20060102T150405.000000000") + "/" + acct
}
func prefixOrgClosure(org string) string { return "orgclose/" + org + "/" }

// organization is the stored form of an organization.
type organization struct {
	ID         string
	Management string // account ID
	FeatureSet api.OrganizationFeatureSet
	Root       string
	Created    time.Time
	// Counters kept so that quota checks need no scans.
	Members            int // accounts in the organization, management included
	OUs                int
	CreatesInProgress  int
	OpenInvitations    int
	ClosuresInProgress int
}

type root struct {
	ID          string
	Org         string
	Name        string
	PolicyTypes []api.PolicyTypeSummary
}

type ou struct {
	ID     string
	Org    string
	Parent string
	Name   string
	Depth  int // 1 for an OU directly under the root
}

// account is the stored form of an account, standalone or member.
type account struct {
	ID       string
	Email    string
	Name     string
	Org      string // "" when standalone
	Parent   string
	Joined   api.AccountJoinedMethod
	JoinedAt time.Time
	State    api.AccountState
	// Closed is when a closure finished; the account leaves the
	// organization 90 days later.
	Closed time.Time
	// CloseRequested is when CloseAccount was called; it names the
	// account's entry in the organization's closure index.
	CloseRequested time.Time `json:",omitzero"`
	// RoleName is the role CreateAccount made in the account for the
	// management account to assume ("" for invited accounts).
	RoleName string `json:",omitempty"`
	// implicit marks an account that was never stored: any 12-digit ID is
	// a standalone account with a default email and name.
	implicit bool
}

// createStatus is the stored form of a CreateAccount request.
type createStatus struct {
	ID            string
	Org           string
	AccountName   string
	Email         string
	RoleName      string
	IamBilling    api.IAMUserAccessToBilling
	Tags          []api.Tag
	State         api.CreateAccountState
	Requested     time.Time
	Completed     time.Time
	AccountID     string
	FailureReason api.CreateAccountFailureReason
}

// --- typed access -------------------------------------------------------------

func (t *txn) getJSON(key string, v any) (bool, error) {
	b, ok, err := t.Get(key)
	if err != nil || !ok {
		return false, err
	}
	return true, t.s.records.decode(key, b, v)
}

func (t *txn) putJSON(key string, v any) error {
	b, err := encodeRecord(key, v)
	if err != nil {
		return err
	}
	if err := t.Put(key, b); err != nil {
		return err
	}
	t.s.records.refresh(key, b, v)
	return nil
}

// has reports whether key exists.
func (t *txn) has(key string) (bool, error) {
	_, ok, err := t.Get(key)
	return ok, err
}

// hasPrefix reports whether any key starts with prefix.
func (t *txn) hasPrefix(prefix string) (bool, error) {
	found := false
	err := t.Scan(prefix, "", func(string, []byte) bool { found = true; return false })
	return found, err
}

// keysWithPrefix returns the keys under each prefix in turn, so that the
// caller can change the store after the scan.
func (t *txn) keysWithPrefix(prefixes ...string) ([]string, error) {
	var keys []string
	for _, prefix := range prefixes {
		if err := t.Scan(prefix, "", func(k string, _ []byte) bool {
			keys = append(keys, k)
			return true
		}); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// idsWithPrefix returns the last segments (IDs) of the keys under prefix,
// in key order.
func (t *txn) idsWithPrefix(prefix string) ([]string, error) {
	var ids []string
	err := t.Scan(prefix, "", func(k string, _ []byte) bool {
		ids = append(ids, lastSegment(k))
		return true
	})
	return ids, err
}

// deletePrefixes deletes every key under each prefix.
func (t *txn) deletePrefixes(prefixes ...string) error {
	keys, err := t.keysWithPrefix(prefixes...)
	if err != nil {
		return err
	}
	return t.deleteKeys(keys...)
}

// putStrings stores each key of kv with its value.
func (t *txn) putStrings(kv map[string]string) error {
	for k, v := range kv {
		if err := t.Put(k, []byte(v)); err != nil {
			return err
		}
	}
	return nil
}

// deleteKeys deletes the keys.
func (t *txn) deleteKeys(keys ...string) error {
	for _, k := range keys {
		if err := t.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) org(id string) (*organization, bool, error) {
	var o organization
	ok, err := t.getJSON(keyOrg(id), &o)
	if !ok || err != nil {
		return nil, false, err
	}
	return &o, true, nil
}

func (t *txn) putOrg(o *organization) error { return t.putJSON(keyOrg(o.ID), o) }

func (t *txn) root(id string) (*root, bool, error) {
	var r root
	ok, err := t.getJSON(keyRoot(id), &r)
	if !ok || err != nil {
		return nil, false, err
	}
	return &r, true, nil
}

func (t *txn) putRoot(r *root) error { return t.putJSON(keyRoot(r.ID), r) }

func (t *txn) ou(id string) (*ou, bool, error) {
	var u ou
	ok, err := t.getJSON(keyOU(id), &u)
	if !ok || err != nil {
		return nil, false, err
	}
	return &u, true, nil
}

func (t *txn) putOU(u *ou) error { return t.putJSON(keyOU(u.ID), u) }

// account returns the account with the given ID; an ID never stored is a
// standalone account with the default email and name.
func (t *txn) account(id string) (*account, error) {
	key := keyAccount(id)
	b, ok, err := t.Get(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &account{ID: id, Email: defaultEmail(id), Name: defaultName(id), State: api.AccountStateActive, implicit: true}, nil
	}
	var a account
	if err := t.s.records.decode(key, b, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// storedAccount returns the account only if it was ever stored.
func (t *txn) storedAccount(id string) (*account, bool, error) {
	a, err := t.account(id)
	if err != nil || a.implicit {
		return nil, false, err
	}
	return a, true, nil
}

// putAccount stores a and indexes its email.
func (t *txn) putAccount(a *account) error {
	a.implicit = false
	if err := t.Put(keyEmail(a.Email), []byte(a.ID)); err != nil {
		return err
	}
	return t.putJSON(keyAccount(a.ID), a)
}

// accountIDByEmail finds the account that owns an email address, stored
// or implicit.
func (t *txn) accountIDByEmail(email string) (string, bool, error) {
	v, ok, err := t.Get(keyEmail(email))
	if err != nil {
		return "", false, err
	}
	if ok {
		return string(v), true, nil
	}
	if m := defaultEmailRe.FindStringSubmatch(strings.ToLower(email)); m != nil {
		if _, stored, err := t.storedAccount(m[1]); err != nil || !stored {
			return m[1], err == nil, err
		}
	}
	return "", false, nil
}

func (t *txn) createStatus(id string) (*createStatus, bool, error) {
	var c createStatus
	ok, err := t.getJSON(keyCreateStatus(id), &c)
	if !ok || err != nil {
		return nil, false, err
	}
	return &c, true, nil
}

func (t *txn) putCreateStatus(c *createStatus) error { return t.putJSON(keyCreateStatus(c.ID), c) }

// tags returns a resource's tags sorted by key.
func (t *txn) tags(resource string) ([]api.Tag, error) {
	var tags []api.Tag
	_, err := t.getJSON(keyTags(resource), &tags)
	return tags, err
}

// putTags stores a resource's tags, sorted by key; none deletes the record.
func (t *txn) putTags(resource string, tags []api.Tag) error {
	if len(tags) == 0 {
		return t.Delete(keyTags(resource))
	}
	// slices.SortFunc, unlike sort.Slice, allocates nothing.
	slices.SortFunc(tags, func(a, b api.Tag) int { return strings.Compare(a.Key, b.Key) })
	return t.putJSON(keyTags(resource), &tags) // a pointer, as the record cache keeps them
}

// --- defaults and formats -------------------------------------------------------

// The default email and name of an account that was never registered.
var defaultEmailRe = regexp.MustCompile(`^account-(\d{12})@example\.com$`)

func defaultEmail(id string) string { return "account-" + id + "@example.com" }
func defaultName(id string) string  { return "Account " + id }

// validEmail applies the model's Email pattern and the rules CreateAccount
// documents for the address.
func validEmail(e string) bool {
	if len(e) < 6 || len(e) > 64 {
		return false
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || strings.Contains(domain, "@") || strings.HasPrefix(local, ".") {
		return false
	}
	for _, r := range local {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"'()[]:;,\|%&`, r) {
			return false
		}
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.HasPrefix(domain, "-") || strings.HasSuffix(domain, "-") {
		return false
	}
	for _, r := range domain {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// --- ARNs and views ---------------------------------------------------------------

func (s *Service) arn(mgmt, resource string) string {
	return "arn:" + s.cfg.Partition + ":organizations::" + mgmt + ":" + resource
}

func (s *Service) orgARN(o *organization) string {
	return s.arn(o.Management, "organization/"+o.ID)
}

func (s *Service) accountARN(o *organization, acct string) string {
	// s.arn's form in one concatenation: every listed account has one.
	return "arn:" + s.cfg.Partition + ":organizations::" + o.Management + ":account/" + o.ID + "/" + acct
}

func (s *Service) rootARN(o *organization, r string) string {
	return s.arn(o.Management, "root/"+o.ID+"/"+r)
}

func (s *Service) ouARN(o *organization, u string) string {
	return s.arn(o.Management, "ou/"+o.ID+"/"+u)
}

func (t *txn) orgView(o *organization) (*api.Organization, error) {
	m, err := t.managementAccount(o)
	if err != nil {
		return nil, err
	}
	avail := []api.PolicyTypeSummary{}
	if o.FeatureSet == api.OrganizationFeatureSetAll {
		avail = append(avail, api.PolicyTypeSummary{Type: api.PolicyTypeServiceControlPolicy, Status: api.PolicyTypeStatusEnabled})
	}
	return &api.Organization{
		Id:                   o.ID,
		Arn:                  t.s.orgARN(o),
		FeatureSet:           o.FeatureSet,
		MasterAccountArn:     t.s.accountARN(o, o.Management),
		MasterAccountId:      o.Management,
		MasterAccountEmail:   m.Email,
		AvailablePolicyTypes: avail,
	}, nil
}

func (t *txn) rootView(o *organization, r *root) api.Root {
	pt := r.PolicyTypes
	if pt == nil {
		pt = []api.PolicyTypeSummary{}
	}
	return api.Root{Id: r.ID, Arn: t.s.rootARN(o, r.ID), Name: r.Name, PolicyTypes: pt}
}

func (t *txn) ouView(o *organization, u *ou) api.OrganizationalUnit {
	return api.OrganizationalUnit{Id: u.ID, Arn: t.s.ouARN(o, u.ID), Name: u.Name}
}

// accountStatus maps the newer State onto the legacy Status (spec 5.3).
func accountStatus(s api.AccountState) api.AccountStatus {
	switch s {
	case api.AccountStatePendingClosure:
		return api.AccountStatusPendingClosure
	case api.AccountStateSuspended, api.AccountStateClosed:
		return api.AccountStatusSuspended
	}
	return api.AccountStatusActive
}

// path returns "o-…/r-…/ou-…/…/" down to and including parent.
func (t *txn) path(o *organization, parent string) (string, error) {
	b, err := t.appendPath(make([]byte, 0, 128), o, parent)
	return string(b), err
}

// appendPath appends path's answer to b.
func (t *txn) appendPath(b []byte, o *organization, parent string) ([]byte, error) {
	var buf [8]string // room for the default depth's chain without allocating
	chain := buf[:0]
	n := len(o.ID) + len(o.Root) + 2
	for id := parent; strings.HasPrefix(id, "ou-"); {
		u, ok, err := t.ou(id)
		if err != nil || !ok {
			return b, err
		}
		chain = append(chain, u.ID)
		n += len(u.ID) + 1
		id = u.Parent
	}
	b = slices.Grow(b, n)
	b = append(append(append(append(b, o.ID...), '/'), o.Root...), '/')
	for i := len(chain) - 1; i >= 0; i-- {
		b = append(append(b, chain[i]...), '/')
	}
	return b, nil
}

var timeZero time.Time
