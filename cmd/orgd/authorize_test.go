package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

func as(id string) context.Context {
	return identity.NewContext(context.Background(), identity.Caller{AccountID: id, AccessKeyID: id})
}

// authorizeServer serves an organization of 111111111111 whose member
// 222222222222 sits in an OU with a deny-leave SCP; it returns the
// server's URL and the SCP's ID.
func authorizeServer(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	svc, err := org.New(ctx, memstore.New(), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	const mgmt, member = "111111111111", "222222222222"
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.CreateOrganization(as(mgmt), &api.CreateOrganizationRequest{FeatureSet: api.OrganizationFeatureSetAll})
	check(err)
	inv, err := svc.InviteAccountToOrganization(as(mgmt), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: member, Type: api.HandshakePartyTypeAccount}})
	check(err)
	_, err = svc.AcceptHandshake(as(member), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id})
	check(err)
	roots, err := svc.ListRoots(as(mgmt), &api.ListRootsRequest{})
	check(err)
	ou, err := svc.CreateOrganizationalUnit(as(mgmt), &api.CreateOrganizationalUnitRequest{ParentId: roots.Roots[0].Id, Name: "Locked"})
	check(err)
	_, err = svc.MoveAccount(as(mgmt), &api.MoveAccountRequest{AccountId: member, SourceParentId: roots.Roots[0].Id, DestinationParentId: ou.OrganizationalUnit.Id})
	check(err)
	p, err := svc.CreatePolicy(as(mgmt), &api.CreatePolicyRequest{Name: "deny-leave", Type: api.PolicyTypeServiceControlPolicy,
		Content: `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`})
	check(err)
	_, err = svc.AttachPolicy(as(mgmt), &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: ou.OrganizationalUnit.Id})
	check(err)
	srv := httptest.NewServer(server.New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv.URL, p.Policy.PolicySummary.Id
}

func TestAuthorizeCommand(t *testing.T) {
	url, denyID := authorizeServer(t)
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string // each must appear
		stderr string
	}{
		{"denied by the OU's SCP", []string{"--account", "222222222222", "--action", "organizations:LeaveOrganization"}, exitDenied,
			[]string{"DENIED", "organizations:LeaveOrganization", "explicit deny: " + denyID + " (deny-leave) statement 0 NoLeaving on ou-"}, ""},
		{"the condition spares one region", []string{"--account", "222222222222", "--action", "organizations:LeaveOrganization", "--context", "aws:RequestedRegion=eu-west-1"}, exitAllowed,
			[]string{"ALLOWED", "context aws:RequestedRegion = eu-west-1", "allowed at r-", "allowed at ou-", "allowed at 222222222222", "p-FullAWSAccess (FullAWSAccess) statement 0"}, ""},
		{"other actions pass", []string{"--account", "222222222222", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::bucket/key"}, exitAllowed,
			[]string{"ALLOWED  s3:GetObject on arn:aws:s3:::bucket/key by account 222222222222"}, ""},
		{"the management account is exempt", []string{"--account", "111111111111", "--action", "organizations:LeaveOrganization"}, exitAllowed,
			[]string{"ALLOWED", "exempt"}, ""},
		{"json output", []string{"--json", "--account", "222222222222", "--action", "organizations:LeaveOrganization"}, exitDenied,
			[]string{`"decision":"EXPLICIT_DENY"`}, ""},
		{"account in no organization", []string{"--account", "333333333333", "--action", "s3:GetObject"}, exitError, nil, "AWSOrganizationsNotInUseException"},
		{"missing action", []string{"--account", "222222222222"}, exitError, nil, "missing required flag --action"},
		{"bad context", []string{"--account", "222222222222", "--action", "s3:GetObject", "--context", "novalue"}, exitError, nil, "not key=value"},
		{"stray argument", []string{"--account", "222222222222", "--action", "s3:GetObject", "extra"}, exitError, nil, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := authorizeMain(append([]string{"--endpoint", url}, c.args...), &stdout, &stderr)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout.String(), stderr.String())
			}
			for _, want := range c.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, stderr.String())
			}
		})
	}
}

func TestAuthorizeCommandServerDown(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	var stdout, stderr bytes.Buffer
	if code := authorizeMain([]string{"--endpoint", url, "--account", "222222222222", "--action", "s3:GetObject"}, &stdout, &stderr); code != exitError || stderr.Len() == 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestContextFlag(t *testing.T) {
	c := contextFlag{}
	for _, s := range []string{"a=1", "a=2", "b=x=y", "c="} {
		if err := c.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if got := c["a"]; len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("a = %v", got)
	}
	if got := c["b"]; len(got) != 1 || got[0] != "x=y" {
		t.Errorf("b = %v", got)
	}
	if got, ok := c["c"]; !ok || len(got) != 1 || got[0] != "" {
		t.Errorf("c = %v", got)
	}
	for _, bad := range []string{"", "novalue", "=v"} {
		if err := c.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
