package boltstore

import (
	"context"
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
