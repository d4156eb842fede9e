// Package console serves orgd's web console under /_orgd/console/: pages
// that show an organization (its tree, accounts, policies, handshakes and
// migration) as the management account sees it through the Organizations
// API, and that may answer a handshake as its recipient. It reads and acts
// only through the domain's Service calls, the ones the API makes.
package console

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/org"
)

// Prefix is where the console is served.
const Prefix = "/_orgd/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Console.
type Config struct {
	// Token is the admin token; when set, the console needs a session
	// that signing in with it opens.
	Token string
	// DefaultAccount is the account whose organization /_orgd/console/
	// opens.
	DefaultAccount string
	// LastImpact returns the JSON report of the last `orgd impact` run,
	// false when there is none; nil means there never is one.
	LastImpact func() ([]byte, bool)
	Log        *slog.Logger
}

// Console is the console's handler.
type Console struct {
	svc      *org.Service
	cfg      Config
	sessions *sessions
	mux      *http.ServeMux // the pages of one organization, below Prefix+account
}

// New returns the console of svc.
func New(svc *org.Service, cfg Config) *Console {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Console{svc: svc, cfg: cfg, sessions: newSessions(cfg.Token)}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", c.organization)
	m.HandleFunc("POST /clock", c.advanceClock)
	m.HandleFunc("GET /tree", c.tree)
	m.HandleFunc("GET /tree/children", c.treeChildren)
	m.HandleFunc("GET /search", c.search)
	m.HandleFunc("GET /accounts/{id}", c.account)
	m.HandleFunc("GET /handshakes", c.handshakes)
	m.HandleFunc("GET /handshakes/{id}", c.handshake)
	m.HandleFunc("POST /handshakes/{id}/{answer}", c.answerHandshake)
	m.HandleFunc("GET /migration", c.migration)
	m.HandleFunc("GET /policies", c.policies)
	m.HandleFunc("GET /policies/{id}", c.policy)
	m.HandleFunc("GET /delegated", c.delegated)
	m.HandleFunc("GET /impact", c.impact)
	m.HandleFunc("/", c.notFound)
	c.mux = m
	return c
}

var accountPath = regexp.MustCompile(`^(\d{12})(/.*)?$`)

// ServeHTTP serves every console URL but the sign-in page (SignIn): the
// landing page, the static files, and the pages of an organization at
// Prefix+<management account>/...
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if r.URL.Path+"/" == Prefix {
		rest = ""
	} else if !strings.HasPrefix(r.URL.Path, Prefix) {
		c.notFound(w, r)
		return
	}
	if file, ok := strings.CutPrefix(rest, "static/"); ok {
		c.static(w, r, file)
		return
	}
	if rest == "signout" {
		c.signOut(w, r)
		return
	}
	c.sessions.ensure(w, r)
	if rest == "" {
		c.landing(w, r)
		return
	}
	m := accountPath.FindStringSubmatch(rest)
	if m == nil {
		c.notFound(w, r)
		return
	}
	if m[2] == "" {
		http.Redirect(w, r, Prefix+m[1]+"/", http.StatusMovedPermanently)
		return
	}
	p, err := c.newPage(r, m[1])
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	if p.Mgmt != m[1] {
		// A member's URL shows its organization: the management account's.
		u := *r.URL
		u.Path = Prefix + p.Mgmt + m[2]
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	r2 := r.Clone(context.WithValue(r.Context(), pageKey{}, p))
	r2.URL.Path = m[2]
	r2.URL.RawPath = ""
	c.mux.ServeHTTP(w, r2)
}

// page is what every page of an organization shows around its content.
type page struct {
	Base    string // Prefix + management account, without the slash
	Mgmt    string
	Org     api.Organization
	Root    api.Root
	Now     time.Time
	CSRF    string
	SignOut bool // a session to end
	Title   string
	Nav     string
	Data    any
	Notice  string
	Query   string // the search box's
	Live    bool   // the content refreshes itself
	URL     string
	asMgmt  context.Context
}

type pageKey struct{}

func pageOf(r *http.Request) *page { return r.Context().Value(pageKey{}).(*page) }

// newPage finds the organization of account acct: the console reads as
// its management account, which sees all of it.
func (c *Console) newPage(r *http.Request, acct string) (*page, error) {
	ctx := r.Context()
	p := &page{}
	out, err := c.svc.DescribeOrganization(c.as(ctx, acct), &api.Empty{})
	if err != nil {
		return nil, err
	}
	p.Org = *out.Organization
	p.Mgmt = p.Org.MasterAccountId
	p.Base = strings.TrimSuffix(Prefix, "/") + "/" + p.Mgmt
	p.asMgmt = c.as(ctx, p.Mgmt)
	roots, err := c.svc.ListRoots(p.asMgmt, &api.ListRootsRequest{})
	if err != nil {
		return nil, err
	}
	if len(roots.Roots) > 0 {
		p.Root = roots.Roots[0]
	}
	if p.Now, err = c.svc.Now(ctx); err != nil {
		return nil, err
	}
	p.CSRF, p.SignOut = c.sessions.csrf(r)
	p.URL = r.URL.RequestURI()
	return p, nil
}

// as is ctx acting as the root user of account acct, as the API puts a
// caller on the context it passes to the domain.
func (c *Console) as(ctx context.Context, acct string) context.Context {
	return identity.NewContext(ctx, identity.Caller{AccountID: acct, Principal: identity.RootARN(c.svc.Config().Partition, acct)})
}

// landing opens the organization of the default account, or asks for an
// account when that one is in none.
func (c *Console) landing(w http.ResponseWriter, r *http.Request) {
	acct := r.URL.Query().Get("account")
	if acct == "" {
		acct = c.cfg.DefaultAccount
	}
	var problem string
	if acct != "" {
		out, err := c.svc.DescribeOrganization(c.as(r.Context(), acct), &api.Empty{})
		if err == nil {
			http.Redirect(w, r, Prefix+out.Organization.MasterAccountId+"/", http.StatusFound)
			return
		}
		problem = "Account " + acct + ": " + errorText(err)
	}
	p := &page{Title: "Choose an organization", Data: problem}
	p.CSRF, p.SignOut = c.sessions.csrf(r)
	c.render(w, r, http.StatusOK, "landing", p)
}

func (c *Console) static(w http.ResponseWriter, r *http.Request, file string) {
	sub, _ := fs.Sub(staticFS, "static")
	if _, err := fs.Stat(sub, file); err != nil || file == "" || strings.Contains(file, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, sub, file)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	p, _ := r.Context().Value(pageKey{}).(*page)
	where := r.URL.Path
	if p == nil {
		p = &page{}
	} else {
		where = p.Base + r.URL.Path // the path below the organization's
	}
	p.Title, p.Data = "Not found", "There is no console page at "+where+"."
	c.render(w, r, http.StatusNotFound, "error", p)
}

// fail shows err: an API error as the API would name it, with the status
// the API would send.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *page, err error) {
	status := http.StatusInternalServerError
	var e *api.Error
	if errors.As(err, &e) && !e.Fault() {
		status = http.StatusBadRequest
		if strings.HasSuffix(e.Type, "NotFoundException") || e.Type == api.ErrAWSOrganizationsNotInUse {
			status = http.StatusNotFound
		}
	} else {
		c.cfg.Log.Error("console", "path", r.URL.Path, "err", err)
	}
	if p == nil {
		p = &page{}
	}
	p.Title, p.Data = "Error", errorText(err)
	c.render(w, r, status, "error", p)
}

func errorText(err error) string {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Type + ": " + e.Message
	}
	return err.Error()
}
