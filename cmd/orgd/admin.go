package main

import (
	"net/http"
	"os"

	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/throttle"
)

// serverOptions turns the --admin-token and --throttle flags into the
// server's options.
func serverOptions(adminToken string, throttled bool) []server.Option {
	opts := []server.Option{server.WithAdminToken(adminToken)}
	if throttled {
		opts = append(opts, server.WithThrottle(throttle.New()))
	}
	return opts
}

// withAdminToken adds the admin API's bearer token from ORGD_ADMIN_TOKEN,
// when set, to a request the export, import and authorize commands send.
func withAdminToken(r *http.Request) *http.Request {
	if tok := os.Getenv("ORGD_ADMIN_TOKEN"); tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}
