package impact

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/impact/impacttest"
	"github.com/orgd/orgd/internal/org"
)

var benchAccounts = []string{"222222222222", "333333333333", "444444444444", "555555555555"}

// benchOrg builds a five-level path (root, three OUs, the account) with
// ten SCPs on every level: FullAWSAccess and nine with a Deny outside two
// regions that the benchmark's calls mostly pass, and an Allow. The
// accounts of benchAccounts sit at the bottom.
func benchOrg(b *testing.B) (*org.Service, string) {
	svc := newService(b)
	mg := as(mgmtAcct)
	must[*api.CreateOrganizationResponse](b)(svc.CreateOrganization(mg, &api.CreateOrganizationRequest{}))
	parent := must[*api.ListRootsResponse](b)(svc.ListRoots(mg, &api.ListRootsRequest{})).Roots[0].Id
	targets := []string{parent}
	for d := 1; d <= 3; d++ {
		parent = must[*api.CreateOrganizationalUnitResponse](b)(svc.CreateOrganizationalUnit(mg, &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: fmt.Sprintf("level%d", d)})).OrganizationalUnit.Id
		targets = append(targets, parent)
	}
	for _, acct := range benchAccounts {
		must[*api.InviteAccountToOrganizationResponse](b)(svc.InviteAccountToOrganization(mg, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: acct, Type: api.HandshakePartyTypeAccount}}))
		hs := must[*api.ListHandshakesForAccountResponse](b)(svc.ListHandshakesForAccount(as(acct), &api.ListHandshakesForAccountRequest{}))
		must[*api.AcceptHandshakeResponse](b)(svc.AcceptHandshake(as(acct), &api.AcceptHandshakeRequest{HandshakeId: hs.Handshakes[0].Id}))
		must[*api.Empty](b)(svc.MoveAccount(mg, &api.MoveAccountRequest{AccountId: acct, SourceParentId: targets[0], DestinationParentId: parent}))
	}
	for l, target := range append(targets, benchAccounts[0]) {
		for i := 1; i < 10; i++ {
			content := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
				`{"Sid":"DenyOutsideRegions%d%d","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*",`+
				`"Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1","eu-central-1","ap-southeast-%d"]}}},`+
				`{"Effect":"Allow","Action":["ec2:*","s3:*","dynamodb:*","iam:*"],"Resource":"*"}]}`, l, i, i)
			p := must[*api.CreatePolicyResponse](b)(svc.CreatePolicy(mg, &api.CreatePolicyRequest{Name: fmt.Sprintf("p%d-%d", l, i), Type: api.PolicyTypeServiceControlPolicy, Content: content}))
			must[*api.Empty](b)(svc.AttachPolicy(mg, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: target}))
		}
	}
	return svc, targets[len(targets)-1]
}

// BenchmarkReplay measures events per second through the reader, the
// request context and both decisions, on ten SCPs per level of a
// five-level path, with a proposal that swaps one of them.
func BenchmarkReplay(b *testing.B) {
	svc, ou := benchOrg(b)
	var p org.Proposal
	ids := must[*api.ListPoliciesForTargetResponse](b)(svc.ListPoliciesForTarget(as(mgmtAcct), &api.ListPoliciesForTargetRequest{TargetId: ou, Filter: api.PolicyTypeServiceControlPolicy}))
	p.Detach = []org.PolicyAttachment{{Policy: ids.Policies[1].Id, Target: ou}}
	p.New = []org.ProposedPolicy{newSCP("eu-only", regionSCP)}
	p.Attach = []org.PolicyAttachment{{Policy: "eu-only", Target: ou}}
	sim, err := svc.Simulate(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	const perRun = 20000
	var log bytes.Buffer
	if err := impacttest.WriteRecords(&log, perRun, benchAccounts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(log.Len() / perRun))
	b.ResetTimer()
	start := time.Now()
	events := 0
	for events < b.N {
		rep, err := Replay(context.Background(), sim, NewReader(bytes.NewReader(log.Bytes()), "bench"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Summary.Events != perRun || rep.Summary.UnknownShape != 0 || rep.Summary.NewlyDenied == 0 {
			b.Fatalf("unexpected report: %+v", rep.Summary)
		}
		events += perRun
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}
