package clone

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/progress"
)

// Reporter shows a crawl's progress on w with a progress.Meter: counts of
// accounts, OUs, policies and handshakes, and the call rate. It is a
// Progress; the Meter starts at the first Update.
type Reporter struct {
	meter    *progress.Meter
	terminal bool

	mu     sync.Mutex
	counts Counts
}

// NewReporter returns a Reporter writing to w; terminal chooses the bar.
func NewReporter(w io.Writer, terminal bool) *Reporter {
	r := &Reporter{terminal: terminal}
	r.meter = progress.New(w, terminal, r.line)
	return r
}

// Update records n, the counts from any goroutine; the latest by calls
// wins, since updates from concurrent calls can arrive out of order.
func (r *Reporter) Update(n Counts) {
	r.mu.Lock()
	if n.Calls >= r.counts.Calls {
		r.counts = n
	}
	r.mu.Unlock()
	r.meter.Start()
}

// Stop ends the bar's line, if one is drawn, so that an error can follow
// on a line of its own.
func (r *Reporter) Stop() { r.meter.Stop() }

// Finish shows the latest counts and ends the bar's line.
func (r *Reporter) Finish() { r.meter.Finish() }

// line is the progress line after elapsed.
func (r *Reporter) line(elapsed time.Duration) string {
	r.mu.Lock()
	n := r.counts
	r.mu.Unlock()
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(n.Calls) / s
	}
	counts := fmt.Sprintf("%d/%d accounts, %d OUs, %d policies, %d handshakes, %d calls (%.1f/s, %s)",
		n.Accounts, n.AccountsTotal, n.OUs, n.Policies, n.Handshakes, n.Calls, rate, elapsed.Round(time.Second))
	if !r.terminal {
		return "orgd clone: " + counts
	}
	return progress.Bar(int64(n.Accounts), int64(n.AccountsTotal)) + " " + counts
}
