package clone

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestReporterStop(t *testing.T) {
	var b bytes.Buffer
	r := NewReporter(&b, true)
	r.Stop()
	if b.Len() != 0 {
		t.Fatalf("Stop without a bar wrote %q", b.String())
	}
	r.Redraw = 0
	r.now = func() time.Time { return time.Unix(0, 0) }
	r.Update(Counts{Calls: 1})
	r.Update(Counts{Calls: 2})
	r.Stop()
	r.Stop()
	if !strings.HasSuffix(b.String(), "calls (0.0/s, 0s)\n") || strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("after Stop: %q", b.String())
	}
}

func TestReporter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
		// want is what the output holds after updates at 0, 1, 2, ... 12
		// seconds and Finish.
		want []string
		// lines is how many newlines it has.
		lines int
	}{
		// Plain lines every 5 seconds, and the final one.
		{"plain", false, []string{
			"orgd clone: 5/20 accounts, 2 OUs, 1 policies, 0 handshakes, 50 calls (10.0/s, 5s)\n",
			"orgd clone: 10/20 accounts, 2 OUs, 1 policies, 0 handshakes, 100 calls (10.0/s, 10s)\n",
			"orgd clone: 12/20 accounts, 2 OUs, 1 policies, 0 handshakes, 120 calls (10.0/s, 12s)\n",
		}, 3},
		// A bar redrawn in place each update, ended by Finish.
		{"terminal", true, []string{
			"\r\x1b[K[##################------------] 12/20 accounts, 2 OUs, 1 policies, 0 handshakes, 120 calls (10.0/s, 12s)\n",
			"\r\x1b[K[#-----------------------------] 1/20 accounts, 2 OUs, 1 policies, 0 handshakes, 10 calls (10.0/s, 1s)",
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			r := NewReporter(&b, tc.terminal)
			clock := time.Unix(0, 0)
			r.now = func() time.Time { return clock }
			for s := 0; s <= 12; s++ {
				clock = time.Unix(int64(s), 0)
				r.Update(Counts{Accounts: s, AccountsTotal: 20, OUs: 2, Policies: 1, Calls: 10 * s})
			}
			r.Finish()
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%q", w, out)
				}
			}
			if n := strings.Count(out, "\n"); n != tc.lines {
				t.Errorf("%d lines, want %d:\n%q", n, tc.lines, out)
			}
		})
	}
}
