// Package pgtest gives a test a PostgreSQL database of its own: a fresh
// schema in the database that ORGD_TEST_POSTGRES_URL names, dropped when
// the test ends. Without that variable, or with the database unreachable,
// the test skips with a message saying how to run it, except in CI
// (CI=true), where it fails: a green run must not have tested nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URLEnv names the environment variable with the database's URL;
// scripts/ci-postgres.sh prints one.
const URLEnv = "ORGD_TEST_POSTGRES_URL"

// SkipOrFail skips tb, or fails it in CI, saying why.
func SkipOrFail(tb testing.TB, why string) {
	tb.Helper()
	msg := why + ": set " + URLEnv + "=postgres://... to run the PostgreSQL tests (scripts/ci-postgres.sh prints one)"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + "; CI=true, so this fails instead of skipping")
	}
	tb.Skip(msg)
}

// Schema creates an empty schema whose name starts with prefix, drops it
// when tb ends, and returns a URL whose connections use it, and its name.
func Schema(tb testing.TB, prefix string) (dsn, schema string) {
	tb.Helper()
	base := os.Getenv(URLEnv)
	if base == "" {
		SkipOrFail(tb, URLEnv+" is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		SkipOrFail(tb, fmt.Sprintf("PostgreSQL at %s is unreachable (%v)", URLEnv, err))
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	schema = prefix + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithParam(tb, base, "search_path", schema), schema
}

// WithParam returns the connection string dsn with one more parameter, in
// either the URL or the keyword=value form.
func WithParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	if !strings.Contains(dsn, "://") {
		return dsn + " " + key + "=" + value
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", URLEnv, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
