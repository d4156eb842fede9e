package clone

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The Meter's timing is tested in package progress; these test what the
// Reporter shows.

func TestReporterLine(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		n        Counts
		elapsed  time.Duration
		want     string
	}{
		{"plain", false, Counts{Accounts: 12, AccountsTotal: 20, OUs: 2, Policies: 1, Calls: 120}, 12 * time.Second,
			"orgd clone: 12/20 accounts, 2 OUs, 1 policies, 0 handshakes, 120 calls (10.0/s, 12s)"},
		{"terminal", true, Counts{Accounts: 12, AccountsTotal: 20, OUs: 2, Policies: 1, Calls: 120}, 12 * time.Second,
			"[##################------------] 12/20 accounts, 2 OUs, 1 policies, 0 handshakes, 120 calls (10.0/s, 12s)"},
		{"terminal start", true, Counts{Accounts: 1, AccountsTotal: 20, OUs: 2, Policies: 1, Calls: 10}, time.Second,
			"[#-----------------------------] 1/20 accounts, 2 OUs, 1 policies, 0 handshakes, 10 calls (10.0/s, 1s)"},
		// Before ListAccounts has answered the total is unknown.
		{"no total", true, Counts{Handshakes: 3, Calls: 4}, 0,
			"[------------------------------] 0/0 accounts, 0 OUs, 0 policies, 3 handshakes, 4 calls (0.0/s, 0s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReporter(&bytes.Buffer{}, tc.terminal)
			r.Update(tc.n)
			defer r.Stop()
			if got := r.line(tc.elapsed); got != tc.want {
				t.Errorf("line %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestReporterLatest keeps the counts with the most calls, whatever order
// concurrent updates arrive in.
func TestReporterLatest(t *testing.T) {
	r := NewReporter(&bytes.Buffer{}, false)
	defer r.Stop()
	r.Update(Counts{Accounts: 2, Calls: 5})
	r.Update(Counts{Accounts: 1, Calls: 4})
	if got := r.line(time.Second); !strings.HasPrefix(got, "orgd clone: 2/0 accounts") || !strings.Contains(got, " 5 calls") {
		t.Fatalf("line %q, want the update with 5 calls", got)
	}
}

func TestReporterStop(t *testing.T) {
	var b bytes.Buffer
	r := NewReporter(&b, true)
	r.Stop()
	if b.Len() != 0 {
		t.Fatalf("Stop without a bar wrote %q", b.String())
	}
	// A crawl that fails at once has shown nothing, so Stop adds nothing.
	r = NewReporter(&b, true)
	r.Update(Counts{Calls: 1})
	r.Stop()
	r.Stop()
	r.Finish()
	if b.Len() != 0 {
		t.Fatalf("Stop of a short crawl wrote %q", b.String())
	}
}

func TestReporterFinish(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		var b bytes.Buffer
		r := NewReporter(&b, terminal)
		r.Update(Counts{Accounts: 3, AccountsTotal: 3, OUs: 1, Calls: 9})
		r.Finish()
		r.Finish()
		out := b.String()
		if !strings.Contains(out, "3/3 accounts, 1 OUs, 0 policies, 0 handshakes, 9 calls (") || !strings.HasSuffix(out, ")\n") || strings.Count(out, "\n") != 1 {
			t.Errorf("terminal %v: Finish wrote %q, want the final counts on one line", terminal, out)
		}
		if terminal && !strings.HasPrefix(out, "\r\x1b[K[##############################] ") {
			t.Errorf("Finish on a terminal wrote %q, want a full bar", out)
		}
	}
}
