package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/federation/fedtest"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
)

const (
	githubIssuer = "https://token.actions.githubusercontent.com"
	deployRole   = "arn:aws:iam::" + mgmtID + ":role/ci-deploy"
)

// federatedHarness starts a server whose credentials file, written to
// disk and loaded as orgd serve loads it, has authCredentials and the
// federation part that configure returns for the file's directory.
func federatedHarness(t *testing.T, mode identity.Mode, configure func(dir string) federation.File) *harness {
	t.Helper()
	dir := t.TempDir()
	file := struct {
		Credentials []identity.Credential `json:"credentials"`
		federation.File
	}{authCredentials, configure(dir)}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := identity.LoadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	return startHarness(t, org.DefaultConfig(), &identity.Resolver{DefaultAccount: defaultAccount, Mode: mode, Credentials: creds})
}

func githubFederation(t testing.TB, iss *fedtest.Issuer) func(dir string) federation.File {
	return func(dir string) federation.File {
		return federation.File{
			OpenIDConnectProviders: []federation.OIDCProvider{{URL: iss.URL, Audiences: []string{"sts.amazonaws.com"}, JWKSFile: iss.WriteJWKS(t, dir, "github-jwks.json")}},
			Roles: []federation.Role{{ARN: deployRole, Trust: []federation.Trust{{
				Provider:   "token.actions.githubusercontent.com",
				Conditions: map[string][]string{"sub": {"repo:acme/infra:ref:refs/heads/main"}, "aud": {"sts.amazonaws.com"}},
			}}}},
		}
	}
}

// anonymousSTS is an STS client that signs nothing, as the SDKs call
// AssumeRoleWithWebIdentity and AssumeRoleWithSAML.
func (h *harness) anonymousSTS(t testing.TB) *sts.Client {
	return h.stsFrom(staticConfig(t, "", "", "", false))
}

// A CI job trades its OIDC token for management-account credentials of
// a role that trusts its repository and branch, as GitHub Actions does
// against AWS; every token that is not exactly right is refused with
// STS's error for it.
func TestStrictAssumeRoleWithWebIdentity(t *testing.T) {
	t.Parallel()
	iss := fedtest.NewIssuer(t, githubIssuer)
	h := federatedHarness(t, identity.Strict, githubFederation(t, iss))
	if _, err := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false)).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	const sub = "repo:acme/infra:ref:refs/heads/main"
	token := func(edit func(map[string]any)) string {
		c := iss.Claims(sub, "sts.amazonaws.com", h.now(t))
		if edit != nil {
			edit(c)
		}
		return iss.Sign(t, c)
	}

	t.Run("the GitHub Actions flow", func(t *testing.T) {
		// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as the SDKs read them.
		tokenFile := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(tokenFile, []byte(token(nil)), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := staticConfig(t, "", "", "", false)
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(h.stsFrom(cfg), deployRole,
			stscreds.IdentityTokenFile(tokenFile), func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "gha-run-42" }))
		who, err := h.stsFrom(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if want := "arn:aws:sts::" + mgmtID + ":assumed-role/ci-deploy/gha-run-42"; aws.ToString(who.Arn) != want {
			t.Fatalf("caller %s, want %s", aws.ToString(who.Arn), want)
		}
		if _, err := h.orgsFrom(cfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("the answer", func(t *testing.T) {
		out, err := h.anonymousSTS(t).AssumeRoleWithWebIdentity(ctx(t), &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(deployRole), RoleSessionName: aws.String("run"), WebIdentityToken: aws.String(token(nil)), DurationSeconds: aws.Int32(900),
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.SubjectFromWebIdentityToken) != sub || aws.ToString(out.Provider) != githubIssuer || aws.ToString(out.Audience) != "sts.amazonaws.com" ||
			aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+mgmtID+":assumed-role/ci-deploy/run" || out.Credentials == nil {
			t.Fatalf("got %+v", out)
		}
		if exp := aws.ToTime(out.Credentials.Expiration); exp.Sub(h.now(t)) > 901*time.Second {
			t.Fatalf("expiration %v", exp)
		}
	})

	other := fedtest.NewIssuer(t, githubIssuer)
	for _, tc := range []struct {
		name     string
		token    string
		role     string
		duration int32
		policy   string
		code     string
		typed    any
	}{
		{name: "expired", token: token(func(c map[string]any) { c["exp"] = h.now(t).Add(-time.Minute).Unix() }), code: "ExpiredTokenException", typed: new(*ststypes.ExpiredTokenException)},
		{name: "future-dated", token: token(func(c map[string]any) { c["nbf"] = h.now(t).Add(time.Hour).Unix() }), code: "InvalidIdentityToken", typed: new(*ststypes.InvalidIdentityTokenException)},
		{name: "wrong audience", token: token(func(c map[string]any) { c["aud"] = "api://other" }), code: "InvalidIdentityToken"},
		{name: "wrongly signed", token: other.Sign(t, iss.Claims(sub, "sts.amazonaws.com", h.now(t))), code: "InvalidIdentityToken"},
		{name: "unknown issuer", token: token(func(c map[string]any) { c["iss"] = "https://gitlab.example.com" }), code: "InvalidIdentityToken"},
		{name: "malformed", token: "eyJhbGciOiJub25lIn0.e30.", code: "InvalidIdentityToken"},
		{name: "another branch", token: token(func(c map[string]any) { c["sub"] = "repo:acme/infra:ref:refs/heads/feature" }), code: "AccessDenied"},
		{name: "another repository", token: token(func(c map[string]any) { c["sub"] = "repo:evil/infra:ref:refs/heads/main" }), code: "AccessDenied"},
		{name: "undeclared role", token: token(nil), role: "arn:aws:iam::" + mgmtID + ":role/Admin", code: "AccessDenied"},
		{name: "role in another account", token: token(nil), role: "arn:aws:iam::" + memberID + ":role/ci-deploy", code: "AccessDenied"},
		{name: "longer than the role allows", token: token(nil), duration: 3601, code: "ValidationError"},
		{name: "session policy not JSON", token: token(nil), policy: "{not json", code: "MalformedPolicyDocument", typed: new(*ststypes.MalformedPolicyDocumentException)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role := deployRole
			if tc.role != "" {
				role = tc.role
			}
			in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("run"), WebIdentityToken: aws.String(tc.token)}
			if tc.duration != 0 {
				in.DurationSeconds = aws.Int32(tc.duration)
			}
			if tc.policy != "" {
				in.Policy = aws.String(tc.policy)
			}
			out, err := h.anonymousSTS(t).AssumeRoleWithWebIdentity(ctx(t), in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("got %+v %v, want %s", out, err, tc.code)
			}
			switch typed := tc.typed.(type) {
			case **ststypes.ExpiredTokenException:
				if !errors.As(err, typed) {
					t.Fatalf("%v is not the SDK's ExpiredTokenException", err)
				}
			case **ststypes.InvalidIdentityTokenException:
				if !errors.As(err, typed) {
					t.Fatalf("%v is not the SDK's InvalidIdentityTokenException", err)
				}
			case **ststypes.MalformedPolicyDocumentException:
				if !errors.As(err, typed) {
					t.Fatalf("%v is not the SDK's MalformedPolicyDocumentException", err)
				}
			}
		})
	}
}

// Permissive mode takes a token from a provider it does not know, and
// a role the file does not declare, but still parses the token and
// holds it to its expiry.
func TestPermissiveAssumeRoleWithWebIdentity(t *testing.T) {
	t.Parallel()
	iss := fedtest.NewIssuer(t, githubIssuer)
	h := federatedHarness(t, identity.Permissive, func(string) federation.File { return federation.File{} })
	c := iss.Claims("repo:acme/infra:ref:refs/heads/main", "sts.amazonaws.com", h.now(t))
	out, err := h.anonymousSTS(t).AssumeRoleWithWebIdentity(ctx(t), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::" + memberID + ":role/Anything"), RoleSessionName: aws.String("run"), WebIdentityToken: aws.String(iss.Sign(t, c)),
	})
	if err != nil || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+memberID+":assumed-role/Anything/run" {
		t.Fatalf("%+v %v", out, err)
	}
	c["exp"] = h.now(t).Add(-time.Second).Unix()
	_, err = h.anonymousSTS(t).AssumeRoleWithWebIdentity(ctx(t), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::" + memberID + ":role/Anything"), RoleSessionName: aws.String("run"), WebIdentityToken: aws.String(iss.Sign(t, c)),
	})
	var expired *ststypes.ExpiredTokenException
	if !errors.As(err, &expired) {
		t.Fatalf("got %v, want ExpiredTokenException", err)
	}
	_, err = h.anonymousSTS(t).AssumeRoleWithWebIdentity(ctx(t), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::" + memberID + ":role/Anything"), RoleSessionName: aws.String("run"), WebIdentityToken: aws.String("garbage"),
	})
	var invalid *ststypes.InvalidIdentityTokenException
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v, want InvalidIdentityTokenException", err)
	}
}
