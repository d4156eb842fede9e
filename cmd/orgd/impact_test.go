package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

var impactFixtures = filepath.Join("..", "..", "internal", "impact", "testdata")

// impactServer serves the organization of internal/impact's fixtures and
// returns its URL and the ID of its OU Workloads.
func impactServer(t *testing.T) (string, string) {
	t.Helper()
	svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(impactFixtures, "org.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := svc.Import(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	roots, err := svc.ListRoots(as("111111111111"), &api.ListRootsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ous, err := svc.ListOrganizationalUnitsForParent(as("111111111111"), &api.ListOrganizationalUnitsForParentRequest{ParentId: roots.Roots[0].Id})
	if err != nil || len(ous.OrganizationalUnits) != 1 {
		t.Fatalf("%v %v", ous, err)
	}
	srv := httptest.NewServer(server.New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv.URL, ous.OrganizationalUnits[0].Id
}

func testFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImpactCommand(t *testing.T) {
	url, workloads := impactServer(t)
	events := filepath.Join(impactFixtures, "cloudtrail")
	denyLeave := testFile(t, "deny-leave.json", `{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`)
	denyNothing := testFile(t, "deny-nothing.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"gamelift:*","Resource":"*"}]}`)

	var out, errs bytes.Buffer
	code := impactMain([]string{"--endpoint", url, "--events", events, "--new", "deny-leave:SCP=" + denyLeave, "--attach", "deny-leave=" + workloads}, &out, &errs)
	if code != exitNewlyDenied {
		t.Fatalf("exit %d, want %d (stderr %s)", code, exitNewlyDenied, errs.String())
	}
	for _, want := range []string{"Replayed 28 events from 3 files", "newly denied           1", "333333333333  arn:aws:iam::333333333333:root  organizations:LeaveOrganization",
		"denied by SCP new:deny-leave (deny-leave) statement 0 (NoLeaving) attached to " + workloads + " (Workloads)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	code = impactMain([]string{"--endpoint", url, "--json", "--new", "quiet:SERVICE_CONTROL_POLICY=" + denyNothing, "--attach", "quiet=" + workloads, events}, &out, &errs)
	if code != exitNoneDenied {
		t.Fatalf("exit %d, want %d (stderr %s)", code, exitNoneDenied, errs.String())
	}
	var rep struct {
		Summary struct{ Events, NewlyDenied, StillAllowed int } `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Summary.Events != 28 || rep.Summary.NewlyDenied != 0 {
		t.Fatalf("--json: %v %s", err, out.String())
	}
}

func TestImpactCommandBadInput(t *testing.T) {
	url, workloads := impactServer(t)
	events := filepath.Join(impactFixtures, "cloudtrail")
	policy := testFile(t, "p.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)
	malformedPolicy := testFile(t, "bad.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Resource":"*"}]}`)
	corrupt := testFile(t, "corrupt.json.gz", "\x1f\x8bnot really gzip")
	broken := testFile(t, "broken.json", `{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets"},{"eventSource":}]}`)
	for _, tc := range []struct {
		name string
		args []string
		want string // on stderr
	}{
		{"no events", []string{"--endpoint", url}, "missing required flag --events"},
		{"events missing", []string{"--endpoint", url, "--events", "/nonexistent/trail"}, "/nonexistent/trail"},
		{"empty directory", []string{"--endpoint", url, "--events", t.TempDir()}, "no CloudTrail files"},
		{"--new without type", []string{"--endpoint", url, "--events", events, "--new", "x=" + policy}, "want NAME:TYPE=FILE"},
		{"--new of another type", []string{"--endpoint", url, "--events", events, "--new", "x:TAG_POLICY=" + policy}, "TYPE must be"},
		{"--new file missing", []string{"--endpoint", url, "--events", events, "--new", "x:SCP=/nonexistent/p.json"}, "/nonexistent/p.json"},
		{"--attach without target", []string{"--endpoint", url, "--events", events, "--attach", "p-FullAWSAccess"}, "want POLICY=TARGET"},
		{"unknown target", []string{"--endpoint", url, "--events", events, "--new", "x:SCP=" + policy, "--attach", "x=ou-zzzz-zzzzzzzz"}, "TargetNotFoundException"},
		{"unknown policy", []string{"--endpoint", url, "--events", events, "--attach", "p-0123456789=" + workloads}, "PolicyNotFoundException"},
		{"malformed policy", []string{"--endpoint", url, "--events", events, "--new", "x:SCP=" + malformedPolicy, "--attach", "x=" + workloads}, "MalformedPolicyDocumentException"},
		{"corrupt gzip", []string{"--endpoint", url, "--events", corrupt}, corrupt},
		{"malformed JSON", []string{"--endpoint", url, "--events", events, "--events", broken}, broken + ": record 2: not valid JSON"},
		{"server down", []string{"--endpoint", "http://127.0.0.1:1", "--events", events}, "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			code := impactMain(tc.args, &out, &errs)
			if code != exitImpactError || !strings.Contains(errs.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs.String(), exitImpactError, tc.want)
			}
		})
	}
}

func TestImpactProgressLines(t *testing.T) {
	p := &sent{total: 4 << 20, files: 3}
	p.add(1 << 20)
	if got, want := p.line(2*time.Second, false), "orgd impact: sent 1.0 of 4.0 MB from 3 files (25%) in 2s"; got != want {
		t.Fatalf("plain progress line %q, want %q", got, want)
	}
	if got, want := p.line(2*time.Second, true), "[#######-----------------------]  25% 1.0/4.0 MB 2s"; got != want {
		t.Fatalf("bar %q, want %q", got, want)
	}
	// Empty files are all sent at once.
	empty := &sent{files: 2}
	if got, want := empty.line(0, true), "[##############################] 100% 0.0/0.0 MB 0s"; got != want {
		t.Fatalf("bar of nothing %q, want %q", got, want)
	}
}
