package memstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/store"
)

// TestBTree runs random inserts, replacements and deletes against the
// tree and a map side by side, in key spaces small enough that nodes
// split, borrow and merge often, and after each round checks the tree's
// shape and that lookups and ordered walks answer what the map does.
func TestBTree(t *testing.T) {
	for _, c := range []struct {
		name          string
		keys, ops     int
		deletePercent int
	}{
		{"few keys", 10, 2000, 50},
		{"two levels", 500, 20000, 40},
		{"three levels", 20000, 200000, 30},
		{"grow then drain", 5000, 60000, 90},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(c.keys)))
			pool := keyPool(r, c.keys)
			var tr btree
			ref := map[string]string{}
			for op := range c.ops {
				k := pool[r.IntN(len(pool))]
				if c.name == "grow then drain" && op < c.ops/3 {
					v := fmt.Sprint(op)
					old, replaced := tr.put(k, []byte(v))
					if want, ok := ref[k]; ok != replaced || (ok && string(tr.a.val(old)) != want) {
						t.Fatalf("replaceOrInsert(%s) = %q, %v; want %q, %v", k, tr.a.val(old), replaced, want, ok)
					}
					ref[k] = v
					continue
				}
				if r.IntN(100) < c.deletePercent {
					old, found := tr.delete(k)
					if want, ok := ref[k]; ok != found || (ok && string(tr.a.val(old)) != want) {
						t.Fatalf("delete(%s) = %q, %v; want %q, %v", k, tr.a.val(old), found, want, ok)
					}
					delete(ref, k)
				} else {
					v := fmt.Sprint(op)
					old, replaced := tr.put(k, []byte(v))
					if want, ok := ref[k]; ok != replaced || (ok && string(tr.a.val(old)) != want) {
						t.Fatalf("replaceOrInsert(%s) = %q, %v; want %q, %v", k, tr.a.val(old), replaced, want, ok)
					}
					ref[k] = v
				}
				if op%(c.ops/20) == 0 || op == c.ops-1 {
					if op%(c.ops/10) == 0 {
						// Move entries out of every chunk with garbage.
						tr.a.nextCompact = 0
						tr.compact()
					}
					checkTree(t, &tr, ref, pool, r)
				}
			}
		})
	}
}

// keyPool returns n distinct keys like the store's: short ones, and long
// ones that share long prefixes and differ in random bytes (a zero byte
// among them) at several depths and lengths, so that nodes' offsets and
// the inline bytes past a key's end all come into play.
func keyPool(r *rand.Rand, n int) []string {
	const alphabet = "ab\x00z019"
	seen := map[string]bool{}
	var pool []string
	for len(pool) < n {
		var k string
		switch r.IntN(4) {
		case 0:
			k = fmt.Sprintf("k/%x", r.IntN(4*n))
		case 1:
			k = fmt.Sprintf("attach/o-abcdefghij/ou-ab12-%08x/SERVICE_CONTROL_POLICY/p-FullAWSAccess", r.IntN(4*n))
		default:
			b := []byte("attached/o-abcdefghij/p-FullAWSAccess/ou-")[:30+r.IntN(12)]
			for range r.IntN(8) {
				b = append(b, alphabet[r.IntN(len(alphabet))])
			}
			k = string(b)
		}
		if !seen[k] {
			seen[k] = true
			pool = append(pool, k)
		}
	}
	return pool
}

func checkTree(t *testing.T, tr *btree, ref map[string]string, pool []string, r *rand.Rand) {
	t.Helper()
	if tr.len != len(ref) {
		t.Fatalf("len = %d, want %d", tr.len, len(ref))
	}
	if tr.root != nil {
		checkNode(t, tr.root, true, nil, nil)
	}
	checkArena(t, tr)
	keys := make([]string, 0, len(ref))
	for k, v := range ref {
		keys = append(keys, k)
		if it, ok := tr.get(k); !ok || string(tr.a.val(it)) != v {
			t.Fatalf("get(%s) = %q, %v; want %q", k, tr.a.val(it), ok, v)
		}
	}
	slices.Sort(keys)
	p := pool[r.IntN(len(pool))]
	for _, from := range []string{"", "\x00", "attach", "attached/o-abcdefghij/p-Full", "k/", "k/8", "k/80", "l", p, p + "\x00", p[:len(p)-1]} {
		checkAscend(t, tr, keys, from)
	}
	if _, ok := tr.get("absent"); ok {
		t.Fatal("get(absent) found something")
	}
}

// checkNode checks that n's items are ordered and within (lo, hi), that
// every node but the root holds minItems to maxItems items and that all
// leaves are at one depth; it returns the depth of n's leaves below n.
func checkNode(t *testing.T, n *node, root bool, lo, hi *string) int {
	t.Helper()
	if len(n.items) > maxItems || (!root && len(n.items) < minItems) {
		t.Fatalf("a node holds %d items", len(n.items))
	}
	if n.off < 0 || (lo == nil || hi == nil) && n.off != 0 || lo != nil && hi != nil && n.off > commonPrefix(*lo, *hi) {
		t.Fatalf("a node between %q and %q has offset %d", deref(lo), deref(hi), n.off)
	}
	for i, it := range n.items {
		k := n.a.key(it)
		if (i > 0 && n.a.key(n.items[i-1]) >= k) || (lo != nil && k <= *lo) || (hi != nil && k >= *hi) {
			t.Fatalf("item %q out of order", k)
		}
		if it.inl != inline(k, n.off) {
			t.Fatalf("item %q at offset %d has inline %x", k, n.off, it.inl)
		}
	}
	if n.children == nil {
		return 0
	}
	if len(n.children) != len(n.items)+1 {
		t.Fatalf("%d children for %d items", len(n.children), len(n.items))
	}
	depth := -1
	for i, c := range n.children {
		clo, chi := lo, hi
		if i > 0 {
			k := n.a.key(n.items[i-1])
			clo = &k
		}
		if i < len(n.items) {
			k := n.a.key(n.items[i])
			chi = &k
		}
		d := checkNode(t, c, false, clo, chi)
		if depth >= 0 && d != depth {
			t.Fatalf("leaves at depths %d and %d", depth, d)
		}
		depth = d
	}
	return depth + 1
}

// checkAscend checks that an ordered walk of tr from from visits the
// keys of sorted keys that are not below it.
func checkAscend(t *testing.T, tr *btree, keys []string, from string) {
	t.Helper()
	var got []string
	tr.ascend(from, func(it item) bool {
		got = append(got, tr.a.key(it))
		return true
	})
	i, _ := slices.BinarySearch(keys, from)
	if !slices.Equal(got, keys[i:]) {
		t.Fatalf("ascend(%q) = %q, want %q", from, got, keys[i:])
	}
}

// checkArena checks the arena's counts against the tree's entries.
func checkArena(t *testing.T, tr *btree) {
	t.Helper()
	a := &tr.a
	live := make([]int, len(a.chunks))
	total := 0
	// A chunk of rewritten values lists every entry in it that the tree
	// holds, or compact's lookups would miss it.
	listed := map[[2]uint32]bool{}
	for c, w := range a.written {
		for _, it := range w {
			listed[[2]uint32{uint32(c), it.off}] = true
		}
	}
	var walk func(n *node)
	walk = func(n *node) {
		for _, it := range n.items {
			if a.chunks[it.c] == nil {
				t.Fatalf("item %q is in chunk %d, let go of", a.key(it), it.c)
			}
			if a.written[it.c] != nil && !listed[[2]uint32{it.c, it.off}] {
				t.Fatalf("item %q is in chunk %d of rewritten values, which does not list it", a.key(it), it.c)
			}
			live[it.c] += a.size(it)
			total += a.size(it)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	if tr.root != nil {
		walk(tr.root)
	}
	if !slices.Equal(live, a.live) || total != a.inTree {
		t.Fatalf("the arena counts %d bytes in the tree (%v by chunk), the tree holds %d (%v)", a.inTree, a.live, total, live)
	}
	used := 0
	for _, b := range a.chunks {
		used += len(b)
	}
	if used != a.used {
		t.Fatalf("the arena counts %d bytes used, its chunks hold %d", a.used, used)
	}
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func deref(s *string) string {
	if s == nil {
		return "(edge)"
	}
	return *s
}

// TestBigEntry stores keys and values too long for an item's packed
// lengths beside short ones.
func TestBigEntry(t *testing.T) {
	for _, c := range []struct{ key, val int }{{0, 0}, {10, 0}, {smallKey - 1, smallVal - 1}, {smallKey, 0}, {3, smallVal}, {smallKey + 5, smallVal + 7}} {
		key := strings.Repeat("k", c.key)
		val := bytes.Repeat([]byte("v"), c.val)
		var a arena
		it := a.alloc(key, val, false)
		if a.key(it) != key || !bytes.Equal(a.val(it), val) || a.size(it) < len(key)+len(val) {
			t.Errorf("alloc(%d-byte key, %d-byte value) holds %d and %d bytes", c.key, c.val, len(a.key(it)), len(a.val(it)))
		}
	}
}

// FuzzBTree runs operations that the input spells against the tree and a
// map: each step is an operation byte and a key, drawn from a small
// alphabet after one of a few long shared prefixes so that keys collide,
// nest (one a prefix of another) and differ far in.
func FuzzBTree(f *testing.F) {
	f.Add([]byte("\x00\x03abc\x01\x03abc\x02\x00"))
	f.Add(bytes.Repeat([]byte("\x00\x05ab\x00zy\x01\x02ab"), 200))
	f.Fuzz(func(t *testing.T, in []byte) {
		prefixes := []string{"", "attached/o-abcdefghij/p-FullAWSAccess/ou-ab12-", "attach/o-abcdefghij/ou-ab12-"}
		const alphabet = "ab\x00\xffz"
		var tr btree
		ref := map[string]string{}
		for i := 0; i+1 < len(in); {
			op, n := in[i], int(in[i+1])%24
			i += 2
			b := []byte(prefixes[int(op>>2)%len(prefixes)])
			for ; n > 0 && i < len(in); n-- {
				b = append(b, alphabet[int(in[i])%len(alphabet)])
				i++
			}
			k := string(b)
			switch op % 4 {
			case 0, 1:
				v := fmt.Sprint(i)
				old, replaced := tr.put(k, []byte(v))
				if want, ok := ref[k]; ok != replaced || (ok && string(tr.a.val(old)) != want) {
					t.Fatalf("replaceOrInsert(%q) = %q, %v; want %q, %v", k, tr.a.val(old), replaced, want, ok)
				}
				ref[k] = v
			case 2:
				old, found := tr.delete(k)
				if want, ok := ref[k]; ok != found || (ok && string(tr.a.val(old)) != want) {
					t.Fatalf("delete(%q) = %q, %v; want %q, %v", k, tr.a.val(old), found, want, ok)
				}
				delete(ref, k)
			case 3:
				it, found := tr.get(k)
				if want, ok := ref[k]; ok != found || (ok && string(tr.a.val(it)) != want) {
					t.Fatalf("get(%q) = %q, %v; want %q, %v", k, tr.a.val(it), found, want, ok)
				}
			}
		}
		if tr.len != len(ref) {
			t.Fatalf("len = %d, want %d", tr.len, len(ref))
		}
		if tr.root != nil {
			checkNode(t, tr.root, true, nil, nil)
		}
		// Inputs this small never fill a chunk, so nothing here compacts
		// (TestBTree, TestCompact and TestMoveWritten do); the arena's
		// counts and its lists of rewritten values still have to hold.
		checkArena(t, &tr)
		keys := slices.Sorted(maps.Keys(ref))
		for _, from := range append([]string{"", "\xff"}, keys...) {
			checkAscend(t, &tr, keys, from)
		}
	})
}

// TestCompact overwrites and deletes through the store until its arena
// has compacted many times, and checks that the garbage stays bounded,
// that every entry reads back, and that values read before a compaction
// keep their bytes after it.
func TestCompact(t *testing.T) {
	s := New()
	ctx := context.Background()
	val := func(k, round int) []byte { return fmt.Appendf(nil, "%d/%d/%s", k, round, strings.Repeat("v", k%300)) }
	var kept [][]byte
	var keptWant []string
	const keys = 2000
	for round := range 40 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for k := range keys {
				key := fmt.Sprintf("k/%05d", k)
				if (k+round)%7 == 0 {
					tx.Delete(key)
					continue
				}
				tx.Put(key, val(k, round))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A transaction that fails leaves nothing, and its bytes are garbage.
		boom := errors.New("boom")
		if err := s.Update(ctx, func(tx store.Tx) error {
			for k := range keys / 2 {
				tx.Put(fmt.Sprintf("k/%05d", k), []byte("rolled back"))
				tx.Delete(fmt.Sprintf("k/%05d", k+keys/2))
			}
			return boom
		}); err != boom {
			t.Fatalf("Update = %v, want boom", err)
		}
		s.View(ctx, func(tx store.Tx) error {
			v, ok, _ := tx.Get("k/00001")
			if ok {
				kept = append(kept, v)
				keptWant = append(keptWant, string(v))
			}
			for k := range keys {
				key := fmt.Sprintf("k/%05d", k)
				v, ok, _ := tx.Get(key)
				if want := (k+round)%7 != 0; ok != want || ok && !bytes.Equal(v, val(k, round)) {
					t.Fatalf("round %d: Get(%s) = %q, %v", round, key, v, ok)
				}
			}
			return nil
		})
		checkArena(t, &s.tree)
		if garbage := s.tree.a.used - s.tree.a.inTree; garbage > compactMin+s.tree.a.inTree/2 {
			t.Fatalf("round %d: %d bytes of garbage for %d in the tree", round, garbage, s.tree.a.inTree)
		}
	}
	if len(s.tree.a.free) == 0 {
		t.Fatal("no chunk was let go of")
	}
	for i, v := range kept {
		if string(v) != keptWant[i] {
			t.Fatalf("a value read before a compaction changed: %q, was %q", v, keptWant[i])
		}
	}
}

// TestCompactLeavesNewKeys writes as CreateOrganizationalUnit does: new
// keys each time, and one record rewritten each time. The rewritten
// record's garbage is let go of, and the new keys' entries, garbage-free
// around them, are never moved.
func TestCompactLeavesNewKeys(t *testing.T) {
	s := New()
	ctx := context.Background()
	org := bytes.Repeat([]byte("o"), 233)
	where := map[string]uint32{}
	for i := range 20000 {
		s.Update(ctx, func(tx store.Tx) error {
			for _, k := range []string{"ou/", "ouname/", "child/"} {
				key := fmt.Sprintf("%sou-ab12-%08d", k, i)
				tx.Put(key, []byte(key))
				it, _ := s.tree.get(key)
				where[key] = it.c
			}
			return tx.Put("org/o-abcdefghij", org)
		})
	}
	checkArena(t, &s.tree)
	if garbage := s.tree.a.used - s.tree.a.inTree; garbage > compactMin+s.tree.a.inTree/2 {
		t.Fatalf("%d bytes of garbage for %d in the tree", garbage, s.tree.a.inTree)
	}
	moved := 0
	for key, c := range where {
		if it, _ := s.tree.get(key); it.c != c {
			moved++
		}
	}
	if moved > 0 {
		t.Errorf("compact moved %d of %d new keys' entries", moved, len(where))
	}
}

// TestMoveWritten moves every entry out of the chunks of rewritten
// values by their lists alone, without a walk of the tree: some keys
// rewritten many times in a row, some interleaved, some deleted after.
func TestMoveWritten(t *testing.T) {
	var tr btree
	ref := map[string]string{}
	put := func(k, v string) {
		tr.put(k, []byte(v))
		ref[k] = v
	}
	for i := range 3000 {
		put(fmt.Sprintf("new/%05d", i), "n")
		put("org/o-abcdefghij", fmt.Sprint(i))
		put(fmt.Sprintf("tags/%d", i%7), strings.Repeat("t", i%40))
		if i%5 == 0 {
			k := fmt.Sprintf("tags/%d", i%3)
			tr.delete(k)
			delete(ref, k)
		}
	}
	sparse := make([]bool, len(tr.a.chunks))
	n := 0
	for c, w := range tr.a.written {
		if w != nil {
			sparse[c] = true
			n++
		}
	}
	if n < 2 {
		t.Fatalf("%d chunks of rewritten values, want several", n)
	}
	tr.moveWritten(sparse)
	for c, s := range sparse {
		if s && tr.a.live[c] != 0 {
			t.Errorf("chunk %d of rewritten values still holds %d bytes of the tree's", c, tr.a.live[c])
		}
	}
	checkArena(t, &tr)
	for k, v := range ref {
		if it, ok := tr.get(k); !ok || string(tr.a.val(it)) != v {
			t.Fatalf("get(%s) = %q, %v; want %q", k, tr.a.val(it), ok, v)
		}
	}
}
