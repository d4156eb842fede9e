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
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	// failed is set when a write panicked: bbolt's memory of the file
	// may then be wrong, and its rollback may not have released the
	// writer's lock, so no more writes are tried.
	failed atomic.Pointer[error]
}

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
	// that is what makes an acknowledged Update durable.
	db, err := openDB(path, &bolt.Options{Timeout: time.Second})
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
	return &Store{db: db}, nil
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
			return fn(&tx{b: btx.Bucket(bucket)})
		})
	}))
}

// Update runs fn once: bbolt's single writer never conflicts. A panic
// rolls the transaction back (bbolt's own deferred rollback) and is
// returned as an error.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.failed.Load(); err != nil {
		return *err
	}
	err := safely(s.db.Path(), func() error {
		return s.db.Update(func(btx *bolt.Tx) error {
			return fn(&tx{b: btx.Bucket(bucket), writable: true})
		})
	})
	var pe *panicError
	if errors.As(err, &pe) {
		failed := fmt.Errorf("boltstore: %s: an earlier write failed reading a damaged page; no more writes until orgd restarts on a sound file (orgd check-store %s): %w", s.db.Path(), s.db.Path(), err)
		s.failed.Store(&failed)
	}
	return logPanic(err)
}

func (s *Store) Close() error { return s.db.Close() }

type tx struct {
	b        *bolt.Bucket
	writable bool
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
	if err := t.b.Put([]byte(key), v); err != nil {
		return fmt.Errorf("boltstore: put %q: %w", key, err)
	}
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	if err := t.b.Delete([]byte(key)); err != nil {
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
