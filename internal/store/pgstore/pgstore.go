// Package pgstore keeps orgd's state in PostgreSQL, so that several orgd
// servers can share one organization.
//
// All state is one table, kv(key bytea primary key, value bytea), holding
// store.Store's key space; bytea makes its order bytewise whatever the
// database's collation. Update runs in a SERIALIZABLE transaction and is
// retried when PostgreSQL reports a serialization failure or a deadlock, so
// concurrent Updates from any number of servers behave as if run one at a
// time; one that keeps losing, or waiting for its turn, for longer than
// maxWait fails with store.ErrConflict. A COMMIT once sent is waited for
// (up to commitTimeout) whatever that deadline: cut off, its outcome would
// be unknown, and a write made could be answered as a conflict. View runs in a read-only REPEATABLE READ transaction:
// one snapshot of committed data, which never blocks or aborts.
//
// Round trips are what a transaction costs, so a transaction makes few.
// BEGIN goes out with its first read, together with the keys and prefixes
// of its store.Hint in one SELECT; what it has read it keeps (a snapshot
// does not change), and its writes wait in memory, read back from there,
// until one pipeline sends them with COMMIT. A View's COMMIT, which can
// change nothing, is not waited for: its connection is parked, at most
// maxParked, and the COMMIT goes ahead of the connection's next statement.
// A point read is then one round trip.
//
// Updates with a hint's Scope (orgd's domain gives an organization's) queue
// instead of conflicting. On each server a scope's queued Updates run in
// batches, one after another: a batch is one transaction in which each
// Update's fn runs in turn, seeing the writes of those before it (one that
// fails has its writes undone and gets its error), so that a BEGIN, the
// records they all read and a COMMIT are paid once for up to batchSize of
// them; none is answered before the batch commits. Across servers, while
// a scope is contended (its batches lost a conflict, or found its row held,
// within contendedFor), the server whose turn it is holds the scope's row
// of scope_lock FOR UPDATE, in a transaction of its own on a second
// connection pool, for at most burst batches in a row. A batch's
// transaction begins only once the row is held, so its snapshot already has
// every earlier holder's commits and it does not conflict with them. The lock is only a queue: correctness still rests
// on SERIALIZABLE, so Updates without a scope, or with a wrong one, are
// right, merely retried when they collide.
//
// The design depends on these PostgreSQL behaviours: SERIALIZABLE is true
// serializability (SSI), failing a loser with SQLSTATE 40001 or 40P01; a
// REPEATABLE READ or SERIALIZABLE transaction takes its snapshot at its
// first statement, not at BEGIN; SELECT ... FOR UPDATE in a READ COMMITTED
// transaction waits for the holder and then locks the row, waiting at most
// lock_timeout (set_config, SQLSTATE 55P03 past it; the same transaction
// sets synchronous_commit off, since its COMMIT keeps nothing and need not
// wait for the WAL), while SKIP LOCKED
// passes a held row by instead of waiting, and locks end with
// their transaction or connection; an extended-protocol pipeline may hold
// BEGIN, statements and COMMIT, the first error skipping the rest; and
// INSERT ... ON CONFLICT upserts. For speed only: SSI's predicate locks on
// a btree index are per page, so an index entry written into a page that
// another transaction read is a conflict; kv's fillfactor leaves room for
// HOT updates, which write no index entry. A transaction that reads more
// than max_pred_locks_per_page rows of one heap page (2 by default) locks
// the whole page, so that organizations created together, whose records
// share a page, conflict when each updates its own; raising it (a reload,
// no restart) removes those conflicts, though under orgd's load most
// conflicts between organizations are on index pages that their key
// ranges share where they meet. A sequential scan locks the
// whole table, against every insert, and the planner picks one while kv
// is small, so sessions turn sequential and bitmap scans off
// (enable_seqscan, enable_bitmapscan; an engine without them is left to
// its own planning). Scanning takes int4 and bytea results in their binary
// forms as they come.
//
// The schema ships in the binary (migrations/*.sql) and Open applies what
// is missing. It uses only what PostgreSQL-compatible distributed engines
// also have: CREATE TABLE IF NOT EXISTS, ALTER TABLE ... SET (fillfactor),
// a schema_version table, transactions and SELECT ... FOR UPDATE, with no
// advisory locks, LISTEN/NOTIFY or sequences. Servers that start at once
// race harmlessly: the loser's transaction fails and it retries.
//
// The URL is pgx's: postgres://user:pass@host:port/db?sslmode=...; any other
// parameter, such as search_path=orgd, is sent to the server as a setting,
// and pool_max_conns sizes each of the two connection pools (by default
// the larger of 8 and twice the CPUs).
package pgstore

import (
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgd/orgd/internal/store"
)

// Bounds for Update: an Update that keeps losing conflicts, or waits for
// its scope's turn, fails with store.ErrConflict after maxWait rather than
// hang its request for seconds.
const (
	maxWait     = 2 * time.Second
	backoffBase = 1 * time.Millisecond
	backoffCap  = 50 * time.Millisecond
)

// Scan reads in pages that grow from firstBatch to maxBatch rows: most scans
// in orgd read one page of a listing and stop, while a long scan should not
// pay a round trip per few rows nor hold a whole prefix in memory. A hint's
// prefixes are read one firstBatch page each.
const (
	firstBatch = 32
	maxBatch   = 512
)

const (
	beginUpdate = `BEGIN ISOLATION LEVEL SERIALIZABLE`
	beginView   = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
)

// Store is a store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// lockPool holds the transactions that hold scope locks, apart from
	// pool so that lock holders waiting for a connection can never starve
	// the Updates they wait for.
	lockPool *pgxpool.Pool

	mu        sync.Mutex
	scopes    map[string]*scope    // the scopes with Updates queued or running
	known     map[string]bool      // scopes whose scope_lock row exists
	contended map[string]time.Time // when each scope last saw another server's writes collide with its own

	// parked are connections whose View has ended in all but its COMMIT,
	// which goes out ahead of the connection's next statement: a point
	// read costs one round trip. None stays longer than maxParked, so that
	// no snapshot holds back vacuum for long.
	parkMu   sync.Mutex
	parked   []parkedConn // the newest last
	sweeping bool
	closed   bool
}

const maxParked = 10 * time.Millisecond

type parkedConn struct {
	conn  *pgxpool.Conn
	since time.Time
}

// Open connects to the database at url, checks that it is reachable and
// brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password and all.
		return nil, errors.New("pgstore: invalid PostgreSQL URL")
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default, the larger of 4 and the CPUs, leaves requests
		// waiting for a connection while PostgreSQL has cores to spare.
		cfg.MaxConns = defaultMaxConns()
	}
	cfg.AfterConnect = indexScansOnly(cfg.ConnConfig.RuntimeParams)
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
	lockPool, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return &Store{pool: pool, lockPool: lockPool, scopes: map[string]*scope{}, known: map[string]bool{}, contended: map[string]time.Time{}}, nil
}

func defaultMaxConns() int32 { return int32(max(8, 2*runtime.NumCPU())) }

// planner lists the settings every connection gets, unless the URL sets
// them. Every statement of pgstore's reads or writes a few keys of kv's
// primary key, which an index scan does best, but while kv is small (a new
// database) the planner prefers a sequential scan, which takes a
// SERIALIZABLE transaction's predicate lock on the whole table, so that
// every insert anywhere conflicts with it; and for key = ANY($1) it
// prefers a bitmap scan, which costs more to set up than the few keys a
// read names (a tenth of PostgreSQL's time per point read).
var planner = [...][2]string{{"enable_seqscan", "off"}, {"enable_bitmapscan", "off"}}

// indexScansOnly returns an AfterConnect that applies planner. An engine
// without these settings (they are PostgreSQL's) keeps its own planning.
func indexScansOnly(params map[string]string) func(context.Context, *pgx.Conn) error {
	var sql strings.Builder
	for _, kv := range planner {
		if _, set := params[kv[0]]; set {
			continue
		}
		if sql.Len() == 0 {
			sql.WriteString("SELECT ")
		} else {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "set_config('%s', '%s', false)", kv[0], kv[1])
	}
	if sql.Len() == 0 {
		return nil
	}
	stmt := sql.String()
	return func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, stmt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42704" || pgErr.Code == "42883") {
			return nil // unrecognized parameter, or no set_config at all
		}
		return err
	}
}

func (s *Store) Close() error {
	s.parkMu.Lock()
	s.closed = true
	parked := s.parked
	s.parked = nil
	s.parkMu.Unlock()
	for _, p := range parked {
		end(p.conn, "COMMIT")
	}
	s.lockPool.Close()
	s.pool.Close()
	return nil
}

// UsesHints reports that the store reads hints: it prefetches their keys
// and queues the Updates of one scope.
func (s *Store) UsesHints() bool { return true }

func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, pending, err := s.acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	t := newTx(ctx, conn.Conn(), beginView, store.HintFrom(ctx), false)
	t.pending = pending
	returned := false
	defer func() {
		if !returned { // fn panicked: the connection must not be lost
			conn.Release()
		}
	}()
	ferr := fn(t)
	returned = true
	if t.err != nil {
		end(conn, "ROLLBACK")
		return t.err
	}
	switch {
	case t.begun:
		s.park(conn)
	case t.pending:
		// Parked again, it could outstay maxParked.
		end(conn, "COMMIT")
	default:
		conn.Release()
	}
	return ferr
}

// acquire returns a connection, parked or from the pool, and whether it
// is parked: in a transaction that awaits its COMMIT.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, bool, error) {
	s.parkMu.Lock()
	if n := len(s.parked); n > 0 {
		p := s.parked[n-1]
		s.parked = s.parked[:n-1]
		s.parkMu.Unlock()
		return p.conn, true, nil
	}
	s.parkMu.Unlock()
	conn, err := s.pool.Acquire(ctx)
	return conn, false, err
}

// park keeps conn, whose read-only transaction is over but for its COMMIT,
// for the next transaction, unless that could keep a connection from
// someone waiting for one.
func (s *Store) park(conn *pgxpool.Conn) {
	if st := s.pool.Stat(); st.AcquiredConns() < st.MaxConns() && conn.Conn().PgConn().TxStatus() == 'T' {
		s.parkMu.Lock()
		if !s.closed {
			s.parked = append(s.parked, parkedConn{conn, time.Now()})
			if !s.sweeping {
				s.sweeping = true
				time.AfterFunc(maxParked, s.sweep)
			}
			s.parkMu.Unlock()
			return
		}
		s.parkMu.Unlock()
	}
	end(conn, "COMMIT")
}

// sweep commits the connections parked for maxParked and releases them.
func (s *Store) sweep() {
	s.parkMu.Lock()
	cut := time.Now().Add(-maxParked)
	n := 0
	for n < len(s.parked) && !s.parked[n].since.After(cut) {
		n++
	}
	old := slices.Clone(s.parked[:n])
	s.parked = slices.Delete(s.parked, 0, n)
	if s.sweeping = len(s.parked) > 0; s.sweeping {
		time.AfterFunc(time.Until(s.parked[0].since.Add(maxParked)), s.sweep)
	}
	s.parkMu.Unlock()
	for _, p := range old {
		end(p.conn, "COMMIT")
	}
}

// end ends conn's transaction with stmt and returns it to its pool, even
// when the caller's context is done, so that it goes back clean instead of
// being closed.
func end(conn *pgxpool.Conn, stmt string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = conn.Exec(ctx, stmt)
	conn.Release()
}

// Update runs fn in a serializable transaction, running it again when the
// transaction loses a conflict with another one. Updates of one scope are
// queued and run in batches (runBatch).
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	deadline := start.Add(maxWait)
	hint := store.HintFrom(ctx)
	var retries int
	var err error
	if hint.Scope != "" {
		retries, err = s.queue(ctx, fn, hint, deadline)
	} else {
		retries, err = s.retry(ctx, deadline, func() (bool, error) { return s.update(ctx, fn, hint) }, false)
	}
	// The one place where an Update's reruns are known (its latency is
	// observed around the store, metrics.Store).
	for range retries {
		store.ConflictRetried()
	}
	return err
}

// retry runs attempt until it succeeds, fails for good or the deadline
// comes, and returns how many times it reran it. With atOnce the first
// rerun goes without a pause: a batch's scope has its own writers queued
// behind it, so what it lost to was another scope's, which has won.
func (s *Store) retry(ctx context.Context, deadline time.Time, attempt func() (retry bool, err error), atOnce bool) (int, error) {
	start := time.Now()
	for retries := 0; ; retries++ {
		again, err := attempt()
		if !again {
			return retries, err
		}
		if atOnce && retries == 0 {
			continue
		}
		// Full jitter spreads the losers out so they stop colliding.
		d := rand.N(min(backoffCap, backoffBase<<min(retries, 20))) + time.Millisecond
		if time.Now().Add(d).After(deadline) {
			return retries, fmt.Errorf("%w: gave up after %d attempts in %v: %w", store.ErrConflict, retries+1, time.Since(start).Round(time.Millisecond), err)
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return retries, ctx.Err()
		case <-timer.C:
		}
	}
}

func (s *Store) update(ctx context.Context, fn func(store.Tx) error, hint store.Hint) (retry bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	conn, pending, err := s.acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("pgstore: %w", err)
	}
	defer conn.Release()
	t := newTx(ctx, conn.Conn(), beginUpdate, hint, true)
	t.pending = pending
	ferr := fn(t)
	switch {
	case t.err != nil && conflict(t.err):
		// Whatever fn made of the failed statement, the transaction lost a
		// conflict and a rerun may succeed.
		t.rollback()
		return true, t.err
	case ferr != nil:
		t.rollback()
		return false, ferr
	case t.err != nil:
		// fn ignored a failed statement; PostgreSQL aborted the
		// transaction, so committing would silently drop its writes.
		t.rollback()
		return false, t.err
	}
	if err := t.commit(); err != nil {
		t.rollback()
		return conflict(err), fmt.Errorf("pgstore: commit: %w", err)
	}
	return false, nil
}

// conflict reports whether err is a serialization failure or a deadlock,
// after which the whole transaction may be retried.
func conflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// --- scopes -------------------------------------------------------------------

// scope is the queue of one scope's Updates on this server. One goroutine
// at a time, the leader, runs them: it takes what is queued (up to
// batchSize), runs it as one transaction while it holds the scope's
// scope_lock row, and delivers each Update's result once that transaction
// has committed. Queued Updates thus cost one BEGIN, one read of the
// records they share and one COMMIT between them, which is what lets one
// organization's writers, run one after another, keep up with many.
type scope struct {
	name    string
	waiting []*queued // guarded by Store.mu
	leading bool      // a leader runs (Store.mu)
	// Owned by the leader:
	held    *pgxpool.Conn // the transaction that holds the scope_lock row, or nil
	batches int           // batches run since held locked the row
}

// queued is an Update waiting in its scope's queue.
type queued struct {
	fn       func(store.Tx) error // run through call
	panicked any                  // what fn panicked with, for its caller
	hint     store.Hint
	deadline time.Time
	taken    bool         // in a batch: its result will come (Store.mu)
	done     chan outcome // buffered
}

type outcome struct {
	err     error
	retries int
}

// Batching bounds: at most batchSize Updates in one transaction, and at
// most burst batches under one hold of the scope's row before this server
// lets another have a turn.
const (
	batchSize = 32
	burst     = 2
)

// queue runs fn in its scope's next batch and returns its result.
func (s *Store) queue(ctx context.Context, fn func(store.Tx) error, hint store.Hint, deadline time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	q := &queued{fn: fn, hint: hint, deadline: deadline, done: make(chan outcome, 1)}
	s.mu.Lock()
	sc := s.scopes[hint.Scope]
	if sc == nil {
		sc = &scope{name: hint.Scope}
		s.scopes[hint.Scope] = sc
	}
	sc.waiting = append(sc.waiting, q)
	if !sc.leading {
		sc.leading = true
		go s.lead(sc)
	}
	s.mu.Unlock()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case o := <-q.done:
		return q.result(o)
	case <-ctx.Done():
	case <-timer.C:
	}
	s.mu.Lock()
	if q.taken {
		// Too late to withdraw: the batch decides.
		s.mu.Unlock()
		return q.result(<-q.done)
	}
	sc.waiting = slices.DeleteFunc(sc.waiting, func(w *queued) bool { return w == q })
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%w: waited %v for the turn of %s", store.ErrConflict, maxWait, hint.Scope)
}

func (q *queued) result(o outcome) (int, error) {
	if q.panicked != nil {
		panic(q.panicked) // in the caller's goroutine, as without a queue
	}
	return o.retries, o.err
}

// call runs q's fn in the leader's goroutine, turning a panic into an error
// for the batch and keeping its value for q's caller.
func (q *queued) call(tx store.Tx) (err error) {
	q.panicked = nil
	defer func() {
		if p := recover(); p != nil {
			q.panicked = p
			err = fmt.Errorf("pgstore: an Update panicked: %v", p)
		}
	}()
	return q.fn(tx)
}

// lead runs sc's queue in batches until it is empty.
func (s *Store) lead(sc *scope) {
	for {
		s.mu.Lock()
		n := min(len(sc.waiting), batchSize)
		batch := slices.Clone(sc.waiting[:n])
		sc.waiting = slices.Delete(sc.waiting, 0, n)
		for _, q := range batch {
			q.taken = true
		}
		if n == 0 {
			sc.leading = false
			delete(s.scopes, sc.name)
		}
		more := len(sc.waiting) > 0
		s.mu.Unlock()
		if n == 0 {
			if sc.held != nil {
				unlock(sc.held)
				sc.held = nil
			}
			return
		}
		s.runBatch(sc, batch)
		if sc.held != nil && (!more || sc.batches >= burst) {
			unlock(sc.held)
			sc.held = nil
		}
	}
}

// runBatch runs a batch of sc's Updates, holding sc's lock, and delivers
// their results.
func (s *Store) runBatch(sc *scope, batch []*queued) {
	deadline := batch[0].deadline
	for _, q := range batch {
		if q.deadline.Before(deadline) {
			deadline = q.deadline
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	deliver := func(errs []error, retries int) {
		for i, q := range batch {
			q.done <- outcome{errs[i], retries}
		}
	}
	all := func(err error) []error {
		errs := make([]error, len(batch))
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	if sc.held == nil && s.isContended(sc.name) {
		conn, err := s.lock(ctx, sc.name, deadline)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w: waited %v for the lock of %s", store.ErrConflict, maxWait, sc.name)
			}
			deliver(all(err), 0)
			return
		}
		sc.held, sc.batches = conn, 0
	}
	if sc.held != nil {
		sc.batches++
	}
	// The batch reads what every member's hint names, up front.
	var hint store.Hint
	seen := map[string]bool{}
	for _, q := range batch {
		for _, k := range q.hint.Keys {
			if !seen[k] {
				seen[k] = true
				hint.Keys = append(hint.Keys, k)
			}
		}
		for _, p := range q.hint.Prefixes {
			if !slices.Contains(hint.Prefixes, p) {
				hint.Prefixes = append(hint.Prefixes, p)
			}
		}
	}
	var errs []error
	var alone bool // a statement failed for a reason of one member's
	retries, err := s.retry(ctx, deadline, func() (bool, error) {
		var retry bool
		var err error
		errs, retry, err, alone = s.updateBatch(ctx, batch, hint)
		return retry, err
	}, true)
	if retries > 0 {
		s.markContended(sc.name)
	}
	switch {
	case err == nil:
		// Committed, even if only just before the deadline.
		deliver(errs, retries)
	case ctx.Err() != nil:
		deliver(all(fmt.Errorf("%w: %s's batch ran out of its %v: %w", store.ErrConflict, sc.name, maxWait, err)), retries)
	case alone:
		// Run each on its own, so that one member's failure is its alone.
		for _, q := range batch {
			r, err := s.retry(ctx, deadline, func() (bool, error) { return s.update(ctx, q.call, q.hint) }, false)
			q.done <- outcome{err, retries + r}
		}
	default:
		deliver(all(err), retries)
	}
}

// updateBatch is update for a batch: each member's fn runs in turn in one
// transaction, seeing the writes of those before it; a member whose fn
// fails has its writes undone and its error returned, while the others
// commit. alone reports a failed statement or COMMIT that is not a
// conflict, which a member may have caused alone.
func (s *Store) updateBatch(ctx context.Context, batch []*queued, hint store.Hint) (errs []error, retry bool, err error, alone bool) {
	conn, pending, err := s.acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: %w", err), false
	}
	defer conn.Release()
	t := newTx(ctx, conn.Conn(), beginUpdate, hint, true)
	t.pending = pending
	errs = make([]error, len(batch))
	for i, q := range batch {
		before := maps.Clone(t.writes)
		errs[i] = q.call(t)
		if t.err != nil {
			t.rollback()
			return nil, conflict(t.err), t.err, !conflict(t.err)
		}
		if errs[i] != nil {
			t.writes = before
		}
	}
	if err := t.commit(); err != nil {
		t.rollback()
		return nil, conflict(err), fmt.Errorf("pgstore: commit: %w", err), !conflict(err)
	}
	return errs, false, nil, false
}

// A scope takes its scope_lock row only while it is contended: from a
// conflict its batches lost, or from finding the row held, for
// contendedFor. Otherwise batches run without it (which costs a round trip
// or two to take and hand on) and SERIALIZABLE alone keeps them apart.
const contendedFor = time.Second

func (s *Store) markContended(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.contended) > 4096 {
		clear(s.contended)
	}
	s.contended[name] = time.Now()
}

func (s *Store) isContended(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.contended[name]
	return ok && time.Since(at) < contendedFor
}

// lock begins a transaction on a lock connection that holds name's
// scope_lock row, in one round trip once the row exists.
func (s *Store) lock(ctx context.Context, name string, deadline time.Time) (*pgxpool.Conn, error) {
	conn, err := s.lockPool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s.mu.Lock()
	known := s.known[name]
	s.mu.Unlock()
	wait := max(time.Until(deadline), time.Millisecond)
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	// Its COMMIT keeps nothing, so it need not wait for the WAL to reach
	// the disk: a lock transaction lost in a crash has released its lock.
	b.Queue(`SELECT set_config('lock_timeout', $1, true), set_config('synchronous_commit', 'off', true)`,
		strconv.FormatInt(wait.Milliseconds()+1, 10))
	if !known {
		b.Queue(`INSERT INTO scope_lock (scope) VALUES ($1) ON CONFLICT DO NOTHING`, name)
	}
	// SKIP LOCKED first tells a free row from a held one.
	b.Queue(`SELECT 1 FROM scope_lock WHERE scope = $1 FOR UPDATE SKIP LOCKED`, name)
	br := conn.SendBatch(ctx, b)
	var locked pgconn.CommandTag
	for range b.Len() {
		if locked, err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && locked.RowsAffected() == 0 {
		// Held by another server (or missing): contended, so wait.
		s.markContended(name)
		locked, err = conn.Exec(ctx, `SELECT 1 FROM scope_lock WHERE scope = $1 FOR UPDATE`, name)
	}
	if err == nil && locked.RowsAffected() == 0 {
		// The row is gone (the table was emptied behind this server's
		// back): make it again.
		s.mu.Lock()
		delete(s.known, name)
		s.mu.Unlock()
		unlock(conn)
		if known {
			return s.lock(ctx, name, deadline)
		}
		return nil, fmt.Errorf("pgstore: lock %s: its scope_lock row is missing", name)
	}
	if err != nil {
		unlock(conn)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
			return nil, fmt.Errorf("%w: waited %v for the lock of %s", store.ErrConflict, maxWait, name)
		}
		return nil, fmt.Errorf("pgstore: lock %s: %w", name, err)
	}
	if !known {
		s.mu.Lock()
		s.known[name] = true
		s.mu.Unlock()
	}
	return conn, nil
}

// unlock ends a lock connection's transaction and returns it to its pool.
// It commits, though there is nothing to keep, so that PostgreSQL's count
// of rollbacks stays a count of failed transactions.
func unlock(conn *pgxpool.Conn) { end(conn, "COMMIT") }

// --- transactions -------------------------------------------------------------

type tx struct {
	ctx      context.Context
	conn     *pgx.Conn
	begin    string // the BEGIN statement, sent with the first read
	begun    bool
	pending  bool       // a parked View's COMMIT is to go ahead of BEGIN
	hint     store.Hint // read with the first read, then cleared
	writable bool
	// err is the first failed statement's error. PostgreSQL refuses every
	// statement after it, and Update needs it to tell a lost conflict from
	// fn's own errors.
	err error
	// seen holds what the transaction has read of its snapshot, absent
	// keys included; whole lists the prefixes read whole, each in order.
	seen  map[string]value
	whole []prefixRows
	// writes are the Puts and Deletes not yet sent, by key.
	writes map[string]value
}

// value is a key's value, or its absence (ok false).
type value struct {
	val []byte
	ok  bool
}

type prefixRows struct {
	prefix string
	rows   []row
}

type row struct {
	key string
	val []byte
}

func newTx(ctx context.Context, conn *pgx.Conn, begin string, hint store.Hint, writable bool) *tx {
	return &tx{ctx: ctx, conn: conn, begin: begin, hint: hint, writable: writable}
}

func (t *tx) fail(op string, err error) error {
	err = fmt.Errorf("pgstore: %s: %w", op, err)
	if t.err == nil {
		t.err = err
	}
	return err
}

// rollback ends a transaction even when ctx is done, so the connection goes
// back to the pool clean instead of being closed.
func (t *tx) rollback() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 5*time.Second)
	defer cancel()
	_, _ = t.conn.Exec(ctx, "ROLLBACK")
}

// queueBegin queues what must precede the transaction's first statement.
func (t *tx) queueBegin(b *pgx.Batch) {
	if t.pending {
		b.Queue("COMMIT")
	}
	if !t.begun {
		b.Queue(t.begin)
	}
}

// begun1 reads the results of queueBegin's statements.
func (t *tx) begun1(br pgx.BatchResults) error {
	if t.pending {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return t.fail("commit", err)
		}
		t.pending = false
	}
	if !t.begun {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return t.fail("begin", err)
		}
		t.begun = true
	}
	return nil
}

// cached returns what the transaction knows of key's committed value.
func (t *tx) cached(key string) (value, bool) {
	if v, ok := t.seen[key]; ok {
		return v, true
	}
	for _, p := range t.whole {
		if strings.HasPrefix(key, p.prefix) {
			return value{}, true // a key of p would be in seen
		}
	}
	return value{}, false
}

// read fetches keys and the first page of each prefix in one round trip,
// beginning the transaction (with its hint) if it has not begun.
func (t *tx) read(keys, prefixes []string) error {
	if !t.begun {
		keys = append(keys, t.hint.Keys...)
		prefixes = append(prefixes, t.hint.Prefixes...)
		t.hint = store.Hint{}
	}
	want := make([]string, 0, len(keys))
	size := 0
	for i, k := range keys {
		if _, ok := t.cached(k); !ok && !slices.Contains(keys[:i], k) {
			want = append(want, k)
			size += len(k)
		}
	}
	// pgx sends bytea from []byte: the keys' bytes in one allocation.
	buf := make([]byte, 0, size)
	wantBytes := make([][]byte, len(want))
	for i, k := range want {
		buf = append(buf, k...)
		wantBytes[i] = buf[len(buf)-len(k) : len(buf) : len(buf)]
	}
	args := make([]any, 1, 1+2*len(prefixes))
	args[0] = wantBytes
	var scanned []string
	for _, p := range prefixes {
		hi, bounded := prefixEnd(p)
		if !bounded || slices.Contains(scanned, p) || t.covered(p) {
			continue
		}
		args = append(args, []byte(p), hi)
		scanned = append(scanned, p)
	}
	if len(want) == 0 && len(scanned) == 0 && t.begun {
		return nil
	}
	b := &pgx.Batch{}
	t.queueBegin(b)
	b.Queue(readSQL(len(scanned)), args...)
	br := t.conn.SendBatch(t.ctx, b)
	if err := t.begun1(br); err != nil {
		return err
	}
	if t.seen == nil {
		t.seen = make(map[string]value, len(want))
	}
	pages := make([][]row, len(scanned))
	rows, err := br.Query()
	if err == nil {
		for rows.Next() {
			var i int
			var r row
			if i, r, err = scanTagged(rows); err != nil {
				break
			}
			if i < 0 {
				t.seen[r.key] = value{r.val, true}
			} else if i < len(pages) {
				pages[i] = append(pages[i], r)
			}
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return t.fail("get", err)
	}
	for _, k := range want {
		if _, ok := t.seen[k]; !ok {
			t.seen[k] = value{}
		}
	}
	for i, page := range pages {
		if len(page) < firstBatch {
			for _, r := range page {
				t.seen[r.key] = value{r.val, true}
			}
			t.whole = append(t.whole, prefixRows{scanned[i], page})
		}
	}
	return nil
}

// scanTagged reads a row of readSQL's: its tag, key and value. The binary
// forms of int4 and bytea are read as they come, which spares pgx's
// scanning its copies and reflection (a third of a point read's
// allocations).
func scanTagged(rows pgx.Rows) (int, row, error) {
	fds := rows.FieldDescriptions()
	raw := rows.RawValues()
	if len(fds) != 3 || len(raw) != 3 || fds[0].DataTypeOID != pgtype.Int4OID ||
		fds[0].Format != pgx.BinaryFormatCode || fds[1].Format != pgx.BinaryFormatCode || fds[2].Format != pgx.BinaryFormatCode ||
		len(raw[0]) != 4 || raw[1] == nil || raw[2] == nil {
		var i int
		var key, val []byte
		err := rows.Scan(&i, &key, &val)
		return i, row{string(key), val}, err
	}
	return int(int32(binary.BigEndian.Uint32(raw[0]))), row{string(raw[1]), append(make([]byte, 0, len(raw[2])), raw[2]...)}, nil
}

// readSQL returns the statement that reads a key list and the first pages
// of n prefixes, each row tagged with its prefix's index (-1 for keys).
func readSQL(n int) string {
	if n < len(readSQLs) {
		return readSQLs[n]
	}
	return makeReadSQL(n)
}

var readSQLs = func() (sqls [4]string) {
	for n := range sqls {
		sqls[n] = makeReadSQL(n)
	}
	return sqls
}()

func makeReadSQL(n int) string {
	var sql strings.Builder
	sql.WriteString(`SELECT -1, key, value FROM kv WHERE key = ANY($1)`)
	for i := range n {
		fmt.Fprintf(&sql, ` UNION ALL (SELECT %d, key, value FROM kv WHERE key >= $%d AND key < $%d ORDER BY key LIMIT %d)`,
			i, 2*i+2, 2*i+3, firstBatch)
	}
	return sql.String()
}

// covered reports whether a prefix read whole holds every key of prefix.
func (t *tx) covered(prefix string) bool {
	_, ok := t.wholeRows(prefix)
	return ok
}

func (t *tx) wholeRows(prefix string) ([]row, bool) {
	for _, p := range t.whole {
		if strings.HasPrefix(prefix, p.prefix) {
			return p.rows, true
		}
	}
	return nil, false
}

func (t *tx) Get(key string) ([]byte, bool, error) {
	if t.err != nil {
		return nil, false, t.err
	}
	if w, ok := t.writes[key]; ok {
		return w.val, w.ok, nil
	}
	if v, ok := t.cached(key); ok {
		return v.val, v.ok, nil
	}
	if err := t.read([]string{key}, nil); err != nil {
		return nil, false, err
	}
	v := t.seen[key]
	return v.val, v.ok, nil
}

func (t *tx) Put(key string, val []byte) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	if t.err != nil {
		return t.err
	}
	if t.writes == nil {
		t.writes = map[string]value{}
	}
	t.writes[key] = value{append([]byte{}, val...), true} // never nil, which would be NULL
	return nil
}

func (t *tx) Delete(key string) error {
	if !t.writable {
		return store.ErrReadOnly
	}
	if t.err != nil {
		return t.err
	}
	if t.writes == nil {
		t.writes = map[string]value{}
	}
	t.writes[key] = value{}
	return nil
}

// commitTimeout bounds a commit once sent. Update's deadline does not:
// a COMMIT cut off in flight may have happened or not, and its caller
// would be told of a conflict for a write that was made.
const commitTimeout = 10 * time.Second

// commit sends the writes and COMMIT in one pipeline.
func (t *tx) commit() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), commitTimeout)
	defer cancel()
	if !t.begun && !t.pending && len(t.writes) == 0 {
		return nil // nothing was read or written
	}
	if !t.begun && len(t.writes) == 0 {
		// Only a parked View's COMMIT is due.
		_, err := t.conn.Exec(ctx, "COMMIT")
		return err
	}
	b := &pgx.Batch{}
	t.queueBegin(b)
	t.pending, t.begun = false, true
	keys := make([]string, 0, len(t.writes))
	for k := range t.writes {
		keys = append(keys, k)
	}
	// One order for every writer makes deadlocks between them rarer.
	slices.Sort(keys)
	var putKeys, putVals, delKeys [][]byte
	for _, k := range keys {
		if w := t.writes[k]; w.ok {
			putKeys, putVals = append(putKeys, []byte(k)), append(putVals, w.val)
		} else {
			delKeys = append(delKeys, []byte(k))
		}
	}
	if len(putKeys) > 0 {
		b.Queue(`INSERT INTO kv (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[])
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, putKeys, putVals)
	}
	if len(delKeys) > 0 {
		b.Queue(`DELETE FROM kv WHERE key = ANY($1)`, delKeys)
	}
	b.Queue(`COMMIT`)
	return t.conn.SendBatch(ctx, b).Close()
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

func (t *tx) Scan(prefix, after string, fn func(key string, val []byte) bool) error {
	if t.err != nil {
		return t.err
	}
	// The transaction's own writes under prefix, merged into what the
	// snapshot holds; fn must not write during the scan, so they hold still.
	var mine []string
	for k := range t.writes {
		if strings.HasPrefix(k, prefix) && k > after {
			mine = append(mine, k)
		}
	}
	slices.Sort(mine)
	stopped := false
	emitMine := func(k string) bool {
		if w := t.writes[k]; w.ok && !fn(k, w.val) {
			stopped = true
		}
		return !stopped
	}
	visit := func(k string, v []byte) bool {
		for len(mine) > 0 && mine[0] < k {
			if !emitMine(mine[0]) {
				return false
			}
			mine = mine[1:]
		}
		if len(mine) > 0 && mine[0] == k {
			mine = mine[1:]
			return emitMine(k)
		}
		if !fn(k, v) {
			stopped = true
		}
		return !stopped
	}
	if !t.begun && after == "" {
		// Begin with the scan's first page and the hint's reads.
		if err := t.read(nil, []string{prefix}); err != nil {
			return err
		}
	}
	if rows, ok := t.wholeRows(prefix); ok {
		for _, r := range rows {
			if k := r.key; strings.HasPrefix(k, prefix) && k > after && !visit(k, r.val) {
				return nil
			}
		}
	} else if err := t.scanDB(prefix, after, visit); err != nil {
		return err
	}
	for _, k := range mine {
		if !emitMine(k) {
			return nil
		}
	}
	return nil
}

// scanDB pages through the committed keys under prefix after after.
func (t *tx) scanDB(prefix, after string, fn func(key string, val []byte) bool) error {
	if !t.begun {
		if err := t.read(nil, nil); err != nil {
			return err
		}
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
		rows, err := t.conn.Query(t.ctx, scanSQL[inclusive][b], args...)
		if err != nil {
			return t.fail("scan", err)
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var key, val []byte
			err := r.Scan(&key, &val)
			return row{string(key), val}, err
		})
		if err != nil {
			return t.fail("scan", err)
		}
		for _, r := range page {
			if !fn(r.key, r.val) {
				return nil
			}
		}
		if len(page) < batch {
			return nil
		}
		lo, inclusive = []byte(page[len(page)-1].key), 0
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
