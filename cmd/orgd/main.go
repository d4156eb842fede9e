// Command orgd is an AWS Organizations control plane.
//
//	orgd serve [flags]   run the server
//	orgd version         print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/orgd/orgd/internal/gcpace"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/boltstore"
	"github.com/orgd/orgd/internal/store/memstore"
	"github.com/orgd/orgd/internal/store/pgstore"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		os.Exit(exitCode("serve", serve(os.Args[2:]), os.Stderr))
	case "authorize":
		os.Exit(authorizeMain(os.Args[2:], os.Stdout, os.Stderr))
	case "impact":
		os.Exit(impactMain(os.Args[2:], os.Stdout, os.Stderr))
	case "clone":
		os.Exit(cloneMain(os.Args[2:], os.Stdout, os.Stderr))
	case "check-store":
		os.Exit(checkStoreMain(os.Args[2:], os.Stdout, os.Stderr))
	case "export", "import":
		os.Exit(stateMain(os.Args[1], os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	case "version", "--version", "-version":
		os.Exit(versionMain(os.Args[2:], os.Stdout, os.Stderr))
	case "reset":
		os.Exit(resetMain(os.Args[2:], os.Stdout, os.Stderr))
	case "clock":
		os.Exit(clockMain(os.Args[2:], os.Stdout, os.Stderr))
	case "health":
		os.Exit(healthMain(os.Args[2:], os.Stdout, os.Stderr))
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "orgd: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  orgd serve [flags]   run the server (orgd serve -h lists the flags)
  orgd version         print the version
  orgd export          write a running server's whole state as JSON (orgd export -h)
  orgd import FILE     replace a running server's state with an export (orgd import -h)
  orgd clone ...       copy a live organization into a state document (orgd clone -h)
  orgd authorize ...   ask a running server whether SCPs allow a request (orgd authorize -h)
  orgd reset           wipe a running server's state (orgd reset -h)
  orgd clock [advance DURATION]
                       print or move a running server's clock (orgd clock -h)
  orgd health          ask a running server whether it is healthy (orgd health -h)
  orgd impact ...      replay CloudTrail against a proposed SCP/RCP change (orgd impact -h)
  orgd check-store [PATH]  check every page of an embedded store file that no server has open
`)
}

func serve(args []string) error {
	cfg := org.DefaultConfig()
	q := &cfg.Quotas
	fs := newFlags("serve", "orgd serve [flags]", "Runs the server: the Organizations and STS APIs and the admin API (/_orgd/) on one address.")
	listen := fs.String("listen", "127.0.0.1:4599", "address to listen on (ORGD_LISTEN)")
	storeURL := fs.String("store", defaultStore(), "where state lives: PATH or bolt:PATH (embedded bbolt file; a directory gets orgd.db), postgres://... (one database shared by several servers) or memory (lost on exit); the default is orgd.db in $ORGD_DATA_DIR, else $XDG_DATA_HOME/orgd, else ~/.local/share/orgd (ORGD_STORE)")
	defaultAccount := fs.String("default-account", "123456789012", "account of access keys that are not 12-digit account IDs (ORGD_DEFAULT_ACCOUNT)")
	region := fs.String("region", "us-east-1", "region orgd reports (ORGD_REGION)")
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug, info, warn or error (ORGD_LOG_LEVEL)")
	logFormat := fs.String("log-format", "text", "text or json (ORGD_LOG_FORMAT)")
	metricsOpen := fs.Bool("metrics-open", false, "let loopback clients read /_orgd/metrics without the admin token, for a scraper on this host (ORGD_METRICS_OPEN)")
	mode := identity.Permissive
	fs.Var(authMode{&mode}, "auth", "permissive (trust any access key) or strict (verify SigV4 against --credentials) (ORGD_AUTH)")
	credFile := fs.String("credentials", "", "JSON file of access keys and the accounts and principals they map to; see docs/auth.md (ORGD_CREDENTIALS)")
	throttled := fs.Bool("throttle", false, "throttle each account's calls as AWS does, answering TooManyRequestsException (ORGD_THROTTLE)")
	adminToken := fs.String("admin-token", "", "bearer token the admin API (/_orgd/) requires; without one it is open in permissive mode (on a loopback --listen unless --admin-open) and off in strict mode (ORGD_ADMIN_TOKEN)")
	adminOpen := fs.Bool("admin-open", false, "serve the admin API without a token on a non-loopback --listen in permissive mode, which orgd otherwise refuses (ORGD_ADMIN_OPEN)")
	limits := httpFlags(fs)
	pprofListen := fs.String("pprof-listen", "", "loopback address to serve net/http/pprof on, for profiling under load; empty serves none (ORGD_PPROF_LISTEN)")
	fs.StringVar(&cfg.Partition, "partition", cfg.Partition, "ARN partition (ORGD_PARTITION)")
	fs.Var(span{&cfg.CreateAccountDelay}, "create-account-delay", "how long CreateAccount stays IN_PROGRESS, on the server clock (ORGD_CREATE_ACCOUNT_DELAY)")
	fs.Var(span{&cfg.CloseAccountDelay}, "close-account-delay", "how long CloseAccount stays PENDING_CLOSURE (ORGD_CLOSE_ACCOUNT_DELAY)")
	fs.Var(count{&q.AccountsPerOrganization}, "quota-accounts", "accounts per organization (ORGD_QUOTA_ACCOUNTS)")
	fs.Var(count{&q.OUDepth}, "quota-ou-depth", "OU nesting depth below the root (ORGD_QUOTA_OU_DEPTH)")
	fs.Var(count{&q.OUsPerOrganization}, "quota-ous", "OUs per organization (ORGD_QUOTA_OUS)")
	fs.Var(count{&q.TagsPerResource}, "quota-tags", "tags per resource (ORGD_QUOTA_TAGS)")
	fs.Var(count{&q.ConcurrentCreateAccount}, "quota-concurrent-creates", "CreateAccount requests in progress at once (ORGD_QUOTA_CONCURRENT_CREATES)")
	fs.Var(count{&q.ConcurrentCloseAccount}, "quota-concurrent-closures", "account closures in progress at once (ORGD_QUOTA_CONCURRENT_CLOSURES)")
	fs.Var(count{&q.InvitationsPerDay}, "quota-invitations-per-day", "invitations per 24 hours; 0 means max(20, accounts quota) (ORGD_QUOTA_INVITATIONS_PER_DAY)")
	fs.BoolVar(&cfg.Compat.FeatureSetFull, "compat-feature-set-full", false, "write FULL instead of ALL in INVITE handshakes (ORGD_COMPAT_FEATURE_SET_FULL)")
	fs.BoolVar(&cfg.Compat.InviteOrgPartyWithoutPrefix, "compat-invite-party-without-prefix", false, "omit o- from the INVITE ORGANIZATION party (ORGD_COMPAT_INVITE_PARTY_WITHOUT_PREFIX)")
	fs.BoolVar(&cfg.Compat.AllFeaturesPartyWithPrefix, "compat-all-features-party-with-prefix", false, "keep o- and h- in all-features handshake parties (ORGD_COMPAT_ALL_FEATURES_PARTY_WITH_PREFIX)")
	fs.BoolVar(&cfg.Compat.RejectInvitesDuringMigration, "compat-reject-invites-during-migration", false, "refuse invitations while EnableAllFeatures is pending (ORGD_COMPAT_REJECT_INVITES_DURING_MIGRATION)")
	if err := setFromEnv(fs, os.LookupEnv); err != nil {
		return configError{err}
	}
	if err := parseFlags(fs, args, os.Stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("serve", "unexpected argument %q", fs.Arg(0))
	}
	log, err := newLogger(*logFormat, level, os.Stderr)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	ids, err := resolver(mode, *credFile, *defaultAccount, cfg.Partition)
	if err != nil {
		return err
	}
	if err := checkAdminExposure(*listen, ids.Strict(), *adminToken, *adminOpen); err != nil {
		return err
	}

	// A fixed headroom for the collector on a small heap, a share of a
	// large one (unless GOGC or GOMEMLIMIT says otherwise).
	defer gcpace.Start(gcpace.Default).Stop()

	m := metrics.New()
	st, err := openStore(*storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
	st = m.Store(st)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc, err := org.New(ctx, st, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if pl, err := startPprof(*pprofListen, log); err != nil {
		return err
	} else if pl != nil {
		defer pl.Close()
	}
	srv := newHTTPServer(server.New(svc, ids, log, append(serverOptions(*adminToken, *throttled), server.WithMetrics(m), server.WithMetricsOpen(*metricsOpen))...), *limits, log)
	log.Info("orgd listening", "addr", ln.Addr().String(), "store", redactURL(*storeURL), "region", *region, "default_account", *defaultAccount, "auth", ids.Mode, "credentials", ids.Credentials.Len(), "version", server.Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(limits.listener(ln)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("orgd shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// resolver builds the identity resolver of the --auth and --credentials
// flags. Strict mode without credentials could accept no request, so it
// is refused.
func resolver(m identity.Mode, credFile, defaultAccount, partition string) (*identity.Resolver, error) {
	ids := &identity.Resolver{DefaultAccount: defaultAccount, Mode: m, Partition: partition}
	if credFile != "" {
		var err error
		if ids.Credentials, err = identity.LoadCredentials(credFile); err != nil {
			return nil, fmt.Errorf("--credentials: %w", err)
		}
	}
	if m == identity.Strict && ids.Credentials.Len() == 0 {
		return nil, errors.New("--auth strict needs --credentials with at least one access key")
	}
	return ids, nil
}

// openStore opens the store that --store names.
func openStore(url string) (store.Store, error) {
	switch {
	case url == "memory":
		return memstore.New(), nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return pgstore.Open(ctx, url)
	case strings.Contains(url, "://"):
		// Not a path: a typo'd scheme must not become a file named after it.
		scheme, _, _ := strings.Cut(url, "://")
		return nil, fmt.Errorf("--store: unknown scheme %q: use memory, a file path, bolt:PATH or postgres://", scheme)
	}
	path, err := boltPath(url)
	if err != nil {
		return nil, err
	}
	return boltstore.Open(path)
}

// boltPath is the embedded store's file that a --store of PATH or
// bolt:PATH names: a directory's orgd.db, the default store for none.
func boltPath(url string) (string, error) {
	path := strings.TrimPrefix(url, "bolt:")
	if path == "" {
		if path = defaultStore(); path == "" {
			return "", errors.New("--store: no data directory: set ORGD_DATA_DIR, HOME or --store")
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "orgd.db")
	}
	if path == defaultStore() {
		// orgd's own data directory is made whole, as XDG asks; a path
		// the user names gets only its last directory (boltstore.Open).
		if err := os.MkdirAll(filepath.Dir(filepath.Dir(path)), 0o700); err != nil {
			return "", fmt.Errorf("--store: %w", err)
		}
	}
	return path, nil
}

// defaultStore returns the embedded store's file in orgd's data directory:
// $ORGD_DATA_DIR, else $XDG_DATA_HOME/orgd, else ~/.local/share/orgd. It
// returns "" when none of them can be found.
func defaultStore() string {
	dir := os.Getenv("ORGD_DATA_DIR")
	if dir == "" {
		if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
			dir = filepath.Join(xdg, "orgd")
		} else if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "share", "orgd")
		} else {
			return ""
		}
	}
	return filepath.Join(dir, "orgd.db")
}
