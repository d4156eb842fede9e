package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/pgstore"
	"github.com/orgd/orgd/internal/store/pgstore/pgtest"
	"github.com/orgd/orgd/internal/store/storetest"
)

// freshSchema returns the URL of an empty schema of one test's own.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	dsn, _ := pgtest.Schema(tb, "orgd_test_")
	return dsn
}

func open(tb testing.TB, url string) *pgstore.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	freshSchema(t) // skip or fail here once, not in every subtest
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, freshSchema(t)) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b, freshSchema(b)) })
}

// TestTwoServers runs two Stores on one database, as two orgd servers would.
func TestTwoServers(t *testing.T) {
	url := freshSchema(t)
	s1, s2 := open(t, url), open(t, url)
	defer s1.Close()
	defer s2.Close()
	ctx := context.Background()
	if err := s1.Update(ctx, func(tx store.Tx) error { return tx.Put("from/1", []byte("hello")) }); err != nil {
		t.Fatal(err)
	}
	err := s2.View(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Get("from/1")
		if err == nil && string(v) != "hello" {
			err = fmt.Errorf("server 2 reads from/1 = %q (ok=%v), want server 1's write", v, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Update(ctx, func(tx store.Tx) error { return tx.Delete("from/1") }); err != nil {
		t.Fatal(err)
	}
	err = s1.View(ctx, func(tx store.Tx) error {
		if _, ok, err := tx.Get("from/1"); err != nil || ok {
			return fmt.Errorf("server 1 still reads from/1 after server 2 deleted it (err %v)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.ConcurrentCounter(t, []store.Store{s1, s2}, 8, 25)
	storetest.ConcurrentCounterScoped(t, []store.Store{s1, s2}, 8, 25)
}

// TestScopeWaitIsBounded holds a contended scope's lock row from outside:
// an Update of the scope gives up with store.ErrConflict within its bound
// instead of waiting as long as the holder does.
func TestScopeWaitIsBounded(t *testing.T) {
	url := freshSchema(t)
	s := open(t, url)
	defer s.Close()
	ctx := store.WithHint(context.Background(), store.Hint{Scope: "org/o-held"})
	s.MarkContended("org/o-held")
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The Update may return before the lock transaction that made the
	// scope's row commits: lock it once it is there.
	var holder pgx.Tx
	for locked := 0; locked == 0; {
		if holder, err = conn.Begin(context.Background()); err != nil {
			t.Fatal(err)
		}
		tag, err := holder.Exec(context.Background(), `SELECT 1 FROM scope_lock WHERE scope = 'org/o-held' FOR UPDATE`)
		if err != nil {
			t.Fatal(err)
		}
		if locked = int(tag.RowsAffected()); locked == 0 {
			holder.Rollback(context.Background())
			time.Sleep(time.Millisecond)
		}
	}
	defer holder.Rollback(context.Background())
	start := time.Now()
	s.MarkContended("org/o-held")
	err = s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("2")) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Update while the scope is held = %v, want store.ErrConflict", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Update waited %v for a held scope", d)
	}
	// Unscoped Updates do not queue, and the scope's own run once it is free.
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Put("other", nil) }); err != nil {
		t.Fatalf("unscoped Update while the scope is held: %v", err)
	}
	holder.Rollback(context.Background())
	s.MarkContended("org/o-held")
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("3")) }); err != nil {
		t.Fatalf("Update once the scope is free: %v", err)
	}
	// A lock row removed behind the server's back is made again.
	if _, err := conn.Exec(context.Background(), `DELETE FROM scope_lock`); err != nil {
		t.Fatal(err)
	}
	s.MarkContended("org/o-held")
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("4")) }); err != nil {
		t.Fatalf("Update after its lock row was deleted: %v", err)
	}
	var n int
	for wait := time.Now().Add(5 * time.Second); n == 0 && time.Now().Before(wait); time.Sleep(time.Millisecond) {
		// The lock transaction that made it commits after the Update returns.
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM scope_lock WHERE scope = 'org/o-held'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Fatalf("scope_lock rows for the scope = %d; want 1", n)
	}
}

// TestConcurrentOpen starts several servers at once on an empty database:
// their migrations race, and all must come up on one schema.
func TestConcurrentOpen(t *testing.T) {
	url := freshSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(ctx, url)
			if err == nil {
				err = s.Update(ctx, func(tx store.Tx) error { return tx.Put(fmt.Sprint("server/", i), nil) })
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("server %d: %v", i, err)
		}
	}
	checkSchemaVersion(t, url)
}

func checkSchemaVersion(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows, max int
	if err := conn.QueryRow(ctx, `SELECT count(*), max(version) FROM schema_version`).Scan(&rows, &max); err != nil {
		t.Fatal(err)
	}
	if want := pgstore.SchemaVersion(); rows != want || max != want {
		t.Fatalf("schema_version has %d rows up to %d, want %d", rows, max, want)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	url := freshSchema(t)
	ctx := context.Background()
	s := open(t, url)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, url)
	defer s.Close()
	err := s.View(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Get("k")
		if err == nil && string(v) != "v" {
			err = fmt.Errorf("after reopening k = %q (ok=%v)", v, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkSchemaVersion(t, url)
}

func TestRefusesNewerSchema(t *testing.T) {
	url := freshSchema(t)
	open(t, url).Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES (9999, 'from_the_future.sql')`); err != nil {
		t.Fatal(err)
	}
	s, err := pgstore.Open(ctx, url)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database whose schema is newer than the binary")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open = %v, want an error saying the schema is newer", err)
	}
}

func TestBadURLDoesNotLeakPassword(t *testing.T) {
	_, err := pgstore.Open(context.Background(), "postgres://u:s3cret@[bad")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open of a malformed URL = %v", err)
	}
}

// TestScopedPanicReachesItsCaller: a scoped Update's fn runs in the
// scope's leader, but its panic is the caller's, and the scope goes on.
func TestScopedPanicReachesItsCaller(t *testing.T) {
	s := open(t, freshSchema(t))
	defer s.Close()
	ctx := store.WithHint(context.Background(), store.Hint{Scope: "org/o-panics"})
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the fn's panic", p)
			}
		}()
		s.Update(ctx, func(tx store.Tx) error {
			tx.Put("half", nil)
			panic("boom")
		})
		t.Error("Update returned after its fn panicked")
	}()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("after", nil) }); err != nil {
		t.Fatal(err)
	}
	err := s.View(context.Background(), func(tx store.Tx) error {
		if _, ok, _ := tx.Get("half"); ok {
			t.Error("the panicking Update's write was kept")
		}
		if _, ok, err := tx.Get("after"); !ok || err != nil {
			t.Errorf("the next Update's write is missing (%v)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestViewPanicKeepsThePool: a View whose fn panics gives its connection
// back, so that panics (recovered by net/http) cannot drain the pool.
func TestViewPanicKeepsThePool(t *testing.T) {
	s := open(t, pgtest.WithParam(t, freshSchema(t), "pool_max_conns", "2"))
	defer func() {
		if !t.Failed() { // Close waits for connections that leaked
			s.Close()
		}
	}()
	for range 5 {
		func() {
			defer func() { recover() }()
			s.View(context.Background(), func(tx store.Tx) error {
				tx.Get("k")
				panic("boom")
			})
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.View(ctx, func(tx store.Tx) error { _, _, err := tx.Get("k"); return err }); err != nil {
		t.Fatalf("View after panicking Views: %v", err)
	}
}

// TestPlannerSettings: pgstore's connections plan with index scans only
// (a sequential scan would lock the whole table against every writer),
// unless the URL sets the planner's parameters itself.
func TestPlannerSettings(t *testing.T) {
	url := freshSchema(t)
	for _, tc := range []struct {
		url              string
		seqscan, bitmaps string
	}{
		{url, "off", "off"},
		{pgtest.WithParam(t, url, "enable_seqscan", "on"), "on", "off"},
	} {
		s := open(t, tc.url)
		for name, want := range map[string]string{"enable_seqscan": tc.seqscan, "enable_bitmapscan": tc.bitmaps} {
			if got, err := s.Setting(context.Background(), name); err != nil || got != want {
				t.Errorf("%s = %q (%v), want %q", name, got, err, want)
			}
		}
		s.Close()
	}
}
