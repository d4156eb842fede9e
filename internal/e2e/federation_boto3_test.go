package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/federation"
	"github.com/orgd/orgd/internal/federation/fedtest"
	"github.com/orgd/orgd/internal/identity"
)

// boto3Federation calls assume_role_with_web_identity and
// assume_role_with_saml (both unsigned in botocore), uses each session,
// and sends a bad token and assertion; it prints what it saw as JSON.
const boto3Federation = `
import json, os, boto3, botocore
from botocore.config import Config
e = os.environ
cfg = Config(retries={"max_attempts": 1})
sts = boto3.client("sts", region_name="us-east-1", endpoint_url=e["ORGD"], config=cfg)
out = {}
w = sts.assume_role_with_web_identity(RoleArn=e["WEB_ROLE"], RoleSessionName="gha", WebIdentityToken=e["TOKEN"])
out["web"] = {"arn": w["AssumedRoleUser"]["Arn"], "sub": w["SubjectFromWebIdentityToken"], "provider": w["Provider"], "audience": w["Audience"]}
s = sts.assume_role_with_saml(RoleArn=e["SAML_ROLE"], PrincipalArn=e["PROVIDER"], SAMLAssertion=e["SAML"])
out["saml"] = {"arn": s["AssumedRoleUser"]["Arn"], "subject": s["Subject"], "subjectType": s["SubjectType"], "issuer": s["Issuer"]}
c = s["Credentials"]
orgs = boto3.client("organizations", region_name="us-east-1", endpoint_url=e["ORGD"], config=cfg,
    aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
out["org"] = orgs.describe_organization()["Organization"]["MasterAccountId"]
for name, call in [("badToken", lambda: sts.assume_role_with_web_identity(RoleArn=e["WEB_ROLE"], RoleSessionName="gha", WebIdentityToken=e["EXPIRED"])),
                   ("badSAML", lambda: sts.assume_role_with_saml(RoleArn=e["SAML_ROLE"], PrincipalArn=e["PROVIDER"], SAMLAssertion=e["FORGED"]))]:
    try:
        call()
        out[name] = "accepted"
    except botocore.exceptions.ClientError as err:
        out[name] = err.response["Error"]["Code"]
print(json.dumps(out))
`

// boto3, which signs with botocore, gets credentials from orgd's STS with
// an OIDC token and a SAML assertion in strict mode, and its errors.
func TestStrictFederationBoto3(t *testing.T) {
	t.Parallel()
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("boto3 is needed in CI: %v", err)
		}
		t.Skip("python3 with boto3 is not installed")
	}
	iss := fedtest.NewIssuer(t, githubIssuer)
	idp := fedtest.NewIdP(t, "https://idp.corp.example/saml")
	h := federatedHarness(t, identity.Strict, func(dir string) federation.File {
		web, saml := githubFederation(t, iss)(dir), corpFederation(t, idp)(dir)
		web.SAMLProviders = saml.SAMLProviders
		web.Roles = append(web.Roles, saml.Roles...)
		return web
	})
	if _, err := h.orgsFrom(staticConfig(t, mgmtKey, mgmtSecret, "", false)).CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	now := h.now(t)
	const sub = "repo:acme/infra:ref:refs/heads/main"
	expired := iss.Claims(sub, "sts.amazonaws.com", now.Add(-2*time.Hour))
	assertion := fedtest.Assertion{Subject: "alice@corp.example", Roles: []string{adminsRole + "," + corpProvider}, SessionName: "alice", IssuedAt: now.Add(-time.Second)}
	cmd := exec.CommandContext(ctx(t), "python3", "-c", boto3Federation)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ORGD="+h.URL, "WEB_ROLE="+deployRole, "SAML_ROLE="+adminsRole, "PROVIDER="+corpProvider,
		"TOKEN="+iss.Sign(t, iss.Claims(sub, "sts.amazonaws.com", now.Add(-time.Second))),
		"EXPIRED="+iss.Sign(t, expired),
		"SAML="+idp.Response(t, assertion, nil, nil),
		"FORGED="+fedtest.NewIdP(t, idp.EntityID).Response(t, assertion, nil, nil),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	raw, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("boto3: %v\n%s", err, stderr)
	}
	var got struct {
		Web               map[string]string
		SAML              map[string]string
		Org               string
		BadToken, BadSAML string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	for _, c := range [][2]string{
		{got.Web["arn"], "arn:aws:sts::" + mgmtID + ":assumed-role/ci-deploy/gha"},
		{got.Web["sub"], sub},
		{got.Web["provider"], githubIssuer},
		{got.Web["audience"], "sts.amazonaws.com"},
		{got.SAML["arn"], "arn:aws:sts::" + mgmtID + ":assumed-role/org-admins/alice"},
		{got.SAML["subject"], "alice@corp.example"},
		{got.SAML["subjectType"], "persistent"},
		{got.SAML["issuer"], idp.EntityID},
		{got.Org, mgmtID},
		{got.BadToken, "ExpiredTokenException"},
		{got.BadSAML, "InvalidIdentityToken"},
	} {
		if c[0] != c[1] {
			t.Fatalf("boto3 saw %q where %q was expected: %s", c[0], c[1], raw)
		}
	}
	t.Logf("boto3: %s", raw)
}
