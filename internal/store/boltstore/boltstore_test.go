package boltstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
	"github.com/orgd/orgd/internal/store/storetest"
)

func open(tb testing.TB) *boltstore.Store {
	tb.Helper()
	s, err := boltstore.Open(filepath.Join(tb.TempDir(), "data", "orgd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b) })
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "orgd.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Get("k")
		if err == nil && (!ok || string(v) != "v") {
			err = fmt.Errorf("after reopening, k = %q (ok=%v), want v", v, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSecondOpenFails(t *testing.T) {
	s := open(t)
	defer s.Close()
	if s2, err := boltstore.Open(s.Path()); err == nil {
		s2.Close()
		t.Fatal("a second Open of a file in use succeeded; two writers would corrupt it")
	}
}

const crashChildEnv = "BOLTSTORE_CRASH_CHILD_PATH"

// TestSurvivesSIGKILL kills a process that is committing Updates and checks
// that every Update it acknowledged is in the file. It proves process-crash
// durability only: SIGKILL leaves the page cache intact, so power loss rests
// on bbolt's fsync, which this test cannot cut.
func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "orgd.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	acked := 0
	deadline := time.Now().Add(20 * time.Second)
	for acked < 200 && time.Now().Before(deadline) && lines.Scan() {
		if n, err := strconv.Atoi(lines.Text()); err == nil {
			acked = n
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() { // acknowledgements written before the kill landed
		if n, err := strconv.Atoi(lines.Text()); err == nil {
			acked = n
		}
	}
	cmd.Wait()
	if acked == 0 {
		t.Fatal("the child acknowledged no Update")
	}

	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatalf("reopening after SIGKILL: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx store.Tx) error {
		v, _, err := tx.Get("n")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(v))
		if n < acked || n > acked+1 {
			return fmt.Errorf("after SIGKILL n = %d, but %d Updates were acknowledged", n, acked)
		}
		for i := 1; i <= acked; i++ {
			if _, ok, err := tx.Get(fmt.Sprintf("k/%06d", i)); err != nil || !ok {
				return fmt.Errorf("acknowledged key k/%06d is missing after SIGKILL (err %v)", i, err)
			}
		}
		t.Logf("%d acknowledged Updates all survived SIGKILL", acked)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCrashChild is TestSurvivesSIGKILL's child: it commits Updates until
// killed, printing each one's number once Update has returned.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as TestSurvivesSIGKILL's child process")
	}
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	val := make([]byte, 512)
	for i := 1; ; i++ {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put(fmt.Sprintf("k/%06d", i), val); err != nil {
				return err
			}
			return tx.Put("n", []byte(strconv.Itoa(i)))
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(os.Stdout, i)
	}
}

// TestGroupCommitFailuresStayAlone runs Updates at once, so that they
// share commits, and has every third fail after writing and every fifth
// panic: only the others' writes may stay, each whole, and a panic must
// reach the Update's caller.
func TestGroupCommitFailuresStayAlone(t *testing.T) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("shared", []byte("before")) }); err != nil {
		t.Fatal(err)
	}
	const n = 200
	errFail := errors.New("fail")
	var wg sync.WaitGroup
	results := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					results[i] = p
				}
			}()
			results[i] = s.Update(ctx, func(tx store.Tx) error {
				for _, k := range []string{fmt.Sprintf("a/%03d", i), fmt.Sprintf("b/%03d", i)} {
					if err := tx.Put(k, []byte("v")); err != nil {
						return err
					}
				}
				if i%3 == 0 || i%5 == 0 {
					if err := tx.Put("shared", []byte(fmt.Sprint(i))); err != nil {
						return err
					}
					if err := tx.Delete("shared"); err != nil {
						return err
					}
				}
				switch {
				case i%3 == 0:
					return errFail
				case i%5 == 0:
					panic(fmt.Sprintf("panic %d", i))
				}
				return nil
			})
		}()
	}
	wg.Wait()
	err := s.View(ctx, func(tx store.Tx) error {
		for i := range n {
			want := "stored"
			switch {
			case i%3 == 0:
				want = "failed"
				if results[i] != errFail {
					t.Errorf("update %d returned %v, want %v", i, results[i], errFail)
				}
			case i%5 == 0:
				want = "failed"
				if results[i] != fmt.Sprintf("panic %d", i) {
					t.Errorf("update %d: caller saw %v, want its panic", i, results[i])
				}
			default:
				if results[i] != nil {
					t.Errorf("update %d returned %v", i, results[i])
				}
			}
			for _, k := range []string{fmt.Sprintf("a/%03d", i), fmt.Sprintf("b/%03d", i)} {
				_, ok, err := tx.Get(k)
				if err != nil {
					return err
				}
				if ok != (want == "stored") {
					t.Errorf("update %d %s: %s present=%v", i, want, k, ok)
				}
			}
		}
		v, ok, err := tx.Get("shared")
		if err != nil || !ok || string(v) != "before" {
			t.Errorf("shared = %q, %v, %v; want what the failed updates overwrote and deleted restored", v, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpdateAfterClose fails rather than hang.
func TestUpdateAfterClose(t *testing.T) {
	s := open(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), func(tx store.Tx) error { return nil }); err == nil {
		t.Fatal("Update after Close succeeded")
	}
}

// BenchmarkUpdate16 is 16 writers updating at once: what group commit
// buys, in durable Updates per second.
func BenchmarkUpdate16(b *testing.B) {
	s := open(b)
	defer s.Close()
	ctx := context.Background()
	boltstore.ResetCommits(s)
	var n atomic.Int64
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprintf("k/%d", n.Add(1)%1000)
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte("value")) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(b.N)/float64(boltstore.Commits(s)), "updates/commit")
}

// TestGetsWalk reads keys in the orders a listing and a point read use
// (each the next key, a few keys on, absent keys between and past the
// last, another parent, the same key again), writing between reads in
// Updates, and holds every Get to a map of what was written: Get steps
// on from the last key it read, and must never answer from where a
// write left its cursor.
func TestGetsWalk(t *testing.T) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	want := map[string]string{}
	key := func(i int) string {
		parent := []string{"acct/", "members/o-1/", "ou/"}[i%3]
		return fmt.Sprintf("%s%06d", parent, i/3)
	}
	const n = 3000
	for i := 0; i < n; i += 2 { // every other key, so that half are absent
		want[key(i)] = fmt.Sprint("v", i)
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		for k, v := range want {
			if err := tx.Put(k, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(tx store.Tx, k string) error {
		v, ok, err := tx.Get(k)
		if w, has := want[k]; err != nil || ok != has || string(v) != w {
			return fmt.Errorf("Get(%q) = %q, %v, %v; want %q, %v", k, v, ok, err, w, has)
		}
		return nil
	}
	for round := range 200 {
		write := round%2 == 1
		run := s.View
		if write {
			run = s.Update
		}
		err := run(ctx, func(tx store.Tx) error {
			i := r.IntN(n + 30)
			for range 60 {
				switch op := r.IntN(10); {
				case op < 5:
					i += 3 * (1 + r.IntN(3)) // the next keys of the same parent, some absent
				case op < 7:
					i = r.IntN(n + 30) // anywhere, past the last key too
				case op < 8:
					i++ // another parent
				case op < 9 && write:
					k := key(i + 3*r.IntN(3))
					if r.IntN(2) == 0 {
						want[k] = fmt.Sprint("w", round)
						if err := tx.Put(k, []byte(want[k])); err != nil {
							return err
						}
					} else {
						delete(want, k)
						if err := tx.Delete(k); err != nil {
							return err
						}
					}
				}
				if err := check(tx, key(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// BenchmarkGetLarge is a page of 20 Gets in one View of a file of 20,000
// account-sized records, deep enough that each Get reads branch pages:
// keys each the next in the file (a listing of one organization's
// accounts), and keys 37 apart (a listing of an organization whose
// accounts are among others'), which cannot step from one to the next.
func BenchmarkGetLarge(b *testing.B) {
	s := open(b)
	defer s.Close()
	ctx := context.Background()
	val := make([]byte, 150)
	const n = 20000
	key := func(i int) string { return fmt.Sprintf("acct/%012d", 200000000000+i*7919) }
	for i := 0; i < n; i += 1000 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for j := i; j < i+1000; j++ {
				if err := tx.Put(key(j), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, apart := range []int{1, 37} {
		keys := make([]string, 20)
		for i := range keys {
			keys[i] = key(n/2 + i*apart)
		}
		b.Run(fmt.Sprintf("apart=%d", apart), func(b *testing.B) {
			for b.Loop() {
				err := s.View(ctx, func(tx store.Tx) error {
					for _, k := range keys {
						if _, ok, err := tx.Get(k); err != nil || !ok {
							return fmt.Errorf("get %s: %v %v", k, ok, err)
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
