package boltstore

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// DamagedError is a database file that fails its consistency check.
type DamagedError struct {
	Path     string
	Problems []string // the first few, as bbolt words them
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("boltstore: %s is damaged (%s); orgd will not serve it: "+
		"restore the file from a backup, or start on a new file and load a saved export with orgd import; "+
		"orgd check-store %s lists every problem", e.Path, strings.Join(e.Problems, "; "), e.Path)
}

// maxProblems bounds the problems a DamagedError carries: one bad page
// can make thousands.
const maxProblems = 5

// check checks the consistency of db and returns a *DamagedError, or nil.
// It reports at most max problems; max <= 0 means all of them.
//
// bbolt's Tx.Check walks every page, but in a goroutine of its own, where
// a page bad enough to panic bbolt would crash the process. So the tree
// is first walked here, where such a panic is recovered: Bucket.Stats
// reads every page of it and the cursor every key.
func check(db *bolt.DB, max int) error {
	damaged := &DamagedError{Path: db.Path()}
	add := func(p string) {
		if max <= 0 || len(damaged.Problems) < max {
			damaged.Problems = append(damaged.Problems, p)
		}
	}
	err := safely(db.Path(), func() error {
		return db.View(func(tx *bolt.Tx) error {
			for id := range 2 {
				if info, err := tx.Page(id); err != nil || info == nil || info.Type != "meta" {
					add(fmt.Sprintf("page %d: not a meta page", id))
				}
			}
			b := tx.Bucket(bucket)
			if b == nil {
				return nil // a new file; Open makes the bucket
			}
			b.Stats()
			var prev []byte
			c := b.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if prev != nil && string(k) <= string(prev) {
					add(fmt.Sprintf("key %q after %q: out of order", k, prev))
				}
				prev = append(prev[:0], k...)
			}
			return nil
		})
	})
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		add(fmt.Sprint("bbolt cannot read it: ", pe.value))
	case err != nil:
		add(err.Error())
	}
	if len(damaged.Problems) > 0 {
		return damaged
	}
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() { // drained whole: the walk must finish
			add(err.Error())
		}
		return nil
	})
	if err != nil {
		add(err.Error())
	}
	if len(damaged.Problems) > 0 {
		return damaged
	}
	return nil
}

// panicError is a panic that safely recovered.
type panicError struct {
	path  string
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("boltstore: %s: bbolt panicked reading the file: %v (orgd check-store %s checks it)", e.path, e.value, e.path)
}

// safely runs fn, turning a panic, or a fault reading the memory-mapped
// file, into a *panicError: bbolt panics on a page it cannot make sense
// of, and one damaged page must fail its request, not stop the server.
func safely(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{path: path, value: p, stack: debug.Stack()}
		}
	}()
	return fn()
}

// logPanic logs err at ERROR with its stack when it is a recovered panic.
func logPanic(err error) error {
	var pe *panicError
	if errors.As(err, &pe) {
		slog.Error("boltstore: panic in a transaction", "path", pe.path, "panic", pe.value, "stack", string(pe.stack))
	}
	return err
}
