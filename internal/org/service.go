// Package org is orgd's domain: organizations, roots, OUs and accounts;
// invitations, handshakes and the all-features migration; policies and
// their enforcement; delegated administration, trusted service access,
// GovCloud accounts and responsibility transfers; all with AWS
// Organizations' rules. It runs every operation in a transaction over a
// store.Store and knows nothing of HTTP or of which store it runs on.
// Service implements api.Handler.
//
// Where things are: service.go (transactions, the server clock, scheduled
// work), records.go (keys and records), access.go (who may call what),
// list.go (pagination), then one file per part of the API.
package org

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/memo"
	"github.com/orgd/orgd/internal/page"
	"github.com/orgd/orgd/internal/store"
)

// Quotas are the service limits orgd enforces. Defaults are AWS's.
type Quotas struct {
	AccountsPerOrganization int // members, open invitations and creations in progress
	OUDepth                 int // OU levels below the root
	OUsPerOrganization      int
	TagsPerResource         int
	ConcurrentCreateAccount int // CreateAccount requests in progress at once
	ConcurrentCloseAccount  int // closures in progress at once
	InvitationsPerDay       int // 0: max(20, AccountsPerOrganization)
}

// DefaultQuotas are AWS's default values (spec section 8).
func DefaultQuotas() Quotas {
	return Quotas{
		AccountsPerOrganization: 10,
		OUDepth:                 5,
		OUsPerOrganization:      2000,
		TagsPerResource:         50,
		ConcurrentCreateAccount: 5,
		ConcurrentCloseAccount:  3,
	}
}

// Config is how a Service behaves where AWS leaves a choice open.
type Config struct {
	Partition string // "aws"
	Quotas    Quotas
	// CreateAccountDelay is how long CreateAccount stays IN_PROGRESS.
	CreateAccountDelay time.Duration
	// CloseAccountDelay is how long CloseAccount stays PENDING_CLOSURE.
	CloseAccountDelay time.Duration
	// Now is the base clock; the server clock adds the stored offset.
	Now func() time.Time
	// Compatibility switches where the sources disagree (spec section 9).
	Compat Compat
}

// Compat holds the choices the spec marks CONFLICT. The zero value is the
// spec's recommendation.
type Compat struct {
	// FeatureSetFull writes "FULL" rather than "ALL" in the
	// ORGANIZATION_FEATURE_SET resource of INVITE handshakes.
	FeatureSetFull bool
	// InviteOrgPartyWithoutPrefix writes the INVITE handshake's ORGANIZATION
	// party ID without its "o-" prefix.
	InviteOrgPartyWithoutPrefix bool
	// AllFeaturesPartyWithPrefix writes the "o-" and "h-" prefixes in the
	// ENABLE/APPROVE_ALL_FEATURES parties and PARENT_HANDSHAKE resource.
	AllFeaturesPartyWithPrefix bool
	// RejectInvitesDuringMigration refuses invitations while an
	// all-features migration is pending, as older AWS did.
	RejectInvitesDuringMigration bool
}

// DefaultConfig returns the configuration orgd serves with by default.
func DefaultConfig() Config {
	return Config{
		Partition:          "aws",
		Quotas:             DefaultQuotas(),
		CreateAccountDelay: time.Second,
		CloseAccountDelay:  5 * time.Second,
	}
}

// Service serves the Organizations API over a store.
type Service struct {
	api.Unimplemented
	store  store.Store
	cfg    Config
	tokens *page.Signer
	// docs caches compiled policies by ID (enforce.go loadPolicy), so that
	// authorizing a call does not parse the policies in force each time.
	docs sync.Map
	// scpDecided hears of SCP decisions (stats.go OnSCPDecision).
	scpDecided atomic.Pointer[func(string)]
	// hints is whether the store uses hints (store.UsesHints): only then
	// does a transaction carry one.
	hints bool
	// orgOf remembers each caller's organization ID as last seen, for the
	// store hint (hint); a stale entry costs only speed.
	orgOf sync.Map
	// records keeps decoded records (recordcache.go).
	records *recordCache
	// listed keeps the views of listed accounts (listcache.go).
	listed *listedViews
}

var _ api.Handler = (*Service)(nil)

// New returns a Service over st, initialising the store's metadata.
func New(ctx context.Context, st store.Store, cfg Config) (*Service, error) {
	if cfg.Partition == "" {
		cfg.Partition = "aws"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Quotas.InvitationsPerDay == 0 {
		cfg.Quotas.InvitationsPerDay = max(20, cfg.Quotas.AccountsPerOrganization)
	}
	s := &Service{store: st, cfg: cfg, records: newRecordCache(), listed: newListedViews(), hints: store.UsesHints(st)}
	var key []byte
	err := st.Update(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Get(keyTokenSecret)
		if err != nil {
			return err
		}
		if !ok {
			v = make([]byte, 32)
			rand.Read(v)
			if err := tx.Put(keyTokenSecret, v); err != nil {
				return err
			}
		}
		key = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.tokens = page.NewSigner(key)
	return s, nil
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// StateVersion is the number of the state a read begun now would read
// (store.Version); ok is false when the store numbers none, or cannot
// tell now. Reads stamp the numbers they read at (read, memo.Stamp).
func (s *Service) StateVersion() (v uint64, ok bool) { return store.Version(s.store) }

// txn is one transaction of an operation: the store transaction, the
// server time it runs at, and the service.
type txn struct {
	store.Tx
	s   *Service
	ctx context.Context
	// clock is the server time the transaction runs at (now), offset
	// what the server clock adds to the base clock.
	clock  time.Time
	offset time.Duration
	// timed is set once the transaction's work looked at the clock, and
	// unkept once it did what a kept answer would skip (memo.Stamp).
	timed, unkept bool
	// nextDue is when the earliest scheduled work falls due, in Unix
	// nanoseconds of the server clock; 0 when none is, -1 when unknown.
	nextDue int64
	// who is the caller the transaction resolved first (access.go), held
	// here so that it needs no allocation of its own.
	who    caller
	hasWho bool
	// due is hasDue's answer.
	due bool
}

// read runs fn in a read-only transaction, first settling any work that
// fell due so that reads see it done.
//
// When ctx carries a memo.Stamp, read notes on it what the answer
// depended on, so that the answer can be kept while that holds.
func (s *Service) read(ctx context.Context, fn func(*txn) error) error {
	var due bool
	stamp := memo.FromContext(ctx)
	err := s.store.View(s.hint(ctx), func(tx store.Tx) error {
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		if due, err = t.hasDue(); err != nil || due {
			return err
		}
		err = fn(t)
		if stamp != nil {
			t.stampOn(stamp)
		}
		return err
	})
	if err != nil || !due {
		return err
	}
	return s.write(ctx, fn)
}

// stampOn notes on st the state t read and how long an answer from it
// holds: until the earliest scheduled work falls due, which a later read
// would settle first. An answer that looked at the clock, or did what a
// kept one would skip, is not kept.
func (t *txn) stampOn(st *memo.Stamp) {
	v, ok := store.TxVersion(t.Tx)
	var until time.Time
	if t.nextDue > 0 {
		// The stamp's clock is the base clock, without the offset.
		until = time.Unix(0, t.nextDue).Add(-t.offset)
	}
	st.Read(v, ok && !t.timed && !t.unkept && t.nextDue >= 0, until)
}

// now is the server time the transaction runs at. Looking at it makes
// the transaction's answer one that cannot be kept (memo).
func (t *txn) now() time.Time {
	t.timed = true
	return t.clock
}

// write runs fn in a read-write transaction after settling due work.
func (s *Service) write(ctx context.Context, fn func(*txn) error) error {
	memo.FromContext(ctx).Spoil()
	err := s.store.Update(s.hint(ctx), func(tx store.Tx) error {
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		if err := t.settle(); err != nil {
			return err
		}
		return fn(t)
	})
	if errors.Is(err, store.ErrConflict) {
		return api.NewConcurrentModification("Another request changed the same state concurrently, and this one could not complete in time. Retry it.")
	}
	return err
}

// hint tells the store what an operation's transaction will read first
// (begin, settle, caller) and, when the caller's organization is known
// from earlier calls, that it is about that organization, so that a store
// can queue the organization's writers instead of letting them conflict.
// A store that uses no hints gets ctx as it is.
func (s *Service) hint(ctx context.Context) context.Context {
	if !s.hints {
		return ctx
	}
	id := callerOf(ctx).AccountID
	h := store.HintFrom(ctx)
	h.Keys = append(h.Keys[:len(h.Keys):len(h.Keys)], keyClock, keyAccount(id))
	h.Prefixes = append(h.Prefixes[:len(h.Prefixes):len(h.Prefixes)], "due/")
	if o, ok := s.orgOf.Load(id); ok {
		h.Scope = keyOrg(o.(string))
		h.Keys = append(h.Keys, h.Scope)
	}
	return store.WithHint(ctx, h)
}

// noteOrgOf remembers that account id is in organization org ("" for
// none), for hint.
func (s *Service) noteOrgOf(id, org string) {
	if org == "" {
		s.orgOf.Delete(id)
	} else if known, _ := s.orgOf.Load(id); known != org {
		s.orgOf.Store(id, org)
	}
}

func (s *Service) begin(ctx context.Context, tx store.Tx) (*txn, error) {
	t := &txn{Tx: tx, s: s, ctx: ctx}
	off, err := t.clockOffset()
	if err != nil {
		return nil, err
	}
	t.clock, t.offset = s.cfg.Now().Add(off).UTC(), off
	return t, nil
}

func (t *txn) clockOffset() (time.Duration, error) {
	v, ok, err := t.Get(keyClock)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return time.Duration(n), err
}

// Now returns the server time.
func (s *Service) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	err := s.store.View(ctx, func(tx store.Tx) error {
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		now = t.clock
		return nil
	})
	return now, err
}

// AdvanceClock moves the server clock forward by d, runs the work that
// falls due, and returns the new server time.
func (s *Service) AdvanceClock(ctx context.Context, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, errors.New("the clock only moves forward")
	}
	var now time.Time
	err := s.store.Update(ctx, func(tx store.Tx) error {
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		off, err := t.clockOffset()
		if err != nil {
			return err
		}
		if err := t.Put(keyClock, []byte(strconv.FormatInt(int64(off+d), 10))); err != nil {
			return err
		}
		t.clock = t.clock.Add(d)
		now = t.clock
		return t.settle()
	})
	return now, err
}

// Reset wipes all state but the token secret.
func (s *Service) Reset(ctx context.Context) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		var keys []string
		if err := tx.Scan("", "", func(k string, _ []byte) bool {
			if k != keyTokenSecret {
				keys = append(keys, k)
			}
			return true
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// RegisterAccount records a standalone account's email and name, so that
// it can be invited by email and shows them once it joins.
func (s *Service) RegisterAccount(ctx context.Context, id, email, name string) error {
	return s.write(ctx, func(t *txn) error {
		if !identity.IsAccountID(id) {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "accountId must be 12 digits")
		}
		if !validEmail(email) {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, "email is not a valid email address")
		}
		if name == "" || len(name) > 50 {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonMaxLengthExceeded, "name must be 1 to 50 characters")
		}
		a, err := t.account(id)
		if err != nil {
			return err
		}
		if other, ok, err := t.accountIDByEmail(email); err != nil {
			return err
		} else if ok && other != id {
			return api.NewDuplicateAccount("the email address %s belongs to account %s", email, other)
		}
		if err := t.Delete(keyEmail(a.Email)); err != nil {
			return err
		}
		a.Email, a.Name = email, name
		return t.putAccount(a)
	})
}

// prefetch adds keys that an operation will read to the store hint of its
// transaction (hint), for its busiest operations. Callers check s.hints
// first, so that a store without hints does not pay for building keys.
func (s *Service) prefetch(ctx context.Context, keys ...string) context.Context {
	if !s.hints {
		return ctx
	}
	h := store.HintFrom(ctx)
	h.Keys = append(h.Keys[:len(h.Keys):len(h.Keys)], keys...)
	return store.WithHint(ctx, h)
}

// drawnIDKey is the context key of an ID drawn by drawID.
type drawnIDKey struct{}

// drawID draws, before its transaction, the ID that the transaction's
// newID(prefix, shape, keyOf) tries first, and adds its key to the
// hint: a store that reads hints then learns whether it is taken with the
// transaction's first read rather than in a round trip of its own, which
// in a batch of queued writers would come one after another.
func (s *Service) drawID(ctx context.Context, prefix string, shape idShape, keyOf func(string) string) context.Context {
	if !s.hints {
		return ctx
	}
	id := string(appendID(append(make([]byte, 0, 64), prefix...), shape, s.cfg.Now()))
	return s.prefetch(context.WithValue(ctx, drawnIDKey{}, id), keyOf(id))
}

// --- due work ---------------------------------------------------------------

// dueWork runs scheduled work of one kind for one ID when it falls due.
// Each file that schedules work registers its kind in an init function.
var dueWork = map[string]func(t *txn, id string) error{}

func dueKey(at time.Time, kind, id string) string {
	return fmt.Sprintf("due/%020d/%s/%s", at.UnixNano(), kind, id)
}

// schedule arranges for dueWork[kind](id) to run at the server time at.
func (t *txn) schedule(at time.Time, kind, id string) error {
	if dueWork[kind] == nil {
		return fmt.Errorf("org: no due work of kind %q", kind)
	}
	return t.Put(dueKey(at, kind, id), nil)
}

// unschedule cancels work scheduled with the same arguments.
func (t *txn) unschedule(at time.Time, kind, id string) error {
	return t.Delete(dueKey(at, kind, id))
}

func (t *txn) hasDue() (bool, error) {
	t.due, t.nextDue = false, 0
	// The callback sets fields of t rather than variables of its own, so
	// that only the callback is allocated: every transaction asks.
	err := t.Scan("due/", "", func(k string, _ []byte) bool {
		// Built only when something is scheduled: most reads find nothing.
		t.due = k < fmt.Sprintf("due/%020d/\xff", t.clock.UnixNano())
		t.nextDue = -1
		if len(k) > len("due/")+20 {
			if n, err := strconv.ParseInt(k[len("due/"):len("due/")+20], 10, 64); err == nil && n > 0 {
				t.nextDue = n
			}
		}
		return false
	})
	return t.due, err
}

// settle runs every piece of work due by now, oldest first.
func (t *txn) settle() error {
	// Most writes find nothing due; asking first spares them the scan's
	// allocations below.
	if due, err := t.hasDue(); err != nil || !due {
		return err
	}
	var limit string
	var keys []string
	if err := t.Scan("due/", "", func(k string, _ []byte) bool {
		if limit == "" {
			// Built only when something is scheduled, as in hasDue.
			limit = fmt.Sprintf("due/%020d/\xff", t.clock.UnixNano())
		}
		if k > limit {
			return false
		}
		keys = append(keys, k)
		return true
	}); err != nil {
		return err
	}
	for _, k := range keys {
		parts := strings.SplitN(k, "/", 4)
		if len(parts) != 4 {
			continue
		}
		if err := t.Delete(k); err != nil {
			return err
		}
		if fn := dueWork[parts[2]]; fn != nil {
			if err := fn(t, parts[3]); err != nil {
				return fmt.Errorf("due work %s: %w", k, err)
			}
		}
	}
	return nil
}

// --- ids --------------------------------------------------------------------

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	// lowerAlnum in byte order, for clock digits.
	sortedAlnum = "0123456789abcdefghijklmnopqrstuvwxyz"
	lowerHex    = "0123456789abcdef"
	digits      = "0123456789"
)

// appendRandom appends n characters drawn uniformly from alphabet (at
// most 256 of them), reading the system's randomness once for most IDs
// rather than once per character. A random byte maps to a character only
// below the largest multiple of len(alphabet) that fits in a byte, so
// that none is likelier.
func appendRandom(b []byte, alphabet string, n int) []byte {
	limit := 256 - 256%len(alphabet)
	var buf [64]byte
	for n > 0 {
		r := buf[:min(2*n, len(buf))]
		rand.Read(r)
		for _, c := range r {
			if int(c) < limit && n > 0 {
				b = append(b, alphabet[int(c)%len(alphabet)])
				n--
			}
		}
	}
	return b
}

// idShape is what follows an ID's prefix: n characters of alphabet, the
// first clock of them the time in ticks of clockTick written in digits
// (the alphabet's characters in byte order), the rest random. IDs that
// begin with the time land next to each other in each index of them: a
// batch of CreateOrganizationalUnit on bolt wrote a page of each index
// for each new OU, and with its IDs together, one page of each for most
// of the batch (CPU a write 165–172 → 103–109 µs at 16 clients). The
// clock digits repeat every len(digits)^clock ticks; an ID that is taken
// is drawn again.
type idShape struct {
	alphabet string
	n, clock int
	digits   string
}

const clockTick = 10 * time.Millisecond

// ouIDs are the OU IDs' shape: 3 clock characters (they repeat every 7.8
// minutes), then 5 random ones, 60 million a tick.
var ouIDs = idShape{alphabet: lowerAlnum, n: 8, clock: 3, digits: sortedAlnum}

// appendID appends an ID of shape drawn at now to b.
func appendID(b []byte, shape idShape, now time.Time) []byte {
	b = append(b, make([]byte, shape.clock)...)
	tick, base := now.UnixNano()/int64(clockTick), int64(len(shape.digits))
	for i := len(b) - 1; i >= len(b)-shape.clock; i-- {
		b[i] = shape.digits[tick%base]
		tick /= base
	}
	return appendRandom(b, shape.alphabet, shape.n-shape.clock)
}

// newID returns prefix plus an ID of shape that no key keyOf(id) uses
// yet.
func (t *txn) newID(prefix string, shape idShape, keyOf func(string) string) (string, error) {
	drawn, _ := t.ctx.Value(drawnIDKey{}).(string)
	for {
		id := drawn
		if len(drawn) != len(prefix)+shape.n || !strings.HasPrefix(drawn, prefix) {
			id = string(appendID(append(make([]byte, 0, 64), prefix...), shape, t.s.cfg.Now()))
		}
		drawn = ""
		_, taken, err := t.Get(keyOf(id))
		if err != nil {
			return "", err
		}
		if !taken {
			return id, nil
		}
	}
}

func callerOf(ctx context.Context) identity.Caller {
	c, _ := identity.FromContext(ctx)
	return c
}

// reply is the tail every operation shares: its output, unless the
// transaction failed.
func reply[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
