package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a Meter's clock that moves, and ticks, only when the test
// says. Ticks go on an unbuffered channel, so a tick is taken only once
// the one before it has been shown.
type fakeClock struct {
	at      atomic.Int64 // nanoseconds since the epoch
	ticks   chan time.Time
	every   []time.Duration // the periods asked for
	stopped atomic.Bool
}

func newFakeClock(m *Meter) *fakeClock {
	c := &fakeClock{ticks: make(chan time.Time)}
	m.now = func() time.Time { return time.Unix(0, c.at.Load()) }
	m.tick = func(d time.Duration) (<-chan time.Time, func()) {
		c.every = append(c.every, d)
		return c.ticks, func() { c.stopped.Store(true) }
	}
	return c
}

// tick moves the clock to at and ticks.
func (c *fakeClock) tick(at time.Duration) {
	c.at.Store(int64(at))
	c.ticks <- time.Unix(0, int64(at))
}

func elapsedLine(elapsed time.Duration) string { return "at " + elapsed.String() }

func TestMeter(t *testing.T) {
	const bar = "\r\x1b[K"
	for _, tc := range []struct {
		name     string
		terminal bool
		start    bool          // whether the job started
		run      time.Duration // how long it ran; it ticks every period meanwhile
		finish   bool          // Finish rather than Stop
		every    time.Duration // the period, Interval or Redraw
		want     string
	}{
		// Plain lines every Interval; Stop adds nothing to them.
		{"plain", false, true, 12 * time.Second, false, DefaultInterval,
			"at 5s\nat 10s\n"},
		{"plain finish", false, true, 12 * time.Second, true, DefaultInterval,
			"at 5s\nat 10s\nat 12s\n"},
		// The bar is redrawn in place every Redraw once the job has run
		// for Quiet; Stop redraws it and ends its line.
		{"terminal", true, true, 1500 * time.Millisecond, false, DefaultRedraw,
			bar + "at 1s" + bar + "at 1.2s" + bar + "at 1.4s" + bar + "at 1.5s\n"},
		{"terminal finish", true, true, 1500 * time.Millisecond, true, DefaultRedraw,
			bar + "at 1s" + bar + "at 1.2s" + bar + "at 1.4s" + bar + "at 1.5s\n"},
		// A short job shows nothing, unless it finishes with a summary.
		{"terminal quiet", true, true, 800 * time.Millisecond, false, DefaultRedraw, ""},
		{"terminal quiet finish", true, true, 800 * time.Millisecond, true, DefaultRedraw, bar + "at 800ms\n"},
		{"plain quiet", false, true, 4 * time.Second, false, DefaultInterval, ""},
		{"plain quiet finish", false, true, 4 * time.Second, true, DefaultInterval, "at 4s\n"},
		// A job that never started has nothing to show but its summary.
		{"not started", true, false, 0, false, 0, ""},
		{"not started finish", false, false, 0, true, 0, "at 0s\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			m := New(&b, tc.terminal, elapsedLine)
			c := newFakeClock(m)
			if tc.start {
				m.Start()
				m.Start() // only the first counts
				if len(c.every) != 1 || c.every[0] != tc.every {
					t.Fatalf("ticker periods %v, want [%v]", c.every, tc.every)
				}
				for at := tc.every; at <= tc.run; at += tc.every {
					c.tick(at)
				}
			}
			c.at.Store(int64(tc.run))
			if tc.finish {
				m.Finish()
			} else {
				m.Stop()
			}
			// Stopped once, the Meter shows no more and starts no more.
			m.Stop()
			m.Finish()
			m.Start()
			if got := b.String(); got != tc.want {
				t.Errorf("wrote %q\nwant  %q", got, tc.want)
			}
			if len(c.every) > 1 {
				t.Errorf("started again after Stop: ticker periods %v", c.every)
			}
			if tc.start {
				select {
				case <-m.done:
				default:
					t.Error("the Meter's goroutine outlived Stop")
				}
				if !c.stopped.Load() {
					t.Error("the ticker outlived Stop")
				}
			}
		})
	}
}

// TestMeterConcurrentStart starts a Meter on the real clock from many
// goroutines, as a job's workers do, and stops it (run with -race).
func TestMeterConcurrentStart(t *testing.T) {
	var b bytes.Buffer
	m := New(&b, true, elapsedLine)
	m.Redraw, m.Quiet = time.Millisecond, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Start()
		}()
	}
	wg.Wait()
	time.Sleep(5 * time.Millisecond)
	m.Stop()
	select {
	case <-m.done:
	default:
		t.Fatal("the Meter's goroutine outlived Stop")
	}
	out := b.String()
	if n := bytes.Count([]byte(out), []byte("\n")); n > 1 || (out != "" && out[len(out)-1] != '\n') {
		t.Fatalf("after Stop %q, want the bar's line ended once", out)
	}
}

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		done, total int64
		want        string
	}{
		{0, 0, "[------------------------------]"},
		{5, 0, "[------------------------------]"},
		{0, 20, "[------------------------------]"},
		{1, 20, "[#-----------------------------]"},
		{12, 20, "[##################------------]"},
		{1 << 20, 4 << 20, "[#######-----------------------]"},
		{20, 20, "[##############################]"},
		{30, 20, "[##############################]"},
		{-1, 20, "[------------------------------]"},
	} {
		if got := Bar(tc.done, tc.total); got != tc.want {
			t.Errorf("Bar(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, w := range map[string]interface{ Write([]byte) (int, error) }{
		"buffer": &bytes.Buffer{}, "file": f, "pipe": w,
	} {
		if IsTerminal(w) {
			t.Errorf("IsTerminal(%s) = true", name)
		}
	}
}
