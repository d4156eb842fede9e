package console

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestSessionCookie(t *testing.T) {
	s := newSessions("tok")
	at := func(issued time.Time) string {
		return "bm9uY2Vub25jZQ." + strconv.FormatInt(issued.Unix(), 36)
	}
	withCookie := func(v string) *http.Request {
		r := httptest.NewRequest("GET", Prefix, nil)
		r.AddCookie(&http.Cookie{Name: cookieName, Value: v})
		return r
	}
	now := time.Now()
	fresh := at(now.Add(-time.Hour))
	for _, tc := range []struct {
		name  string
		value string
		ok    bool
	}{
		{"an hour old", s.cookieValue(fresh), true},
		{"ended", s.cookieValue(at(now.Add(-sessionLifetime - time.Minute))), false},
		{"from the future", s.cookieValue(at(now.Add(time.Hour))), false},
		// Moving the issue time forward breaks the MAC.
		{"issue time changed", at(now) + s.cookieValue(fresh)[len(fresh):], false},
		{"another token's", newSessions("other").cookieValue(fresh), false},
		{"no issue time", s.cookieValue("bm9uY2Vub25jZQ"), false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := s.nonce(withCookie(tc.value)); ok != tc.ok {
				t.Errorf("cookie %q accepted: %v, want %v", tc.value, ok, tc.ok)
			}
		})
	}
	// A CSRF token belongs to its session.
	a, _ := s.csrf(withCookie(s.cookieValue(fresh)))
	b, _ := s.csrf(withCookie(s.cookieValue(at(now.Add(-2 * time.Hour)))))
	if a == "" || a == b {
		t.Errorf("CSRF tokens of two sessions: %q, %q", a, b)
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"":                              Prefix,
		Prefix + "111111111111/tree":    Prefix + "111111111111/tree",
		"/elsewhere":                    Prefix,
		"https://evil.example" + Prefix: Prefix,
		Prefix + "x\r\nSet-Cookie: a=b": Prefix,
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}
