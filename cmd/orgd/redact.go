package main

import (
	"net/url"
	"strings"
)

// redactURL returns a --store value fit for the log: a PostgreSQL URL's
// password, in the user info or as a password parameter, is replaced.
// Other values are paths or "memory" and come back unchanged.
func redactURL(s string) string {
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		// Whatever it holds, it may hold a password.
		scheme, _, _ := strings.Cut(s, "://")
		return scheme + "://(unparsable URL, redacted)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
