package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/store"
	"github.com/orgd/orgd/internal/store/memstore"
)

type stats struct {
	st  org.Stats
	err error
}

func (s *stats) Stats(context.Context) (org.Stats, error) { return s.st, s.err }

func scrape(t *testing.T, m *Metrics) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	return w.Code, w.Body.String()
}

func TestStateAndRequests(t *testing.T) {
	m := New()
	src := &stats{st: org.Stats{Organizations: 2, Accounts: 7, Migrations: 1,
		OpenHandshakes: map[api.ActionType]int{api.ActionTypeInvite: 3}}}
	m.CollectState(src)
	m.Request("ListAccounts", "", 3*time.Millisecond)
	m.Request("ListAccounts", api.ErrAccessDenied, time.Millisecond)
	m.Request("", "UnknownOperationException", time.Millisecond)
	m.SCPDecision("NO_ALLOW")
	code, body := scrape(t, m)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	for _, want := range []string{
		"orgd_organizations 2", "orgd_accounts 7", "orgd_migrations_in_progress 1",
		`orgd_open_handshakes{action="INVITE"} 3`, `orgd_open_handshakes{action="TRANSFER_RESPONSIBILITY"} 0`,
		`orgd_requests_total{operation="ListAccounts",outcome="ok"} 1`,
		`orgd_requests_total{operation="ListAccounts",outcome="AccessDeniedException"} 1`,
		`orgd_requests_total{operation="unknown",outcome="UnknownOperationException"} 1`,
		`orgd_request_duration_seconds_count{operation="ListAccounts"} 2`,
		`orgd_scp_decisions_total{result="NO_ALLOW"} 1`,
		"go_goroutines ", "process_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in the scrape", want)
		}
	}
}

// A scrape whose state cannot be counted fails and says why, rather than
// reporting zeros.
func TestStateError(t *testing.T) {
	m := New()
	m.CollectState(&stats{err: errors.New("store unreachable")})
	code, body := scrape(t, m)
	if code != http.StatusInternalServerError || !strings.Contains(body, "store unreachable") || strings.Contains(body, "orgd_organizations 0") {
		t.Fatalf("%d %s", code, body)
	}
}

// Two servers given one Metrics (server.WithMetrics) do not panic; the
// first state is the one counted.
func TestCollectStateTwice(t *testing.T) {
	m := New()
	m.CollectState(&stats{st: org.Stats{Organizations: 1}})
	m.CollectState(&stats{st: org.Stats{Organizations: 5}})
	if _, body := scrape(t, m); !strings.Contains(body, "orgd_organizations 1\n") {
		t.Fatalf("%s", body)
	}
}

// The series an operation's requests keep are the vector's own: counts
// add up across requests, and an operation never called has none.
func TestRequestSeriesKept(t *testing.T) {
	m := New()
	for range 3 {
		m.Request("DescribeOrganization", "", time.Millisecond)
	}
	m.Request("DescribeOrganization", api.ErrAWSOrganizationsNotInUse, time.Millisecond)
	m.Request("AssumeRole", "", time.Millisecond) // an STS action: not a model operation
	_, body := scrape(t, m)
	for _, want := range []string{
		`orgd_requests_total{operation="DescribeOrganization",outcome="ok"} 3`,
		`orgd_requests_total{operation="DescribeOrganization",outcome="AWSOrganizationsNotInUseException"} 1`,
		`orgd_request_duration_seconds_count{operation="DescribeOrganization"} 4`,
		`orgd_requests_total{operation="AssumeRole",outcome="ok"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in the scrape", want)
		}
	}
	if strings.Contains(body, `operation="ListAccounts"`) {
		t.Error("an operation never called has series")
	}
}

// Requests counted at once, the first ones racing to make the series,
// all land in the one series (run with -race).
func TestRequestSeriesConcurrent(t *testing.T) {
	m := New()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				m.Request("ListRoots", "", time.Millisecond)
			}
		})
	}
	wg.Wait()
	if _, body := scrape(t, m); !strings.Contains(body, `orgd_requests_total{operation="ListRoots",outcome="ok"} 800`) {
		t.Fatalf("%s", body)
	}
}

// hinted is a store that uses hints, as a PostgreSQL one does.
type hinted struct{ store.Store }

func (hinted) UsesHints() bool { return true }

// The timed store passes on whether what it wraps uses hints, so that the
// service builds them for PostgreSQL and skips them for memory.
func TestStoreUsesHints(t *testing.T) {
	m := New()
	if store.UsesHints(m.Store(memstore.New())) {
		t.Error("timed memory store uses hints")
	}
	if !store.UsesHints(m.Store(hinted{memstore.New()})) {
		t.Error("timed store hides that what it wraps uses hints")
	}
}
