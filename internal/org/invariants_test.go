package org

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

// The accounts of the consolidated-billing organization the built state has.
const (
	cbMgmtID    = "404040404040"
	cbMemberID  = "505050505050"
	cbInviteeID = "606060606060"
)

// built names what buildState made.
type built struct {
	f *fixture
	// The all-features organization of mgmtID.
	org, root, ou1, ou2 string
	alpha, beta         string // created accounts: alpha CLOSED, beta PENDING_CLOSURE
	moved               string // otherID, invited, accepted and moved to ou2
	creating            string // a CreateAccount request still IN_PROGRESS
	openInvite          string // to an email, still OPEN
	policy              string // a customer SCP attached to ou1
	// The consolidated-billing organization of cbMgmtID, migrating.
	cbOrg, migration, approval, migInvite string
}

// buildState builds, through the Service only, a state with a bit of
// everything: nested OUs, created, invited, moved, closing and closed
// accounts, open, accepted and declined invitations, a pending
// all-features migration with an approval and an invitation issued during
// it, a policy and its attachment, tags, trusted access, a delegated
// administrator, a resource policy, a session and scheduled work.
func buildState(t testing.TB) *built {
	t.Helper()
	f := newFixture(t, func(c *Config) { c.Quotas.AccountsPerOrganization = 20 })
	b := &built{f: f}
	ctx := as(mgmtID)
	s := f.svc
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	b.org = f.newOrg(mgmtID, api.OrganizationFeatureSetAll).Id
	b.root = f.rootID(mgmtID)
	ou1, err := s.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: b.root, Name: "Workloads", Tags: []api.Tag{{Key: "cost", Value: "42"}}})
	must(err)
	b.ou1 = ou1.OrganizationalUnit.Id
	ou2, err := s.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: b.ou1, Name: "Prod"})
	must(err)
	b.ou2 = ou2.OrganizationalUnit.Id

	created := func(name string) string {
		t.Helper()
		out, err := s.CreateAccount(ctx, &api.CreateAccountRequest{AccountName: name, Email: name + "@example.net"})
		must(err)
		f.advance(s.cfg.CreateAccountDelay)
		st, err := s.DescribeCreateAccountStatus(ctx, &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: out.CreateAccountStatus.Id})
		must(err)
		if st.CreateAccountStatus.State != api.CreateAccountStateSucceeded {
			t.Fatalf("create %s: %+v", name, st.CreateAccountStatus)
		}
		return st.CreateAccountStatus.AccountId
	}
	b.alpha, b.beta = created("alpha"), created("beta")
	f.advance(time.Minute)

	inv, err := s.InviteAccountToOrganization(ctx, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Type: api.HandshakePartyTypeAccount, Id: otherID}, Notes: "join us"})
	must(err)
	_, err = s.AcceptHandshake(as(otherID), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id})
	must(err)
	b.moved = otherID
	_, err = s.MoveAccount(ctx, &api.MoveAccountRequest{AccountId: otherID, SourceParentId: b.root, DestinationParentId: b.ou2})
	must(err)
	declined, err := s.InviteAccountToOrganization(ctx, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Type: api.HandshakePartyTypeAccount, Id: thirdID}})
	must(err)
	_, err = s.DeclineHandshake(as(thirdID), &api.DeclineHandshakeRequest{HandshakeId: declined.Handshake.Id})
	must(err)
	open, err := s.InviteAccountToOrganization(ctx, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Type: api.HandshakePartyTypeEmail, Id: "Someone@Example.org"}})
	must(err)
	b.openInvite = open.Handshake.Id

	pol, err := s.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: "deny-s3", Description: "no S3", Type: api.PolicyTypeServiceControlPolicy,
		Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`})
	must(err)
	b.policy = pol.Policy.PolicySummary.Id
	_, err = s.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: b.policy, TargetId: b.ou1})
	must(err)
	_, err = s.EnableAWSServiceAccess(ctx, &api.EnableAWSServiceAccessRequest{ServicePrincipal: "cloudtrail.amazonaws.com"})
	must(err)
	_, err = s.RegisterDelegatedAdministrator(ctx, &api.RegisterDelegatedAdministratorRequest{AccountId: otherID, ServicePrincipal: "cloudtrail.amazonaws.com"})
	must(err)
	_, err = s.PutResourcePolicy(ctx, &api.PutResourcePolicyRequest{Content: `{"Version":"2012-10-17","Statement":[{"Sid":"Delegate","Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + otherID + `:root"},"Action":"organizations:Describe*","Resource":"*"}]}`})
	must(err)

	_, err = s.CloseAccount(ctx, &api.CloseAccountRequest{AccountId: b.alpha})
	must(err)
	f.advance(s.cfg.CloseAccountDelay)
	_, err = s.CloseAccount(ctx, &api.CloseAccountRequest{AccountId: b.beta})
	must(err)
	req, err := s.CreateAccount(ctx, &api.CreateAccountRequest{AccountName: "gamma", Email: "gamma@example.net"})
	must(err)
	b.creating = req.CreateAccountStatus.Id

	must(s.PutSession(context.Background(), identity.Session{
		AccessKeyID: "ASIAEXAMPLEEXAMPLE01", SecretAccessKey: "secret", SessionToken: "token",
		Expiration: f.now().Add(time.Hour), AccountID: b.beta, RoleName: "OrganizationAccountAccessRole",
		RoleARN: "arn:aws:iam::" + b.beta + ":role/OrganizationAccountAccessRole", SessionName: "s",
		Principal: "arn:aws:sts::" + b.beta + ":assumed-role/OrganizationAccountAccessRole/s", Source: "arn:aws:iam::" + mgmtID + ":root",
	}))

	// The consolidated-billing organization, with a migration pending.
	b.cbOrg = f.newOrg(cbMgmtID, api.OrganizationFeatureSetConsolidatedBilling).Id
	cbCtx := as(cbMgmtID)
	inv, err = s.InviteAccountToOrganization(cbCtx, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Type: api.HandshakePartyTypeAccount, Id: cbMemberID}})
	must(err)
	_, err = s.AcceptHandshake(as(cbMemberID), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id})
	must(err)
	mig, err := s.EnableAllFeatures(cbCtx, &api.EnableAllFeaturesRequest{})
	must(err)
	b.migration = mig.Handshake.Id
	during, err := s.InviteAccountToOrganization(cbCtx, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Type: api.HandshakePartyTypeAccount, Id: cbInviteeID}})
	must(err)
	b.migInvite = during.Handshake.Id
	must(s.store.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan(prefixChildHandshakes(b.migration), "", func(k string, _ []byte) bool {
			b.approval = lastSegment(k)
			return false
		})
	}))
	if b.approval == "" {
		t.Fatal("the migration has no approval handshake")
	}
	return b
}

// snapshot copies every key and value of s's store.
func snapshot(t testing.TB, s *Service) map[string][]byte {
	t.Helper()
	kv := map[string][]byte{}
	err := s.store.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan("", "", func(k string, v []byte) bool {
			kv[k] = append([]byte(nil), v...)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// restore returns a Service over a new memory store holding kv.
func restore(t testing.TB, kv map[string][]byte, cfg Config) *Service {
	t.Helper()
	st := memstore.New()
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for k, v := range kv {
			if err := tx.Put(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestInvariantsHoldThroughLife(t *testing.T) {
	b := buildState(t)
	s := b.f.svc
	if err := s.CheckInvariants(context.Background()); err != nil {
		t.Fatalf("built state: %v", err)
	}
	// Approve and finalize the migration, then let everything due happen:
	// invitations expire, ended handshakes are purged, closed accounts
	// leave, sessions go.
	if _, err := s.AcceptHandshake(as(cbMemberID), &api.AcceptHandshakeRequest{HandshakeId: b.approval}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckInvariants(context.Background()); err != nil {
		t.Fatalf("after the approval: %v", err)
	}
	if _, err := s.AcceptHandshake(as(cbMgmtID), &api.AcceptHandshakeRequest{HandshakeId: b.migration}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckInvariants(context.Background()); err != nil {
		t.Fatalf("after the migration: %v", err)
	}
	for _, d := range []time.Duration{16 * day, 31 * day, 91 * day} {
		b.f.advance(d)
		if err := s.CheckInvariants(context.Background()); err != nil {
			t.Fatalf("after %v more: %v", d, err)
		}
	}
	if _, err := s.DeleteOrganization(as(cbMgmtID), &api.Empty{}); err == nil {
		t.Fatal("deleted an organization with a member")
	}
	if _, err := s.RemoveAccountFromOrganization(as(cbMgmtID), &api.RemoveAccountFromOrganizationRequest{AccountId: cbMemberID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteOrganization(as(cbMgmtID), &api.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckInvariants(context.Background()); err != nil {
		t.Fatalf("after DeleteOrganization: %v", err)
	}
}

// editRecord rewrites the JSON record at key through fn.
func editRecord[T any](t testing.TB, s *Service, key string, fn func(*T)) {
	t.Helper()
	err := s.store.Update(context.Background(), func(tx store.Tx) error {
		v, ok, err := tx.Get(key)
		if err != nil || !ok {
			return errors.Join(err, errors.New("no record "+key))
		}
		var r T
		if err := decodeRecord(key, v, &r); err != nil {
			return err
		}
		fn(&r)
		b, err := encodeRecord(key, &r)
		if err != nil {
			return err
		}
		return tx.Put(key, b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// raw changes keys directly: put sets them (a nil value too), del deletes.
func raw(t testing.TB, s *Service, put map[string]string, del ...string) {
	t.Helper()
	err := s.store.Update(context.Background(), func(tx store.Tx) error {
		for k, v := range put {
			if err := tx.Put(k, []byte(v)); err != nil {
				return err
			}
		}
		for _, k := range del {
			// Deleting an absent key would corrupt nothing: the case
			// would be wrong, not the check.
			if _, found, err := tx.Get(k); err != nil {
				return err
			} else if !found {
				return errors.New("no key " + k)
			}
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dueKeyOf returns the due work key of kind for id.
func dueKeyOf(t testing.TB, s *Service, kind, id string) string {
	t.Helper()
	var found string
	err := s.store.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan("due/", "", func(k string, _ []byte) bool {
			if strings.HasSuffix(k, "/"+kind+"/"+id) {
				found = k
				return false
			}
			return true
		})
	})
	if err != nil || found == "" {
		t.Fatalf("no %s work for %s (%v)", kind, id, err)
	}
	return found
}

// TestInvariantsCatchCorruption breaks a correct state one key at a time
// and checks that each break is reported, and reported for what it is.
func TestInvariantsCatchCorruption(t *testing.T) {
	b := buildState(t)
	base := snapshot(t, b.f.svc)
	cfg := b.f.svc.cfg
	if err := b.f.svc.CheckInvariants(context.Background()); err != nil {
		t.Fatalf("the state to corrupt is already broken: %v", err)
	}
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, s *Service)
		want    string // a substring of one violation
	}{
		{"account loses its child entry", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyChildAccount(b.ou2, b.moved))
		}, "account " + otherID + ": index key " + keyChildAccount(b.ou2, b.moved) + " is missing"},
		{"account under a second parent", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{keyChildAccount(b.ou1, b.moved): ""})
		}, keyChildAccount(b.ou1, b.moved) + ": account is not a member under " + b.ou1},
		{"account's parent in another organization", func(t *testing.T, s *Service) {
			editRecord(t, s, keyAccount(b.moved), func(a *account) { a.Parent = "r-zzzz" })
		}, `parent "r-zzzz" is not a root or OU`},
		{"member entry without the member", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{keyMember(b.org, thirdID): ""})
		}, keyMember(b.org, thirdID) + ": account is not a member"},
		{"member without its member entry", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyMember(b.org, b.moved))
		}, "index key " + keyMember(b.org, b.moved) + " is missing"},
		{"account in a deleted organization", func(t *testing.T, s *Service) {
			editRecord(t, s, keyAccount(b.moved), func(a *account) { a.Org = "o-gone000000" })
		}, `account ` + b.moved + `: organization "o-gone000000" does not exist`},
		{"OU one level too deep", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOU(b.ou2), func(u *ou) { u.Depth = 3 })
		}, "OU " + b.ou2 + ": depth 3 under " + b.ou1 + " of depth 1"},
		{"orphaned OU", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOU(b.ou2), func(u *ou) { u.Parent = "ou-gone-00000000" })
		}, `OU ` + b.ou2 + `: parent "ou-gone-00000000" is not a root or OU`},
		{"OU in another organization's tree", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOU(b.ou1), func(u *ou) { u.Org = b.cbOrg })
		}, "OU " + b.ou1 + `: parent "` + b.root + `" is not a root or OU of ` + b.cbOrg},
		{"OU name index lost", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyOUName(b.ou1, "Prod"))
		}, "index key " + keyOUName(b.ou1, "Prod") + " is missing"},
		{"stale OU name", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{keyOUName(b.ou1, "Old"): b.ou2})
		}, keyOUName(b.ou1, "Old") + `: names OU "` + b.ou2 + `"`},
		{"Members counter", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOrg(b.org), func(o *organization) { o.Members++ })
		}, "counter Members is 5 but the records say 4"},
		{"OUs counter", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOrg(b.org), func(o *organization) { o.OUs-- })
		}, "counter OUs is 1 but the records say 2"},
		{"OpenInvitations counter", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOrg(b.org), func(o *organization) { o.OpenInvitations = 0 })
		}, "counter OpenInvitations is 0 but the records say 1"},
		{"CreatesInProgress counter", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOrg(b.org), func(o *organization) { o.CreatesInProgress = 2 })
		}, "counter CreatesInProgress is 2 but the records say 1"},
		{"ClosuresInProgress counter", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOrg(b.org), func(o *organization) { o.ClosuresInProgress = 0 })
		}, "counter ClosuresInProgress is 0 but the records say 1"},
		{"indexed handshake missing", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyHandshake(b.openInvite))
		}, "no handshake has this index entry"},
		{"handshake of a deleted organization", func(t *testing.T, s *Service) {
			editRecord(t, s, keyHandshake(b.openInvite), func(h *handshake) { h.Org = "o-gone000000" })
		}, "handshake " + b.openInvite + `: organization "o-gone000000" does not exist`},
		{"open invitation index lost", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyOpenInvitation(b.org, b.openInvite))
		}, "index key " + keyOpenInvitation(b.org, b.openInvite) + " is missing"},
		{"migration pending with all features", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOrg(b.cbOrg), func(o *organization) { o.FeatureSet = api.OrganizationFeatureSetAll })
		}, "migration pending in an organization with feature set ALL"},
		{"pending migration not marked", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyMigration(b.cbOrg))
		}, "index key " + keyMigration(b.cbOrg) + " is missing"},
		{"migration's blocking count", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyBlockingChild(b.migration, cbMemberID))
		}, "Pending is 1 but 0 children block it"},
		{"invitation issued during a migration unindexed", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyMigrationInvite(b.migration, b.migInvite))
		}, "index key " + keyMigrationInvite(b.migration, b.migInvite) + " is missing"},
		{"email index names another account", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{keyEmail("alpha@example.net"): b.beta})
		}, `which does not have this email`},
		{"email index lost", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyEmail("beta@example.net"))
		}, "index key " + keyEmail("beta@example.net") + " is missing"},
		{"creation not scheduled", func(t *testing.T, s *Service) {
			raw(t, s, nil, dueKeyOf(t, s, workCreateAccount, b.creating))
		}, "create request " + b.creating + ": no create-account work is scheduled"},
		{"closure not scheduled", func(t *testing.T, s *Service) {
			raw(t, s, nil, dueKeyOf(t, s, workCloseAccount, b.beta))
		}, "no close-account work is scheduled"},
		{"succeeded creation of no account", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyAccount(b.alpha))
		}, `succeeded but account "` + b.alpha + `" does not exist`},
		{"attachment indexed one way", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyAttached(b.org, b.policy, b.ou1))
		}, "index key " + keyAttached(b.org, b.policy, b.ou1) + " is missing"},
		{"policy name index lost", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyPolicyName(b.org, api.PolicyTypeServiceControlPolicy, "deny-s3"))
		}, "policy " + b.policy + ": index key"},
		{"delegation indexed one way", func(t *testing.T, s *Service) {
			raw(t, s, nil, keyServiceDelegate(b.org, "cloudtrail.amazonaws.com", otherID))
		}, "index key " + keyServiceDelegate(b.org, "cloudtrail.amazonaws.com", otherID) + " is missing"},
		{"key of no known kind", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{"bogus/1": "x"})
		}, "bogus/1: key of no known kind"},
		{"record under another ID", func(t *testing.T, s *Service) {
			editRecord(t, s, keyOU(b.ou1), func(u *ou) { u.ID = "ou-abcd-00000000" })
		}, keyOU(b.ou1) + `: record has ID "ou-abcd-00000000"`},
		{"record that does not decode", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{keyOrg(b.cbOrg): "{"})
		}, keyOrg(b.cbOrg) + ": record does not decode"},
		{"unknown due work", func(t *testing.T, s *Service) {
			raw(t, s, map[string]string{"due/00000000000000000001/no-such-work/x": ""})
		}, `due work of unknown kind "no-such-work"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := restore(t, base, cfg)
			if err := s.CheckInvariants(context.Background()); err != nil {
				t.Fatalf("before corrupting: %v", err)
			}
			tc.corrupt(t, s)
			err := s.CheckInvariants(context.Background())
			var ie *InvariantError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an *InvariantError", err)
			}
			for _, v := range ie.Violations {
				if strings.Contains(v, tc.want) {
					return
				}
			}
			t.Fatalf("no violation says %q:\n%v", tc.want, err)
		})
	}
}
