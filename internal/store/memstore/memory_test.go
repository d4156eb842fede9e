package memstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/orgd/orgd/internal/store"
)

// accountKeys writes what orgd stores for one account made by
// CreateAccount: its record, its email, its membership, its place under
// the root, its default policy in both directions, and the request's
// status, indexed by time; the organization's record changes each time.
func accountKeys(tx store.Tx, r *rand.Rand, i int) {
	id := fmt.Sprintf("%012d", r.Int64N(1e12))
	car := fmt.Sprintf("car-%032x", r.Uint64())
	ts := fmt.Sprintf("20260101T%06d.%09d", i/1e6, i%1e6)
	put := func(k string, n int) { tx.Put(k, make([]byte, n)) }
	put("acct/"+id, 72)
	put("attach/o-4g19e12onp/"+id+"/SERVICE_CONTROL_POLICY/p-FullAWSAccess", 20)
	put("attached/o-4g19e12onp/p-FullAWSAccess/"+id, 0)
	put("car/"+car, 86)
	put("child/r-i858/a/"+id, 0)
	put(fmt.Sprintf("email/member-%d@example.com", i), 12)
	put("member/o-4g19e12onp/"+id, 0)
	put("orgcar/o-4g19e12onp/"+ts+"/"+car, 0)
	put("org/o-4g19e12onp", 200)
}

// BenchmarkAccountMemory stores 100,000 accounts' entries and reports
// the live heap they take per account, the tree's mean node fill and its
// item slots' bytes per account.
//
//	go test -run '^$' -bench AccountMemory -benchtime 1x ./internal/store/memstore
func BenchmarkAccountMemory(b *testing.B) {
	const n = 100000
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New()
		r := rand.New(rand.NewPCG(1, 2))
		for i := range n {
			s.Update(context.Background(), func(tx store.Tx) error { accountKeys(tx, r, i); return nil })
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/account")
		nodes, items, slots := 0, 0, 0
		var walk func(*node)
		walk = func(x *node) {
			nodes++
			items += len(x.items)
			slots += cap(x.items)
			for _, c := range x.children {
				walk(c)
			}
		}
		walk(s.tree.root)
		b.ReportMetric(float64(items)/float64(nodes), "items/node")
		b.ReportMetric(float64(slots*16)/float64(n), "slotB/account")
		runtime.KeepAlive(s)
	}
}
