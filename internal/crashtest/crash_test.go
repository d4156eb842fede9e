package crashtest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/jackc/pgx/v5"

	"github.com/orgd/orgd/internal/store/pgstore/pgtest"
)

const (
	mgmtID        = "111111111111"
	defaultCycles = 5
	// Bounds of one cycle's load: the kill comes between killMin and
	// killMax into it, each worker makes at most maxOps calls, and the
	// load stops by maxLoad whatever happens.
	killMin = 50 * time.Millisecond
	killMax = 400 * time.Millisecond
	maxOps  = 5000
	maxLoad = 5 * time.Second
	// callTimeout bounds every single call, so that a wedged server fails
	// the test instead of hanging it.
	callTimeout = 15 * time.Second
)

var cyclesFlag = flag.Int("crash.cycles", 0, "kill/restart cycles per test (default 5, or $ORGD_CRASH_CYCLES)")

func cycles(t *testing.T) int {
	t.Helper()
	if *cyclesFlag > 0 {
		return *cyclesFlag
	}
	if v := os.Getenv("ORGD_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ORGD_CRASH_CYCLES=%q: want a positive number", v)
		}
		return n
	}
	return defaultCycles
}

// buildOrgd builds the real orgd binary into a temporary directory.
func buildOrgd(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build orgd: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "orgd")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/orgd/orgd/cmd/orgd").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// --- the server process ---------------------------------------------------------

// syncBuffer collects a process's output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.b.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// server is one orgd process, restartable on the same store and port.
type server struct {
	name   string
	bin    string
	args   []string // serve's flags but --listen
	addr   string
	url    string
	cmd    *exec.Cmd
	exited chan struct{}
	out    syncBuffer
	// http is this incarnation's HTTP client: connections pooled to a
	// killed process are never reused for its successor.
	http *http.Client
	// afterKill, if set, waits until nothing the killed process started
	// can still change the state (PostgreSQL sessions ending).
	afterKill func(t *testing.T)
}

func newServer(t *testing.T, name, bin string, args ...string) *server {
	s := &server{name: name, bin: bin, args: args}
	t.Cleanup(func() {
		if s.running() {
			s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("%s's last output:\n%s", s.name, s.out.tail(4000))
		}
	})
	return s
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// childEnv is the test's environment without ORGD_ settings, so that a
// developer's configuration does not change the server under test.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORGD_") {
			env = append(env, kv)
		}
	}
	return env
}

// start runs the server and waits until it answers. The port is kept
// across restarts; should another process have taken it, another is used.
func (s *server) start(t *testing.T) {
	t.Helper()
	for attempt := 0; attempt < 3; attempt++ {
		if s.addr == "" {
			s.addr = freeAddr(t)
		}
		s.url = "http://" + s.addr
		s.http = &http.Client{Timeout: callTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		s.cmd = exec.Command(s.bin, append([]string{"serve", "--listen", s.addr}, s.args...)...)
		s.cmd.Env = childEnv()
		s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", s.name, err)
		}
		exited := make(chan struct{})
		s.exited = exited
		go func(cmd *exec.Cmd) { cmd.Wait(); close(exited) }(s.cmd)
		if s.waitHealthy(20 * time.Second) {
			return
		}
		if s.running() {
			t.Fatalf("%s did not answer within 20s", s.name)
		}
		s.addr = "" // it exited: perhaps its port was taken meanwhile
	}
	t.Fatalf("%s does not start", s.name)
}

func (s *server) waitHealthy(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return false
		default:
		}
		if resp, err := client.Get(s.url + "/_orgd/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s: %v", s.name, err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not die", s.name)
	}
	s.http.CloseIdleConnections()
	if s.afterKill != nil {
		s.afterKill(t)
	}
}

// --- clients --------------------------------------------------------------------

// client is an SDK client acting as account on the server, with retries
// off, so that each write is one request whose outcome is known.
func (s *server) client(account string) *organizations.Client {
	return s.sdk(account, aws.NopRetryer{})
}

// reader is an SDK client for the checks, which only read: it retries,
// because Go's transport can close a pooled connection under a request
// (aws-sdk-go-v2 issue 2737), which says nothing about the server.
func (s *server) reader(account string) *organizations.Client {
	return s.sdk(account, retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 }))
}

func (s *server) sdk(account string, r aws.Retryer) *organizations.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(account, "secret-"+account, ""),
		Retryer:     func() aws.Retryer { return r },
		HTTPClient:  s.http,
	}
	url := s.url
	return organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(url) })
}

// adminGet calls an admin endpoint and returns the status and body.
func (s *server) adminGet(ctx context.Context, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// --- what the client saw acknowledged ---------------------------------------------

// ledger records every write a client saw acknowledged, and the writes
// whose outcome is unknown because the server died under them.
type ledger struct {
	mu      sync.Mutex
	root    string
	ous     []string          // acknowledged OUs
	ouDepth map[string]int    // their depth
	creates []string          // acknowledged CreateAccount requests
	invited map[string]string // acknowledged invitation → its invitee
	joined  map[string]bool   // invitees whose acceptance was acknowledged
	parent  map[string]string // a joined account's parent, as last acknowledged or verified
	moving  map[string]string // a joined account's move sent without an answer: unsure until verified
	mine    map[int][]string  // the joined accounts each worker moves, so moves never race
	acked   map[string]int    // acknowledged writes by operation
	unknown int               // writes whose outcome is unknown
	// clientClosed counts the unknown outcomes of the client closing its
	// own connection while the server was up.
	clientClosed int
	failed       []string     // errors while the server was up
	next         atomic.Int64 // invitee account numbers
}

func newLedger(root string) *ledger {
	l := &ledger{root: root, ouDepth: map[string]int{root: 0}, invited: map[string]string{}, joined: map[string]bool{},
		parent: map[string]string{}, moving: map[string]string{}, mine: map[int][]string{}, acked: map[string]int{}}
	l.next.Store(200000000000)
	return l
}

func (l *ledger) ack(op string) { l.acked[op]++ }

func (l *ledger) totalAcked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.acked {
		n += c
	}
	return n
}

// load is one cycle's traffic to one server.
type load struct {
	l      *ledger
	srv    *server
	cycle  int
	mgmt   *organizations.Client
	dead   *atomic.Bool    // set just before the server is killed
	stop   context.Context // ends the load
	worker int
	rnd    *mrand.Rand
}

// outcome sorts an error: after the kill or the end of the load it only
// makes the outcome unknown; before, it is a failure, but for the client
// side closing its connection (see reader), whose outcome is unknown too.
func (w *load) outcome(op string, err error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	if w.dead.Load() || w.stop.Err() != nil {
		w.l.unknown++
		return
	}
	if errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed network connection") {
		w.l.unknown++
		w.l.clientClosed++
		return
	}
	w.l.failed = append(w.l.failed, fmt.Sprintf("cycle %d worker %d %s: %v", w.cycle, w.worker, op, err))
}

func (w *load) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(w.stop, callTimeout)
}

// run makes up to maxOps writes until the load stops or the server dies.
func (w *load) run() {
	for n := 0; n < maxOps && w.stop.Err() == nil && !w.dead.Load(); n++ {
		switch w.rnd.IntN(4) {
		case 0:
			w.createOU(n)
		case 1:
			w.createAccount(n)
		case 2:
			w.inviteAndAccept()
		default:
			if !w.move() {
				w.inviteAndAccept()
			}
		}
	}
}

func (w *load) createOU(n int) {
	w.l.mu.Lock()
	parents := []string{w.l.root}
	for _, id := range w.l.ous {
		if w.l.ouDepth[id] < 3 {
			parents = append(parents, id)
		}
	}
	w.l.mu.Unlock()
	parent := parents[w.rnd.IntN(len(parents))]
	ctx, cancel := w.ctx()
	defer cancel()
	out, err := w.mgmt.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(parent), Name: aws.String(fmt.Sprintf("c%d-w%d-%d", w.cycle, w.worker, n)),
	})
	if err != nil {
		w.outcome("CreateOrganizationalUnit", err)
		return
	}
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	id := aws.ToString(out.OrganizationalUnit.Id)
	w.l.ous = append(w.l.ous, id)
	w.l.ouDepth[id] = w.l.ouDepth[parent] + 1
	w.l.ack("CreateOrganizationalUnit")
}

func (w *load) createAccount(n int) {
	ctx, cancel := w.ctx()
	defer cancel()
	name := fmt.Sprintf("c%d-w%d-%d", w.cycle, w.worker, n)
	out, err := w.mgmt.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.net")})
	if err != nil {
		w.outcome("CreateAccount", err)
		return
	}
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	w.l.creates = append(w.l.creates, aws.ToString(out.CreateAccountStatus.Id))
	w.l.ack("CreateAccount")
}

func (w *load) inviteAndAccept() {
	invitee := strconv.FormatInt(w.l.next.Add(1), 10)
	ctx, cancel := w.ctx()
	defer cancel()
	inv, err := w.mgmt.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(invitee)},
	})
	if err != nil {
		w.outcome("InviteAccountToOrganization", err)
		return
	}
	hs := aws.ToString(inv.Handshake.Id)
	w.l.mu.Lock()
	w.l.invited[hs] = invitee
	w.l.ack("InviteAccountToOrganization")
	w.l.mu.Unlock()
	if _, err := w.srv.client(invitee).AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String(hs)}); err != nil {
		w.outcome("AcceptHandshake", err)
		return
	}
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	w.l.joined[invitee] = true
	w.l.parent[invitee] = w.l.root
	w.l.mine[w.worker] = append(w.l.mine[w.worker], invitee)
	w.l.ack("AcceptHandshake")
}

// move moves one of the worker's accounts to another acknowledged parent;
// it reports false when there is nothing to move.
func (w *load) move() bool {
	w.l.mu.Lock()
	accts := w.l.mine[w.worker]
	if len(accts) == 0 || len(w.l.ous) == 0 {
		w.l.mu.Unlock()
		return false
	}
	acct := accts[w.rnd.IntN(len(accts))]
	if _, unsure := w.l.moving[acct]; unsure {
		// Where it is is known again only once verify has looked.
		w.l.mu.Unlock()
		return false
	}
	from := w.l.parent[acct]
	to := w.l.root
	if w.rnd.IntN(3) > 0 || from == w.l.root {
		to = w.l.ous[w.rnd.IntN(len(w.l.ous))]
	}
	if to == from {
		w.l.mu.Unlock()
		return false
	}
	w.l.moving[acct] = to
	w.l.mu.Unlock()
	ctx, cancel := w.ctx()
	defer cancel()
	_, err := w.mgmt.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(acct), SourceParentId: aws.String(from), DestinationParentId: aws.String(to)})
	if err != nil {
		w.outcome("MoveAccount", err)
		return true
	}
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	w.l.parent[acct] = to
	delete(w.l.moving, acct)
	w.l.ack("MoveAccount")
	return true
}

// --- checking ---------------------------------------------------------------------

// verify checks through the server at url that every acknowledged write is
// there and that the state's invariants hold. It runs with no load, and
// settles unknown moves to what it finds.
func (l *ledger) verify(t *testing.T, srv *server, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	errorf := func(format string, args ...any) { t.Errorf(when+": "+format, args...) }

	// First, before any read settles due work: the state as committed.
	status, body, err := srv.adminGet(ctx, "/_orgd/invariants")
	if err != nil || status != http.StatusOK {
		errorf("invariants: %d %s %v", status, body, err)
	}
	mgmt := srv.reader(mgmtID)
	if _, err := mgmt.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("%s: the organization is gone: %v", when, err)
	}
	for _, id := range l.ous {
		if _, err := mgmt.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(id)}); err != nil {
			errorf("acknowledged OU %s: %v", id, err)
		}
	}
	var created []string
	for _, id := range l.creates {
		// With no delay the request completes on the next transaction; a
		// request still IN_PROGRESS must complete soon.
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := mgmt.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(id)})
			if err != nil {
				errorf("acknowledged CreateAccount %s: %v", id, err)
				break
			}
			st := out.CreateAccountStatus
			if st.State == types.CreateAccountStateSucceeded {
				created = append(created, aws.ToString(st.AccountId))
				break
			}
			if st.State != types.CreateAccountStateInProgress || time.Now().After(deadline) {
				errorf("acknowledged CreateAccount %s is %s (%s)", id, st.State, st.FailureReason)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	listed := map[string]bool{}
	in := &organizations.ListAccountsInput{MaxResults: aws.Int32(20)}
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("%s: ListAccounts does not end", when)
		}
		out, err := mgmt.ListAccounts(ctx, in)
		if err != nil {
			t.Fatalf("%s: ListAccounts: %v", when, err)
		}
		for _, a := range out.Accounts {
			listed[aws.ToString(a.Id)] = true
		}
		if in.NextToken = out.NextToken; in.NextToken == nil {
			break
		}
	}
	for _, id := range created {
		if !listed[id] {
			errorf("created account %s is not listed", id)
		}
	}
	for hs, invitee := range l.invited {
		if l.joined[invitee] {
			if !listed[invitee] {
				errorf("account %s, which accepted %s, is not listed", invitee, hs)
			}
			continue
		}
		out, err := mgmt.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: aws.String(hs)})
		if err != nil {
			errorf("acknowledged invitation %s: %v", hs, err)
		} else if st := out.Handshake.State; st != types.HandshakeStateOpen && st != types.HandshakeStateAccepted {
			errorf("acknowledged invitation %s is %s", hs, st)
		}
	}
	for acct := range l.joined {
		out, err := mgmt.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(acct)})
		if err != nil || len(out.Parents) != 1 {
			errorf("parents of %s: %v", acct, err)
			continue
		}
		got := aws.ToString(out.Parents[0].Id)
		if want, unsure := l.parent[acct], l.moving[acct]; got != want && (unsure == "" || got != unsure) {
			errorf("account %s is in %s, want %s (the last acknowledged move) or %q (a move cut short)", acct, got, want, unsure)
		}
		l.parent[acct] = got
		delete(l.moving, acct)
	}
}

// setUp creates the organization on the server at url; it returns the
// ledger of the run.
func setUp(t *testing.T, srv *server) *ledger {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	mgmt := srv.client(mgmtID)
	if _, err := mgmt.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	roots, err := mgmt.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots: %v", err)
	}
	return newLedger(aws.ToString(roots.Roots[0].Id))
}

// serveArgs are the flags of every server under test: creations complete
// at once, and quotas do not get in the load's way.
func serveArgs(store string) []string {
	return []string{"--store", store, "--create-account-delay", "0s", "--quota-accounts", "100000",
		"--quota-concurrent-creates", "1000", "--log-level", "warn"}
}

// cycle runs one cycle of load against targets, workers per target, and
// kills victim 50–400 ms into it; the load on the other targets goes on a
// little longer, to the survivors.
func (l *ledger) cycle(t *testing.T, n int, targets []*server, workersEach int, victim *server) {
	t.Helper()
	stopCtx, stop := context.WithTimeout(context.Background(), maxLoad)
	defer stop()
	var wg sync.WaitGroup
	deads := map[*server]*atomic.Bool{}
	worker := 0
	for _, s := range targets {
		dead := &atomic.Bool{}
		deads[s] = dead
		for range workersEach {
			w := &load{l: l, srv: s, cycle: n, mgmt: s.client(mgmtID), dead: dead, stop: stopCtx, worker: worker,
				rnd: mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), uint64(worker)))}
			worker++
			wg.Go(w.run)
		}
	}
	time.Sleep(killMin + mrand.N(killMax-killMin))
	deads[victim].Store(true)
	victim.kill(t)
	if len(targets) > 1 {
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
}

func (l *ledger) report(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.failed {
		t.Error(f)
	}
	l.failed = nil
}

func (l *ledger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ops []string
	for op, n := range l.acked {
		ops = append(ops, fmt.Sprintf("%s=%d", op, n))
	}
	slices.Sort(ops)
	return fmt.Sprintf("acknowledged %s; %d writes of unknown outcome (%d of them the client closing its connection)",
		strings.Join(ops, " "), l.unknown, l.clientClosed)
}

// TestCrashBolt kills a server on the embedded store under load, again
// and again, and checks after each restart that nothing it acknowledged
// was lost and that the state is consistent.
func TestCrashBolt(t *testing.T) {
	bin := buildOrgd(t)
	srv := newServer(t, "orgd", bin, serveArgs(filepath.Join(t.TempDir(), "orgd.db"))...)
	srv.start(t)
	l := setUp(t, srv)
	n := cycles(t)
	for c := 1; c <= n && !t.Failed(); c++ {
		before := l.totalAcked()
		l.cycle(t, c, []*server{srv}, 4, srv)
		l.report(t)
		srv.start(t)
		l.verify(t, srv, fmt.Sprintf("cycle %d after restart", c))
		t.Logf("cycle %d: %d writes acknowledged before the kill", c, l.totalAcked()-before)
	}
	t.Log(l.summary())
	if l.totalAcked() == 0 {
		t.Fatal("no write was acknowledged: the test checked nothing")
	}
}

// --- PostgreSQL ------------------------------------------------------------------------

// waitSessionsGone waits until PostgreSQL has no session of application
// app. A killed server's transaction can still be committing, or waiting
// for a lock before it learns its client is gone; until its sessions end,
// what it was doing may yet change the state.
func waitSessionsGone(t *testing.T, dsn, app string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.WithParam(t, dsn, "application_name", "orgd-crashtest-watch"))
	if err != nil {
		t.Fatalf("connect to watch sessions: %v", err)
	}
	defer conn.Close(ctx)
	start, first := time.Now(), -1
	for {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Fatalf("sessions of %s: %v", app, err)
		}
		if first < 0 {
			first = n
		}
		if n == 0 {
			if first > 0 {
				t.Logf("%d sessions of the killed server took %v to end", first, time.Since(start).Round(time.Millisecond))
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d sessions of the killed %s still open after 30s", n, app)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestCrashPostgres runs two servers on one PostgreSQL database, sends
// load to both and kills one of them at random; what was acknowledged must
// be seen through the survivor at once and through the killed one after
// its restart.
func TestCrashPostgres(t *testing.T) {
	dsn, schema := pgtest.Schema(t, "orgd_crash_")
	bin := buildOrgd(t)
	var servers []*server
	for _, name := range []string{"orgd-a", "orgd-b"} {
		// Each server's sessions are told apart by their application name.
		app := schema + "-" + name
		s := newServer(t, name, bin, serveArgs(pgtest.WithParam(t, dsn, "application_name", app))...)
		s.afterKill = func(t *testing.T) { waitSessionsGone(t, dsn, app) }
		servers = append(servers, s)
	}
	for _, s := range servers {
		s.start(t)
	}
	l := setUp(t, servers[0])
	n := cycles(t)
	for c := 1; c <= n && !t.Failed(); c++ {
		before := l.totalAcked()
		victim := servers[mrand.IntN(2)]
		survivor := servers[0]
		if survivor == victim {
			survivor = servers[1]
		}
		l.cycle(t, c, servers, 2, victim)
		l.report(t)
		l.verify(t, survivor, fmt.Sprintf("cycle %d via the survivor %s", c, survivor.name))
		victim.start(t)
		l.verify(t, victim, fmt.Sprintf("cycle %d via %s after its restart", c, victim.name))
		t.Logf("cycle %d: killed %s; %d writes acknowledged", c, victim.name, l.totalAcked()-before)
	}
	t.Log(l.summary())
	if l.totalAcked() == 0 {
		t.Fatal("no write was acknowledged: the test checked nothing")
	}
}
