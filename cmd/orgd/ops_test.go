package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store/memstore"
)

// subcommands are every subcommand's entry point, as main calls it.
var subcommands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"serve": func(args []string, _, stderr io.Writer) int { return exitCode("serve", serve(args), stderr) },
	"export": func(args []string, stdout, stderr io.Writer) int {
		return stateMain("export", args, nil, stdout, stderr)
	},
	"import": func(args []string, stdout, stderr io.Writer) int {
		return stateMain("import", args, nil, stdout, stderr)
	},
	"authorize": authorizeMain,
	"reset":     resetMain,
	"clock":     clockMain,
	"health":    healthMain,
	"version":   versionMain,
}

func TestSubcommandFlags(t *testing.T) {
	for name, run := range subcommands {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if name != "serve" { // serve prints its -h on os.Stdout
				if code := run([]string{"-h"}, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
					t.Fatalf("-h: exit %d, stderr %q", code, stderr.String())
				}
				lines := strings.Split(stdout.String(), "\n")
				if len(lines) < 2 || !strings.HasPrefix(lines[0], "usage: orgd "+name) || lines[1] == "" {
					t.Fatalf("-h printed %q: want the usage, then a one-line description", stdout.String())
				}
				if name != "version" && !strings.Contains(stdout.String(), "-endpoint") {
					t.Fatalf("-h lists no flags: %q", stdout.String())
				}
			}
			stdout.Reset()
			stderr.Reset()
			code := run([]string{"--no-such-flag"}, &stdout, &stderr)
			want := "orgd " + name + ": flag provided but not defined: -no-such-flag (see orgd " + name + " -h)\n"
			if code != 2 || stderr.String() != want {
				t.Fatalf("unknown flag: exit %d, stderr %q, want 2 and %q", code, stderr.String(), want)
			}
		})
	}
}

// opsServer serves a fresh service on a fixed clock with the admin token
// tok ("" for none).
func opsServer(t *testing.T, tok string) (string, *org.Service) {
	t.Helper()
	cfg := org.DefaultConfig()
	cfg.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	svc, err := org.New(context.Background(), memstore.New(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(svc, &identity.Resolver{DefaultAccount: "123456789012"},
		slog.New(slog.NewTextHandler(io.Discard, nil)), server.WithAdminToken(tok)))
	t.Cleanup(srv.Close)
	return srv.URL, svc
}

func TestOpsCommands(t *testing.T) {
	url, svc := opsServer(t, "ops-token")
	t.Setenv("ORGD_ADMIN_TOKEN", "ops-token")
	run := func(name string, args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := subcommands[name](append([]string{"--endpoint", url}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"health", nil, 0, "ok: orgd " + server.Version + ", server time 2026-03-01T12:00:00Z\n", ""},
		{"clock", nil, 0, "2026-03-01T12:00:00Z\n", ""},
		{"clock", []string{"advance", "15d"}, 0, "2026-03-16T12:00:00Z\n", ""},
		{"clock", []string{"advance", "36h"}, 0, "2026-03-18T00:00:00Z\n", ""},
		{"clock", []string{"advance", "1d12h30m"}, 0, "2026-03-19T12:30:00Z\n", ""},
		{"clock", nil, 0, "2026-03-19T12:30:00Z\n", ""},
		{"clock", []string{"advance"}, 2, "", "orgd clock: advance needs one DURATION, e.g. 15d or 36h (see orgd clock -h)\n"},
		{"clock", []string{"advance", "-1d"}, 2, "", `orgd clock: duration "-1d" is negative: the clock only moves forward (see orgd clock -h)` + "\n"},
		{"clock", []string{"advance", "soon"}, 2, "", "want a number of days"},
		{"clock", []string{"rewind"}, 2, "", `unknown argument "rewind"`},
		{"reset", nil, 0, "the server's state is wiped\n", ""},
		{"clock", nil, 0, "2026-03-01T12:00:00Z\n", ""}, // the clock is state too
		{"reset", []string{"now"}, 2, "", `unexpected argument "now"`},
	} {
		code, stdout, stderr := run(tc.name, tc.args...)
		if code != tc.code || stdout != tc.stdout || !strings.Contains(stderr, tc.stderr) || (tc.stderr == "" && stderr != "") {
			t.Errorf("orgd %s %q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
	// reset wiped the organization.
	if _, err := svc.CreateOrganization(as("111111111111"), &api.CreateOrganizationRequest{}); err != nil {
		t.Fatal(err)
	}
	code, _, _ := run("reset")
	if _, err := svc.DescribeOrganization(as("111111111111"), &api.Empty{}); code != 0 || err == nil {
		t.Fatalf("reset: exit %d, organization still there (%v)", code, err)
	}

	// Without the token the guarded commands fail and say why; health
	// needs none.
	t.Setenv("ORGD_ADMIN_TOKEN", "")
	for _, name := range []string{"reset", "clock"} {
		if code, _, stderr := run(name); code != 1 || !strings.Contains(stderr, "Authorization: Bearer") {
			t.Errorf("%s without the token: exit %d, %q", name, code, stderr)
		}
	}
	if code, _, stderr := run("health"); code != 0 {
		t.Errorf("health without the token: exit %d, %q", code, stderr)
	}
	// A server that is not there is unhealthy.
	var stdout, stderr bytes.Buffer
	if code := healthMain([]string{"--endpoint", "http://127.0.0.1:1"}, &stdout, &stderr); code != 1 || !strings.HasPrefix(stderr.String(), "orgd health: ") {
		t.Errorf("health of nothing: exit %d, %q", code, stderr.String())
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"15d", 15 * 24 * time.Hour, true},
		{"90d", 90 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"90s", 90 * time.Second, true},
		{"0s", 0, true},
		{"", 0, false},
		{"15", 0, false},
		{"d", 0, false},
		{"-1d", 0, false},
		{"-36h", 0, false},
		{"1d-1h", 0, false},
		{"15days", 0, false},
		{"99999999999d", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestVersionLine(t *testing.T) {
	old := server.Version
	t.Cleanup(func() { server.Version = old })
	server.Version = "v1.2.3"
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionLine(info, true), "orgd v1.2.3 (0123abcd, modified) go1.26.8"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := versionLine(&debug.BuildInfo{GoVersion: "go1.26.8"}, true), "orgd v1.2.3 go1.26.8"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := versionLine(nil, false), "orgd v1.2.3"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestNewLogger(t *testing.T) {
	// A bad --log-level is refused by the flag's own parser (serve's
	// TestServeRefusesBadConfiguration); the format is newLogger's.
	for _, tc := range []struct {
		format string
		level  slog.Level
		ok     bool
	}{
		{"text", slog.LevelInfo, true}, {"json", slog.LevelDebug, true}, {"json", slog.LevelWarn, true},
		{"xml", slog.LevelInfo, false}, {"", slog.LevelInfo, false},
	} {
		var b bytes.Buffer
		log, err := newLogger(tc.format, tc.level, &b)
		if (err == nil) != tc.ok {
			t.Errorf("newLogger(%q, %v): %v", tc.format, tc.level, err)
			continue
		}
		if err != nil {
			if code := exitCode("serve", err, io.Discard); code != 2 {
				t.Errorf("newLogger(%q, %v): exit %d, want 2", tc.format, tc.level, code)
			}
			continue
		}
		log.Warn("hello", "k", "v")
		if tc.format == "json" && !strings.HasPrefix(b.String(), "{") || tc.format == "text" && !strings.HasPrefix(b.String(), "time=") {
			t.Errorf("%s logger wrote %q", tc.format, b.String())
		}
	}
}
