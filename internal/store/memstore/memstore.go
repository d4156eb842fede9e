// Package memstore is the in-memory store: an ordered B-tree behind a
// readers-writer lock. Writers run one at a time, which makes every
// transaction serializable; an undo log rolls a failed one back.
package memstore

import (
	"context"
	"strings"
	"sync"

	"github.com/google/btree"

	"github.com/orgd/orgd/internal/store"
)

type item struct {
	key string
	val []byte
}

func less(a, b item) bool { return a.key < b.key }

// Store is an in-memory store.Store.
type Store struct {
	mu   sync.RWMutex
	tree *btree.BTreeG[item]
	// w is the writers' transaction, its undo log's memory reused from
	// one to the next: they run one at a time, under mu.
	w tx
}

// New returns an empty store.
func New() *Store {
	s := &Store{tree: btree.NewG(32, less)}
	s.w = tx{s: s, writable: true}
	return s
}

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(&tx{s: s})
}

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.w
	defer t.forget()
	err := fn(t)
	if err != nil {
		t.rollback()
	}
	return err
}

func (s *Store) Close() error { return nil }

// Len returns the number of keys, for tests and benchmarks.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tree.Len()
}

type undo struct {
	key     string
	old     []byte
	existed bool
}

type tx struct {
	s        *Store
	writable bool
	undo     []undo
}

func (t *tx) Get(key string) ([]byte, bool, error) {
	it, ok := t.s.tree.Get(item{key: key})
	if !ok {
		return nil, false, nil
	}
	return it.val, true, nil
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	v := make([]byte, len(val))
	copy(v, val)
	old, existed := t.s.tree.ReplaceOrInsert(item{key: key, val: v})
	t.undo = append(t.undo, undo{key: key, old: old.val, existed: existed})
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	old, existed := t.s.tree.Delete(item{key: key})
	if existed {
		t.undo = append(t.undo, undo{key: key, old: old.val, existed: true})
	}
	return nil
}

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
	start := prefix
	if after != "" && after >= start {
		start = after + "\x00" // the least key above after: after is exclusive
	}
	t.s.tree.AscendGreaterOrEqual(item{key: start}, func(it item) bool {
		if !strings.HasPrefix(it.key, prefix) {
			return false
		}
		return fn(it.key, it.val)
	})
	return nil
}

// forget empties the undo log at the end of an Update, dropping what
// it holds so that the values overwritten can be collected, and the log
// itself after an Update of many writes.
func (t *tx) forget() {
	if cap(t.undo) > maxKeptUndo {
		t.undo = nil
		return
	}
	clear(t.undo)
	t.undo = t.undo[:0]
}

// maxKeptUndo bounds the undo log kept for the next Update.
const maxKeptUndo = 1024

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		if u.existed {
			t.s.tree.ReplaceOrInsert(item{key: u.key, val: u.old})
		} else {
			t.s.tree.Delete(item{key: u.key})
		}
	}
}
