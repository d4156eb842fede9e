package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

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
// when set, to a request the export, import, authorize and impact
// commands send.
func withAdminToken(r *http.Request) *http.Request {
	if tok := os.Getenv("ORGD_ADMIN_TOKEN"); tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// adminAnswer reads an admin endpoint's answer, up to limit bytes, and
// closes it; an answer other than 200 is an error.
func adminAnswer(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, adminError(resp, raw)
	}
	return raw, nil
}

// adminError is the error an admin endpoint's non-200 answer raw carries:
// its message, after its exception type when it has one, and the
// invariant violations it lists.
func adminError(resp *http.Response, raw []byte) error {
	var e struct {
		Error      string   `json:"error"`
		Type       string   `json:"__type"`
		Violations []string `json:"violations"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		return fmt.Errorf("%s %s: %s: %s", resp.Request.Method, resp.Request.URL, resp.Status, bytes.TrimSpace(raw))
	}
	msg := e.Error
	if e.Type != "" {
		msg = e.Type + ": " + msg
	}
	if len(e.Violations) > 0 && !strings.Contains(msg, e.Violations[0]) {
		msg += "\n  " + strings.Join(e.Violations, "\n  ")
	}
	return errors.New(msg)
}
