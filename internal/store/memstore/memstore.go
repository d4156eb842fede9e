// Package memstore is the in-memory store: an ordered B-tree behind a
// readers-writer lock. Writers run one at a time, which makes every
// transaction serializable; an undo log rolls a failed one back.
package memstore

import (
	"context"
	"strings"
	"sync"
	"unsafe"

	"github.com/orgd/orgd/internal/store"
)

// item is one key and its value, held in a single allocation (the key's
// bytes then the value's), so that an entry costs one allocation rather
// than two and a slot of the tree 16 bytes rather than 40: at 100,000
// accounts the tree holds about 800,000 entries. The bytes are never
// modified once stored, which is what lets Get hand out the value itself.
type item struct {
	p unsafe.Pointer // the first byte of the key
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

func newItem(key string, val []byte) item {
	if len(key) < smallKey && len(val) < smallVal {
		b := make([]byte, len(key)+len(val))
		copy(b, key)
		copy(b[len(key):], val)
		return item{p: unsafe.Pointer(unsafe.SliceData(b)), n: uint32(len(key))<<valLenBit | uint32(len(val))}
	}
	// The lengths then the key and value; p points inside the allocation,
	// which keeps all of it alive.
	b := make([]uint32, 2+(len(key)+len(val)+3)/4)
	b[0], b[1] = uint32(len(key)), uint32(len(val))
	kv := unsafe.Slice((*byte)(unsafe.Pointer(&b[2])), len(key)+len(val))
	copy(kv, key)
	copy(kv[len(key):], val)
	return item{p: unsafe.Pointer(&b[2]), n: bigEntry}
}

func (it item) lens() (k, v uint32) {
	if it.n != bigEntry {
		return it.n >> valLenBit, it.n & (smallVal - 1)
	}
	h := (*[2]uint32)(unsafe.Add(it.p, -8))
	return h[0], h[1]
}

func (it item) key() string {
	k, _ := it.lens()
	return unsafe.String((*byte)(it.p), k)
}

// emptyVal is every empty value: a value past the end of its key would
// point past the end of the allocation, which the garbage collector forbids.
var emptyVal = []byte{}

func (it item) val() []byte {
	k, v := it.lens()
	if v == 0 {
		return emptyVal
	}
	return unsafe.Slice((*byte)(unsafe.Add(it.p, k)), v)
}

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

func (t *tx) Get(key string) ([]byte, bool, error) {
	it, ok := t.s.tree.get(key)
	if !ok {
		return nil, false, nil
	}
	return it.val(), true, nil
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	it := newItem(key, val)
	old, existed := t.s.tree.replaceOrInsert(it)
	t.undo = append(t.undo, undo{key: it.key(), old: old, existed: existed})
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	old, existed := t.s.tree.delete(key)
	if existed {
		t.undo = append(t.undo, undo{key: old.key(), old: old, existed: true})
	}
	return nil
}

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
	start := prefix
	if after != "" && after >= start {
		start = after + "\x00" // the least key above after: after is exclusive
	}
	t.s.tree.ascend(start, func(it item) bool {
		k := it.key()
		if !strings.HasPrefix(k, prefix) {
			return false
		}
		return fn(k, it.val())
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
			t.s.tree.replaceOrInsert(u.old)
		} else {
			t.s.tree.delete(u.key)
		}
	}
}
