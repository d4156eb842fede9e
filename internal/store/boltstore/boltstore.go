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
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orgd/orgd/internal/store"
)

// bucket holds every key; store.Store has one flat key space.
var bucket = []byte("kv")

// Store is a store.Store in one bbolt file.
type Store struct {
	db *bolt.DB
}

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
	return &Store{db: db}, nil
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

// Update runs fn once: bbolt's single writer never conflicts.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(btx *bolt.Tx) error {
		return fn(&tx{b: btx.Bucket(bucket), writable: true})
	})
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
