// Package gcpace sets the garbage collector's headroom: a fixed floor on
// small heaps, a share of the live heap on large ones.
//
// At GOGC=100 the collector lets the heap grow to twice what is live
// before it runs, and the process's resident set follows that goal.
// Both ends of that are wrong for orgd. For the memory store the live
// heap is mostly the stored organization, so at 100,000 accounts half of
// what the server held was headroom. A small organization's live heap is
// a few megabytes, so the collector ran every few hundred requests and
// its cost, with the write barriers and cold caches that come with it,
// was a quarter of a read's CPU. Pacer sets the percent after each
// collection so that the headroom is Floor, or Fraction of the live
// heap when that is more. Headroom is for a server under load: once the
// heap has allocated next to nothing for Quiet, the pacer collects and
// hands the free memory back to the system, so that a server at rest
// holds about what is live.
package gcpace

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Policy is how much headroom to allow.
type Policy struct {
	// Floor is the headroom, in bytes, always allowed.
	Floor uint64
	// Fraction is the headroom allowed as a share of the live heap.
	Fraction float64
	// Quiet is how long the heap must allocate less than a sixteenth of
	// Floor before the pacer returns the free memory; 0 never.
	Quiet time.Duration
}

// Default lets any heap grow by 32 MiB before a collection, and one of
// more than 80 MiB live by 40%, and gives that back after two quiet
// seconds.
var Default = Policy{Floor: 32 << 20, Fraction: 0.4, Quiet: 2 * time.Second}

// Percent is the GOGC percent that gives a live heap of live bytes the
// policy's headroom. Before anything is live (no collection has run
// yet) it is GOGC's default, 100.
func (p Policy) Percent(live uint64) int {
	if live == 0 {
		return 100
	}
	head := max(float64(p.Floor), float64(live)*p.Fraction)
	return int(math.Round(100 * head / float64(live)))
}

// A Pacer applies a Policy after every collection until stopped.
type Pacer struct {
	policy  Policy
	mu      sync.Mutex
	stopped bool
	percent int
	sample  []metrics.Sample
	// The quiet watcher's: done stops it, released counts its returns.
	done     chan struct{}
	watching sync.WaitGroup
	released int
}

// Start starts pacing with policy. It does nothing, and returns nil,
// when the operator has set GOGC or GOMEMLIMIT: their choice stands.
func Start(policy Policy) *Pacer {
	if _, ok := os.LookupEnv("GOGC"); ok {
		return nil
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return nil
	}
	p := &Pacer{policy: policy, percent: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, done: make(chan struct{})}
	p.arm()
	if policy.Quiet > 0 {
		p.watching.Add(1)
		go p.watch()
	}
	return p
}

// watch returns the free memory once the heap has been quiet for a
// whole Quiet, and again only after it has been busy since.
func (p *Pacer) watch() {
	defer p.watching.Done()
	tick := time.NewTicker(p.policy.Quiet)
	defer tick.Stop()
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(allocs)
	if allocs[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	last, returned := allocs[0].Value.Uint64(), false
	for {
		select {
		case <-p.done:
			return
		case <-tick.C:
		}
		metrics.Read(allocs)
		now := allocs[0].Value.Uint64()
		busy := now-last >= p.policy.Floor/16
		last = now
		switch {
		case busy:
			returned = false
		case !returned:
			// A collection, then every free page back to the system.
			debug.FreeOSMemory()
			returned = true
			p.mu.Lock()
			p.released++
			p.mu.Unlock()
		}
	}
}

// Released is how many times the pacer has returned the free memory.
func (p *Pacer) Released() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.released
}

// arm has the next collection call tune: the cleanup of an object that
// nothing references runs once a collection has found it unreachable.
func (p *Pacer) arm() {
	runtime.AddCleanup(new([16]byte), func(p *Pacer) { p.tune() }, p)
}

func (p *Pacer) tune() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	metrics.Read(p.sample)
	if p.sample[0].Value.Kind() == metrics.KindUint64 {
		if pct := p.policy.Percent(p.sample[0].Value.Uint64()); pct != p.percent {
			p.percent = pct
			debug.SetGCPercent(pct)
		}
	}
	p.arm()
}

// Percent is the percent the pacer last set.
func (p *Pacer) Percent() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.percent
}

// Stop stops pacing and puts GOGC back to 100.
func (p *Pacer) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.done)
		debug.SetGCPercent(100)
	}
	p.mu.Unlock()
	p.watching.Wait()
}
