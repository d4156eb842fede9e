package org

import (
	"context"
	"fmt"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
)

// benchSCPOrg builds the worst path the default quotas allow: otherID five
// OUs deep, with ten SCPs on the root, on each OU and on the account
// (FullAWSAccess and nine others, each with a conditional Deny that does
// not match and an Allow).
func benchSCPOrg(b *testing.B) *fixture {
	f := newFixture(b)
	f.newOrg(mgmtID, "")
	ctx := as(mgmtID)
	parent := f.rootID(mgmtID)
	targets := []string{parent}
	for d := 1; d <= 5; d++ {
		parent = f.createOU(mgmtID, parent, fmt.Sprintf("level%d", d))
		targets = append(targets, parent)
	}
	f.join(mgmtID, parent, api.AccountJoinedMethodInvited, otherID)
	targets = append(targets, otherID)
	for l, target := range targets {
		for i := 1; i < 10; i++ {
			content := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
				`{"Sid":"DenyOutsideRegions%d%d","Effect":"Deny","Action":["ec2:*","s3:DeleteBucket","organizations:Leave*"],"Resource":"*",`+
				`"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-%d"]}}},`+
				`{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*","s3:*"],"Resource":"*"}]}`, l, i, i)
			p, err := f.svc.CreatePolicy(ctx, &api.CreatePolicyRequest{Name: fmt.Sprintf("p%d-%d", l, i), Type: api.PolicyTypeServiceControlPolicy, Content: content})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.svc.AttachPolicy(ctx, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: target}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return f
}

// BenchmarkSCPDecision times one authorization decision for that account:
// through Service.Authorize (read transaction, path walk, attachment scans,
// compiled-policy cache, evaluation of 70 policies), and as the SCP check
// of a member's real call, which runs the same inside t.caller.
func BenchmarkSCPDecision(b *testing.B) {
	f := benchSCPOrg(b)
	b.Run("Authorize", func(b *testing.B) {
		req := AuthorizeRequest{Account: otherID, Action: "organizations:DescribeOrganization",
			Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}}}
		b.ReportAllocs()
		for b.Loop() {
			res, err := f.svc.Authorize(as(otherID), req)
			if err != nil || !res.Allowed || len(res.AllowedBy) != 7 {
				b.Fatalf("Authorize: %+v, %v", res, err)
			}
		}
	})
	// A session restricted by a session policy: its call is decided by
	// the session policy and by the SCPs, on one request built once.
	b.Run("EnforcedCallRestrictedSession", func(b *testing.B) {
		ctx := identity.NewContext(context.Background(), identity.Caller{AccountID: otherID, AccessKeyID: "ASIABENCH",
			Principal: "arn:aws:sts::" + otherID + ":assumed-role/R/s", Temporary: true,
			Policies: &identity.SessionPolicies{{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:Describe*","Resource":"*"}]}`}}})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.svc.DescribeOrganization(ctx, &api.Empty{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EnforcedCall", func(b *testing.B) {
		ctx := as(otherID)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.svc.DescribeOrganization(ctx, &api.Empty{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
