package clone_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgd/orgd/internal/clone"
)

// startMoto runs moto's server on a free loopback port until the test
// ends. Without python3 and moto it skips, except in CI.
func startMoto(t *testing.T) *orgd {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto is needed in CI: %s", why)
		}
		t.Skipf("moto's server is not available: %s (pip install 'moto[server]')", why)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		missing("no python3")
	}
	if err := exec.Command(python, "-c", "import moto.server").Run(); err != nil {
		missing("python3 can't import moto.server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(python, "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto did not start on %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &orgd{URL: url}
}

// TestCloneFromMoto clones from a source that is not orgd: moto, which
// serves neither handshakes nor the resource policy, so those are skipped.
func TestCloneFromMoto(t *testing.T) {
	moto := startMoto(t)
	c := moto.client(t, "123456789012", nil)
	o := must(c.CreateOrganization(ctx(t), &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}))
	root := aws.ToString(must(c.ListRoots(ctx(t), &organizations.ListRootsInput{})).Roots[0].Id)
	parent := root
	var ous []string
	for i := 1; i <= 3; i++ {
		u := must(c.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: &parent, Name: aws.String(fmt.Sprintf("L%d", i))}))
		parent = aws.ToString(u.OrganizationalUnit.Id)
		ous = append(ous, parent)
	}
	var accounts []string
	for i := 1; i <= 6; i++ {
		a := must(c.CreateAccount(ctx(t), &organizations.CreateAccountInput{Email: aws.String(fmt.Sprintf("m%d@example.com", i)), AccountName: aws.String(fmt.Sprintf("M%d", i))}))
		id := aws.ToString(a.CreateAccountStatus.AccountId)
		accounts = append(accounts, id)
		must(c.MoveAccount(ctx(t), &organizations.MoveAccountInput{AccountId: &id, SourceParentId: &root, DestinationParentId: aws.String(ous[i%3])}))
		must(c.TagResource(ctx(t), &organizations.TagResourceInput{ResourceId: &id, Tags: []types.Tag{{Key: aws.String("n"), Value: aws.String(fmt.Sprint(i))}}}))
	}
	p := must(c.CreatePolicy(ctx(t), &organizations.CreatePolicyInput{
		Name: aws.String("deny-leave"), Description: aws.String("no leaving"), Type: types.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`),
	}))
	policy := aws.ToString(p.Policy.PolicySummary.Id)
	must(c.AttachPolicy(ctx(t), &organizations.AttachPolicyInput{PolicyId: &policy, TargetId: aws.String(ous[1])}))

	dst := startOrgd(t, sourceConfig())
	snap, err := clone.Crawl(context.Background(), c, clone.Options{Skip: map[string]bool{"ListHandshakesForOrganization": true, "DescribeResourcePolicy": true}})
	if err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	importSnapshot(t, snap, dst)

	mgmt := dst.client(t, aws.ToString(o.Organization.MasterAccountId), nil)
	do := must(mgmt.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}))
	if aws.ToString(do.Organization.Id) != aws.ToString(o.Organization.Id) || aws.ToString(do.Organization.Arn) != aws.ToString(o.Organization.Arn) {
		t.Errorf("organization %s %s, want %s %s", aws.ToString(do.Organization.Id), aws.ToString(do.Organization.Arn), aws.ToString(o.Organization.Id), aws.ToString(o.Organization.Arn))
	}
	var got []string
	for _, pg := range must(allPages(ctx(t), organizations.NewListAccountsPaginator(mgmt, &organizations.ListAccountsInput{}))) {
		for _, a := range pg.Accounts {
			got = append(got, aws.ToString(a.Id))
		}
	}
	want := append([]string{aws.ToString(o.Organization.MasterAccountId)}, accounts...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("accounts %v, want %v", got, want)
	}
	for i, id := range accounts {
		parents := must(mgmt.ListParents(ctx(t), &organizations.ListParentsInput{ChildId: &id}))
		if p := aws.ToString(parents.Parents[0].Id); p != ous[(i+1)%3] {
			t.Errorf("account %s is under %s, want %s", id, p, ous[(i+1)%3])
		}
		tags := must(mgmt.ListTagsForResource(ctx(t), &organizations.ListTagsForResourceInput{ResourceId: &id}))
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != fmt.Sprint(i+1) {
			t.Errorf("account %s tags %+v", id, tags.Tags)
		}
	}
	if n := len(snap.OUs); n != 3 {
		t.Errorf("%d OUs", n)
	}
	for _, u := range ous {
		must(mgmt.DescribeOrganizationalUnit(ctx(t), &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &u}))
	}
	targets := must(mgmt.ListTargetsForPolicy(ctx(t), &organizations.ListTargetsForPolicyInput{PolicyId: &policy}))
	if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].TargetId) != ous[1] {
		t.Errorf("policy %s targets %+v", policy, targets.Targets)
	}
	dp := must(mgmt.DescribePolicy(ctx(t), &organizations.DescribePolicyInput{PolicyId: &policy}))
	if aws.ToString(dp.Policy.PolicySummary.Name) != "deny-leave" || aws.ToString(dp.Policy.Content) != aws.ToString(p.Policy.Content) {
		t.Errorf("policy %+v", dp.Policy)
	}
}
