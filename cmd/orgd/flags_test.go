package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/identity"
)

// TestPrintFlags checks that -h names the kind of value each flag takes,
// for this package's own flag types too, and its default when it has one.
func TestPrintFlags(t *testing.T) {
	fs := newFlags("x", "orgd x", "Does x.")
	d, zero := 5*time.Second, time.Duration(0)
	n := 10
	mode := identity.Permissive
	var level slog.Level
	fs.Var(span{&d}, "delay", "how long")
	fs.Var(span{&zero}, "timeout", "no limit when 0")
	fs.Var(count{&n}, "quota", "how many")
	fs.Var(authMode{&mode}, "auth", "permissive or strict")
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug or info")
	fs.String("name", "orgd", "a `label` for it")
	fs.Bool("json", false, "print JSON")
	var ctx contextFlag = map[string][]string{}
	fs.Var(ctx, "context", "`key=value` of the request")
	var b bytes.Buffer
	printFlags(&b, fs)
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"  -auth mode", "    \tpermissive or strict (default permissive)",
		"  -context key=value", "    \tkey=value of the request",
		"  -delay duration", "    \thow long (default 5s)",
		"  -json", "    \tprint JSON",
		"  -log-level level", "    \tdebug or info (default INFO)",
		"  -name label", "    \ta label for it (default \"orgd\")",
		"  -quota int", "    \thow many (default 10)",
		"  -timeout duration", "    \tno limit when 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("printFlags printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
