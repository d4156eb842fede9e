package memstore

import (
	"encoding/binary"
	"unsafe"
)

// arena holds the entries' bytes, each key followed by its value, packed
// in chunks of chunkSize bytes that hold no pointers: an entry costs its
// bytes, not an allocation rounded up to a size class, and the collector
// marks a chunk, not each entry in it. Entries are never modified once
// written, which is what lets Get hand out a value in place: a chunk the
// arena lets go of stays allocated for as long as such a value, or a key
// string, points into it.
//
// A value that replaces another is written to chunks of its own, apart
// from new keys' entries: records that are rewritten are mostly the same
// few (an organization's counters change with each OU and account made),
// so their chunks soon hold little but garbage, which compact frees by
// moving a few entries, while the chunks of new keys stay full. When
// both shared one, a CreateOrganizationalUnit's rewritten organization
// made every chunk some 40% garbage, and each compact moved nearly every
// entry there was: 35 ms, under the writers' lock, at 62 MB.
//
// An entry that is replaced or deleted leaves garbage in its chunk.
// compact moves the live entries out of the chunks that garbage has
// taken a quarter of, once the garbage has grown by an eighth of the live
// bytes since the last time (and by at least compactMin), so that the
// arena stays within about a third of what is live and moving costs a
// few bytes per byte of garbage. A chunk of rewritten values lists the
// items written to it, so that when only such chunks need moving from,
// compact looks up each key they hold rather than walk the whole tree
// (4 ms at 42 MB of entries).
type arena struct {
	chunks [][]byte // nil where a chunk was let go of
	live   []int    // bytes of entries in the tree, by chunk
	// written lists, for a chunk of rewritten values, the items written
	// to it; nil for any other.
	written [][]item
	free    []int // indexes of nil chunks, for new ones
	// cur are the chunks that small entries go to, new keys' and
	// rewritten ones' (cur[rewritten]); -1 before the first.
	cur    [2]int
	used   int // bytes written to the chunks that are held
	inTree int // bytes of entries in the tree
	// nextCompact is the garbage at which compact next looks for chunks.
	nextCompact int
}

const (
	chunkSize = 64 << 10
	// An entry larger than bigSize gets a chunk of its own, so that a
	// chunk's tail is never wasted on a large value.
	bigSize    = chunkSize / 4
	compactMin = 1 << 20
)

func (a *arena) init() {
	if a.chunks == nil {
		a.cur = [2]int{-1, -1}
		a.nextCompact = compactMin
	}
}

// rewritten indexes arena.cur.
const rewritten = 1

// alloc writes an entry, one that replaces another if replacing, and
// returns its item, with no inline bytes yet.
func (a *arena) alloc(key string, val []byte, replacing bool) item {
	size := len(key) + len(val)
	n := uint32(len(key))<<valLenBit | uint32(len(val))
	head := 0
	if len(key) >= smallKey || len(val) >= smallVal {
		n, head = bigEntry, 8
		size += head
	}
	c := a.room(size, replacing)
	b := a.chunks[c]
	off := len(b)
	b = b[:off+size]
	if head > 0 {
		binary.LittleEndian.PutUint32(b[off:], uint32(len(key)))
		binary.LittleEndian.PutUint32(b[off+4:], uint32(len(val)))
	}
	copy(b[off+head:], key)
	copy(b[off+head+len(key):], val)
	a.chunks[c] = b
	a.live[c] += size
	a.used += size
	a.inTree += size
	it := item{c: uint32(c), off: uint32(off + head), n: n}
	if replacing {
		a.written[c] = append(a.written[c], it)
	}
	return it
}

// room returns a chunk with size bytes free at its end, one of those
// for rewritten entries if replacing.
func (a *arena) room(size int, replacing bool) int {
	a.init()
	if size > bigSize {
		return a.newChunk(size)
	}
	cur := &a.cur[0]
	if replacing {
		cur = &a.cur[rewritten]
	}
	if *cur < 0 || cap(a.chunks[*cur])-len(a.chunks[*cur]) < size {
		*cur = a.newChunk(chunkSize)
	}
	return *cur
}

func (a *arena) newChunk(size int) int {
	b := make([]byte, 0, size)
	if n := len(a.free); n > 0 {
		i := a.free[n-1]
		a.free = a.free[:n-1]
		a.chunks[i], a.live[i], a.written[i] = b, 0, nil
		return i
	}
	a.chunks = append(a.chunks, b)
	a.live = append(a.live, 0)
	a.written = append(a.written, nil)
	return len(a.chunks) - 1
}

func (a *arena) lens(it item) (k, v int) {
	if it.n != bigEntry {
		return int(it.n >> valLenBit), int(it.n & (smallVal - 1))
	}
	h := a.chunks[it.c][it.off-8:]
	return int(binary.LittleEndian.Uint32(h)), int(binary.LittleEndian.Uint32(h[4:]))
}

// size is how many bytes of its chunk it takes.
func (a *arena) size(it item) int {
	k, v := a.lens(it)
	if it.n == bigEntry {
		return 8 + k + v
	}
	return k + v
}

// at is the address of the entry's byte i, past its key's start.
func (a *arena) at(it item, i int) *byte {
	return (*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(a.chunks[it.c])), int(it.off)+i))
}

func (a *arena) key(it item) string {
	k, _ := a.lens(it)
	if k == 0 {
		return ""
	}
	return unsafe.String(a.at(it, 0), k)
}

// emptyVal is every empty value: one past the end of a key may be past
// the end of its chunk, which the garbage collector forbids pointing to.
var emptyVal = []byte{}

func (a *arena) val(it item) []byte {
	k, v := a.lens(it)
	if v == 0 {
		return emptyVal
	}
	return unsafe.Slice(a.at(it, k), v)
}

// drop records that it left the tree.
func (a *arena) drop(it item) {
	size := a.size(it)
	a.live[it.c] -= size
	a.inTree -= size
}

// compact moves the entries of the tree out of the chunks that are a
// quarter garbage or more, when the garbage has grown enough since the
// last time, and lets go of those chunks.
func (t *btree) compact() {
	a := &t.a
	if t.root == nil || a.used-a.inTree < a.nextCompact {
		return
	}
	sparse := make([]bool, len(a.chunks))
	any, walk := false, false
	for i, b := range a.chunks {
		if b != nil && i != a.cur[0] && i != a.cur[rewritten] && a.live[i]*4 <= len(b)*3 {
			sparse[i], any = true, true
			// Only a walk finds the entries of new keys' chunks.
			walk = walk || a.written[i] == nil && a.live[i] > 0
		}
	}
	if any {
		if walk {
			a.move(t.root, sparse)
		} else {
			t.moveWritten(sparse)
		}
		for i, s := range sparse {
			if s {
				a.used -= len(a.chunks[i])
				a.chunks[i], a.live[i], a.written[i] = nil, 0, nil
				a.free = append(a.free, i)
			}
		}
	}
	a.nextCompact = a.used - a.inTree + max(compactMin, a.inTree/8)
}

// moveWritten moves the entries of the tree that are in sparse chunks,
// all of them chunks of rewritten values, with a lookup of each key
// written to them: most often the same few keys, written again and again,
// whose items are one after another.
func (t *btree) moveWritten(sparse []bool) {
	a := &t.a
	for c, s := range sparse {
		if !s {
			continue
		}
		var last string
		for _, w := range a.written[c] {
			if a.live[c] == 0 {
				break // nothing of it is left in the tree
			}
			k := a.key(w)
			if k == last {
				continue
			}
			last = k
			if n, i, ok := t.find(k); ok && int(n.items[i].c) == c {
				n.items[i] = a.relocate(n.items[i])
			}
		}
	}
}

// relocate writes the tree's item it again, at the arena's end, and
// returns it as the tree is to hold it now: with new keys' entries,
// since it has outlived the garbage around it.
func (a *arena) relocate(it item) item {
	moved := a.alloc(a.key(it), a.val(it), false)
	moved.inl = it.inl
	a.drop(it)
	return moved
}

// move writes the entries under n that are in sparse chunks again
// (relocate). Chunks made while it runs are beyond sparse.
func (a *arena) move(n *node, sparse []bool) {
	for i, it := range n.items {
		if int(it.c) < len(sparse) && sparse[it.c] {
			n.items[i] = a.relocate(it)
		}
	}
	for _, c := range n.children {
		a.move(c, sparse)
	}
}
