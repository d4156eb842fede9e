// Package pgstore keeps orgd's state in PostgreSQL, so that several orgd
// servers can share one organization.
//
// All state is one table, kv(key bytea primary key, value bytea), holding
// store.Store's key space; bytea makes its order bytewise whatever the
// database's collation. Update runs in a SERIALIZABLE transaction and is
// retried when PostgreSQL reports a serialization failure or a deadlock, so
// concurrent Updates from any number of servers behave as if run one at a
// time. View runs in a read-only REPEATABLE READ transaction: one snapshot of
// committed data, which never blocks or aborts.
//
// The schema ships in the binary (migrations/*.sql) and Open applies what is
// missing. It uses only what PostgreSQL-compatible distributed engines also
// have: CREATE TABLE IF NOT EXISTS, a schema_version table and transactions,
// with no advisory locks, LISTEN/NOTIFY or sequences. Servers that start at
// once race harmlessly: the loser's transaction fails and it retries.
//
// The URL is pgx's: postgres://user:pass@host:port/db?sslmode=...; any other
// parameter, such as search_path=orgd, is sent to the server as a setting,
// and pool_max_conns sizes the connection pool.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgd/orgd/internal/store"
)

// Retry bounds for Update: enough to ride out a burst of contention on one
// key, yet an Update that keeps losing fails within a few seconds rather
// than hang its request.
const (
	maxAttempts = 30
	backoffBase = 2 * time.Millisecond
	backoffCap  = 250 * time.Millisecond
)

// Scan reads in pages that grow from firstBatch to maxBatch rows: most scans
// in orgd read one page of a listing and stop, while a long scan should not
// pay a round trip per few rows nor hold a whole prefix in memory.
const (
	firstBatch = 32
	maxBatch   = 512
)

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url, checks that it is reachable and
// brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password and all.
		return nil, errors.New("pgstore: invalid PostgreSQL URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	defer rollback(ctx, ptx)
	t := &tx{ctx: ctx, tx: ptx}
	if err := fn(t); err != nil {
		return err
	}
	return t.err
}

// Update runs fn in a serializable transaction, running it again when the
// transaction loses a conflict with another one.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		retry, err := s.update(ctx, fn)
		if !retry {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("pgstore: gave up after %d conflicting attempts: %w", attempt, err)
		}
		store.ConflictRetried()
		// Full jitter spreads the losers out so they stop colliding.
		d := min(backoffCap, backoffBase<<min(attempt-1, 20))
		timer := time.NewTimer(rand.N(d) + time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

func (s *Store) update(ctx context.Context, fn func(store.Tx) error) (retry bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return false, fmt.Errorf("pgstore: begin: %w", err)
	}
	t := &tx{ctx: ctx, tx: ptx, writable: true}
	ferr := fn(t)
	switch {
	case t.err != nil && conflict(t.err):
		// Whatever fn made of the failed statement, the transaction lost a
		// conflict and a rerun may succeed.
		rollback(ctx, ptx)
		return true, t.err
	case ferr != nil:
		rollback(ctx, ptx)
		return false, ferr
	case t.err != nil:
		// fn ignored a failed statement; PostgreSQL aborted the
		// transaction, so committing would silently drop its writes.
		rollback(ctx, ptx)
		return false, t.err
	}
	if err := ptx.Commit(ctx); err != nil {
		return conflict(err), fmt.Errorf("pgstore: commit: %w", err)
	}
	return false, nil
}

// rollback ends a transaction even when ctx is done, so the connection goes
// back to the pool clean instead of being closed.
func rollback(ctx context.Context, ptx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = ptx.Rollback(ctx)
}

// conflict reports whether err is a serialization failure or a deadlock,
// after which the whole transaction may be retried.
func conflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

type tx struct {
	ctx      context.Context
	tx       pgx.Tx
	writable bool
	// err is the first failed statement's error. PostgreSQL refuses every
	// statement after it, and Update needs it to tell a lost conflict from
	// fn's own errors.
	err error
}

func (t *tx) fail(op string, err error) error {
	err = fmt.Errorf("pgstore: %s: %w", op, err)
	if t.err == nil {
		t.err = err
	}
	return err
}

func (t *tx) Get(key string) ([]byte, bool, error) {
	if t.err != nil {
		return nil, false, t.err
	}
	var v []byte
	err := t.tx.QueryRow(t.ctx, `SELECT value FROM kv WHERE key = $1`, []byte(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, t.fail("get", err)
	}
	return v, true, nil
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	if t.err != nil {
		return t.err
	}
	if val == nil {
		val = []byte{} // nil would be NULL
	}
	_, err := t.tx.Exec(t.ctx,
		`INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		[]byte(key), val)
	if err != nil {
		return t.fail("put", err)
	}
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	if t.err != nil {
		return t.err
	}
	if _, err := t.tx.Exec(t.ctx, `DELETE FROM kv WHERE key = $1`, []byte(key)); err != nil {
		return t.fail("delete", err)
	}
	return nil
}

// scanSQL is indexed by [lower bound inclusive][upper bound present]. Range
// bounds rather than LIKE keep the primary key index in use and make % and _
// in keys plain bytes.
var scanSQL = [2][2]string{
	{
		`SELECT key, value FROM kv WHERE key > $1 ORDER BY key LIMIT $2`,
		`SELECT key, value FROM kv WHERE key > $1 AND key < $3 ORDER BY key LIMIT $2`,
	},
	{
		`SELECT key, value FROM kv WHERE key >= $1 ORDER BY key LIMIT $2`,
		`SELECT key, value FROM kv WHERE key >= $1 AND key < $3 ORDER BY key LIMIT $2`,
	},
}

type row struct {
	key, val []byte
}

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
	if t.err != nil {
		return t.err
	}
	lo, inclusive := []byte(prefix), 1
	if after != "" && after >= prefix {
		lo, inclusive = []byte(after), 0
	}
	hi, bounded := prefixEnd(prefix)
	batch := firstBatch
	for {
		args := []any{lo, batch}
		b := 0
		if bounded {
			args, b = append(args, hi), 1
		}
		// A page is read whole before fn sees it: the connection can run
		// only one statement at a time, and fn may Get.
		rows, err := t.tx.Query(t.ctx, scanSQL[inclusive][b], args...)
		if err != nil {
			return t.fail("scan", err)
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.key, &x.val)
			return x, err
		})
		if err != nil {
			return t.fail("scan", err)
		}
		for _, r := range page {
			if !fn(string(r.key), r.val) {
				return nil
			}
		}
		if len(page) < batch {
			return nil
		}
		lo, inclusive = page[len(page)-1].key, 0
		batch = min(batch*2, maxBatch)
	}
}

// prefixEnd returns the least key above every key that starts with prefix,
// or false when there is none (the prefix is empty or all 0xff bytes).
func prefixEnd(prefix string) ([]byte, bool) {
	end := []byte(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1], true
		}
	}
	return nil, false
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their names are
// NNNN_what.sql, numbered from 1 without gaps.
func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, e := range entries { // ReadDir sorts by name
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("pgstore: migration %s is out of sequence", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	return ms, nil
}

// SchemaVersion is the schema version this build creates and expects.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate applies the migrations the database lacks. Servers starting at
// once may collide on the catalog or on schema_version's primary key; the
// loser rolls back and tries again, and then finds the work done.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := migrateOnce(ctx, pool, ms)
		if err == nil || attempt == 10 || !migrationRace(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * rand.N(50*time.Millisecond)):
		}
	}
}

func migrationRace(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "40001", "40P01", // serialization failure, deadlock
		"23505", // unique violation: the same version, or a catalog row
		"42P07", // duplicate table
		"42710": // duplicate object: the table's row type
		return true
	}
	return false
}

func migrateOnce(ctx context.Context, pool *pgxpool.Pool, ms []migration) error {
	_, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`)
	if err != nil {
		return fmt.Errorf("pgstore: create schema_version: %w", err)
	}
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(ptx pgx.Tx) error {
		var current int
		if err := ptx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("pgstore: read schema_version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("pgstore: the database has schema version %d, newer than this orgd's %d: upgrade orgd", current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := ptx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("pgstore: migration %s: %w", m.name, err)
			}
			if _, err := ptx.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("pgstore: record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}
