// Package memstore is the in-memory store: an ordered B-tree behind a
// readers-writer lock, whose entries' bytes are packed in an arena of
// pointer-free chunks (arena.go). Writers run one at a time, which makes
// every transaction serializable; an undo log rolls a failed one back.
package memstore

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/orgd/orgd/internal/store"
)

// item is one entry of the tree: where its key and value are in the
// arena (arena.go), their lengths, and four bytes of the key. It holds no
// pointer, so neither do the tree's item slices, and the garbage
// collector has nothing to trace in them: at 100,000 accounts the tree
// holds about 800,000 entries, and when each was an allocation of its
// own, marking them was most of a collection's work.
type item struct {
	c   uint32 // the arena chunk that holds the entry
	off uint32 // where its key starts in the chunk
	// n is the key's length, 12 bits, then the value's, 20; or, for the
	// rare entry too long for those, bigEntry, and both lengths are in
	// the 8 bytes before the key.
	n uint32
	// inl is four bytes of the key, at the offset of the node that holds
	// the item (btree.go), which settle most comparisons in a search
	// without reading the key itself, most often not in cache.
	inl uint32
}

const (
	bigEntry  = ^uint32(0)
	smallKey  = 1<<12 - 1 // what bigEntry's key length would be
	smallVal  = 1 << 20
	valLenBit = 20
)

// Store is an in-memory store.Store.
type Store struct {
	mu   sync.RWMutex
	tree btree
	// w is the writers' transaction, its undo log's memory reused from
	// one to the next: they run one at a time, under mu.
	w tx
	// r is every View's transaction: a read-only tx holds no state of
	// its own, so readers share it rather than allocate one each.
	r tx
	// version counts the Updates that changed something (store.Versioned).
	// It moves under mu held for writing, so no View sees the tree and
	// version disagree, and before the new state can be read.
	version atomic.Uint64
}

// New returns an empty store.
func New() *Store {
	s := &Store{}
	s.w = tx{s: s, writable: true}
	s.r = tx{s: s}
	return s
}

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(&s.r)
}

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.w
	returned := false
	defer func() {
		if !returned {
			t.rollback() // fn panicked: nothing of it stays
		}
		t.forget()
	}()
	err := fn(t)
	returned = true
	if err != nil {
		t.rollback()
	} else if len(t.undo) > 0 {
		s.version.Add(1)
	}
	s.tree.compact()
	return err
}

// Version numbers the store's states: readers wait for a writer, so
// the number is always that of the state a View would read.
func (s *Store) Version() (uint64, bool) { return s.version.Load(), true }

func (s *Store) Close() error { return nil }

// Len returns the number of keys, for tests and benchmarks.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tree.len
}

// undo is how to take back one write: put old back, or delete key when
// there was no old.
type undo struct {
	key     string
	old     item
	existed bool
}

type tx struct {
	s        *Store
	writable bool
	undo     []undo
}

// Version is the number of the state a View reads; a writer's own
// state has none yet.
func (t *tx) Version() (uint64, bool) {
	if t.writable {
		return 0, false
	}
	return t.s.version.Load(), true
}

func (t *tx) Get(key string) ([]byte, bool, error) {
	it, ok := t.s.tree.get(key)
	if !ok {
		return nil, false, nil
	}
	return t.s.tree.a.val(it), true, nil
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	old, existed := t.s.tree.put(key, val)
	t.undo = append(t.undo, undo{key: key, old: old, existed: existed})
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	old, existed := t.s.tree.delete(key)
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
	a := &t.s.tree.a
	t.s.tree.ascend(start, func(it item) bool {
		k := a.key(it)
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		return fn(k, a.val(it))
	})
	return nil
}

// forget empties the undo log at the end of an Update, dropping the keys
// it holds, and the log itself after an Update of many writes.
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
			t.s.tree.restore(u.old)
		} else {
			t.s.tree.delete(u.key)
		}
	}
}
