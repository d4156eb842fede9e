package main

import (
	"net/http"
	"os"
)

// withAdminToken adds the admin API's bearer token from ORGD_ADMIN_TOKEN,
// when set, to a request the export, import and authorize commands send.
func withAdminToken(r *http.Request) *http.Request {
	if tok := os.Getenv("ORGD_ADMIN_TOKEN"); tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}
