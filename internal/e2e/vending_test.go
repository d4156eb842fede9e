package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Account vending as a tool writes it with aws-sdk-go-v2: the management
// account creates an account, waits for it, assumes the role CreateAccount
// made in it, and then works as the new account.
func TestAccountVending(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		h           func(testing.TB) *harness
		key, secret string
	}{
		{"strict", newStrictHarness, mgmtKey, mgmtSecret},
		{"permissive", func(t testing.TB) *harness { return newHarness(t) }, mgmtID, "any-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := tc.h(t)
			mgmt := staticConfig(t, tc.key, tc.secret, "", false)
			orgs := h.orgsFrom(mgmt)
			if _, err := orgs.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
				t.Fatal(err)
			}
			newID := vendAccount(t, h, orgs, "vended@example.com", "Vended")

			// The role CreateAccount made, assumed the way SDK users do:
			// a credentials provider over the management account's STS
			// client.
			roleARN := "arn:aws:iam::" + newID + ":role/OrganizationAccountAccessRole"
			provider := stscreds.NewAssumeRoleProvider(h.stsFrom(mgmt), roleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "vending"
			})
			vended := mgmt.Copy()
			vended.Credentials = aws.NewCredentialsCache(provider)

			id, err := h.stsFrom(vended).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(id.Account) != newID || aws.ToString(id.Arn) != "arn:aws:sts::"+newID+":assumed-role/OrganizationAccountAccessRole/vending" {
				t.Fatalf("GetCallerIdentity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
			}
			o, err := h.orgsFrom(vended).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			if err != nil {
				t.Fatalf("DescribeOrganization as the new account: %v", err)
			}
			if aws.ToString(o.Organization.MasterAccountId) != mgmtID {
				t.Fatalf("organization %+v", o.Organization)
			}
			_, err = h.orgsFrom(vended).ListAccounts(ctx(t), &organizations.ListAccountsInput{})
			wantAPIError(t, err, "AccessDeniedException", "")

			// The new account's session may not reach back into the
			// management account, and no role chain may outlast an hour.
			creds, err := vended.Credentials.Retrieve(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID[:4] != "ASIA" || len(creds.AccessKeyID) != 20 || creds.SessionToken == "" || !creds.CanExpire {
				t.Fatalf("credentials %+v", creds)
			}
			chained := h.stsFrom(vended)
			_, err = chained.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + mgmtID + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("back")})
			wantSTSError(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::"+mgmtID)
			_, err = chained.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
			wantSTSError(t, err, "ValidationError", "DurationSeconds")
			if _, err = chained.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + newID + ":role/Deploy"), RoleSessionName: aws.String("own")}); err != nil {
				t.Fatalf("AssumeRole within the new account: %v", err)
			}
		})
	}
}

// vend creates an account and advances the server clock until it exists.
func vendAccount(t testing.TB, h *harness, orgs *organizations.Client, email, name string) string {
	t.Helper()
	out, err := orgs.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String(email), AccountName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	req := out.CreateAccountStatus.Id
	for range 20 {
		st, err := orgs.DescribeCreateAccountStatus(ctx(t), &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: req})
		if err != nil {
			t.Fatal(err)
		}
		switch st.CreateAccountStatus.State {
		case types.CreateAccountStateSucceeded:
			return aws.ToString(st.CreateAccountStatus.AccountId)
		case types.CreateAccountStateFailed:
			t.Fatalf("CreateAccount failed: %s", st.CreateAccountStatus.FailureReason)
		}
		h.advance(t, 5*time.Second)
	}
	t.Fatal("CreateAccount did not finish")
	return ""
}

// AssumeRole's refusals and checks, as STS sends them.
func TestAssumeRoleErrors(t *testing.T) {
	t.Parallel()
	h := newStrictHarness(t)
	mgmt := staticConfig(t, mgmtKey, mgmtSecret, "", false)
	if _, err := h.orgsFrom(mgmt).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	newID := vendAccount(t, h, h.orgsFrom(mgmt), "errors@example.com", "Errors")
	role := "arn:aws:iam::" + newID + ":role/OrganizationAccountAccessRole"
	for _, tc := range []struct {
		name     string
		key      string
		secret   string
		in       sts.AssumeRoleInput
		code     string
		contains string
	}{
		{"a standalone account into a member", memberKey, memberSecret, sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1")},
			"AccessDenied", "User: arn:aws:iam::" + memberID + ":root is not authorized to perform: sts:AssumeRole on resource: " + role},
		{"an account outside any organization", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + standaloneID + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("s1")},
			"AccessDenied", "sts:AssumeRole"},
		{"another partition", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws-cn:iam::" + newID + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("s1")},
			"AccessDenied", "sts:AssumeRole"},
		{"not a role ARN", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + newID + ":user/bob"), RoleSessionName: aws.String("s1")}, "ValidationError", "RoleArn"},
		{"short duration", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(899)}, "ValidationError", "DurationSeconds"},
		{"long duration", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43201)}, "ValidationError", "DurationSeconds"},
		{"bad session name", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("has space")}, "ValidationError", "RoleSessionName"},
		{"bad policy", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), Policy: aws.String("{not json")}, "MalformedPolicyDocument", "JSON"},
		{"twelve hours", mgmtKey, mgmtSecret, sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43200)}, "", ""},
		{"any role of a member", aliceKey, aliceSecret, sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + newID + ":role/path/Auditor"), RoleSessionName: aws.String("alice"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`), SourceIdentity: aws.String("alice")}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := h.now(t)
			out, err := h.stsFrom(staticConfig(t, tc.key, tc.secret, "", false)).AssumeRole(ctx(t), &tc.in)
			if tc.code != "" {
				wantSTSError(t, err, tc.code, tc.contains)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := start.Add(time.Duration(aws.ToInt32(tc.in.DurationSeconds)) * time.Second)
			if tc.in.DurationSeconds == nil {
				want = start.Add(time.Hour)
			}
			if got := aws.ToTime(out.Credentials.Expiration); got.Sub(want).Abs() > 2*time.Second {
				t.Fatalf("Expiration %s, want about %s (server clock)", got, want)
			}
			if tc.in.Policy != nil && aws.ToInt32(out.PackedPolicySize) == 0 {
				t.Fatal("no PackedPolicySize for a session policy")
			}
			if aws.ToString(out.SourceIdentity) != aws.ToString(tc.in.SourceIdentity) {
				t.Fatalf("SourceIdentity %q", aws.ToString(out.SourceIdentity))
			}
		})
	}
}

// wantSTSError fails unless err is the STS error code with a message
// containing contains.
func wantSTSError(t testing.TB, err error, code, contains string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), contains) {
		t.Fatalf("got %s: %s, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, contains)
	}
}

// The same vending through the AWS CLI: a profile with role_arn,
// source_profile and endpoint_url reaches the new account.
func TestAccountVendingAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not on PATH")
	}
	h := newStrictHarness(t)
	orgs := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false))
	if _, err := orgs.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	newID := vendAccount(t, h, orgs, "cli@example.com", "CLI")
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	os.WriteFile(credFile, []byte("[mgmt]\naws_access_key_id = "+mgmtKey+"\naws_secret_access_key = "+mgmtSecret+"\n"), 0o600)
	os.WriteFile(cfgFile, []byte("[profile mgmt]\nregion = us-east-1\nendpoint_url = "+h.URL+"\n\n"+
		"[profile vended]\nrole_arn = arn:aws:iam::"+newID+":role/OrganizationAccountAccessRole\nsource_profile = mgmt\nregion = us-east-1\nendpoint_url = "+h.URL+"\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
		fail bool
	}{
		{[]string{"sts", "get-caller-identity", "--profile", "vended"}, `"Account": "` + newID + `"`, false},
		{[]string{"organizations", "describe-organization", "--profile", "vended"}, `"MasterAccountId": "` + mgmtID + `"`, false},
		{[]string{"organizations", "list-accounts", "--profile", "vended"}, "AccessDeniedException", true},
		{[]string{"sts", "assume-role", "--profile", "mgmt", "--role-arn", "arn:aws:iam::" + newID + ":role/OrganizationAccountAccessRole", "--role-session-name", "manual"},
			`"Arn": "arn:aws:sts::` + newID + `:assumed-role/OrganizationAccountAccessRole/manual"`, false},
	} {
		cmd := exec.CommandContext(ctx(t), "aws", append(tc.args, "--output", "json")...)
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+credFile,
			"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=",
			"AWS_ENDPOINT_URL=", "AWS_PAGER=", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fail || !strings.Contains(string(out), tc.want) {
			t.Fatalf("aws %s: %v\n%s\nwant %q", strings.Join(tc.args, " "), err, out, tc.want)
		}
	}
}
