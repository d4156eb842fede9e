// Command orgd is an AWS Organizations control plane.
//
//	orgd serve [flags]   run the server
//	orgd version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orgd/orgd/internal/identity"
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
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "orgd:", err)
			os.Exit(1)
		}
	case "authorize":
		os.Exit(authorizeMain(os.Args[2:], os.Stdout, os.Stderr))
	case "clone":
		os.Exit(cloneMain(os.Args[2:], os.Stdout, os.Stderr))
	case "export", "import":
		os.Exit(stateMain(os.Args[1], os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	case "version", "--version", "-version":
		fmt.Println("orgd", server.Version)
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
`)
}

// env returns the environment variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return def
}

func serve(args []string) error {
	cfg := org.DefaultConfig()
	q := &cfg.Quotas
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", env("ORGD_LISTEN", "127.0.0.1:4599"), "address to listen on (ORGD_LISTEN)")
	storeURL := fs.String("store", env("ORGD_STORE", defaultStore()), "where state lives: PATH or bolt:PATH (embedded bbolt file; a directory gets orgd.db), postgres://... (one database shared by several servers) or memory (lost on exit); the default is orgd.db in $ORGD_DATA_DIR, else $XDG_DATA_HOME/orgd, else ~/.local/share/orgd (ORGD_STORE)")
	defaultAccount := fs.String("default-account", env("ORGD_DEFAULT_ACCOUNT", "123456789012"), "account of access keys that are not 12-digit account IDs (ORGD_DEFAULT_ACCOUNT)")
	region := fs.String("region", env("ORGD_REGION", "us-east-1"), "region orgd reports (ORGD_REGION)")
	logLevel := fs.String("log-level", env("ORGD_LOG_LEVEL", "info"), "debug, info, warn or error (ORGD_LOG_LEVEL)")
	authMode := fs.String("auth", env("ORGD_AUTH", "permissive"), "permissive (trust any access key) or strict (verify SigV4 against --credentials) (ORGD_AUTH)")
	credFile := fs.String("credentials", env("ORGD_CREDENTIALS", ""), "JSON file of access keys and the accounts and principals they map to; see docs/auth.md (ORGD_CREDENTIALS)")
	throttled := fs.Bool("throttle", envBool("ORGD_THROTTLE", false), "throttle each account's calls as AWS does, answering TooManyRequestsException (ORGD_THROTTLE)")
	adminToken := fs.String("admin-token", env("ORGD_ADMIN_TOKEN", ""), "bearer token the admin API (/_orgd/) requires; without one it is open in permissive mode and off in strict mode (ORGD_ADMIN_TOKEN)")
	fs.StringVar(&cfg.Partition, "partition", env("ORGD_PARTITION", cfg.Partition), "ARN partition (ORGD_PARTITION)")
	fs.DurationVar(&cfg.CreateAccountDelay, "create-account-delay", envDuration("ORGD_CREATE_ACCOUNT_DELAY", cfg.CreateAccountDelay), "how long CreateAccount stays IN_PROGRESS, on the server clock (ORGD_CREATE_ACCOUNT_DELAY)")
	fs.DurationVar(&cfg.CloseAccountDelay, "close-account-delay", envDuration("ORGD_CLOSE_ACCOUNT_DELAY", cfg.CloseAccountDelay), "how long CloseAccount stays PENDING_CLOSURE (ORGD_CLOSE_ACCOUNT_DELAY)")
	fs.IntVar(&q.AccountsPerOrganization, "quota-accounts", envInt("ORGD_QUOTA_ACCOUNTS", q.AccountsPerOrganization), "accounts per organization (ORGD_QUOTA_ACCOUNTS)")
	fs.IntVar(&q.OUDepth, "quota-ou-depth", envInt("ORGD_QUOTA_OU_DEPTH", q.OUDepth), "OU nesting depth below the root (ORGD_QUOTA_OU_DEPTH)")
	fs.IntVar(&q.OUsPerOrganization, "quota-ous", envInt("ORGD_QUOTA_OUS", q.OUsPerOrganization), "OUs per organization (ORGD_QUOTA_OUS)")
	fs.IntVar(&q.TagsPerResource, "quota-tags", envInt("ORGD_QUOTA_TAGS", q.TagsPerResource), "tags per resource (ORGD_QUOTA_TAGS)")
	fs.IntVar(&q.ConcurrentCreateAccount, "quota-concurrent-creates", envInt("ORGD_QUOTA_CONCURRENT_CREATES", q.ConcurrentCreateAccount), "CreateAccount requests in progress at once (ORGD_QUOTA_CONCURRENT_CREATES)")
	fs.IntVar(&q.ConcurrentCloseAccount, "quota-concurrent-closures", envInt("ORGD_QUOTA_CONCURRENT_CLOSURES", q.ConcurrentCloseAccount), "account closures in progress at once (ORGD_QUOTA_CONCURRENT_CLOSURES)")
	fs.IntVar(&q.InvitationsPerDay, "quota-invitations-per-day", envInt("ORGD_QUOTA_INVITATIONS_PER_DAY", 0), "invitations per 24 hours; 0 means max(20, accounts quota) (ORGD_QUOTA_INVITATIONS_PER_DAY)")
	fs.BoolVar(&cfg.Compat.FeatureSetFull, "compat-feature-set-full", envBool("ORGD_COMPAT_FEATURE_SET_FULL", false), "write FULL instead of ALL in INVITE handshakes (ORGD_COMPAT_FEATURE_SET_FULL)")
	fs.BoolVar(&cfg.Compat.InviteOrgPartyWithoutPrefix, "compat-invite-party-without-prefix", envBool("ORGD_COMPAT_INVITE_PARTY_WITHOUT_PREFIX", false), "omit o- from the INVITE ORGANIZATION party (ORGD_COMPAT_INVITE_PARTY_WITHOUT_PREFIX)")
	fs.BoolVar(&cfg.Compat.AllFeaturesPartyWithPrefix, "compat-all-features-party-with-prefix", envBool("ORGD_COMPAT_ALL_FEATURES_PARTY_WITH_PREFIX", false), "keep o- and h- in all-features handshake parties (ORGD_COMPAT_ALL_FEATURES_PARTY_WITH_PREFIX)")
	fs.BoolVar(&cfg.Compat.RejectInvitesDuringMigration, "compat-reject-invites-during-migration", envBool("ORGD_COMPAT_REJECT_INVITES_DURING_MIGRATION", false), "refuse invitations while EnableAllFeatures is pending (ORGD_COMPAT_REJECT_INVITES_DURING_MIGRATION)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	ids, err := resolver(*authMode, *credFile, *defaultAccount, cfg.Partition)
	if err != nil {
		return err
	}

	st, err := openStore(*storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
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
	srv := &http.Server{
		Handler:           server.New(svc, ids, log, serverOptions(*adminToken, *throttled)...),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Info("orgd listening", "addr", ln.Addr().String(), "store", redactURL(*storeURL), "region", *region, "default_account", *defaultAccount, "auth", ids.Mode, "credentials", ids.Credentials.Len(), "version", server.Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
func resolver(mode, credFile, defaultAccount, partition string) (*identity.Resolver, error) {
	m, err := identity.ParseMode(mode)
	if err != nil {
		return nil, fmt.Errorf("--auth: %w", err)
	}
	ids := &identity.Resolver{DefaultAccount: defaultAccount, Mode: m, Partition: partition}
	if credFile != "" {
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
	path := strings.TrimPrefix(url, "bolt:")
	if path == "" {
		if path = defaultStore(); path == "" {
			return nil, errors.New("--store: no data directory: set ORGD_DATA_DIR, HOME or --store")
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "orgd.db")
	}
	return boltstore.Open(path)
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
