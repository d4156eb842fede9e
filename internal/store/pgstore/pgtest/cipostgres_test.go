package pgtest

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const script = "../../../../scripts/ci-postgres.sh"

// TestCIPostgresDatabasePerRun runs scripts/ci-postgres.sh as two test
// runs on one host would: each gets a database of its own, dropping one
// leaves the other, and a run that was killed has its database dropped
// by the next run, and no other.
func TestCIPostgresDatabasePerRun(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		SkipOrFail(t, "psql is not installed")
	}
	if err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-XAtqc", "select 1").Run(); err != nil {
		SkipOrFail(t, "PostgreSQL does not answer on 127.0.0.1:5432")
	}
	// A run's owner: a process that lives until the run ends.
	owner := func() *exec.Cmd {
		c := exec.Command("sleep", "300")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		return c
	}
	get := func(pid int) string {
		t.Helper()
		out, err := exec.Command(script, strconv.Itoa(pid)).Output()
		if err != nil {
			t.Fatalf("ci-postgres.sh %d: %v", pid, err)
		}
		url := strings.TrimSpace(string(out))
		t.Cleanup(func() { exec.Command(script, "--drop", url).Run() })
		return url
	}
	exists := func(url string) bool {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return false
		}
		conn.Close(ctx)
		return true
	}
	a, b, c := owner(), owner(), owner()
	urlA, urlB := get(a.Process.Pid), get(b.Process.Pid)
	if urlA == urlB || !exists(urlA) || !exists(urlB) {
		t.Fatalf("two runs got %s and %s", urlA, urlB)
	}
	// One run ends and drops its own: the other's stays.
	if out, err := exec.Command(script, "--drop", urlA).CombinedOutput(); err != nil {
		t.Fatalf("--drop: %v %s", err, out)
	}
	if exists(urlA) || !exists(urlB) {
		t.Fatalf("after dropping A: A exists %v, B exists %v", exists(urlA), exists(urlB))
	}
	// B is killed before it drops its database; the next run drops it.
	b.Process.Kill()
	b.Wait()
	urlC := get(c.Process.Pid)
	if exists(urlB) || !exists(urlC) {
		t.Fatalf("after a killed run: B exists %v, C exists %v", exists(urlB), exists(urlC))
	}
	// Nothing but a test run's database can be dropped with it.
	if err := exec.Command(script, "--drop", "postgres").Run(); err == nil {
		t.Fatal("--drop postgres succeeded")
	}
}
