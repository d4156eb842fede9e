package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/impact"
	"github.com/orgd/orgd/internal/org"
)

// impactReports serves POST /_orgd/impact, which replays CloudTrail
// against a proposed SCP or RCP change, and GET /_orgd/impact, the last
// report, for the console.
type impactReports struct {
	svc  *org.Service
	log  *slog.Logger
	mu   sync.Mutex
	last []byte
}

const impactUsage = `body must be one line of JSON with the proposal ({"organization", "new": [{"name", "type", "content"}], "content": [{"policy", "content"}], "attach": [{"policy", "target"}], "detach": [...]}), then CloudTrail JSON`

// maxProposal bounds the proposal line: ten 10,240-character SCPs and
// their escapes fit with room to spare.
const maxProposal = 1 << 20

// replay reads the proposal from the first line of the body and the
// events from the rest, incrementally: the body is never held whole.
func (h *impactReports) replay(w http.ResponseWriter, r *http.Request) {
	body := bufio.NewReaderSize(r.Body, 256<<10)
	line, err := readLine(body, maxProposal)
	if err != nil {
		writeError(w, http.StatusBadRequest, adminError{Error: impactUsage + ": " + err.Error()})
		return
	}
	var p org.Proposal
	dec := json.NewDecoder(bytes.NewReader(line))
	// A misspelt field would silently drop part of the change.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		writeError(w, http.StatusBadRequest, adminError{Error: impactUsage + ": " + err.Error()})
		return
	}
	sim, err := h.svc.Simulate(r.Context(), p)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	// A long replay says how far it is, every ten seconds.
	start, logged := time.Now(), time.Now()
	progress := func(events int) {
		if time.Since(logged) >= 10*time.Second {
			logged = time.Now()
			h.log.Info("impact replay", "events", events, "elapsed", time.Since(start).Round(time.Second))
		}
	}
	rep, err := impact.Replay(r.Context(), sim, impact.NewReader(body, "request body"), impact.Options{Progress: progress})
	if err != nil {
		// The stream is what the client sent: a malformed file is its
		// error, named with the file and record.
		writeError(w, http.StatusBadRequest, adminError{Error: err.Error()})
		return
	}
	rep.Proposal = &p
	out, err := json.Marshal(rep)
	if err != nil {
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
		return
	}
	h.mu.Lock()
	h.last = out
	h.mu.Unlock()
	writeRaw(w, out)
}

// report answers the last report.
func (h *impactReports) report(w http.ResponseWriter, r *http.Request) {
	out, ok := h.lastReport()
	if !ok {
		writeError(w, http.StatusNotFound, adminError{Error: "no impact report yet: POST /_orgd/impact (orgd impact) makes one"})
		return
	}
	writeRaw(w, out)
}

// lastReport is the last report's JSON, for the console; false before
// the first.
func (h *impactReports) lastReport() ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last, h.last != nil
}

func writeRaw(w http.ResponseWriter, out []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	w.Write([]byte("\n"))
}

// readLine reads up to the first newline, which it drops.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit {
			return nil, errors.New("the proposal line is too long")
		}
		if err == nil {
			return line[:len(line)-1], nil
		}
		if err != bufio.ErrBufferFull {
			if len(line) == 0 {
				return nil, errors.New("the body is empty")
			}
			return line, nil
		}
	}
}

// writeAPIError answers an error of the domain as the admin API does: its
// exception type and message, 404 when there is no organization to act on.
func writeAPIError(w http.ResponseWriter, err error) {
	var e *api.Error
	if !errors.As(err, &e) {
		writeError(w, http.StatusInternalServerError, adminError{Error: err.Error()})
		return
	}
	status := http.StatusBadRequest
	if e.Type == api.ErrAWSOrganizationsNotInUse {
		status = http.StatusNotFound
	}
	writeError(w, status, adminError{Error: e.Message, Type: e.Type})
}
