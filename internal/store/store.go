// Package store defines the transactional key-value boundary that orgd's
// domain logic runs on. Keys are strings ordered bytewise; values are opaque
// bytes. Every backend (memory, embedded, PostgreSQL) gives serializable
// transactions over this interface, so the domain never knows which one it
// runs on.
//
// Keys are non-empty and may hold any bytes; every backend accepts keys up
// to MaxKeyLen bytes (the embedded and PostgreSQL stores index them, which
// bounds their size). Package storetest checks a backend against all of
// this.
package store

import (
	"context"
	"errors"
)

// Store runs transactions.
type Store interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns an error the
	// transaction is rolled back and the error returned unchanged. A backend
	// may run fn more than once when transactions conflict, so fn must not
	// have effects outside the transaction.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is a transaction.
type Tx interface {
	// Get returns the value of key, or ok=false when it is absent. The value
	// stays valid after the transaction ends but must not be modified: a
	// backend may share it.
	Get(key string) (val []byte, ok bool, err error)
	// Put sets key to val. It copies val, so the caller may reuse it. It
	// fails with ErrReadOnly in a View.
	Put(key string, val []byte) error
	// Delete removes key; removing an absent key is not an error.
	Delete(key string) error
	// Scan calls fn for each key that starts with prefix and sorts after
	// after ("" for the first), in key order, until fn returns false.
	// The slices passed to fn are valid only during the call. fn may read
	// through the same Tx but must not write through it: collect keys and
	// write after Scan returns.
	Scan(prefix, after string, fn func(key string, val []byte) bool) error
}

// MaxKeyLen is the longest key every backend accepts.
const MaxKeyLen = 1024

// ErrReadOnly is returned by writes in a View.
var ErrReadOnly = errors.New("store: write in a read-only transaction")

// ErrConflict is returned by an Update that kept losing conflicts with
// concurrent Updates for longer than its backend is willing to wait. Nothing
// of it was committed; the caller may try again later.
var ErrConflict = errors.New("store: the transaction kept conflicting with concurrent ones")

// Hint tells a backend what a transaction is about, so that it can prepare.
// A hint never changes what a transaction reads or writes, nor whether it
// succeeds: a wrong or stale hint only costs speed. Backends that have no
// use for one ignore it, and callers need not build one for them
// (UsesHints).
type Hint struct {
	// Scope names the part of the state an Update is about, such as one
	// organization. A backend may run Updates of one scope one at a time,
	// queueing them rather than letting them conflict.
	Scope string
	// Keys are keys the transaction will likely Get, and Prefixes the
	// prefixes it will likely Scan from their start; a backend may read
	// them all at once, up front.
	Keys, Prefixes []string
}

type hintKey struct{}

// WithHint returns a context whose transactions carry h.
func WithHint(ctx context.Context, h Hint) context.Context {
	return context.WithValue(ctx, hintKey{}, h)
}

// HintFrom returns the hint that ctx carries, or the zero Hint.
func HintFrom(ctx context.Context) Hint {
	h, _ := ctx.Value(hintKey{}).(Hint)
	return h
}

// HintUser is implemented by a backend that makes use of hints, and by a
// wrapper of a Store, which asks what it wraps.
type HintUser interface {
	UsesHints() bool
}

// UsesHints reports whether st makes use of hints. Building one costs a
// request several allocations, worth it only for a backend that reads it.
func UsesHints(st Store) bool {
	u, ok := st.(HintUser)
	return ok && u.UsesHints()
}

// Versioned is implemented by a backend that numbers the states it
// commits, every commit in one process, so that a caller can tell cheaply
// whether what it read is still what a read would find (package memo
// keeps answers for as long as that holds). Backends that several
// servers share (PostgreSQL) cannot know of the others' commits without
// asking, and do not implement it; a wrapper of a Store asks what it
// wraps.
type Versioned interface {
	// Version returns the number of the state a View begun now would
	// read. ok is false when the backend cannot tell, as while a commit is
	// under way: the caller must then assume the state changed.
	Version() (v uint64, ok bool)
}

// Version returns st's Version, or ok=false when st numbers no states.
func Version(st Store) (v uint64, ok bool) {
	if vs, isV := st.(Versioned); isV {
		return vs.Version()
	}
	return 0, false
}

// TxVersion returns the number of the state tx reads: the same number as
// Version gave, or would have given, just before tx began, when no commit
// came between. ok is false when tx's backend numbers no states, and for
// a read-write transaction.
func TxVersion(tx Tx) (v uint64, ok bool) {
	if vt, isV := tx.(Versioned); isV {
		return vt.Version()
	}
	return 0, false
}
