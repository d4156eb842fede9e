package clone_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
)

// The accounts of the seeded organizations.
const (
	mgmtID     = "111111111111"
	daID       = "200000000001" // an invited member, delegated administrator
	memberID   = "200000000002" // an invited member
	declinerID = "200000000003" // declines the migration
	openID     = "200000000004" // has not answered the migration
	outsideID  = "300000000001" // invited, has not answered
)

// as is a context whose caller is account id.
func as(id string) context.Context {
	return identity.NewContext(context.Background(), identity.Caller{AccountID: id, AccessKeyID: id})
}

// seeder drives a source's domain directly: building an organization of
// hundreds of accounts over HTTP would only slow the test down.
type seeder struct {
	t   testing.TB
	svc *org.Service
}

func (s seeder) ok(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

func tags(kv ...string) []api.Tag {
	var out []api.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, api.Tag{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func (s seeder) tag(id string, kv ...string) {
	s.t.Helper()
	_, err := s.svc.TagResource(as(mgmtID), &api.TagResourceRequest{ResourceId: id, Tags: tags(kv...)})
	s.ok(err)
}

// invite has account join the organization by invitation.
func (s seeder) invite(id string) {
	s.t.Helper()
	s.ok(s.svc.RegisterAccount(context.Background(), id, "acct-"+id+"@example.com", "Invited "+id))
	inv, err := s.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{
		Target: &api.HandshakeParty{Id: id, Type: api.HandshakePartyTypeAccount}, Notes: "join us " + id,
	})
	s.ok(err)
	_, err = s.svc.AcceptHandshake(as(id), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id})
	s.ok(err)
}

// create makes an account with CreateAccount and returns its ID.
func (s seeder) create(n int) string {
	s.t.Helper()
	out, err := s.svc.CreateAccount(as(mgmtID), &api.CreateAccountRequest{Email: fmt.Sprintf("created-%d@example.com", n), AccountName: fmt.Sprintf("Created %d", n)})
	s.ok(err)
	st, err := s.svc.DescribeCreateAccountStatus(as(mgmtID), &api.DescribeCreateAccountStatusRequest{CreateAccountRequestId: out.CreateAccountStatus.Id})
	s.ok(err)
	if st.CreateAccountStatus.State != api.CreateAccountStateSucceeded {
		s.t.Fatalf("create %d: %s", n, st.CreateAccountStatus.State)
	}
	return st.CreateAccountStatus.AccountId
}

func (s seeder) ou(parent, name string) string {
	s.t.Helper()
	out, err := s.svc.CreateOrganizationalUnit(as(mgmtID), &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: name, Tags: tags("level", name)})
	s.ok(err)
	return out.OrganizationalUnit.Id
}

func (s seeder) move(acct, from, to string) {
	s.t.Helper()
	_, err := s.svc.MoveAccount(as(mgmtID), &api.MoveAccountRequest{AccountId: acct, SourceParentId: from, DestinationParentId: to})
	s.ok(err)
}

func (s seeder) policy(typ api.PolicyType, name, content string, targets ...string) string {
	s.t.Helper()
	out, err := s.svc.CreatePolicy(as(mgmtID), &api.CreatePolicyRequest{Name: name, Description: "the " + name + " policy", Type: typ, Content: content, Tags: tags("policy", name)})
	s.ok(err)
	id := out.Policy.PolicySummary.Id
	for _, target := range targets {
		_, err := s.svc.AttachPolicy(as(mgmtID), &api.AttachPolicyRequest{PolicyId: id, TargetId: target})
		s.ok(err)
	}
	return id
}

// richOrg is the organization with all features the clone must copy.
type richOrg struct {
	Org, Root string
	OUs       []string // the chain five levels deep, top first
	Accounts  []string // every member
	Policies  []string
}

// seedRich builds, in src, an organization with all features: OUs five
// levels deep, 300 accounts besides the management account (created and
// invited, one suspended, one pending closure), tags on everything,
// policies of four types attached at several levels, a delegated
// administrator, trusted access, a resource policy and open invitations.
func seedRich(t testing.TB, src *orgd) richOrg {
	s := seeder{t, src.Svc}
	s.ok(s.svc.RegisterAccount(context.Background(), mgmtID, "mgmt@example.com", "Management"))
	o, err := s.svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{FeatureSet: api.OrganizationFeatureSetAll})
	s.ok(err)
	roots, err := s.svc.ListRoots(as(mgmtID), &api.ListRootsRequest{})
	s.ok(err)
	w := richOrg{Org: o.Organization.Id, Root: roots.Roots[0].Id}
	s.tag(w.Root, "scope", "root")

	parent := w.Root
	for level := 1; level <= 5; level++ {
		// A sibling at each level, so that parents have several children.
		s.ou(parent, fmt.Sprintf("Side%d", level))
		parent = s.ou(parent, fmt.Sprintf("Level%d", level))
		w.OUs = append(w.OUs, parent)
	}
	for _, id := range []string{daID, memberID, declinerID, openID} {
		s.invite(id)
	}
	w.Accounts = append(w.Accounts, mgmtID, daID, memberID, declinerID, openID)
	for i := 1; len(w.Accounts) < 301; i++ {
		var id string
		if i%3 == 0 {
			id = fmt.Sprintf("4%011d", i)
			s.invite(id)
		} else {
			id = s.create(i)
		}
		w.Accounts = append(w.Accounts, id)
	}
	// Spread the accounts over the tree and tag each.
	for i, id := range w.Accounts {
		if i > 0 && i%4 != 0 {
			s.move(id, w.Root, w.OUs[i%5])
		}
		s.tag(id, "index", fmt.Sprint(i), "team", []string{"red", "blue", "green"}[i%3])
	}

	// SCPs are enabled with all features.
	for _, typ := range []api.PolicyType{api.PolicyTypeTagPolicy, api.PolicyTypeBackupPolicy, api.PolicyTypeAiservicesOptOutPolicy} {
		_, err := s.svc.EnablePolicyType(as(mgmtID), &api.EnablePolicyTypeRequest{RootId: w.Root, PolicyType: typ})
		s.ok(err)
	}
	w.Policies = append(w.Policies,
		s.policy(api.PolicyTypeServiceControlPolicy, "deny-leave", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`, w.Root, w.OUs[2], w.Accounts[7]),
		s.policy(api.PolicyTypeServiceControlPolicy, "deny-s3-delete", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`, w.OUs[4]),
		s.policy(api.PolicyTypeTagPolicy, "costcenter", `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}`, w.Root, w.OUs[1]),
		s.policy(api.PolicyTypeBackupPolicy, "daily", `{"plans":{"daily":{"regions":{"@@assign":["us-east-1"]},"rules":{"r":{"target_backup_vault_name":{"@@assign":"Default"}}},"selections":{"tags":{"s":{"iam_role_arn":{"@@assign":"arn:aws:iam::$account:role/Backup"},"tag_key":{"@@assign":"backup"},"tag_value":{"@@assign":["yes"]}}}}}}}`, w.OUs[3], w.Accounts[9]),
		s.policy(api.PolicyTypeAiservicesOptOutPolicy, "opt-out", `{"services":{"default":{"opt_out_policy":{"@@assign":"optOut"}}}}`, w.Root),
	)

	_, err = s.svc.EnableAWSServiceAccess(as(mgmtID), &api.EnableAWSServiceAccessRequest{ServicePrincipal: "config.amazonaws.com"})
	s.ok(err)
	_, err = s.svc.EnableAWSServiceAccess(as(mgmtID), &api.EnableAWSServiceAccessRequest{ServicePrincipal: "guardduty.amazonaws.com"})
	s.ok(err)
	_, err = s.svc.RegisterDelegatedAdministrator(as(mgmtID), &api.RegisterDelegatedAdministratorRequest{AccountId: daID, ServicePrincipal: "config.amazonaws.com"})
	s.ok(err)
	_, err = s.svc.RegisterDelegatedAdministrator(as(mgmtID), &api.RegisterDelegatedAdministratorRequest{AccountId: daID, ServicePrincipal: "guardduty.amazonaws.com"})
	s.ok(err)
	rp, err := s.svc.PutResourcePolicy(as(mgmtID), &api.PutResourcePolicyRequest{
		Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + daID + `"},"Action":["organizations:DescribePolicy","organizations:ListPolicies"],"Resource":"*"}]}`,
		Tags:    tags("owner", "security"),
	})
	s.ok(err)
	_ = rp

	// Open invitations: by account ID and by email.
	_, err = s.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: outsideID, Type: api.HandshakePartyTypeAccount}, Notes: "pending"})
	s.ok(err)
	_, err = s.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: "someone@example.org", Type: api.HandshakePartyTypeEmail}})
	s.ok(err)

	// One account closing; another suspended, which only AWS does: the
	// state document sets it.
	_, err = s.svc.CloseAccount(as(mgmtID), &api.CloseAccountRequest{AccountId: w.Accounts[11]})
	s.ok(err)
	suspend(t, src, w.Accounts[12])
	return w
}

// suspend makes an account SUSPENDED through the state document.
func suspend(t testing.TB, src *orgd, id string) {
	t.Helper()
	doc := src.export(t)
	old := []byte(`{"key":"acct/` + id + `","value":{`)
	i := bytes.Index(doc, old)
	if i < 0 {
		t.Fatalf("no record of account %s", id)
	}
	end := i + bytes.IndexByte(doc[i:], '\n')
	line := strings.Replace(string(doc[i:end]), `"State":"ACTIVE"`, `"State":"SUSPENDED"`, 1)
	doc = append(append(append([]byte{}, doc[:i]...), line...), doc[end:]...)
	if err := src.Svc.Import(context.Background(), bytes.NewReader(doc)); err != nil {
		t.Fatal(err)
	}
}

// migratingOrg is a consolidated-billing organization in the middle of
// its migration to all features.
type migratingOrg struct {
	Org, Parent string
	// Approvals by account.
	Approvals map[string]string
}

// seedMigrating builds, in src, a consolidated-billing organization with
// created and invited members whose EnableAllFeatures migration has one
// approval, one decline and one open request, and an invitation issued
// during it.
func seedMigrating(t testing.TB, src *orgd) migratingOrg {
	s := seeder{t, src.Svc}
	s.ok(s.svc.RegisterAccount(context.Background(), mgmtID, "mgmt@example.com", "Management"))
	o, err := s.svc.CreateOrganization(as(mgmtID), &api.CreateOrganizationRequest{FeatureSet: api.OrganizationFeatureSetConsolidatedBilling})
	s.ok(err)
	w := migratingOrg{Org: o.Organization.Id, Approvals: map[string]string{}}
	for _, id := range []string{memberID, declinerID, openID} {
		s.invite(id)
	}
	for i := 1; i <= 3; i++ {
		s.create(i)
	}
	// Open before the migration: it cancels them.
	_, err = s.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: outsideID, Type: api.HandshakePartyTypeAccount}})
	s.ok(err)
	m, err := s.svc.EnableAllFeatures(as(mgmtID), &api.EnableAllFeaturesRequest{})
	s.ok(err)
	w.Parent = m.Handshake.Id
	for _, id := range []string{memberID, declinerID, openID} {
		out, err := s.svc.ListHandshakesForAccount(as(id), &api.ListHandshakesForAccountRequest{Filter: &api.HandshakeFilter{ActionType: api.ActionTypeApproveAllFeatures}})
		s.ok(err)
		if len(out.Handshakes) != 1 {
			t.Fatalf("%s has %d approvals", id, len(out.Handshakes))
		}
		w.Approvals[id] = out.Handshakes[0].Id
	}
	_, err = s.svc.AcceptHandshake(as(memberID), &api.AcceptHandshakeRequest{HandshakeId: w.Approvals[memberID]})
	s.ok(err)
	_, err = s.svc.DeclineHandshake(as(declinerID), &api.DeclineHandshakeRequest{HandshakeId: w.Approvals[declinerID]})
	s.ok(err)
	// Issued during the migration: open on the copy too.
	_, err = s.svc.InviteAccountToOrganization(as(mgmtID), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: "late@example.org", Type: api.HandshakePartyTypeEmail}})
	s.ok(err)
	return w
}
