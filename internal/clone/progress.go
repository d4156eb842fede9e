package clone

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Reporter shows a crawl's progress on w: on a terminal a bar redrawn in
// place, otherwise a plain line every Interval. It is a Progress.
type Reporter struct {
	w        io.Writer
	terminal bool
	// Interval is how often a plain line is written; Redraw how often the
	// bar is.
	Interval, Redraw time.Duration
	now              func() time.Time

	mu     sync.Mutex
	start  time.Time
	last   time.Time
	counts Counts
	drawn  bool // a bar is on the line
}

// NewReporter returns a Reporter writing to w; terminal chooses the bar.
func NewReporter(w io.Writer, terminal bool) *Reporter {
	return &Reporter{w: w, terminal: terminal, Interval: 5 * time.Second, Redraw: 100 * time.Millisecond, now: time.Now}
}

// Update shows n if it is time to.
func (r *Reporter) Update(n Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.start.IsZero() {
		r.start, r.last = now, now
	}
	if n.Calls >= r.counts.Calls {
		r.counts = n
	}
	every := r.Interval
	if r.terminal {
		every = r.Redraw
	}
	if now.Sub(r.last) < every {
		return
	}
	r.last = now
	r.show(r.counts, now)
}

// Stop ends the bar's line, if one is drawn, so that an error can follow
// on a line of its own.
func (r *Reporter) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.drawn {
		fmt.Fprintln(r.w)
		r.drawn = false
	}
}

// Finish shows the latest counts and ends the bar's line.
func (r *Reporter) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.start.IsZero() {
		r.start = now
	}
	r.show(r.counts, now)
	if r.terminal {
		fmt.Fprintln(r.w)
		r.drawn = false
	}
}

const barWidth = 30

func (r *Reporter) show(n Counts, now time.Time) {
	elapsed := now.Sub(r.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(n.Calls) / s
	}
	counts := fmt.Sprintf("%d/%d accounts, %d OUs, %d policies, %d handshakes, %d calls (%.1f/s, %s)",
		n.Accounts, n.AccountsTotal, n.OUs, n.Policies, n.Handshakes, n.Calls, rate, elapsed.Round(time.Second))
	if !r.terminal {
		fmt.Fprintln(r.w, "orgd clone: "+counts)
		return
	}
	done := 0
	if n.AccountsTotal > 0 {
		done = min(barWidth, n.Accounts*barWidth/n.AccountsTotal)
	}
	// \r and erase-line redraw the bar in place.
	fmt.Fprintf(r.w, "\r\x1b[K[%s%s] %s", strings.Repeat("#", done), strings.Repeat("-", barWidth-done), counts)
	r.drawn = true
}
