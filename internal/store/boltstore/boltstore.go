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
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
}

// write is one queued Update: its function and what became of it.
type write struct {
	fn       func(store.Tx) error
	err      error
	panicked any // what fn panicked with, raised again in Update's caller
	done     chan struct{}
}

// maxBatch bounds the Updates one commit holds.
const maxBatch = 256

// Open opens or creates the database file at path, creating its directory.
// It fails after a second rather than hang when another process holds the
// file.
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
	// that is what makes an acknowledged Update durable.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("boltstore: %s is in use by another process", path)
		}
		if errors.As(err, new(*fs.PathError)) {
			return nil, fmt.Errorf("boltstore: %w", err) // it names the path already
		}
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: init %s: %w", path, err)
	}
	s := &Store{db: db, writes: make(chan *write, maxBatch), committed: make(chan struct{})}
	go s.commit()
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.db.Path() }

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&tx{b: btx.Bucket(bucket)})
	})
}

// Update runs fn once, in the next group commit: bbolt's single writer
// never conflicts.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
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
	return w.err
}

// commit runs the queued Updates, as many at once as have queued.
func (s *Store) commit() {
	defer close(s.committed)
	batch := make([]*write, 0, maxBatch)
	for w := range s.writes {
		batch = append(batch[:0], w)
	more:
		for len(batch) < maxBatch {
			select {
			case w, ok := <-s.writes:
				if !ok {
					break more
				}
				batch = append(batch, w)
			default:
				break more
			}
		}
		s.run(batch)
	}
}

// errNothing rolls back a bbolt transaction in which every Update failed.
var errNothing = errors.New("boltstore: no update in the batch succeeded")

// run runs batch in one bbolt transaction and tells each write its fate.
func (s *Store) run(batch []*write) {
	err := s.db.Update(func(btx *bolt.Tx) error {
		t := &tx{b: btx.Bucket(bucket), writable: true}
		ok := 0
		for _, w := range batch {
			t.undo = t.undo[:0]
			w.err, w.panicked = call(w.fn, t)
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
	for _, w := range batch {
		if err != nil && err != errNothing && w.err == nil && w.panicked == nil {
			w.err = err // the commit failed: nothing of the batch is stored
		}
		close(w.done)
	}
}

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
	// undo holds what the running Update overwrote, to take it back
	// alone when it fails.
	undo []undo
}

type undo struct {
	key, old []byte // old is nil when key was absent
}

// remember records key's value before a write changes it.
func (t *tx) remember(key []byte) {
	var old []byte
	if v := t.b.Get(key); v != nil {
		old = append(make([]byte, 0, len(v)), v...)
	}
	t.undo = append(t.undo, undo{key: key, old: old})
}

// rollback takes back the running Update's writes, newest first.
func (t *tx) rollback() error {
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

func (t *tx) Get(key string) ([]byte, bool, error) {
	v := t.b.Get([]byte(key))
	if v == nil {
		return nil, false, nil
	}
	// v points into the memory map, which is gone after the transaction.
	return append(make([]byte, 0, len(v)), v...), true, nil
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	// bbolt keeps val until commit, and a nil val would read back as absent
	// inside this transaction, so store a non-nil copy.
	v := make([]byte, len(val))
	copy(v, val)
	k := []byte(key)
	t.remember(k)
	if err := t.b.Put(k, v); err != nil {
		return fmt.Errorf("boltstore: put %q: %w", key, err)
	}
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	k := []byte(key)
	t.remember(k)
	if err := t.b.Delete(k); err != nil {
		return fmt.Errorf("boltstore: delete %q: %w", key, err)
	}
	return nil
}

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
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
		if !fn(key, v) {
			break
		}
	}
	return nil
}
