package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/orgd/orgd/internal/org"
)

// maxStateBody bounds an imported document; Import holds it in memory.
const maxStateBody = 256 << 20

// exportState answers the whole state as one document (org.Service.Export).
// It is built before the first byte is sent, so that a failure is a 500
// and not a truncated 200. STS sessions, live credentials, are in it only
// with ?sessions=include.
func (a *admin) exportState(w http.ResponseWriter, r *http.Request) {
	var opts org.ExportOptions
	switch v := r.URL.Query().Get("sessions"); v {
	case "", "omit":
	case "include":
		opts.Sessions = true
	default:
		writeError(w, http.StatusBadRequest, adminError{Error: fmt.Sprintf("sessions must be include or omit, not %q", v)})
		return
	}
	var b bytes.Buffer
	if err := a.svc.ExportWith(r.Context(), &b, opts); err != nil {
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="orgd-state.json"`)
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// importState replaces the state with the document in the body. A
// document Import refuses is a 400 and leaves the state as it was.
func (a *admin) importState(w http.ResponseWriter, r *http.Request) {
	err := a.svc.Import(r.Context(), http.MaxBytesReader(w, r.Body, maxStateBody))
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]string{"status": "imported"})
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, adminError{Error: err.Error()})
	case errors.Is(err, org.ErrInvalidState):
		writeError(w, http.StatusBadRequest, adminError{Error: err.Error(), Violations: violations(err)})
	default:
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
	}
}

// invariants checks the stored state (org.Service.CheckInvariants).
func (a *admin) invariants(w http.ResponseWriter, r *http.Request) {
	err := a.svc.CheckInvariants(r.Context())
	var ie *org.InvariantError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errors.As(err, &ie):
		writeJSON(w, http.StatusInternalServerError, invariantsFailed{adminError: adminError{Error: err.Error(), Violations: ie.Violations}})
	default:
		writeJSON(w, http.StatusInternalServerError, invariantsFailed{adminError: adminError{Error: err.Error()}})
	}
}

// violations returns the invariant violations err carries, or none.
func violations(err error) []string {
	var ie *org.InvariantError
	if errors.As(err, &ie) {
		return ie.Violations
	}
	return []string{}
}

// invariantsFailed is the answer of GET /_orgd/invariants on a broken
// state: {"ok": false} and the admin error.
type invariantsFailed struct {
	OK bool `json:"ok"`
	adminError
}
