// Package progress shows a long job's progress on a writer: a bar redrawn
// in place on a terminal, plain lines every few seconds otherwise, nothing
// for short jobs.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Defaults of a Meter's periods.
const (
	DefaultRedraw   = 200 * time.Millisecond
	DefaultInterval = 5 * time.Second
	DefaultQuiet    = time.Second
)

// IsTerminal reports whether w is a terminal, where a bar can be redrawn
// in place.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// A Meter shows one job's progress on a writer. Its line function says
// where the job is after elapsed; it is called from the Meter's own
// goroutine, so what it reads must be safe to read while the job runs.
type Meter struct {
	w        io.Writer
	terminal bool
	line     func(elapsed time.Duration) string

	// Redraw is how often the bar is redrawn on a terminal, Interval how
	// often a plain line is written otherwise, and Quiet how long the job
	// runs before anything is shown. Set them before Start.
	Redraw, Interval, Quiet time.Duration

	// now and tick are the clock, a tick carrying its time; tests replace
	// them.
	now  func() time.Time
	tick func(time.Duration) (<-chan time.Time, func())

	mu      sync.Mutex // guards the fields below and the writes to w
	start   time.Time
	started bool
	stopped bool
	drawn   bool // a bar is on the line
	stop    chan struct{}
	done    chan struct{} // closed when the goroutine has returned
}

// New returns a Meter that writes line's text to w, as a bar redrawn in
// place if terminal is set (see IsTerminal), as plain lines otherwise.
func New(w io.Writer, terminal bool, line func(elapsed time.Duration) string) *Meter {
	return &Meter{
		w: w, terminal: terminal, line: line,
		Redraw: DefaultRedraw, Interval: DefaultInterval, Quiet: DefaultQuiet,
		now: time.Now, tick: realTicker,
	}
}

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Start starts the clock and the showing. It may be called more than
// once, from any goroutine; only the first call counts, and none after
// Stop or Finish.
func (m *Meter) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.stopped {
		return
	}
	m.started = true
	m.start = m.now()
	every := m.Interval
	if m.terminal {
		every = m.Redraw
	}
	ticks, stopTicks := m.tick(every)
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		defer stopTicks()
		for {
			select {
			case <-m.stop:
				return
			case at := <-ticks:
				m.show(at)
			}
		}
	}()
}

// show writes the line of a tick at at, once the job has run for Quiet.
func (m *Meter) show(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	elapsed := at.Sub(m.start)
	if elapsed < m.Quiet {
		return
	}
	m.write(elapsed, false)
}

// write writes the line after elapsed; end ends a bar's line.
func (m *Meter) write(elapsed time.Duration, end bool) {
	text := m.line(elapsed)
	if !m.terminal {
		fmt.Fprintln(m.w, text)
		return
	}
	// \r and erase-line redraw the bar in place.
	fmt.Fprint(m.w, "\r\x1b[K"+text)
	m.drawn = !end
	if end {
		fmt.Fprintln(m.w)
	}
}

// halt stops the goroutine and waits for it; it reports whether this call
// stopped the Meter, and the time elapsed since Start. The caller holds
// no lock.
func (m *Meter) halt() (bool, time.Duration) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return false, 0
	}
	m.stopped = true
	started := m.started
	m.mu.Unlock()
	if !started {
		return true, 0
	}
	close(m.stop)
	<-m.done
	return true, m.now().Sub(m.start)
}

// Stop stops showing. A bar on the line is redrawn one last time and its
// line ended, so that what follows starts on a line of its own; plain
// lines and a job too short to have shown anything need no more. Stop
// returns once the Meter's goroutine has.
func (m *Meter) Stop() {
	first, elapsed := m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	if first && m.drawn {
		m.write(elapsed, true)
	}
}

// Finish stops showing like Stop, and then shows the final line however
// short the job was: a summary of what was done.
func (m *Meter) Finish() {
	first, elapsed := m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	if first {
		m.write(elapsed, true)
	}
}

// BarWidth is how many cells a Bar has.
const BarWidth = 30

// Bar is a bar BarWidth cells wide, filled done/total, as "[###---]";
// empty while total is not known (0).
func Bar(done, total int64) string {
	n := int64(0)
	if total > 0 {
		n = min(BarWidth, max(0, done)*BarWidth/total)
	}
	return "[" + strings.Repeat("#", int(n)) + strings.Repeat("-", BarWidth-int(n)) + "]"
}
