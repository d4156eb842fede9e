package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

// Session policies the tests scope their sessions down with.
const (
	spReadOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"}]}`
	// spAllButOUs allows everything and denies creating OUs: the Deny wins.
	spAllButOUs = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:CreateOrganizationalUnit","Resource":"*"}]}`
	spAllowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	spDenyAll   = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	// spReadAndChain may read and assume roles, nothing else.
	spReadAndChain = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*","sts:AssumeRole"],"Resource":"*"}]}`
	// spNoDescribe denies DescribeOrganization and allows the rest.
	spNoDescribe = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:DescribeOrganization","Resource":"*"}]}`

	spReadOnlyARN = "arn:aws:iam::aws:policy/AWSOrganizationsReadOnlyAccess"
	spAdminARN    = "arn:aws:iam::aws:policy/AdministratorAccess"
	spUnknownARN  = "arn:aws:iam::" + mgmtID + ":policy/ci-scope"
)

// assumeScoped assumes role in account as from does, with session policy
// policy ("" for none) and managed policy ARNs, and returns the
// session's configuration.
func (h *harness) assumeScoped(t testing.TB, from aws.Config, account, role, name, policy string, arns ...string) aws.Config {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + role), RoleSessionName: aws.String(name)}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	for _, a := range arns {
		in.PolicyArns = append(in.PolicyArns, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	out, err := h.stsFrom(from).AssumeRole(ctx(t), in)
	if err != nil {
		t.Fatalf("AssumeRole %s/%s: %v", account, role, err)
	}
	c := out.Credentials
	return staticConfig(t, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), false)
}

// wantDenied fails unless err is Organizations' AccessDeniedException
// with exactly message, or, when message is "", any message.
func wantDenied(t testing.TB, err error, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("got %v, want AccessDeniedException", err)
	}
	if message != "" && ae.ErrorMessage() != message {
		t.Fatalf("message %q, want %q", ae.ErrorMessage(), message)
	}
}

// A session scoped down with session policies may do only what they
// allow, whatever its role could do: the attacker holds the session's
// keys and tries everything else.
func TestSessionPolicies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mgmt := staticConfig(t, mgmtID, "secret", "", false)
	h.newOrg(t, mgmtID, types.OrganizationFeatureSetAll)
	h.join(t, mgmtID, memberID)
	root := polRoot(t, h.orgsFrom(mgmt))
	createOU := func(c aws.Config, name string) error {
		_, err := h.orgsFrom(c).CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String(name)})
		return err
	}
	describe := func(c aws.Config) error {
		_, err := h.orgsFrom(c).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
		return err
	}
	ouNames := func() []string {
		out, err := h.orgsFrom(mgmt).ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(root)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range out.OrganizationalUnits {
			names = append(names, aws.ToString(u.Name))
		}
		return names
	}
	whoAmI := func(t *testing.T, c aws.Config, want string) {
		t.Helper()
		id, err := h.stsFrom(c).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(id.Arn) != want {
			t.Fatalf("GetCallerIdentity = %v, %v; want %s", id, err, want)
		}
	}
	session := func(role, name string) string {
		return "arn:aws:sts::" + mgmtID + ":assumed-role/" + role + "/" + name
	}

	t.Run("read-only policy", func(t *testing.T) {
		ci := h.assumeScoped(t, mgmt, mgmtID, "ci", "read", spReadOnly)
		if err := describe(ci); err != nil {
			t.Fatalf("DescribeOrganization: %v", err)
		}
		if _, err := h.orgsFrom(ci).ListAccounts(ctx(t), &organizations.ListAccountsInput{}); err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		err := createOU(ci, "from-read-only")
		wantDenied(t, err, "User: "+session("ci", "read")+" is not authorized to perform: organizations:CreateOrganizationalUnit because no session policy allows the organizations:CreateOrganizationalUnit action")
		for _, n := range ouNames() {
			if n == "from-read-only" {
				t.Fatal("the refused CreateOrganizationalUnit created an OU")
			}
		}
		_, err = h.orgsFrom(ci).DeleteOrganization(ctx(t), &organizations.DeleteOrganizationInput{})
		wantDenied(t, err, "")
	})

	t.Run("the AWS managed read-only policy", func(t *testing.T) {
		ci := h.assumeScoped(t, mgmt, mgmtID, "ci", "managed-read", "", spReadOnlyARN)
		if err := describe(ci); err != nil {
			t.Fatalf("DescribeOrganization: %v", err)
		}
		wantDenied(t, createOU(ci, "from-managed-read"), "")
	})

	t.Run("deny wins over allow", func(t *testing.T) {
		ci := h.assumeScoped(t, mgmt, mgmtID, "ci", "deny", spAllButOUs)
		wantDenied(t, createOU(ci, "from-deny"), "User: "+session("ci", "deny")+" is not authorized to perform: organizations:CreateOrganizationalUnit with an explicit deny in a session policy")
		if err := describe(ci); err != nil {
			t.Fatalf("DescribeOrganization: %v", err)
		}
		// An allowing managed policy beside the inline one does not lift
		// the deny either.
		both := h.assumeScoped(t, mgmt, mgmtID, "ci", "deny-admin", spAllButOUs, spAdminARN)
		wantDenied(t, createOU(both, "from-deny-admin"), "")
	})

	t.Run("an unknown policy ARN alone allows nothing", func(t *testing.T) {
		ci := h.assumeScoped(t, mgmt, mgmtID, "ci", "unknown", "", spUnknownARN)
		wantDenied(t, describe(ci), "User: "+session("ci", "unknown")+" is not authorized to perform: organizations:DescribeOrganization because no session policy allows the organizations:DescribeOrganization action")
		whoAmI(t, ci, session("ci", "unknown"))
		// Beside a policy orgd knows it grants nothing more.
		read := h.assumeScoped(t, mgmt, mgmtID, "ci", "unknown-read", spReadOnly, spUnknownARN)
		if err := describe(read); err != nil {
			t.Fatal(err)
		}
		wantDenied(t, createOU(read, "from-unknown-read"), "")
	})

	t.Run("GetCallerIdentity under deny-all", func(t *testing.T) {
		ci := h.assumeScoped(t, mgmt, mgmtID, "ci", "nothing", spDenyAll)
		whoAmI(t, ci, session("ci", "nothing"))
		wantDenied(t, describe(ci), "")
		_, err := h.stsFrom(ci).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/admin"), RoleSessionName: aws.String("escape")})
		wantSTSError(t, err, "AccessDenied", "User: "+session("ci", "nothing")+" is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+mgmtID+":role/admin with an explicit deny in a session policy")
	})

	t.Run("role chaining", func(t *testing.T) {
		// Without sts:AssumeRole in its policies a session cannot chain.
		read := h.assumeScoped(t, mgmt, mgmtID, "ci", "chain-read", spReadOnly)
		_, err := h.stsFrom(read).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/admin"), RoleSessionName: aws.String("escape")})
		wantSTSError(t, err, "AccessDenied", "because no session policy allows the sts:AssumeRole action")

		// With it, the chained session is no wider than its maker, into
		// the account itself or into a member.
		chainer := h.assumeScoped(t, mgmt, mgmtID, "ci", "chainer", spReadAndChain)
		for _, account := range []string{mgmtID, memberID} {
			admin := h.assumeScoped(t, chainer, account, "admin", "chained", "")
			whoAmI(t, admin, "arn:aws:sts::"+account+":assumed-role/admin/chained")
			if err := describe(admin); err != nil {
				t.Fatalf("DescribeOrganization from the chained session in %s: %v", account, err)
			}
		}
		admin := h.assumeScoped(t, chainer, mgmtID, "admin", "chained", "")
		wantDenied(t, createOU(admin, "from-chained"), "User: arn:aws:sts::"+mgmtID+":assumed-role/admin/chained is not authorized to perform: organizations:CreateOrganizationalUnit because no session policy allows the organizations:CreateOrganizationalUnit action")
		// An allow-all policy of its own does not widen it either; a
		// narrower one narrows it.
		wide := h.assumeScoped(t, chainer, mgmtID, "admin", "chained-wide", spAllowAll)
		wantDenied(t, createOU(wide, "from-chained-wide"), "")
		narrow := h.assumeScoped(t, chainer, mgmtID, "admin", "chained-narrow", spNoDescribe)
		wantDenied(t, describe(narrow), "")
		if err := describe(chainer); err != nil {
			t.Fatalf("the chaining session lost its rights: %v", err)
		}
		// A session of a session of a session keeps them all.
		third := h.assumeScoped(t, h.assumeScoped(t, chainer, mgmtID, "admin", "second", spAllowAll), mgmtID, "admin", "third", "")
		wantDenied(t, createOU(third, "from-third"), "")
		if err := describe(third); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a session policy does not widen SCPs", func(t *testing.T) {
		deny := polCreate(t, h.orgsFrom(mgmt), "deny-leave", polSCP, polDenyLeave)
		polAttach(t, h.orgsFrom(mgmt), deny, memberID)
		member := staticConfig(t, memberID, "secret", "", false)
		for _, tc := range []struct {
			name, policy string
			arns         []string
		}{
			{"allow-all inline", spAllowAll, nil},
			{"AdministratorAccess", "", []string{spAdminARN}},
			{"no session policy", "", nil},
		} {
			s := h.assumeScoped(t, member, memberID, "admin", "leaver", tc.policy, tc.arns...)
			_, err := h.orgsFrom(s).LeaveOrganization(ctx(t), &organizations.LeaveOrganizationInput{})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "with an explicit deny in a service control policy") {
				t.Fatalf("%s: LeaveOrganization = %v, want the SCP's refusal", tc.name, err)
			}
			// Nor what a member may not do at all.
			_, err = h.orgsFrom(s).ListAccounts(ctx(t), &organizations.ListAccountsInput{})
			wantDenied(t, err, "You don't have permissions to access this resource.")
		}
	})

	t.Run("a session without policies is as before", func(t *testing.T) {
		full := h.assumeScoped(t, mgmt, mgmtID, "admin", "full", "")
		if err := createOU(full, "from-full"); err != nil {
			t.Fatalf("CreateOrganizationalUnit: %v", err)
		}
		chained := h.assumeScoped(t, full, mgmtID, "admin", "full-chained", "")
		if err := createOU(chained, "from-full-chained"); err != nil {
			t.Fatalf("CreateOrganizationalUnit from a chained session: %v", err)
		}
	})

	t.Run("a standalone account learns nothing past its policy", func(t *testing.T) {
		alone := staticConfig(t, standaloneID, "secret", "", false)
		nothing := h.assumeScoped(t, alone, standaloneID, "ci", "alone", spDenyAll)
		// Not AWSOrganizationsNotInUseException: the policy decides first.
		wantDenied(t, describe(nothing), "")
		read := h.assumeScoped(t, alone, standaloneID, "ci", "alone-read", spReadOnly)
		wantAPIError(t, describe(read), "AWSOrganizationsNotInUseException", "")
	})
}

// Strict mode verifies the session's signature and then holds it to its
// session policies, as permissive mode does.
func TestStrictSessionPolicies(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	mgmt := staticConfig(t, mgmtKey, mgmtSecret, "", false)
	if _, err := h.orgsFrom(mgmt).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	ci := h.assumeScoped(t, mgmt, mgmtID, "ci", "strict", spReadOnly)
	if _, err := h.orgsFrom(ci).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	root := polRoot(t, h.orgsFrom(ci))
	_, err := h.orgsFrom(ci).CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("x")})
	wantDenied(t, err, "")

	// A federated user is held to its policy too.
	fed, err := h.stsFrom(mgmt).GetFederationToken(ctx(t), &sts.GetFederationTokenInput{Name: aws.String("ci-bot"), Policy: aws.String(spReadOnly)})
	if err != nil {
		t.Fatal(err)
	}
	c := fed.Credentials
	bot := h.orgsFrom(staticConfig(t, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), false))
	if _, err := bot.ListRoots(ctx(t), &organizations.ListRootsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = bot.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("x")})
	wantDenied(t, err, "User: arn:aws:sts::"+mgmtID+":federated-user/ci-bot is not authorized to perform: organizations:CreateOrganizationalUnit because no session policy allows the organizations:CreateOrganizationalUnit action")

	// Without a policy a federated user may do nothing, as on AWS, but
	// ask who it is.
	fed, err = h.stsFrom(mgmt).GetFederationToken(ctx(t), &sts.GetFederationTokenInput{Name: aws.String("no-policy")})
	if err != nil {
		t.Fatal(err)
	}
	c = fed.Credentials
	cfg := staticConfig(t, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken), false)
	if who, err := h.stsFrom(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":federated-user/no-policy") {
		t.Fatalf("GetCallerIdentity = %v, %v", who, err)
	}
	_, err = h.orgsFrom(cfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	wantDenied(t, err, "User: arn:aws:sts::"+mgmtID+":federated-user/no-policy is not authorized to perform: organizations:DescribeOrganization because no session policy allows the organizations:DescribeOrganization action")

	// A policy orgd could not enforce is refused when the session is
	// asked for, not accepted and ignored.
	_, err = h.stsFrom(mgmt).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/ci"), RoleSessionName: aws.String("bad"),
		Policy: aws.String(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`)})
	wantSTSError(t, err, "MalformedPolicyDocument", "Principal")
}

// A session stored before orgd kept session policies (its record has no
// Policies field) still signs requests and acts with its role's rights.
func TestSessionStoredBeforeSessionPolicies(t *testing.T) {
	t.Parallel()
	st := memstore.New()
	const (
		key    = "ASIAOLDSESSION000001"
		secret = "old-session-secret"
		token  = "old-session-token"
	)
	// The record exactly as the earlier orgd wrote it.
	record := fmt.Sprintf(`{"AccessKeyID":%q,"SecretAccessKey":%q,"SessionToken":%q,"Expiration":%q,"AccountID":%q,"RoleName":"OrganizationAccountAccessRole","RoleARN":"arn:aws:iam::%[5]s:role/OrganizationAccountAccessRole","SessionName":"old","Principal":"arn:aws:sts::%[5]s:assumed-role/OrganizationAccountAccessRole/old","Source":"arn:aws:iam::%[5]s:root"}`,
		key, secret, token, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), mgmtID)
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Put("session/"+key, []byte(record)) }); err != nil {
		t.Fatal(err)
	}
	creds, err := identity.NewCredentials(authCredentials...)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := org.New(context.Background(), st, org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{Svc: svc}
	h.serve(t, server.New(svc, &identity.Resolver{DefaultAccount: defaultAccount, Mode: identity.Strict, Credentials: creds}, testLog(t), server.WithAdminToken(adminToken)))

	old := staticConfig(t, key, secret, token, false)
	if _, err := h.orgsFrom(old).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatalf("CreateOrganization with the old session: %v", err)
	}
	root := polRoot(t, h.orgsFrom(old))
	if _, err := h.orgsFrom(old).CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("old")}); err != nil {
		t.Fatalf("CreateOrganizationalUnit with the old session: %v", err)
	}
	id, err := h.stsFrom(old).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::"+mgmtID+":assumed-role/OrganizationAccountAccessRole/old" {
		t.Fatalf("GetCallerIdentity = %v, %v", id, err)
	}
	// It chains as before, unrestricted.
	chained := h.assumeScoped(t, old, mgmtID, "admin", "from-old", "")
	if _, err := h.orgsFrom(chained).CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(root), Name: aws.String("chained")}); err != nil {
		t.Fatalf("CreateOrganizationalUnit from a session the old one assumed: %v", err)
	}
}
