package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},         // nothing measured yet: Go's default
		{1 * mib, 3200},  // a small heap gets the floor
		{8 * mib, 400},   // an organization of a few dozen accounts
		{32 * mib, 100},  // the floor is the live heap: GOGC=100
		{64 * mib, 50},   // the floor is half of it
		{80 * mib, 40},   // floor and fraction meet
		{100 * mib, 40},  // the fraction
		{4000 * mib, 40}, // never below it
	} {
		if got := Default.Percent(c.live); got != c.want {
			t.Errorf("Percent(%d MiB) = %d, want %d", c.live/mib, got, c.want)
		}
	}
}

// TestPacerFollowsTheLiveHeap keeps a live heap and checks that the
// collections that follow set GOGC for it, then that Stop restores it.
func TestPacerFollowsTheLiveHeap(t *testing.T) {
	for _, c := range []struct {
		name     string
		liveMiB  int
		policy   Policy
		min, max int
	}{
		// 8 MiB floor, 25% of ~64 MiB = 16 MiB: about 25.
		{"a large heap grows by the fraction", 64, Policy{Floor: 8 << 20, Fraction: 0.25}, 25, 30},
		// 256 MiB floor over a few MiB (the test binary's own and these
		// 4): far more than GOGC=100's doubling, far less than 256/4.
		{"a small heap grows by the floor", 4, Policy{Floor: 256 << 20, Fraction: 0.25}, 1000, 6400},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOGC", "") // LookupEnv sees it; unset it below
			unsetenv(t, "GOGC")
			unsetenv(t, "GOMEMLIMIT")
			p := Start(c.policy)
			if p == nil {
				t.Fatal("Start returned nil with neither GOGC nor GOMEMLIMIT set")
			}
			defer p.Stop()
			live := make([][]byte, c.liveMiB)
			for i := range live {
				live[i] = make([]byte, 1<<20)
			}
			deadline := time.Now().Add(5 * time.Second)
			// The cleanups run after their collections, on a goroutine
			// of their own: poll.
			settled := func() bool { got := p.Percent(); return got >= c.min && got <= c.max }
			for !settled() && time.Now().Before(deadline) {
				runtime.GC()
				time.Sleep(time.Millisecond)
			}
			if got := p.Percent(); !settled() {
				t.Errorf("with %d MiB live, percent = %d, want %d to %d", c.liveMiB, got, c.min, c.max)
			}
			// The pacer may tune again between the two reads (a cleanup
			// runs after any collection), so GOGC is checked against its
			// range, not against Percent's last value.
			if got := debug.SetGCPercent(-1); got < c.min || got > c.max {
				t.Errorf("GOGC is %d, want the pacer's %d to %d", got, c.min, c.max)
			}
			debug.SetGCPercent(p.Percent())
			runtime.KeepAlive(live)
			p.Stop()
			if got := debug.SetGCPercent(100); got != 100 {
				t.Errorf("after Stop GOGC is %d, want 100", got)
			}
		})
	}
}

func TestOperatorsChoiceStands(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "off")
			if p := Start(Default); p != nil {
				p.Stop()
				t.Errorf("Start with %s set returned a pacer", env)
			}
		})
	}
}

// sink keeps the compiler from dropping the allocations of busy.
var sink []byte

// TestQuietReturnsMemory checks that a heap that stops allocating has its
// free memory returned, not again while it stays quiet, and again after
// it has been busy. The counts are at least, not exactly: on a loaded
// machine a busy spell can stall for a whole Quiet and look quiet.
func TestQuietReturnsMemory(t *testing.T) {
	t.Setenv("GOGC", "")
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	const quiet = 50 * time.Millisecond
	p := Start(Policy{Floor: 64 << 20, Fraction: 0.25, Quiet: quiet})
	if p == nil {
		t.Fatal("Start returned nil with neither GOGC nor GOMEMLIMIT set")
	}
	defer p.Stop()
	// busy allocates far more than Floor/16 a Quiet for d; returned
	// waits for the pacer to have returned memory at least n times.
	busy := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			sink = make([]byte, 1<<20)
		}
		sink = nil
	}
	returned := func(n int) int {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); p.Released() < n && time.Now().Before(deadline); {
			time.Sleep(quiet)
		}
		got := p.Released()
		if got < n {
			t.Fatalf("returned memory %d times, want at least %d", got, n)
		}
		return got
	}

	busy(5 * quiet)
	returned(1)
	// A busy spell that stalled may have been returned in its middle
	// too: let this quiet spell's return happen before counting.
	time.Sleep(5 * quiet)
	n := returned(1)
	time.Sleep(10 * quiet)
	if got := p.Released(); got != n {
		t.Errorf("still quiet: returned memory %d times, want %d", got, n)
	}
	busy(5 * quiet)
	returned(n + 1)
}
