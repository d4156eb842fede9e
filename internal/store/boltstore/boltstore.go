// Package boltstore is orgd's embedded durable store: one bbolt file on
// local disk, for a single server that must not lose what it acknowledged.
//
// Why bbolt (go.etcd.io/bbolt):
//
//   - Ordered keys. It is a B+tree keyed by bytes in bytewise order, which is
//     exactly store.Tx's order, so Scan is a cursor seek and a walk.
//   - Serializable transactions. One read-write transaction runs at a time
//     and readers see a consistent snapshot (MVCC), so Update is serializable
//     without retries and a View never sees half of an Update.
//   - Crash safety. Pages are copy-on-write and a commit ends by fsyncing the
//     data and then the meta page that points at the new root, so a crash at
//     any instant leaves either the old tree or the new one. An Update that
//     returned nil has been fsynced and survives SIGKILL or power loss.
//   - Pure Go. No cgo, so orgd stays one static binary that cross-compiles.
//
// The price is a single writer and a file lock: one process at a time owns
// the file. Several servers sharing state use pgstore instead.
//
// Group commit. An fsync costs far more than a transaction's work, so
// Updates that arrive while one commit is under way queue up and the next
// bbolt transaction runs all of them, one after the other, and fsyncs
// once. Each still sees the ones before it and no other, so they stay
// serializable; one that fails is undone alone, from an undo log, without
// touching the others; none returns before the commit that holds it has
// been fsynced.
//
// The functions run inside the commit's transaction, not in a pipeline
// beside the previous commit's fsync: writers that each wait for their
// answer before sending the next then split into two half-size batches
// that take turns, and a pipeline that was tried did fewer writes a
// second (16 writers over HTTP, CreateOrganizationalUnit: 6,800/s
// against 8,100-9,100/s).
package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orgd/orgd/internal/store"
)

// bucket holds every key; store.Store has one flat key space.
var bucket = []byte("kv")

// Store is a store.Store in one bbolt file.
type Store struct {
	db *bolt.DB
	// writes queues Updates for the committer goroutine; closeMu guards
	// sending on it against Close closing it.
	writes    chan *write
	closeMu   sync.RWMutex
	closed    bool
	committed chan struct{} // closed when the committer has stopped
	// failed is set when a write panicked: bbolt's memory of the file
	// may then be wrong, so no more writes are tried.
	failed atomic.Pointer[error]
	// commits counts the bbolt transactions run, for benchmarks to
	// report the Updates each commit held.
	commits atomic.Int64
	// Owned by the committer: the size of the last batch and linger's timer.
	lastBatch   int
	lingerTimer *time.Timer
	// txid is the bbolt transaction ID of the last commit, which numbers
	// the state Views read (store.Versioned); commitSeq is odd while a
	// commit is under way, when txid may be behind what a View sees.
	txid, commitSeq atomic.Uint64
}

// write is one queued Update: its function and what became of it.
type write struct {
	fn       func(store.Tx) error
	err      error
	panicked any // what fn itself panicked with, raised again in Update's caller
	done     chan struct{}
}

// maxBatch bounds the Updates one commit holds.
const maxBatch = 256

// Open opens or creates the database file at path, creating its directory,
// and checks the consistency of every page of an existing file: a damaged
// file is refused with a *DamagedError rather than served. It fails after
// a second rather than hang when another process holds the file.
func Open(path string) (*Store, error) {
	// Only the file's own directory is made: a mistyped path must not
	// become a tree of directories.
	dir := filepath.Dir(path)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("boltstore: cannot create %s: %s does not exist (orgd makes only the store file's own directory)", dir, filepath.Dir(dir))
		}
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	// bbolt's defaults fsync every commit (NoSync and NoGrowSync false);
	// that is what makes an acknowledged Update durable. orgd reads none
	// of bbolt's statistics, which every transaction would otherwise
	// update under a lock of the whole database.
	db, err := openDB(path, &bolt.Options{Timeout: time.Second, NoStatistics: true})
	if err != nil {
		return nil, err
	}
	if err := check(db, maxProblems); err != nil {
		db.Close()
		return nil, err
	}
	err = safely(path, func() error {
		return db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(bucket)
			return err
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	s := &Store{db: db, writes: make(chan *write, maxBatch), committed: make(chan struct{})}
	if err := db.View(func(btx *bolt.Tx) error { s.txid.Store(uint64(btx.ID())); return nil }); err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	go s.commit()
	return s, nil
}

// Check opens the database file at path read-only and checks every page
// of it, reporting every problem in a *DamagedError. It works beside no
// server: a running one holds the file.
func Check(path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("boltstore: %w", err)
	}
	db, err := openDB(path, &bolt.Options{Timeout: time.Second, ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return check(db, 0)
}

// openDB opens the bbolt file at path, turning bbolt's refusals and
// panics on a damaged file into errors that name it.
func openDB(path string, opts *bolt.Options) (*bolt.DB, error) {
	var db *bolt.DB
	var file *os.File
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	err := safely(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, opts)
		return err
	})
	var pe *panicError
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("boltstore: %s is in use by another process", path)
	case errors.As(err, &pe):
		// bbolt gave up half way with the file open, locked and mapped.
		// Closing it is all that can be done: the mapping, out of reach,
		// keeps the lock until the process exits, as orgd then does.
		if file != nil {
			file.Close()
		}
		return nil, &DamagedError{Path: path, Problems: []string{fmt.Sprint("bbolt cannot open it: ", pe.value)}}
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrChecksum), errors.Is(err, bolt.ErrVersionMismatch):
		return nil, &DamagedError{Path: path, Problems: []string{err.Error()}}
	case errors.As(err, new(*fs.PathError)):
		return nil, fmt.Errorf("boltstore: %w", err) // it names the path already
	case err != nil:
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return db, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return logPanic(safely(s.db.Path(), func() error {
		return s.db.View(func(btx *bolt.Tx) error {
			return fn(&tx{b: btx.Bucket(bucket), txid: uint64(btx.ID())})
		})
	}))
}

// Update runs fn once, in the next group commit: bbolt's single writer
// never conflicts. A panic rolls back the whole commit and is returned
// as an error.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.failed.Load(); err != nil {
		return *err
	}
	w := &write{fn: fn, done: make(chan struct{})}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return bolt.ErrDatabaseNotOpen
	}
	s.writes <- w
	s.closeMu.RUnlock()
	<-w.done
	if w.panicked != nil {
		panic(w.panicked)
	}
	return logPanic(w.err)
}

// commit runs the queued Updates, as many at once as have queued.
func (s *Store) commit() {
	defer close(s.committed)
	batch := make([]*write, 0, maxBatch)
	for w := range s.writes {
		s.run(append(batch[:0], w))
	}
}

// more appends to batch the Updates queued by now, up to maxBatch,
// without waiting for any.
func (s *Store) more(batch []*write) []*write {
	for len(batch) < maxBatch {
		select {
		case w, ok := <-s.writes:
			if !ok {
				return batch
			}
			batch = append(batch, w)
		default:
			return batch
		}
	}
	return batch
}

// lingerFor is how long a commit waits for one more Update before its
// fsync, while Updates keep coming and the batch is smaller than the last.
const lingerFor = 150 * time.Microsecond

// linger waits briefly for one more Update, appending it to batch, when
// the batch is smaller than the one before: writers answered by the last
// commit are on their way back, and each that misses this fsync waits
// for a whole other one. With one writer, or once the batch is as large
// as the last, it does not wait.
func (s *Store) linger(batch *[]*write) bool {
	if len(*batch) >= s.lastBatch || len(*batch) >= maxBatch {
		return false
	}
	if s.lingerTimer == nil {
		s.lingerTimer = time.NewTimer(lingerFor)
	} else {
		s.lingerTimer.Reset(lingerFor)
	}
	select {
	case w, ok := <-s.writes:
		s.lingerTimer.Stop()
		if !ok {
			return false
		}
		*batch = append(*batch, w)
		return true
	case <-s.lingerTimer.C:
		return false
	}
}

// errNothing rolls back a bbolt transaction in which every Update failed.
var errNothing = errors.New("boltstore: no update in the batch succeeded")

// run runs batch, and the Updates that queue while it runs, in one bbolt
// transaction, and tells each write its fate. A write that fails, or
// whose own code panics, is undone alone. A panic out of bbolt itself (a
// damaged page) rolls the whole commit back and stops further writes,
// since bbolt's view of the file may then be wrong.
//
// Taking in the Updates that arrive while the batch's functions run,
// not only those queued when it began, keeps the writers in one batch:
// otherwise those acknowledged by one commit come back while the next
// is fsyncing, and the writers settle into two half-size batches that
// take turns.
func (s *Store) run(batch []*write) {
	s.commits.Add(1)
	path := s.db.Path()
	s.commitSeq.Add(1)
	err := safely(path, func() error {
		return s.db.Update(func(btx *bolt.Tx) error {
			t := &tx{b: btx.Bucket(bucket), writable: true, path: path}
			ok := 0
			for i := 0; ; i++ {
				if i == len(batch) {
					if batch = s.more(batch); i == len(batch) && !s.linger(&batch) {
						break
					}
				}
				w := batch[i]
				t.undo = t.undo[:0]
				w.err, w.panicked = call(w.fn, t)
				if t.damage != nil {
					return t.damage
				}
				if w.err == nil && w.panicked == nil {
					ok++
					continue
				}
				if err := t.rollback(); err != nil {
					return err
				}
			}
			if ok == 0 {
				return errNothing
			}
			return nil
		})
	})
	var pe *panicError
	if errors.As(err, &pe) {
		failed := fmt.Errorf("boltstore: %s: an earlier write failed reading a damaged page; no more writes until orgd restarts on a sound file (orgd check-store %s): %w", path, path, err)
		s.failed.Store(&failed)
	}
	// The state's number is read back rather than taken from the
	// transaction, so that it is right whether or not a failed commit
	// reached the file. Unread, commitSeq stays odd: no state is numbered
	// again and every caller assumes a change.
	if s.db.View(func(btx *bolt.Tx) error { s.txid.Store(uint64(btx.ID())); return nil }) == nil {
		s.commitSeq.Add(1)
	}
	s.lastBatch = len(batch)
	for _, w := range batch {
		if pe != nil {
			w.err, w.panicked = err, nil // nothing of the batch is stored
		} else if err != nil && err != errNothing && w.err == nil && w.panicked == nil {
			w.err = err // the commit failed: nothing of the batch is stored
		}
		close(w.done)
	}
}

// Version is the ID of the last commit, the number of the state a View
// begun now reads; ok is false while a commit is under way, from before
// its transaction begins until its ID is stored. The committer is the
// only writer of the file (bbolt locks it), so no commit escapes it.
func (s *Store) Version() (uint64, bool) {
	seq := s.commitSeq.Load()
	if seq%2 == 1 {
		return 0, false
	}
	v := s.txid.Load()
	return v, s.commitSeq.Load() == seq
}

// Version is the number of the state a View reads; an Update's has none.
func (t *tx) Version() (uint64, bool) { return t.txid, !t.writable }

// call runs fn, catching a panic so that it reaches fn's caller rather
// than killing the committer.
func call(fn func(store.Tx) error, t *tx) (err error, panicked any) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return fn(t), nil
}

func (s *Store) Close() error {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.writes)
	}
	s.closeMu.Unlock()
	<-s.committed
	return s.db.Close()
}

type tx struct {
	b        *bolt.Bucket
	writable bool
	txid     uint64 // a View's: the commit whose state it reads
	// cur serves Get and the undo log's reads. bbolt's Bucket.Get makes a
	// cursor and grows its stack on every call, four allocations; one
	// cursor sought again reuses its stack. Scan keeps its own, since its
	// callback may Get.
	cur *bolt.Cursor
	// at is the key cur is at after the last get, nil when unknown: a
	// write moves what a cursor points into. seek is set once a step on
	// from it fell short: the keys read are not each the next.
	at   []byte
	seek bool
	// undo holds what the running Update overwrote, to take it back
	// alone when it fails.
	undo []undo
	// In a group commit: the file's path, and the panic bbolt itself
	// raised (a page it cannot read), told apart from one of the caller's
	// code, which Scan's callback runs (inCaller).
	path     string
	damage   *panicError
	inCaller bool
}

type undo struct {
	key, old []byte // old is nil when key was absent
}

// remember records key's value before a write changes it. The value is
// not copied: it lies in the memory map or in a value an earlier Put
// stored, and neither changes before the running Update ends, which is
// as long as the undo log is kept.
func (t *tx) remember(key []byte) {
	t.undo = append(t.undo, undo{key: key, old: t.get(key)})
}

// get is Bucket.Get through the transaction's one cursor: nil when key
// is absent. The bucket is flat, so no key holds a nested bucket.
//
// A key past the last one read, under the same parent, is first looked
// for a step or two on from it: a listing reads the records its index
// names in key order, most often each the very next key, and a step
// costs a tenth of a seek from the root. Once steps fall short of a key
// (the records listed lie among others'), the transaction only seeks.
func (t *tx) get(key []byte) []byte {
	if t.cur == nil {
		t.cur = t.b.Cursor()
	} else if !t.seek && t.at != nil && sameParent(t.at, key) && bytes.Compare(t.at, key) < 0 {
		for range walkSteps {
			k, v := t.cur.Next()
			c := 1
			if k != nil {
				c = bytes.Compare(k, key)
			}
			if c >= 0 {
				// Every key between the last and this one is below key.
				t.at = k
				if c > 0 {
					return nil
				}
				return v
			}
		}
		t.seek = true
	}
	k, v := t.cur.Seek(key)
	t.at = k
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// walkSteps bounds the steps get takes before it seeks.
const walkSteps = 2

// sameParent reports whether key has a slash and a is the same up to
// key's last one: acct/1… and acct/2…, not org/… and acct/2….
func sameParent(a, key []byte) bool {
	i := bytes.LastIndexByte(key, '/')
	return i >= 0 && len(a) > i && bytes.Equal(a[:i+1], key[:i+1])
}

// rollback takes back the running Update's writes, newest first.
func (t *tx) rollback() error {
	t.at = nil
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		var err error
		if u.old != nil {
			err = t.b.Put(u.key, u.old)
		} else {
			err = t.b.Delete(u.key)
		}
		if err != nil {
			return fmt.Errorf("boltstore: undo %q: %w", u.key, err)
		}
	}
	t.undo = t.undo[:0]
	return nil
}

// enter and leave, deferred as `defer t.leave(t.enter())` by each
// method, record a panic out of bbolt in a group commit, then let it go
// on. A callback of Scan is the caller's code again, even when it reads
// through t.
func (t *tx) enter() (wasInCaller bool) {
	wasInCaller = t.inCaller
	t.inCaller = false
	return wasInCaller
}

func (t *tx) leave(wasInCaller bool) {
	if p := recover(); p != nil {
		if t.path != "" && !t.inCaller && t.damage == nil {
			t.damage = &panicError{path: t.path, value: p, stack: debug.Stack()}
		}
		t.inCaller = wasInCaller
		panic(p)
	}
	t.inCaller = wasInCaller
}

func (t *tx) Get(key string) ([]byte, bool, error) {
	defer t.leave(t.enter())
	v := t.get([]byte(key))
	if v == nil {
		return nil, false, nil
	}
	// v points into the memory map, which is gone after the transaction.
	return append(make([]byte, 0, len(v)), v...), true, nil
}

func (t *tx) Put(key string, val []byte) error {
	defer t.leave(t.enter())
	if !t.writable {
		return store.ErrReadOnly
	}
	// bbolt keeps key and val until commit, and a nil val would read back
	// as absent inside this transaction, so store non-nil copies, made
	// in one allocation.
	kv := make([]byte, len(key)+len(val))
	copy(kv, key)
	copy(kv[len(key):], val)
	k, v := kv[:len(key):len(key)], kv[len(key):]
	t.remember(k)
	t.at = nil
	if err := t.b.Put(k, v); err != nil {
		return fmt.Errorf("boltstore: put %q: %w", key, err)
	}
	return nil
}

func (t *tx) Delete(key string) error {
	defer t.leave(t.enter())
	if !t.writable {
		return store.ErrReadOnly
	}
	k := []byte(key)
	t.remember(k)
	t.at = nil
	if err := t.b.Delete(k); err != nil {
		return fmt.Errorf("boltstore: delete %q: %w", key, err)
	}
	return nil
}

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
	defer t.leave(t.enter())
	start := prefix
	if after != "" && after >= start {
		start = after + "\x00" // the least key above after: after is exclusive
	}
	c := t.b.Cursor()
	for k, v := c.Seek([]byte(start)); k != nil; k, v = c.Next() {
		key := string(k)
		if !strings.HasPrefix(key, prefix) {
			break
		}
		t.inCaller = true
		more := fn(key, v)
		t.inCaller = false
		if !more {
			break
		}
	}
	return nil
}
