package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
)

// An unknown X-Amz-Target is echoed back cut short, not whole.
func TestUnknownOperationEchoIsBounded(t *testing.T) {
	s := newServer(&stub{})
	long := api.TargetPrefix + "." + strings.Repeat("A", 1<<20)
	r := do(t, s, req{rawTarget: long, body: "{}"})
	wantError(t, r, 400, ErrUnknownOperation, "")
	msg := r.body["Message"].(string)
	if len(msg) > 2*maxEchoedTarget || !strings.Contains(msg, fmt.Sprintf("cut from %d bytes", len(long))) {
		t.Fatalf("message of %d bytes: %.300s", len(msg), msg)
	}
	// A short one is echoed whole.
	r = do(t, s, req{rawTarget: "Nope.Nothing", body: "{}"})
	if msg := r.body["Message"].(string); msg != `Unknown operation "Nope.Nothing".` {
		t.Fatalf("message %q", msg)
	}
}

// A handler's panic is a ServiceException, logged at ERROR with its stack.
func TestPanicLoggedWithStack(t *testing.T) {
	var logs bytes.Buffer
	s := newServer(&stub{})
	s.Log = slog.New(slog.NewTextHandler(&logs, nil))
	r := do(t, s, req{op: "ListRoots", body: `{}`})
	wantError(t, r, 500, api.ErrService, "")
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "handler bug") || !strings.Contains(out, "goroutine ") {
		t.Fatalf("log %q: want the panic and its stack at ERROR", out)
	}
}

func TestWriteServiceError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteServiceError(w)
	r := resp{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if err := json.Unmarshal(w.Body.Bytes(), &r.body); err != nil {
		t.Fatal(err)
	}
	wantError(t, r, http.StatusInternalServerError, api.ErrService, "")
}
