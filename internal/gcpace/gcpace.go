// Package gcpace bounds the garbage collector's headroom on large heaps.
//
// At GOGC=100 the collector lets the heap grow to twice what is live
// before it runs, and the process's resident set follows that goal. For
// orgd's memory store the live heap is mostly the stored organization,
// so at 100,000 accounts half of what the server held was headroom.
// Pacer keeps GOGC's doubling while the live heap is small, where
// collections are cheap and frequent, and above that lowers the percent
// after each collection so that the headroom grows with the live heap
// by Fraction only, never below Floor.
package gcpace

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Policy is how much headroom to allow.
type Policy struct {
	// Floor is the headroom, in bytes, always allowed (up to the live
	// heap itself, GOGC=100's).
	Floor uint64
	// Fraction is the headroom allowed as a share of the live heap.
	Fraction float64
}

// Default lets a heap of up to 32 MiB live double, as GOGC=100 does, and
// a larger one grow by 40%.
var Default = Policy{Floor: 32 << 20, Fraction: 0.4}

// Percent is the GOGC percent that gives a live heap of live bytes the
// policy's headroom: 100 at most, and never below Fraction's.
func (p Policy) Percent(live uint64) int {
	if live == 0 {
		return 100
	}
	head := max(float64(p.Floor), float64(live)*p.Fraction)
	return int(min(100, max(100*p.Fraction, 100*head/float64(live))))
}

// A Pacer applies a Policy after every collection until stopped.
type Pacer struct {
	policy  Policy
	mu      sync.Mutex
	stopped bool
	percent int
	sample  []metrics.Sample
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
	p := &Pacer{policy: policy, percent: 100, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	p.arm()
	return p
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
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		debug.SetGCPercent(100)
	}
}
