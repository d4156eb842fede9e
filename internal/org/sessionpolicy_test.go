package org

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// scoped returns a context whose caller is a role session of account id
// limited by the session policy policy.
func scoped(id, policy string) context.Context {
	p := identity.SessionPolicies{{Policy: policy}}
	return identity.NewContext(context.Background(), identity.Caller{
		AccountID: id, AccessKeyID: "ASIASCOPED0000000001", Temporary: true,
		Principal: "arn:aws:sts::" + id + ":assumed-role/R/s", Policies: &p,
	})
}

// Session policies see the resource the input names, as SCPs do: the
// parent of a new OU, the account described, the handshake answered (a
// standalone account's too), and decide with IAM's grammar (NotResource,
// policy variables).
func TestSessionPolicyResources(t *testing.T) {
	f := newFixture(t)
	o := f.newOrg(mgmtID, api.OrganizationFeatureSetAll)
	root := f.rootID(mgmtID)
	ou := f.newOU(mgmtID, root, "Workloads")
	f.join(mgmtID, "", api.AccountJoinedMethodCreated, otherID)
	const (
		notUnderRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","NotResource":"arn:aws:organizations::*:root/*"}]}`
		oneAccount   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:DescribeAccount","Resource":"arn:aws:organizations::*:account/o-*/222222222222"}]}`
		handshakes   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*Handshake*","Resource":"arn:aws:organizations::*:handshake/*"}]}`
		accounts     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"arn:aws:organizations::*:account/*"}]}`
		ownAccount   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:DescribeAccount","Resource":"arn:aws:organizations::*:account/*/${aws:PrincipalAccount}"}]}`
	)
	invite := f.invite(mgmtID, &api.HandshakeParty{Type: api.HandshakePartyTypeAccount, Id: thirdID})
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		call   func(ctx context.Context) error
		denied bool
	}{
		{"an OU under an OU", scoped(mgmtID, notUnderRoot), func(ctx context.Context) error {
			_, err := f.svc.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: ou, Name: "a"})
			return err
		}, false},
		{"an OU under the root", scoped(mgmtID, notUnderRoot), func(ctx context.Context) error {
			_, err := f.svc.CreateOrganizationalUnit(ctx, &api.CreateOrganizationalUnitRequest{ParentId: root, Name: "b"})
			return err
		}, true},
		{"the account the policy names", scoped(mgmtID, oneAccount), func(ctx context.Context) error {
			_, err := f.svc.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: otherID})
			return err
		}, false},
		{"another account", scoped(mgmtID, oneAccount), func(ctx context.Context) error {
			_, err := f.svc.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: mgmtID})
			return err
		}, true},
		{"its own account by variable", scoped(mgmtID, ownAccount), func(ctx context.Context) error {
			_, err := f.svc.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: mgmtID})
			return err
		}, false},
		{"another account by variable", scoped(mgmtID, ownAccount), func(ctx context.Context) error {
			_, err := f.svc.DescribeAccount(ctx, &api.DescribeAccountRequest{AccountId: otherID})
			return err
		}, true},
		{"a standalone account's handshake, on accounts only", scoped(thirdID, accounts), func(ctx context.Context) error {
			_, err := f.svc.DescribeHandshake(ctx, &api.DescribeHandshakeRequest{HandshakeId: invite.Id})
			return err
		}, true},
		{"a standalone account's handshake", scoped(thirdID, handshakes), func(ctx context.Context) error {
			_, err := f.svc.AcceptHandshake(ctx, &api.AcceptHandshakeRequest{HandshakeId: invite.Id})
			return err
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.ctx)
			var ae *api.Error
			switch {
			case tc.denied && (!errors.As(err, &ae) || ae.Type != "AccessDeniedException" || !strings.Contains(ae.Message, "because no session policy allows")):
				t.Fatalf("got %v, want the session policy's AccessDeniedException", err)
			case !tc.denied && err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
	if got, err := f.svc.OrganizationOf(context.Background(), thirdID); err != nil || got != o.Id {
		t.Fatalf("OrganizationOf(%s) = %q, %v; want %s", thirdID, got, err, o.Id)
	}
	if got, err := f.svc.OrganizationOf(context.Background(), "999999999999"); err != nil || got != "" {
		t.Fatalf("OrganizationOf(standalone) = %q, %v", got, err)
	}
}
