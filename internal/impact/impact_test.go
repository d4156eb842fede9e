package impact

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/impact/impacttest"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store/memstore"
)

var (
	update    = flag.Bool("update", false, "rewrite the golden reports")
	updateOrg = flag.Bool("update-org", false, "rebuild testdata/org.json through the API (new IDs: rewrite the golden reports and the README's example too)")
)

// The accounts of testdata/org.json and of the CloudTrail fixtures.
const (
	mgmtAcct    = "111111111111"
	prodAcct    = "222222222222" // in OU Prod, under Workloads
	devAcct     = "333333333333" // in OU Dev, under Workloads
	sandboxAcct = "444444444444" // in the root
)

func as(acct string) context.Context {
	return identity.NewContext(context.Background(), identity.Caller{AccountID: acct, AccessKeyID: acct})
}

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func newService(t testing.TB) *org.Service {
	t.Helper()
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return testNow }
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// testOrg returns a service holding the organization of testdata/org.json:
// a root with an OU Workloads holding OUs Prod and Dev, an account in
// each and one in the root, SCPs and RCPs enabled, and an SCP on Prod
// that protects CloudTrail. With -update-org it is built through the API
// and written out first; the file keeps its IDs, which the golden reports
// and the README name, stable.
func testOrg(t testing.TB) *org.Service {
	t.Helper()
	svc := newService(t)
	path := filepath.Join("testdata", "org.json")
	if *updateOrg {
		buildOrg(t, svc)
		var b bytes.Buffer
		if err := svc.Export(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := svc.Import(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return svc
}

func buildOrg(t testing.TB, svc *org.Service) {
	mg := as(mgmtAcct)
	must[*api.CreateOrganizationResponse](t)(svc.CreateOrganization(mg, &api.CreateOrganizationRequest{}))
	root := must[*api.ListRootsResponse](t)(svc.ListRoots(mg, &api.ListRootsRequest{})).Roots[0].Id
	must[*api.EnablePolicyTypeResponse](t)(svc.EnablePolicyType(mg, &api.EnablePolicyTypeRequest{RootId: root, PolicyType: api.PolicyTypeResourceControlPolicy}))
	ou := func(parent, name string) string {
		return must[*api.CreateOrganizationalUnitResponse](t)(svc.CreateOrganizationalUnit(mg, &api.CreateOrganizationalUnitRequest{ParentId: parent, Name: name})).OrganizationalUnit.Id
	}
	workloads := ou(root, "Workloads")
	prod, dev := ou(workloads, "Prod"), ou(workloads, "Dev")
	for acct, parent := range map[string]string{prodAcct: prod, devAcct: dev, sandboxAcct: root} {
		must[*api.InviteAccountToOrganizationResponse](t)(svc.InviteAccountToOrganization(mg, &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: acct, Type: api.HandshakePartyTypeAccount}}))
		hs := must[*api.ListHandshakesForAccountResponse](t)(svc.ListHandshakesForAccount(as(acct), &api.ListHandshakesForAccountRequest{}))
		must[*api.AcceptHandshakeResponse](t)(svc.AcceptHandshake(as(acct), &api.AcceptHandshakeRequest{HandshakeId: hs.Handshakes[0].Id}))
		if parent != root {
			must[*api.Empty](t)(svc.MoveAccount(mg, &api.MoveAccountRequest{AccountId: acct, SourceParentId: root, DestinationParentId: parent}))
		}
	}
	p := must[*api.CreatePolicyResponse](t)(svc.CreatePolicy(mg, &api.CreatePolicyRequest{Name: "protect-cloudtrail", Description: "Nobody stops the trail",
		Type: api.PolicyTypeServiceControlPolicy, Content: `{"Version":"2012-10-17","Statement":[{"Sid":"ProtectTrail","Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail"],"Resource":"*"}]}`}))
	must[*api.Empty](t)(svc.AttachPolicy(mg, &api.AttachPolicyRequest{PolicyId: p.Policy.PolicySummary.Id, TargetId: prod}))
}

// ids returns the IDs of testdata/org.json's root and OUs by name.
func ids(t testing.TB, svc *org.Service) map[string]string {
	mg := as(mgmtAcct)
	root := must[*api.ListRootsResponse](t)(svc.ListRoots(mg, &api.ListRootsRequest{})).Roots[0].Id
	out := map[string]string{"Root": root}
	var walk func(parent string)
	walk = func(parent string) {
		ous := must[*api.ListOrganizationalUnitsForParentResponse](t)(svc.ListOrganizationalUnitsForParent(mg, &api.ListOrganizationalUnitsForParentRequest{ParentId: parent}))
		for _, u := range ous.OrganizationalUnits {
			out[u.Name] = u.Id
			walk(u.Id)
		}
	}
	walk(root)
	return out
}

// The proposals of the golden reports.
const (
	denyLeaveSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	adminOnlySCP = `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyAdminManagesIAM","Effect":"Deny",` +
		`"Action":["iam:CreateUser","iam:CreateAccessKey","iam:AttachRolePolicy","iam:PutRolePolicy"],"Resource":"*",` +
		`"Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}}]}`
	teamTagSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"StorageTeamDeletes","Effect":"Deny",` +
		`"Action":["s3:DeleteObject","s3:DeleteBucket"],"Resource":"*",` +
		`"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"storage"}}}]}`
)

func newSCP(name, content string) org.ProposedPolicy {
	return org.ProposedPolicy{Name: name, Type: api.PolicyTypeServiceControlPolicy, Content: content}
}

// replayFixtures streams testdata/cloudtrail through Copy and Reader, as
// orgd impact and the server do, and replays it.
func replayFixtures(t testing.TB, svc *org.Service, p org.Proposal) *Report {
	t.Helper()
	sim, err := svc.Simulate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files([]string{filepath.Join("testdata", "cloudtrail")})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(Copy(pw, files, nil)) }()
	rep, err := Replay(context.Background(), sim, NewReader(pr, "stdin"), Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	rep.Proposal = &p
	return rep
}

func TestGoldenReports(t *testing.T) {
	svc := testOrg(t)
	id := ids(t, svc)
	cases := []struct {
		name string
		p    org.Proposal
	}{
		{"region-restriction", org.Proposal{New: []org.ProposedPolicy{newSCP("eu-only", impacttest.RegionSCP)}, Attach: []org.PolicyAttachment{{Policy: "eu-only", Target: id["Root"]}}}},
		{"deny-leave", org.Proposal{New: []org.ProposedPolicy{newSCP("deny-leave", denyLeaveSCP)}, Attach: []org.PolicyAttachment{{Policy: "deny-leave", Target: id["Workloads"]}}}},
		{"principal-arn-exception", org.Proposal{New: []org.ProposedPolicy{newSCP("admin-only-iam", adminOnlySCP)}, Attach: []org.PolicyAttachment{{Policy: "admin-only-iam", Target: id["Workloads"]}}}},
		{"undecidable-condition", org.Proposal{New: []org.ProposedPolicy{newSCP("storage-team-deletes", teamTagSCP)}, Attach: []org.PolicyAttachment{{Policy: "storage-team-deletes", Target: id["Root"]}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := replayFixtures(t, svc, c.p)
			js, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			rep.WriteText(&text)
			golden(t, filepath.Join("testdata", "golden", c.name+".json"), append(js, '\n'))
			golden(t, filepath.Join("testdata", "golden", c.name+".txt"), text.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s", path, got)
	}
}
