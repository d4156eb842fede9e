package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/store"
)

// TestCommitTakesInWritesThatQueueMeanwhile has an Update arrive while
// another's function runs: both must be in one commit, the second seeing
// the first, rather than the second waiting for a commit of its own.
func TestCommitTakesInWritesThatQueueMeanwhile(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "orgd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	before := s.commits.Load()
	running := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Update(ctx, func(tx store.Tx) error {
			close(running)
			for deadline := time.Now().Add(10 * time.Second); len(s.writes) == 0; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Error("the second Update never queued")
					break
				}
			}
			return tx.Put("first", []byte("1"))
		})
	}()
	<-running
	var saw bool
	err = s.Update(ctx, func(tx store.Tx) error {
		_, saw, err = tx.Get("first")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if !saw {
		t.Error("the second Update did not see the first, which ran before it")
	}
	if n := s.commits.Load() - before; n != 1 {
		t.Errorf("two Updates, the second queued while the first ran, took %d commits, want 1", n)
	}
}

// TestBatchSeesItsOwnWrites runs four Updates in one commit: each must
// read what the ones before it left, a failed one's writes must be gone
// for the next, and a value read in the batch must keep its bytes after
// the commit has grown and remapped the file.
func TestBatchSeesItsOwnWrites(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "orgd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put("k", []byte("disk")); err != nil {
			return err
		}
		return tx.Put("gone", []byte("g"))
	}); err != nil {
		t.Fatal(err)
	}
	before := s.commits.Load()
	get := func(tx store.Tx, key string) string {
		v, ok, err := tx.Get(key)
		if err != nil {
			t.Error(err)
		}
		if !ok {
			return "(absent)"
		}
		return string(v)
	}
	queued := func(n int) {
		for deadline := time.Now().Add(10 * time.Second); len(s.writes) < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d Updates never queued", n)
			}
		}
	}
	running := make(chan struct{})
	errs := make(chan error, 4)
	go func() {
		errs <- s.Update(ctx, func(tx store.Tx) error {
			if got := get(tx, "k"); got != "disk" {
				t.Errorf("first Update read k = %q, want disk", got)
			}
			close(running)
			queued(3)
			return tx.Put("k", []byte("a"))
		})
	}()
	<-running
	boom := errors.New("boom")
	go func() {
		errs <- s.Update(ctx, func(tx store.Tx) error {
			if got := get(tx, "k"); got != "a" {
				t.Errorf("second Update read k = %q, want a", got)
			}
			tx.Put("k", []byte("c"))
			tx.Delete("gone")
			if got := get(tx, "k") + get(tx, "gone"); got != "c(absent)" {
				t.Errorf("second Update read its own writes as %q", got)
			}
			return boom
		})
	}()
	queued(1)
	var kept []byte
	go func() {
		errs <- s.Update(ctx, func(tx store.Tx) error {
			if got := get(tx, "k") + get(tx, "gone"); got != "ag" {
				t.Errorf("third Update, after a failed one, read %q, want ag", got)
			}
			kept, _, _ = tx.Get("k")
			return nil
		})
	}()
	queued(2)
	go func() {
		errs <- s.Update(ctx, func(tx store.Tx) error {
			big := bytes.Repeat([]byte("x"), 64<<10)
			for i := range 64 { // 4 MiB: the file grows and is mapped again
				if err := tx.Put(fmt.Sprintf("big/%02d", i), big); err != nil {
					return err
				}
			}
			return tx.Put("k", []byte("d"))
		})
	}()
	var failed int
	for range 4 {
		if err := <-errs; errors.Is(err, boom) {
			failed++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if failed != 1 {
		t.Errorf("%d Updates failed, want 1", failed)
	}
	if n := s.commits.Load() - before; n != 1 {
		t.Errorf("the four Updates took %d commits, want 1", n)
	}
	if string(kept) != "a" {
		t.Errorf("a value read in the batch holds %q after its commit, want a", kept)
	}
	s.View(ctx, func(tx store.Tx) error {
		if got := get(tx, "k") + get(tx, "gone"); got != "dg" {
			t.Errorf("after the commit k and gone read %q, want dg", got)
		}
		return nil
	})
}
