// Package storetest checks that a store.Store backend keeps the promises of
// package store, so that every backend is held to one suite. A backend's
// tests call Run (and Bench) with a function that opens an empty store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/store"
)

// Run runs the conformance suite. open must return an empty store; Run
// closes it when the subtest ends, and open may register t.Cleanup to
// remove what the store left behind.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"EmptyValue", testEmptyValue},
		{"ReadYourWrites", testReadYourWrites},
		{"Scan", testScan},
		{"ScanEarlyStop", testScanEarlyStop},
		{"ScanManyKeys", testScanManyKeys},
		{"ScanReadsInside", testScanReadsInside},
		{"ViewReadOnly", testViewReadOnly},
		{"ErrorsUnchanged", testErrorsUnchanged},
		{"UpdateRollback", testUpdateRollback},
		{"UpdatePanicRollsBack", testUpdatePanicRollsBack},
		{"Versions", testVersions},
		{"VersionsUnderWriters", testVersionsUnderWriters},
		{"CanceledContext", testCanceledContext},
		{"IsolationHalfDone", testIsolationHalfDone},
		{"IsolationInvariant", testIsolationInvariant},
		{"ConcurrentCounter", testConcurrentCounter},
		{"ConcurrentCounterScoped", testConcurrentCounterScoped},
		{"HintsChangeNothing", testHintsChangeNothing},
		{"ScopedUpdatesFailAlone", testScopedUpdatesFailAlone},
		{"ValuesCopied", testValuesCopied},
		{"LargeValue", testLargeValue},
		{"AnyKeyBytes", testAnyKeyBytes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			tc.fn(t, s)
		})
	}
}

// ConcurrentCounter increments one counter from many goroutines spread over
// the given stores (which share their data, or are one store), and checks
// that no increment was lost. Backends that several servers can share use it
// with one store per server.
func ConcurrentCounter(t *testing.T, stores []store.Store, goroutines, increments int) {
	t.Helper()
	concurrentCounter(t, context.Background(), stores, goroutines, increments)
}

// ConcurrentCounterScoped is ConcurrentCounter with every Update hinted to
// be about one scope, which a backend may queue on.
func ConcurrentCounterScoped(t *testing.T, stores []store.Store, goroutines, increments int) {
	t.Helper()
	ctx := store.WithHint(context.Background(), store.Hint{Scope: "counter", Keys: []string{"counter"}})
	concurrentCounter(t, ctx, stores, goroutines, increments)
}

func concurrentCounter(t *testing.T, ctx context.Context, stores []store.Store, goroutines, increments int) {
	t.Helper()
	const key = "counter"
	var start int
	view(t, stores[0], func(tx store.Tx) error {
		var err error
		start, err = getInt(tx, key)
		return err
	})
	var runs atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	for g := range goroutines {
		s := stores[g%len(stores)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range increments {
				err := s.Update(ctx, func(tx store.Tx) error {
					runs.Add(1)
					n, err := getInt(tx, key)
					if err != nil {
						return err
					}
					return tx.Put(key, []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("Update: %v", err)
	}
	var got int
	view(t, stores[0], func(tx store.Tx) error {
		var err error
		got, err = getInt(tx, key)
		return err
	})
	if want := start + goroutines*increments; got != want {
		t.Fatalf("counter = %d after %d increments: updates were lost", got, want)
	}
	t.Logf("%d increments took %d runs of fn", goroutines*increments, runs.Load())
}

func getInt(tx store.Tx, key string) (int, error) {
	v, ok, err := tx.Get(key)
	if err != nil || !ok {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

func update(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func put(t *testing.T, s store.Store, kv ...string) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for i := 0; i < len(kv); i += 2 {
			if err := tx.Put(kv[i], []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
}

// get reads key in its own View; absent keys read as "<absent>".
func get(t *testing.T, s store.Store, key string) string {
	t.Helper()
	var got string
	view(t, s, func(tx store.Tx) error {
		var err error
		got, err = txGet(tx, key)
		return err
	})
	return got
}

func txGet(tx store.Tx, key string) (string, error) {
	v, ok, err := tx.Get(key)
	if err != nil {
		return "", err
	}
	if !ok {
		return "<absent>", nil
	}
	return string(v), nil
}

type kv struct{ k, v string }

func scanAll(tx store.Tx, prefix, after string) ([]kv, error) {
	var out []kv
	err := tx.Scan(prefix, after, func(k string, v []byte) bool {
		out = append(out, kv{k, string(v)})
		return true
	})
	return out, err
}

func testGetPutDelete(t *testing.T, s store.Store) {
	if got := get(t, s, "k"); got != "<absent>" {
		t.Fatalf("Get on an empty store = %q", got)
	}
	put(t, s, "k", "v1")
	if got := get(t, s, "k"); got != "v1" {
		t.Fatalf("Get after Put = %q, want v1", got)
	}
	put(t, s, "k", "v2")
	if got := get(t, s, "k"); got != "v2" {
		t.Fatalf("Get after overwrite = %q, want v2", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.Delete("k") })
	if got := get(t, s, "k"); got != "<absent>" {
		t.Fatalf("Get after Delete = %q", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.Delete("never-there") })
}

func testEmptyValue(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		if err := tx.Put("empty", []byte{}); err != nil {
			return err
		}
		return tx.Put("nil", nil)
	})
	view(t, s, func(tx store.Tx) error {
		for _, k := range []string{"empty", "nil"} {
			v, ok, err := tx.Get(k)
			if err != nil {
				return err
			}
			if !ok || len(v) != 0 {
				t.Errorf("Get(%q) = %q, %v; want an empty value that is present", k, v, ok)
			}
		}
		got, err := scanAll(tx, "", "")
		if err != nil {
			return err
		}
		if want := []kv{{"empty", ""}, {"nil", ""}}; !slices.Equal(got, want) {
			t.Errorf("Scan = %q, want %q", got, want)
		}
		return nil
	})
}

func testReadYourWrites(t *testing.T, s store.Store) {
	put(t, s, "a", "1", "b", "2")
	update(t, s, func(tx store.Tx) error {
		if err := tx.Put("c", []byte("3")); err != nil {
			return err
		}
		if err := tx.Put("a", []byte("1b")); err != nil {
			return err
		}
		if err := tx.Delete("b"); err != nil {
			return err
		}
		for key, want := range map[string]string{"a": "1b", "b": "<absent>", "c": "3"} {
			if got, err := txGet(tx, key); err != nil || got != want {
				t.Errorf("Get(%q) inside the Update = %q, %v; want %q", key, got, err, want)
			}
		}
		got, err := scanAll(tx, "", "")
		if err != nil {
			return err
		}
		if want := []kv{{"a", "1b"}, {"c", "3"}}; !slices.Equal(got, want) {
			t.Errorf("Scan inside the Update = %q, want %q", got, want)
		}
		return nil
	})
}

// scanKeys holds neighbours that catch off-by-one prefix and after bounds,
// including prefixes ending in 0xff, whose successor is not one byte up.
var scanKeys = []string{
	"a", "a/", "a/1", "a/1/x", "a/10", "a/2", "a\x00", "a0", "ab", "b", "b/1",
	"\x7f", "\x80", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\x01",
}

func testScan(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		for _, k := range scanKeys {
			if err := tx.Put(k, []byte("v:"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	sorted := slices.Clone(scanKeys)
	slices.Sort(sorted)
	prefixes := []string{"", "a", "a/", "a/1", "a/1/", "b", "c", "\xff", "\xff\xff", "a\x00"}
	afters := []string{"", "a", "a/", "a/1", "a/10", "a/15", "a/2", "a/3", "0", "b", "zz", "\xff", "\xff\xff\x01"}
	view(t, s, func(tx store.Tx) error {
		for _, p := range prefixes {
			for _, a := range afters {
				var want []kv
				for _, k := range sorted {
					if strings.HasPrefix(k, p) && k > a {
						want = append(want, kv{k, "v:" + k})
					}
				}
				got, err := scanAll(tx, p, a)
				if err != nil {
					return err
				}
				if !slices.Equal(got, want) {
					t.Errorf("Scan(%q, %q) = %q, want %q", p, a, got, want)
				}
			}
		}
		return nil
	})
}

func testScanEarlyStop(t *testing.T, s store.Store) {
	update(t, s, func(tx store.Tx) error {
		for i := range 10 {
			if err := tx.Put(fmt.Sprintf("k/%02d", i), []byte("v")); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx store.Tx) error {
		var seen []string
		err := tx.Scan("k/", "", func(k string, _ []byte) bool {
			seen = append(seen, k)
			return len(seen) < 3
		})
		if want := []string{"k/00", "k/01", "k/02"}; !slices.Equal(seen, want) {
			t.Errorf("Scan stopped after %q, want %q", seen, want)
		}
		return err
	})
}

// testScanManyKeys goes past any batch size a backend pages with.
func testScanManyKeys(t *testing.T, s store.Store) {
	const n = 2500
	update(t, s, func(tx store.Tx) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("m/%05d", i), []byte(strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return tx.Put("n", []byte("outside"))
	})
	view(t, s, func(tx store.Tx) error {
		i := 0
		err := tx.Scan("m/", "", func(k string, v []byte) bool {
			if want := fmt.Sprintf("m/%05d", i); k != want || string(v) != strconv.Itoa(i) {
				t.Errorf("Scan item %d = %q=%q, want %q", i, k, v, want)
				return false
			}
			i++
			return true
		})
		if err != nil {
			return err
		}
		if i != n {
			t.Errorf("Scan saw %d keys, want %d", i, n)
		}
		i = 0
		err = tx.Scan("m/", "m/01234", func(k string, _ []byte) bool {
			if want := fmt.Sprintf("m/%05d", 1235+i); k != want {
				t.Errorf("Scan after m/01234 item %d = %q, want %q", i, k, want)
				return false
			}
			i++
			return i < 700
		})
		if i != 700 {
			t.Errorf("Scan after m/01234 saw %d keys, want 700", i)
		}
		return err
	})
}

func testScanReadsInside(t *testing.T, s store.Store) {
	put(t, s, "x/1", "y/1", "x/2", "y/2", "y/1", "one", "y/2", "two")
	for _, write := range []bool{false, true} {
		fn := func(tx store.Tx) error {
			var got []string
			var inner error
			err := tx.Scan("x/", "", func(_ string, v []byte) bool {
				var w string
				w, inner = txGet(tx, string(v))
				got = append(got, w)
				return inner == nil
			})
			if err == nil {
				err = inner
			}
			if want := []string{"one", "two"}; !slices.Equal(got, want) {
				t.Errorf("Gets inside Scan = %q, want %q", got, want)
			}
			return err
		}
		if write {
			update(t, s, fn)
		} else {
			view(t, s, fn)
		}
	}
}

func testViewReadOnly(t *testing.T, s store.Store) {
	put(t, s, "k", "v")
	view(t, s, func(tx store.Tx) error {
		if err := tx.Put("k", []byte("w")); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put in a View = %v, want ErrReadOnly", err)
		}
		if err := tx.Put("new", []byte("w")); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Put of a new key in a View = %v, want ErrReadOnly", err)
		}
		if err := tx.Delete("k"); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("Delete in a View = %v, want ErrReadOnly", err)
		}
		// A refused write leaves the transaction usable.
		if got, err := txGet(tx, "k"); err != nil || got != "v" {
			t.Errorf("Get after refused writes = %q, %v", got, err)
		}
		return nil
	})
	if got := get(t, s, "k"); got != "v" {
		t.Fatalf("k = %q after refused writes, want v", got)
	}
	if got := get(t, s, "new"); got != "<absent>" {
		t.Fatalf("new = %q after a refused write, want absent", got)
	}
}

type customErr struct{ n int }

func (e *customErr) Error() string { return fmt.Sprintf("custom %d", e.n) }

func testErrorsUnchanged(t *testing.T, s store.Store) {
	want := &customErr{42}
	if err := s.View(context.Background(), func(store.Tx) error { return want }); err != want {
		t.Errorf("View returned %v (%T), want fn's error unchanged", err, err)
	}
	if err := s.Update(context.Background(), func(store.Tx) error { return want }); err != want {
		t.Errorf("Update returned %v (%T), want fn's error unchanged", err, err)
	}
}

func testUpdateRollback(t *testing.T, s store.Store) {
	put(t, s, "keep", "old", "gone", "old")
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.Put("keep", []byte("new")); err != nil {
			return err
		}
		if err := tx.Delete("gone"); err != nil {
			return err
		}
		for i := range 200 {
			if err := tx.Put(fmt.Sprintf("added/%03d", i), []byte("x")); err != nil {
				return err
			}
		}
		if err := tx.Put("keep", []byte("newer")); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v, want the error fn returned", err)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := scanAll(tx, "", "")
		if err != nil {
			return err
		}
		if want := []kv{{"gone", "old"}, {"keep", "old"}}; !slices.Equal(got, want) {
			t.Errorf("after a failed Update the store holds %q, want %q", got, want)
		}
		return nil
	})
}

// testUpdatePanicRollsBack: a panic in an Update's function leaves
// nothing of it stored, whether the backend passes it on as a panic or
// returns it as an error.
func testUpdatePanicRollsBack(t *testing.T, s store.Store) {
	put(t, s, "keep", "old")
	func() {
		defer func() { recover() }()
		s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put("keep", []byte("new")); err != nil {
				return err
			}
			if err := tx.Put("added", []byte("x")); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if got := get(t, s, "keep"); got != "old" {
		t.Errorf("keep = %q after an Update that panicked, want old", got)
	}
	if got := get(t, s, "added"); got != "<absent>" {
		t.Errorf("added = %q after an Update that panicked, want it absent", got)
	}
	put(t, s, "after", "y")
	if got := get(t, s, "after"); got != "y" {
		t.Errorf("an Update after one that panicked stored %q, want y", got)
	}
}

// testVersions: a backend that numbers its states (store.Versioned)
// gives a View the number Version gave before it, a new number once an
// Update changed something, and none to an Update's own transaction.
func testVersions(t *testing.T, s store.Store) {
	if _, ok := s.(store.Versioned); !ok {
		if _, ok := store.Version(s); ok {
			t.Fatal("store.Version is ok for a store that is not store.Versioned")
		}
		t.Skip("the backend numbers no states")
	}
	txVersion := func() uint64 {
		t.Helper()
		var v uint64
		view(t, s, func(tx store.Tx) error {
			var ok bool
			if v, ok = store.TxVersion(tx); !ok {
				t.Fatal("TxVersion of a View is not ok")
			}
			return nil
		})
		return v
	}
	v0, ok := store.Version(s)
	if !ok {
		t.Fatal("Version is not ok with no commit under way")
	}
	if got := txVersion(); got != v0 {
		t.Fatalf("a View reads state %d, want %d, what Version gave", got, v0)
	}
	if err := s.Update(context.Background(), func(tx store.Tx) error {
		if _, ok := store.TxVersion(tx); ok {
			t.Error("TxVersion of an Update is ok; its state is not yet numbered")
		}
		return tx.Put("k", []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	v1, ok := store.Version(s)
	if !ok || v1 == v0 {
		t.Fatalf("Version after an Update that wrote = %d, %v; want a number other than %d", v1, ok, v0)
	}
	if got := txVersion(); got != v1 {
		t.Fatalf("a View after the Update reads state %d, want %d", got, v1)
	}
	s.Update(context.Background(), func(tx store.Tx) error {
		tx.Put("k", []byte("changed"))
		return errors.New("fail")
	})
	if v, _ := store.Version(s); v != txVersion() {
		t.Fatalf("after a failed Update, Version = %d but a View reads state %d", v, txVersion())
	}
}

// testVersionsUnderWriters reads a counter that writers keep
// incrementing: Views that read states of one number read the same
// counter, and a View between two equal Versions reads that state.
func testVersionsUnderWriters(t *testing.T, s store.Store) {
	if _, ok := s.(store.Versioned); !ok {
		t.Skip("the backend numbers no states")
	}
	put(t, s, "counter", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s.Update(context.Background(), func(tx store.Tx) error {
					v, _, err := tx.Get("counter")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.Put("counter", []byte(strconv.Itoa(n+1)))
				})
			}
		}()
	}
	seen := map[uint64]string{}
	var mu sync.Mutex
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				before, okBefore := store.Version(s)
				var tv uint64
				var counter string
				err := s.View(context.Background(), func(tx store.Tx) error {
					var ok bool
					if tv, ok = store.TxVersion(tx); !ok {
						return errors.New("TxVersion of a View is not ok")
					}
					v, _, err := tx.Get("counter")
					counter = string(v)
					return err
				})
				after, okAfter := store.Version(s)
				if err != nil {
					t.Error(err)
					return
				}
				if okBefore && okAfter && before == after && tv != before {
					t.Errorf("Version was %d before and after a View that read state %d", before, tv)
				}
				mu.Lock()
				if c, ok := seen[tv]; ok && c != counter {
					t.Errorf("two Views of state %d read counter %s and %s", tv, c, counter)
				}
				seen[tv] = counter
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) < 2 {
		t.Errorf("the Views read %d states while writers wrote; want several", len(seen))
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("v")) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context = %v, want context.Canceled", err)
	}
	err = s.View(ctx, func(tx store.Tx) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("View with a canceled context = %v, want context.Canceled", err)
	}
	if got := get(t, s, "k"); got != "<absent>" {
		t.Errorf("k = %q after an Update with a canceled context", got)
	}
}

// testIsolationHalfDone starts a View while an Update has written one of two
// keys: the View must see both writes or neither. The Update waits a little
// for the View rather than for ever, because a backend may make the View
// wait for the Update instead.
func testIsolationHalfDone(t *testing.T, s store.Store) {
	put(t, s, "a", "0", "b", "0")
	halfway := make(chan struct{})
	viewed := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put("a", []byte("1")); err != nil {
				return err
			}
			once.Do(func() { close(halfway) })
			select {
			case <-viewed:
			case <-time.After(200 * time.Millisecond):
			}
			return tx.Put("b", []byte("1"))
		})
	}()
	<-halfway
	var a, b string
	view(t, s, func(tx store.Tx) error {
		var err error
		if a, err = txGet(tx, "a"); err != nil {
			return err
		}
		b, err = txGet(tx, "b")
		return err
	})
	close(viewed)
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	if a != b {
		t.Fatalf("a View during an Update saw a=%s b=%s: half of the Update", a, b)
	}
	if a2, b2 := get(t, s, "a"), get(t, s, "b"); a2 != "1" || b2 != "1" {
		t.Fatalf("after the Update a=%s b=%s, want 1 1", a2, b2)
	}
}

// testIsolationInvariant moves amounts between accounts while readers check
// that the total never changes, by Get and by Scan.
func testIsolationInvariant(t *testing.T, s store.Store) {
	const accounts, start = 5, 100
	update(t, s, func(tx store.Tx) error {
		for i := range accounts {
			if err := tx.Put(fmt.Sprintf("acct/%d", i), []byte(strconv.Itoa(start))); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	var stop atomic.Bool
	var writers, readers sync.WaitGroup
	errc := make(chan error, 16)
	for w := range 3 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range 30 {
				from, to, amount := r.IntN(accounts), r.IntN(accounts), r.IntN(10)+1
				err := s.Update(ctx, func(tx store.Tx) error {
					f, err := getInt(tx, fmt.Sprintf("acct/%d", from))
					if err != nil {
						return err
					}
					if err := tx.Put(fmt.Sprintf("acct/%d", from), []byte(strconv.Itoa(f-amount))); err != nil {
						return err
					}
					time.Sleep(time.Millisecond) // widen the window a reader could see
					g, err := getInt(tx, fmt.Sprintf("acct/%d", to))
					if err != nil {
						return err
					}
					return tx.Put(fmt.Sprintf("acct/%d", to), []byte(strconv.Itoa(g+amount)))
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				err := s.View(ctx, func(tx store.Tx) error {
					byGet := 0
					for i := range accounts {
						n, err := getInt(tx, fmt.Sprintf("acct/%d", i))
						if err != nil {
							return err
						}
						byGet += n
					}
					byScan := 0
					var bad error
					err := tx.Scan("acct/", "", func(_ string, v []byte) bool {
						n, err := strconv.Atoi(string(v))
						bad = err
						byScan += n
						return err == nil
					})
					if err == nil {
						err = bad
					}
					if err != nil {
						return err
					}
					if byGet != accounts*start || byScan != accounts*start {
						return fmt.Errorf("a View saw totals %d (Get) and %d (Scan), want %d", byGet, byScan, accounts*start)
					}
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
				// Leave the writers CPU: readers that spin starve them on
				// a small machine, and the race detector makes that slow.
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

func testConcurrentCounter(t *testing.T, s store.Store) {
	ConcurrentCounter(t, []store.Store{s}, 8, 25)
}

func testConcurrentCounterScoped(t *testing.T, s store.Store) {
	ConcurrentCounterScoped(t, []store.Store{s}, 8, 25)
}

// testHintsChangeNothing reads and writes keys and prefixes that a hint
// names, present and absent, with and without the transaction's own writes.
func testHintsChangeNothing(t *testing.T, s store.Store) {
	put(t, s, "a", "1", "p/1", "x", "p/2", "y", "q", "z")
	ctx := store.WithHint(context.Background(), store.Hint{
		Scope:    "some scope",
		Keys:     []string{"a", "missing", "p/1"},
		Prefixes: []string{"p/", "none/", ""},
	})
	check := func(tx store.Tx, where string, wantGets map[string]string, wantScan []kv) error {
		for key, want := range wantGets {
			if got, err := txGet(tx, key); err != nil || got != want {
				t.Errorf("%s: Get(%q) = %q, %v; want %q", where, key, got, err, want)
			}
		}
		got, err := scanAll(tx, "p/", "")
		if err != nil {
			return err
		}
		if !slices.Equal(got, wantScan) {
			t.Errorf("%s: Scan(p/) = %q, want %q", where, got, wantScan)
		}
		if got, err := scanAll(tx, "none/", ""); err != nil || len(got) != 0 {
			t.Errorf("%s: Scan(none/) = %q, %v; want nothing", where, got, err)
		}
		got, err = scanAll(tx, "p/", "p/1")
		if err != nil {
			return err
		}
		var wantAfter []kv
		for _, e := range wantScan {
			if e.k > "p/1" {
				wantAfter = append(wantAfter, e)
			}
		}
		if !slices.Equal(got, wantAfter) {
			t.Errorf("%s: Scan(p/, after p/1) = %q, want %q", where, got, wantAfter)
		}
		return nil
	}
	before := map[string]string{"a": "1", "missing": "<absent>", "p/1": "x", "q": "z"}
	if err := s.View(ctx, func(tx store.Tx) error {
		return check(tx, "View", before, []kv{{"p/1", "x"}, {"p/2", "y"}})
	}); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		// The first statement is a Scan, which a backend may fold into
		// the hint's reads.
		if got, err := scanAll(tx, "p/", ""); err != nil || len(got) != 2 {
			t.Errorf("first Scan(p/) in the Update = %q, %v", got, err)
		}
		if err := check(tx, "Update before writing", before, []kv{{"p/1", "x"}, {"p/2", "y"}}); err != nil {
			return err
		}
		for _, w := range [][2]string{{"a", "2"}, {"missing", "found"}, {"p/0", "w"}, {"p/3", "v"}} {
			if err := tx.Put(w[0], []byte(w[1])); err != nil {
				return err
			}
		}
		if err := tx.Delete("p/2"); err != nil {
			return err
		}
		return check(tx, "Update after writing", map[string]string{"a": "2", "missing": "found", "p/2": "<absent>"},
			[]kv{{"p/0", "w"}, {"p/1", "x"}, {"p/3", "v"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx store.Tx) error {
		return check(tx, "View after the Update", map[string]string{"a": "2", "missing": "found", "p/2": "<absent>"},
			[]kv{{"p/0", "w"}, {"p/1", "x"}, {"p/3", "v"}})
	}); err != nil {
		t.Fatal(err)
	}
	// A scoped Update that writes without reading first.
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("blind", []byte("b")) }); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "blind"); got != "b" {
		t.Errorf("blind write = %q", got)
	}
}

// testScopedUpdatesFailAlone runs Updates of one scope at once, which a
// backend may run together: those that fail must leave nothing behind and
// get their own error back, and the others must all be kept.
func testScopedUpdatesFailAlone(t *testing.T, s store.Store) {
	ctx := store.WithHint(context.Background(), store.Hint{Scope: "one", Keys: []string{"count"}})
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx store.Tx) error {
				c, err := getInt(tx, "count")
				if err != nil {
					return err
				}
				if err := tx.Put("count", []byte(strconv.Itoa(c+1))); err != nil {
					return err
				}
				if err := tx.Put(fmt.Sprint("k/", i), []byte("v")); err != nil {
					return err
				}
				if i%3 == 0 {
					return &customErr{i}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	kept := 0
	view(t, s, func(tx store.Tx) error {
		for i, err := range errs {
			got, gerr := txGet(tx, fmt.Sprint("k/", i))
			if gerr != nil {
				return gerr
			}
			var ce *customErr
			switch {
			case i%3 == 0 && (!errors.As(err, &ce) || ce.n != i):
				t.Errorf("Update %d = %v, want its own error", i, err)
			case i%3 == 0 && got != "<absent>":
				t.Errorf("failed Update %d left k/%d = %q", i, i, got)
			case i%3 != 0 && err != nil:
				t.Errorf("Update %d = %v", i, err)
			case i%3 != 0 && got != "v":
				t.Errorf("Update %d succeeded but k/%d = %q", i, i, got)
			case i%3 != 0:
				kept++
			}
		}
		c, err := getInt(tx, "count")
		if err == nil && c != kept {
			t.Errorf("count = %d, want the %d Updates that succeeded", c, kept)
		}
		return err
	})
}

func testValuesCopied(t *testing.T, s store.Store) {
	buf := []byte("hello")
	update(t, s, func(tx store.Tx) error {
		if err := tx.Put("k", buf); err != nil {
			return err
		}
		copy(buf, "XXXXX")
		if got, err := txGet(tx, "k"); err != nil || got != "hello" {
			t.Errorf("Get in the same Update after the caller reused its buffer = %q, %v", got, err)
		}
		return nil
	})
	copy(buf, "YYYYY")
	if got := get(t, s, "k"); got != "hello" {
		t.Fatalf("Get after the caller reused its buffer = %q, want hello", got)
	}

	// A value from Get stays valid after its transaction, whatever follows.
	var kept []byte
	view(t, s, func(tx store.Tx) error {
		var err error
		kept, _, err = tx.Get("k")
		return err
	})
	update(t, s, func(tx store.Tx) error {
		for i := range 100 {
			if err := tx.Put(fmt.Sprintf("filler/%03d", i), bytes.Repeat([]byte{'f'}, 4096)); err != nil {
				return err
			}
		}
		return tx.Put("k", []byte("world"))
	})
	if string(kept) != "hello" {
		t.Fatalf("a value kept from Get changed to %q after later Updates", kept)
	}
}

func testLargeValue(t *testing.T, s store.Store) {
	big := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	update(t, s, func(tx store.Tx) error { return tx.Put("big", big) })
	view(t, s, func(tx store.Tx) error {
		v, ok, err := tx.Get("big")
		if err != nil {
			return err
		}
		if !ok || !bytes.Equal(v, big) {
			t.Errorf("Get of a 1 MiB value returned %d bytes (ok=%v), not what was put", len(v), ok)
		}
		var n int
		err = tx.Scan("b", "", func(k string, v []byte) bool {
			n++
			if !bytes.Equal(v, big) {
				t.Errorf("Scan of a 1 MiB value returned %d bytes, not what was put", len(v))
			}
			return true
		})
		if n != 1 {
			t.Errorf("Scan saw %d keys, want 1", n)
		}
		return err
	})
	small := []byte("small again")
	update(t, s, func(tx store.Tx) error { return tx.Put("big", small) })
	if got := get(t, s, "big"); got != string(small) {
		t.Fatalf("after shrinking, Get = %d bytes, want %q", len(got), small)
	}
}

func testAnyKeyBytes(t *testing.T, s store.Store) {
	keys := []string{
		"/", "//", "a/b/c", "a b", "ключ/значение", "日本語/キー", "emoji/🙂", "\x00",
		"\x00\x00", "\x01", "nul\x00inside", "\x7f", "\x80", "\xc3", "\xfe\xff",
		"invalid\xc3\x28utf8", "%", "%a", "_", "_a", "a%b", "\\", "'quote'", `"dq"`,
		strings.Repeat("k", store.MaxKeyLen),
		strings.Repeat("\xff", store.MaxKeyLen),
	}
	update(t, s, func(tx store.Tx) error {
		for i, k := range keys {
			if err := tx.Put(k, []byte(strconv.Itoa(i))); err != nil {
				return fmt.Errorf("Put(%q): %w", k, err)
			}
		}
		return nil
	})
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	view(t, s, func(tx store.Tx) error {
		for i, k := range keys {
			if got, err := txGet(tx, k); err != nil || got != strconv.Itoa(i) {
				t.Errorf("Get(%q) = %q, %v; want %d", k, got, err, i)
			}
		}
		var got []string
		if err := tx.Scan("", "", func(k string, _ []byte) bool { got = append(got, k); return true }); err != nil {
			return err
		}
		if !slices.Equal(got, sorted) {
			t.Errorf("Scan order = %q, want bytewise order %q", got, sorted)
		}
		// Prefixes are bytes, not patterns: % and _ match only themselves.
		for _, p := range []string{"%", "_", "\x00", "\\", "\xff"} {
			var want, got []string
			for _, k := range sorted {
				if strings.HasPrefix(k, p) {
					want = append(want, k)
				}
			}
			if err := tx.Scan(p, "", func(k string, _ []byte) bool { got = append(got, k); return true }); err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				t.Errorf("Scan(%q) = %q, want %q", p, got, want)
			}
		}
		return nil
	})
}

// Bench measures the operations orgd's requests are made of. open must
// return an empty store; Bench closes it.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	val := bytes.Repeat([]byte("v"), 256)
	b.Run("PutUpdate", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		i := 0
		for b.Loop() {
			key := fmt.Sprintf("bench/%09d", i)
			i++
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(key, val) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetView", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		const n = 1000
		benchFill(b, s, "bench/", n, val)
		i := 0
		for b.Loop() {
			key := fmt.Sprintf("bench/%09d", i%n)
			i++
			err := s.View(ctx, func(tx store.Tx) error {
				_, ok, err := tx.Get(key)
				if err == nil && !ok {
					err = fmt.Errorf("%s is absent", key)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Scan20View", func(b *testing.B) {
		s := open(b)
		defer s.Close()
		const groups = 50
		for g := range groups {
			benchFill(b, s, fmt.Sprintf("group/%03d/", g), 20, val)
		}
		i := 0
		for b.Loop() {
			prefix := fmt.Sprintf("group/%03d/", i%groups)
			i++
			n := 0
			err := s.View(ctx, func(tx store.Tx) error {
				return tx.Scan(prefix, "", func(string, []byte) bool { n++; return true })
			})
			if err != nil {
				b.Fatal(err)
			}
			if n != 20 {
				b.Fatalf("Scan(%q) saw %d keys, want 20", prefix, n)
			}
		}
	})
}

func benchFill(b *testing.B, s store.Store, prefix string, n int, val []byte) {
	b.Helper()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("%s%09d", prefix, i), val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
