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
		{0, 100},
		{1 * mib, 100},
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

// TestPacerFollowsTheLiveHeap keeps 64 MiB live and checks that the
// collections that follow lower GOGC, then that Stop restores it.
func TestPacerFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOGC", "") // LookupEnv sees it; unset it below
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	p := Start(Policy{Floor: 8 << 20, Fraction: 0.25})
	if p == nil {
		t.Fatal("Start returned nil with neither GOGC nor GOMEMLIMIT set")
	}
	defer p.Stop()
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	deadline := time.Now().Add(5 * time.Second)
	// 8 MiB floor, 25% of ~64 MiB = 16 MiB: about 25. The cleanups run
	// after their collections, on a goroutine of their own: poll.
	settled := func() bool { got := p.Percent(); return got >= 25 && got <= 30 }
	for !settled() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := p.Percent(); !settled() {
		t.Errorf("with 64 MiB live, percent = %d, want 25 to 30", got)
	}
	// The pacer may tune again between the two reads (a cleanup runs
	// after any collection), so GOGC is checked against its range, not
	// against Percent's last value.
	if got := debug.SetGCPercent(-1); got < 25 || got > 30 {
		t.Errorf("GOGC is %d, want the pacer's 25 to 30", got)
	}
	debug.SetGCPercent(p.Percent())
	runtime.KeepAlive(live)
	p.Stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after Stop GOGC is %d, want 100", got)
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
