package main

import (
	"bytes"
	"context"
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

// stateServer serves a fresh service on a fixed clock, so that two
// exports of one state are equal; it returns the URL and the service.
func stateServer(t *testing.T) (string, *org.Service) {
	t.Helper()
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(svc, &identity.Resolver{DefaultAccount: "123456789012"}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv.URL, svc
}

func TestExportImportCommands(t *testing.T) {
	from, src := stateServer(t)
	if _, err := src.CreateOrganization(as("111111111111"), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "state.json")
	var stdout, stderr bytes.Buffer
	if code := stateMain("export", []string{"--endpoint", from, "-o", file}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr.String())
	}
	doc, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(doc, []byte(`{"format":"orgd-state","version":1,`)) {
		t.Fatalf("exported file: %v %.80s", err, doc)
	}
	if !strings.Contains(stderr.String(), "records to "+file) {
		t.Errorf("export says %q", stderr.String())
	}

	to, dst := stateServer(t)
	stderr.Reset()
	if code := stateMain("import", []string{"--endpoint", to, file}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr.String())
	}
	if _, err := dst.DescribeOrganization(as("111111111111"), &api.Empty{}); err != nil {
		t.Fatalf("the imported organization: %v", err)
	}
	// Standard output, and standard input, work as files.
	stdout.Reset()
	if code := stateMain("export", []string{"--endpoint", to}, nil, &stdout, &stderr); code != 0 || !bytes.Equal(stdout.Bytes(), doc) {
		t.Fatalf("export to stdout: exit %d, same document: %v", code, bytes.Equal(stdout.Bytes(), doc))
	}
	if code := stateMain("import", []string{"--endpoint", to, "-"}, bytes.NewReader(doc), &stdout, &stderr); code != 0 {
		t.Fatalf("import from stdin: exit %d: %s", code, stderr.String())
	}

	// A refused document is exit 1 with the server's reason.
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, bytes.Replace(doc, []byte(`"Members":1`), []byte(`"Members":2`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := stateMain("import", []string{"--endpoint", to, bad}, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "counter Members is 2 but the records say 1") {
		t.Fatalf("import of a bad document: exit %d: %s", code, stderr.String())
	}
	if code := stateMain("import", []string{"--endpoint", to}, nil, &stdout, &stderr); code != 2 {
		t.Fatalf("import without a file: exit %d", code)
	}
}

// orgd export leaves STS sessions out; --include-sessions puts them in.
func TestExportIncludeSessions(t *testing.T) {
	url, svc := stateServer(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sess := identity.Session{AccessKeyID: "ASIACMDTEST000000001", SecretAccessKey: "cmd-test-secret", SessionToken: "cmd-test-token",
		Expiration: now.Add(time.Hour), AccountID: "111111111111", RoleName: "R", RoleARN: "arn:aws:iam::111111111111:role/R",
		SessionName: "s", Principal: "arn:aws:sts::111111111111:assumed-role/R/s", Source: "arn:aws:iam::111111111111:root"}
	if err := svc.PutSession(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		secret bool
	}{
		{[]string{"--endpoint", url}, false},
		{[]string{"--endpoint", url, "--include-sessions"}, true},
	} {
		var stdout, stderr bytes.Buffer
		if code := stateMain("export", tc.args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("export %v: exit %d: %s", tc.args, code, stderr.String())
		}
		for _, s := range []string{sess.SecretAccessKey, sess.SessionToken} {
			if got := strings.Contains(stdout.String(), s); got != tc.secret {
				t.Errorf("export %v holds %q: %v, want %v", tc.args, s, got, tc.secret)
			}
		}
	}
	var stdout, stderr bytes.Buffer
	if code := stateMain("import", []string{"--endpoint", url, "--include-sessions", "f"}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("import --include-sessions: exit %d, want 2", code)
	}
}
