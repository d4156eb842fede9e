// Package memstore is the in-memory store: a hash map of the values and
// an ordered B-tree of their keys, behind a readers-writer lock. Writers
// run one at a time, which makes every transaction serializable; an undo
// log rolls a failed one back.
package memstore

import (
	"context"
	"strings"
	"sync"

	"github.com/google/btree"

	"github.com/orgd/orgd/internal/store"
)

func less(a, b string) bool { return a < b }

// Store is an in-memory store.Store.
type Store struct {
	mu sync.RWMutex
	// vals serves Get and keys the order Scan walks: a request reads
	// several keys, and a B-tree descent of string comparisons per Get
	// cost a fifth of a read's CPU.
	vals map[string][]byte
	keys *btree.BTreeG[string]
	// view is the transaction every View shares: a read-only one has no
	// state of its own.
	view *tx
}

// New returns an empty store.
func New() *Store {
	s := &Store{vals: make(map[string][]byte), keys: btree.NewG(32, less)}
	s.view = &tx{s: s}
	return s
}

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.view)
}

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{s: s, writable: true}
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
	return len(s.vals)
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
	v, ok := t.s.vals[key]
	return v, ok, nil
}

// set and unset change the values and the keys together.
func (s *Store) set(key string, val []byte) (old []byte, existed bool) {
	old, existed = s.vals[key]
	// Both replace the key too, so that they keep the same string.
	s.keys.ReplaceOrInsert(key)
	s.vals[key] = val
	return old, existed
}

func (s *Store) unset(key string) (old []byte, existed bool) {
	old, existed = s.vals[key]
	if existed {
		s.keys.Delete(key)
		delete(s.vals, key)
	}
	return old, existed
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	v := make([]byte, len(val))
	copy(v, val)
	old, existed := t.s.set(key, v)
	t.undo = append(t.undo, undo{key: key, old: old, existed: existed})
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	old, existed := t.s.unset(key)
	if existed {
		t.undo = append(t.undo, undo{key: key, old: old, existed: true})
	}
	return nil
}

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
	start := prefix
	if after != "" && after >= start {
		start = after + "\x00" // the least key above after: after is exclusive
	}
	t.s.keys.AscendGreaterOrEqual(start, func(k string) bool {
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		return fn(k, t.s.vals[k])
	})
	return nil
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		if u.existed {
			t.s.set(u.key, u.old)
		} else {
			t.s.unset(u.key)
		}
	}
	t.undo = nil
}
