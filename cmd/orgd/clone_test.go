package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

// cloneEnv gives the clone the credentials of account (its access key,
// as orgd maps it), or none when account is "", and keeps the
// developer's AWS configuration out.
func cloneEnv(t *testing.T, account string) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ACCESS_KEY_ID", account)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if account != "" {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-"+account)
	}
	t.Setenv("ORGD_ADMIN_TOKEN", "")
}

// cloneSource serves an organization managed by 111111111111 with one
// invited member, 222222222222, and one open invitation.
func cloneSource(t *testing.T, resolver *identity.Resolver) (string, *org.Service) {
	t.Helper()
	url, svc := serveOrg(t, resolver)
	if _, err := svc.CreateOrganization(as("111111111111"), &api.CreateOrganizationRequest{FeatureSet: api.OrganizationFeatureSetConsolidatedBilling}); err != nil {
		t.Fatal(err)
	}
	inv, err := svc.InviteAccountToOrganization(as("111111111111"), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: "222222222222", Type: api.HandshakePartyTypeAccount}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AcceptHandshake(as("222222222222"), &api.AcceptHandshakeRequest{HandshakeId: inv.Handshake.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.InviteAccountToOrganization(as("111111111111"), &api.InviteAccountToOrganizationRequest{Target: &api.HandshakeParty{Id: "333333333333", Type: api.HandshakePartyTypeAccount}}); err != nil {
		t.Fatal(err)
	}
	return url, svc
}

func serveOrg(t *testing.T, resolver *identity.Resolver) (string, *org.Service) {
	t.Helper()
	if resolver == nil {
		resolver = &identity.Resolver{DefaultAccount: "123456789012"}
	}
	svc, err := org.New(context.Background(), memstore.New(), org.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(svc, resolver, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv.URL, svc
}

func runCloneCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = cloneMain(args, &o, &e)
	return code, o.String(), e.String()
}

func TestCloneToFileAndIntoServer(t *testing.T) {
	cloneEnv(t, "111111111111")
	src, _ := cloneSource(t, nil)
	file := filepath.Join(t.TempDir(), "copy.json")
	code, _, stderr := runCloneCmd("--endpoint-url", src, "--pace", "0", "-o", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"orgd clone: 2/2 accounts", "copied organization o-", "to " + file, "1 accounts joined by invitation", "1 open invitations"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dstURL, dst := serveOrg(t, nil)
	if err := dst.Import(context.Background(), bytes.NewReader(doc)); err != nil {
		t.Fatalf("the file does not import: %v", err)
	}

	// --into an empty orgd; quietly.
	code, _, stderr = runCloneCmd("--endpoint-url", src, "--pace", "0", "--quiet", "--into", dstURL+"/", "--replace")
	if code != 0 || stderr != "" {
		t.Fatalf("--into: exit %d: %q", code, stderr)
	}
	out, err := dst.ListAccounts(as("111111111111"), &api.ListAccountsRequest{})
	if err != nil || len(out.Accounts) != 2 {
		t.Fatalf("the copy's accounts: %+v %v", out, err)
	}

	// --plan-only writes nothing and prints the readiness summary.
	code, stdout, stderr := runCloneCmd("--endpoint-url", src, "--pace", "0", "--quiet", "--plan-only")
	if code != 0 || !strings.Contains(stdout, "1 accounts joined by invitation: each must approve") ||
		!strings.Contains(stdout, "within the 5000-account limit") {
		t.Fatalf("--plan-only: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

// TestCloneBadInput: every way a clone can't be made is one line naming
// the problem, a non-zero exit and no file.
func TestCloneBadInput(t *testing.T) {
	src, _ := cloneSource(t, nil)
	creds, err := identity.NewCredentials(identity.Credential{AccessKeyID: "AKIAORGDMANAGEMENT01", SecretAccessKey: "right", AccountID: "111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	strict, _ := cloneSource(t, &identity.Resolver{Mode: identity.Strict, Credentials: creds})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	full, _ := cloneSource(t, nil)
	existing := filepath.Join(t.TempDir(), "existing.json")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		account string // "" for no credentials
		args    []string
		code    int
		want    string
		keep    string // a file that must keep its content
	}{
		{"no credentials", "", []string{"--endpoint-url", src}, 1, "no usable AWS credentials", ""},
		{"a profile that does not exist", "111111111111", []string{"--endpoint-url", src, "--profile", "nope"}, 1, "--profile nope: no such profile", ""},
		{"refused credentials", "AKIAORGDMANAGEMENT01", []string{"--endpoint-url", strict}, 1, "the source refused the credentials", ""},
		{"endpoint that does not answer", "111111111111", []string{"--endpoint-url", dead}, 1, "the endpoint does not answer", ""},
		{"a member's credentials", "222222222222", []string{"--endpoint-url", src}, 1, "clone must run with the management account's credentials", ""},
		{"an account in no organization", "444444444444", []string{"--endpoint-url", src}, 1, "AWSOrganizationsNotInUseException", ""},
		{"output file exists", "111111111111", []string{"--endpoint-url", src, "-o", existing}, 1, existing + " exists; use --force", existing},
		{"into an orgd with an organization", "111111111111", []string{"--endpoint-url", src, "--into", full}, 1, "already holds organization o-", ""},
		{"neither -o nor --into", "111111111111", []string{"--endpoint-url", src}, 2, "give one of -o FILE and --into URL", ""},
		{"both -o and --into", "111111111111", []string{"--endpoint-url", src, "-o", "x", "--into", full}, 2, "give one of -o FILE and --into URL", ""},
		{"plan-only with -o", "111111111111", []string{"--endpoint-url", src, "--plan-only", "-o", "x"}, 2, "--plan-only writes no state", ""},
		{"pace out of range", "111111111111", []string{"--endpoint-url", src, "--pace", "2", "-o", "x"}, 2, "--pace must be between 0 and 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloneEnv(t, tc.account)
			dir := t.TempDir()
			args := tc.args
			if tc.code == 1 && !contains(args, "-o") && !contains(args, "--into") {
				args = append(args, "-o", filepath.Join(dir, "copy.json"))
			}
			code, stdout, stderr := runCloneCmd(append([]string{"--pace", "0"}, args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "orgd clone: ") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr %q, want one line with %q", stderr, tc.want)
			}
			t.Log(stderr)
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("left %d files behind, e.g. %s", len(files), files[0].Name())
			}
			if tc.keep != "" {
				if b, _ := os.ReadFile(tc.keep); string(b) != "keep me" {
					t.Errorf("%s now holds %q", tc.keep, b)
				}
				if m, _ := filepath.Glob(tc.keep + ".*"); len(m) != 0 {
					t.Errorf("left %v behind", m)
				}
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// TestCloneForceReplacesTheFile: with --force an existing file is
// replaced whole.
func TestCloneForceReplacesTheFile(t *testing.T) {
	cloneEnv(t, "111111111111")
	src, _ := cloneSource(t, nil)
	file := filepath.Join(t.TempDir(), "copy.json")
	if err := os.WriteFile(file, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCloneCmd("--endpoint-url", src, "--pace", "0", "--quiet", "--force", "-o", file); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte(`{"format":"orgd-state"`)) {
		t.Fatalf("file holds %.40q", b)
	}
}
