package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// cookieName is the session cookie. Its value is a random nonce, when it
// was issued, and the server's MAC of both, so the server keeps no session
// state and the cookie never carries the admin token itself.
const cookieName = "orgd_console"

// sessionLifetime bounds a session, so that a cookie that leaked stops
// working without a change of token.
const sessionLifetime = 12 * time.Hour

// sessions issues and checks session cookies and the CSRF tokens that go
// with them.
type sessions struct {
	token string
	// key signs cookies: derived from the admin token, so that sessions
	// outlive a restart and end when the token changes; random when
	// there is no token, where the session only carries the CSRF token.
	key []byte
}

func newSessions(token string) *sessions {
	s := &sessions{token: token}
	if token != "" {
		k := sha256.Sum256([]byte("orgd console session key\x00" + token))
		s.key = k[:]
	} else {
		s.key = make([]byte, 32)
		rand.Read(s.key)
	}
	return s
}

func (s *sessions) mac(purpose, nonce string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// nonce returns the nonce of r's session cookie when its MAC is right and
// the session has not ended. The nonce includes when it was issued.
func (s *sessions) nonce(r *http.Request) (string, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	i := strings.LastIndexByte(ck.Value, '.')
	if i < 0 {
		return "", false
	}
	nonce, mac := ck.Value[:i], ck.Value[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.mac("session", nonce))) {
		return "", false
	}
	_, issued, ok := strings.Cut(nonce, ".")
	sec, err := strconv.ParseInt(issued, 36, 64)
	if !ok || err != nil {
		return "", false
	}
	if age := time.Since(time.Unix(sec, 0)); age < -time.Minute || age > sessionLifetime {
		return "", false
	}
	return nonce, true
}

// cookieValue is the session cookie's value for nonce.
func (s *sessions) cookieValue(nonce string) string { return nonce + "." + s.mac("session", nonce) }

// issue sets a new session cookie on w and returns its nonce.
func (s *sessions) issue(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 18)
	rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b) + "." + strconv.FormatInt(time.Now().Unix(), 36)
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.cookieValue(nonce), Path: Prefix, MaxAge: int(sessionLifetime / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return nonce
}

// ensure returns r's session nonce, opening a session when there is no
// token to sign in with and r has none: POST forms need its CSRF token.
func (s *sessions) ensure(w http.ResponseWriter, r *http.Request) string {
	if n, ok := s.nonce(r); ok {
		return n
	}
	if s.token == "" {
		n := s.issue(w, r)
		// The page being built reads the cookie of this request.
		r.AddCookie(&http.Cookie{Name: cookieName, Value: s.cookieValue(n)})
		return n
	}
	return ""
}

// csrf returns the CSRF token of r's session, and whether there is a
// session to sign out of.
func (s *sessions) csrf(r *http.Request) (string, bool) {
	n, ok := s.nonce(r)
	if !ok {
		return "", false
	}
	return s.mac("csrf", n), s.token != ""
}

// SignedIn reports whether r carries a session that signing in opened:
// the server's admin guard lets such requests reach the console.
func (c *Console) SignedIn(r *http.Request) bool {
	_, ok := c.sessions.nonce(r)
	return ok && c.sessions.token != ""
}

// checkPost refuses a state-changing request that another site may have
// made: one from a foreign origin, or a form without its session's CSRF
// token. A request with an Authorization header passed the admin guard
// with it, and no other site can make a browser send one.
func (c *Console) checkPost(r *http.Request) bool {
	if !sameOrigin(r) {
		return false
	}
	if r.Header.Get("Authorization") != "" {
		return true
	}
	want, _ := c.sessions.csrf(r)
	return want != "" && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(want)) == 1
}

// sameOrigin is false when the browser says r comes from another site.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// SignIn serves the sign-in page: GET shows the form, POST checks the
// admin token and opens a session. Without a token there is nothing to
// sign in to.
func (c *Console) SignIn(w http.ResponseWriter, r *http.Request) {
	if c.sessions.token == "" {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	next := safeNext(r.FormValue("next"))
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		c.render(w, r, http.StatusOK, "signin", &page{Title: "Sign in", Data: signIn{Next: next}})
	case http.MethodPost:
		if !sameOrigin(r) {
			c.render(w, r, http.StatusForbidden, "error", &page{Title: "Refused", Data: "This form was sent from another site."})
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(c.sessions.token)) != 1 {
			c.render(w, r, http.StatusUnauthorized, "signin", &page{Title: "Sign in", Data: signIn{Next: next, Wrong: true}})
			return
		}
		c.sessions.issue(w, r)
		http.Redirect(w, r, next, http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

type signIn struct {
	Next  string
	Wrong bool
}

// signOut ends the session.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !c.checkPost(r) {
		c.render(w, r, http.StatusForbidden, "error", &page{Title: "Refused", Data: "Signing out takes the console's own form."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// safeNext keeps a redirect target inside the console.
func safeNext(next string) string {
	p, _, _ := strings.Cut(next, "?")
	if !strings.HasPrefix(next, Prefix) || strings.ContainsAny(next, "\\\r\n") || !strings.HasPrefix(path.Clean(p)+"/", Prefix) {
		return Prefix
	}
	return next
}

// Refuse answers a request the admin guard turned away: the sign-in page
// when a token would let it in, a page saying the console is off
// otherwise.
func (c *Console) Refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusUnauthorized && c.sessions.token != "" {
		next := Prefix
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		c.render(w, r, status, "signin", &page{Title: "Sign in", Data: signIn{Next: safeNext(next)}})
		return
	}
	if status == http.StatusForbidden {
		msg = "The console is off: this server runs in strict mode without an admin token. Start orgd with --admin-token to use it."
	}
	c.render(w, r, status, "error", &page{Title: "Console off", Data: msg})
}
