// Package memo keeps the encoded answers of reads for as long as the
// state they were read from is current, so that the same read by the same
// caller is answered again without running it: no transaction, no
// decoding of the request or of records, no encoding.
//
// Whoever runs a read says what its answer depended on by filling the
// Stamp that the request's context carries (NewContext): the number of
// the store state each transaction read (store.Versioned), the time
// until which the answer holds, or that it cannot be kept at all because
// it looked at the clock, wrote, or read a state without a number. An
// answer is kept only when its stamp is whole, and given again only to a
// request of the same operation, the same caller (every field of
// identity.Caller) and the same body bytes, while the store's state
// still has the number the answer was read at. Anything unknown means
// the answer is not kept: a miss costs a run, never a stale answer.
package memo

import (
	"bytes"
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/identity"
)

// Stamp collects what a request's answer depended on. The zero Stamp has
// seen no read, and an answer stamped so is not kept. Its methods may be
// called on a nil *Stamp, which ignores them, so that code that reads
// needs no check of whether a memo listens.
type Stamp struct {
	version uint64
	until   time.Time
	read    bool
	spoiled bool
}

// Read notes a transaction that read the store state numbered v: when ok
// is false the state had no number, or the transaction's answer cannot
// be kept. A non-zero until is when the answer stops holding even though
// the state does not change, in the clock the Memo was made with.
func (s *Stamp) Read(v uint64, ok bool, until time.Time) {
	if s == nil {
		return
	}
	if !ok || s.read && s.version != v {
		s.spoiled = true
	}
	s.version, s.read = v, true
	if !until.IsZero() && (s.until.IsZero() || until.Before(s.until)) {
		s.until = until
	}
}

// Spoil marks the answer as one that must not be kept: it wrote, or
// depended on something no number tells.
func (s *Stamp) Spoil() {
	if s != nil {
		s.spoiled = true
	}
}

// Keepable reports whether an answer so stamped may be kept.
func (s *Stamp) Keepable() bool { return s != nil && s.read && !s.spoiled }

type stampKey struct{}

// NewContext returns ctx carrying s, for the reads under it to fill.
func NewContext(ctx context.Context, s *Stamp) context.Context {
	return context.WithValue(ctx, stampKey{}, s)
}

// FromContext returns the Stamp ctx carries, or nil.
func FromContext(ctx context.Context) *Stamp {
	s, _ := ctx.Value(stampKey{}).(*Stamp)
	return s
}

// Key is whose answer to what an answer is, besides the request's body.
type Key struct {
	Op     string
	Caller identity.Caller
}

// Memo keeps answers. It is safe for concurrent use.
type Memo struct {
	version func() (uint64, bool)
	now     func() time.Time
	seed    maphash.Seed
	shards  [shards]shard
}

const (
	shards = 16
	// shardBytes bounds what a shard keeps (answers, bodies and keys),
	// so that the memo holds at most shards*shardBytes, 2 MiB: some 400
	// pages of 20 accounts. A walk of every page of 100,000 accounts
	// fills it, which at that size is 0.02 KB of RSS an account.
	shardBytes = 128 << 10
	// MaxAnswer is the largest answer kept: a page of 20 accounts is
	// about 5 KB.
	MaxAnswer = 64 << 10
)

type shard struct {
	mu    sync.RWMutex
	m     map[uint64]*entry
	bytes int
}

type entry struct {
	key     Key
	body    []byte
	answer  []byte
	version uint64
	until   time.Time
}

func (e *entry) size() int {
	return len(e.body) + len(e.answer) + len(e.key.Op) + len(e.key.Caller.AccountID) +
		len(e.key.Caller.AccessKeyID) + len(e.key.Caller.Principal) + len(e.key.Caller.Region) + 128
}

// New returns a Memo over a store whose current state's number version
// gives (store.Version); now is the clock of the stamps' until.
func New(version func() (uint64, bool), now func() time.Time) *Memo {
	return &Memo{version: version, now: now, seed: maphash.MakeSeed()}
}

func (m *Memo) hash(k *Key, body []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	h.WriteString(k.Op)
	h.WriteByte(0)
	h.WriteString(k.Caller.AccountID)
	h.WriteByte(0)
	h.WriteString(k.Caller.AccessKeyID)
	h.WriteByte(0)
	h.WriteString(k.Caller.Principal)
	h.WriteByte(0)
	h.WriteString(k.Caller.Region)
	h.WriteByte(0)
	h.Write(body)
	return h.Sum64()
}

// Get returns the answer kept for k and body, if it still holds. The
// answer is shared: the caller must not modify it.
func (m *Memo) Get(k Key, body []byte) ([]byte, bool) {
	v, ok := m.version()
	if !ok {
		return nil, false
	}
	h := m.hash(&k, body)
	sh := &m.shards[h%shards]
	sh.mu.RLock()
	e := sh.m[h]
	sh.mu.RUnlock()
	// The whole key is compared, not only its hash: a collision must
	// not hand one caller's answer to another.
	if e == nil || e.version != v || e.key != k || !bytes.Equal(e.body, body) {
		return nil, false
	}
	if !e.until.IsZero() && !m.now().Before(e.until) {
		return nil, false
	}
	return e.answer, true
}

// Put keeps answer, the encoded answer to k with body, if its stamp is
// keepable and the state it was read at is still current. It keeps
// answer itself, which the caller must not modify afterwards, and a
// copy of body.
func (m *Memo) Put(k Key, body, answer []byte, st *Stamp) {
	if !st.Keepable() || len(answer) > MaxAnswer {
		return
	}
	// A state already gone would only take the place of a useful entry.
	if v, ok := m.version(); !ok || v != st.version {
		return
	}
	e := &entry{key: k, body: bytes.Clone(body), answer: answer, version: st.version, until: st.until}
	h := m.hash(&k, body)
	sh := &m.shards[h%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = make(map[uint64]*entry)
	}
	if old := sh.m[h]; old != nil {
		sh.bytes -= old.size()
		delete(sh.m, h)
	}
	// Full: forget the answers of states gone first, then arbitrary
	// ones.
	for _, stale := range [2]bool{true, false} {
		for hh, old := range sh.m {
			if sh.bytes+e.size() <= shardBytes {
				break
			}
			if !stale || old.version != e.version {
				sh.bytes -= old.size()
				delete(sh.m, hh)
			}
		}
	}
	sh.m[h] = e
	sh.bytes += e.size()
}
