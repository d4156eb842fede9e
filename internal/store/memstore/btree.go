package memstore

import (
	"slices"
	"strings"
)

// A B-tree of items ordered by key, the store's own rather than
// github.com/google/btree's, for cheaper searches. A CPU profile of
// CreateOrganizationalUnit had a fifth of its time in them, most of it
// waiting on key bytes not in cache: each step of a binary search read
// a key of its own, somewhere in the heap, and in a large tree of keys
// with long common prefixes ("attached/o-…/p-FullAWSAccess/ou-…") only
// the bytes far in differ. So each node knows how many leading bytes
// all keys it can hold share (its offset), and each item carries the
// next four bytes of its key in its slot (item.inl): most steps compare
// those, in the node's own memory, and read a key only on a tie. The
// searches also compare in line, three ways, where google/btree called a
// less function through sort.Search's closure twice or more per step.
// The algorithms are the classic ones google/btree uses too: a full node
// is split on the way down an insert, and a node about to lose its last
// spare item is grown from a sibling or merged on the way down a delete,
// so that neither needs a second pass up the tree.

// degree sets the node size: at most 2*degree-1 items, and at least
// degree-1 in every node but the root.
const (
	degree   = 32
	maxItems = 2*degree - 1
	minItems = degree - 1
)

type node struct {
	a        *arena // the tree's, which holds the items' keys
	items    []item
	children []*node // nil in a leaf, else len(items)+1
	// off is how many leading bytes all the keys that can be under the
	// node share: those of the separators around it in its ancestors
	// (bounds), 0 on the tree's edges. The items' inl are their keys'
	// bytes from off. Bounds only narrow on an insert, so an offset stays
	// true; a delete that widens them lowers it.
	off int
}

type btree struct {
	root *node
	len  int
	a    arena
}

// bound is one side of the key range a node covers, an item whose key
// is read only when an offset is computed; ok is false on the tree's
// edges.
type bound struct {
	it item
	ok bool
}

// offsetFor is the offset of a node between lo and hi: the length of
// their common prefix, which every key between them has.
func (n *node) offsetFor(lo, hi bound) int {
	if !lo.ok || !hi.ok {
		return 0
	}
	a, b := n.a.key(lo.it), n.a.key(hi.it)
	m := min(len(a), len(b))
	i := 0
	for i < m && a[i] == b[i] {
		i++
	}
	return i
}

// childBounds returns the bounds of child i of n, which lies between lo
// and hi.
func (n *node) childBounds(i int, lo, hi bound) (bound, bound) {
	if i > 0 {
		lo = bound{n.items[i-1], true}
	}
	if i < len(n.items) {
		hi = bound{n.items[i], true}
	}
	return lo, hi
}

// inline returns key's four bytes from off, zero past its end: of two
// keys that share their first off bytes, the one whose inline is less
// is less, and equal inlines decide nothing.
func inline(key string, off int) uint32 {
	if off+4 <= len(key) {
		k := key[off:]
		return uint32(k[3]) | uint32(k[2])<<8 | uint32(k[1])<<16 | uint32(k[0])<<24
	}
	return inlineShort(key, off)
}

// inlineShort is inline for a key that ends within four bytes of off,
// apart so that inline's usual case is inlined.
func inlineShort(key string, off int) uint32 {
	var x uint32
	for i := off; i < off+4; i++ {
		x <<= 8
		if i < len(key) {
			x |= uint32(key[i])
		}
	}
	return x
}

// setOff moves n to offset off, reading each of its keys again.
func (n *node) setOff(off int) {
	if off == n.off {
		return
	}
	n.off = off
	for i := range n.items {
		n.items[i].inl = inline(n.a.key(n.items[i]), off)
	}
}

// place returns it as n holds it.
func (n *node) place(it item) item {
	it.inl = inline(n.a.key(it), n.off)
	return it
}

// find returns the index of the first item whose key is not below key,
// and whether that item's key is key. key must be within n's bounds.
func (n *node) find(key string) (int, bool) {
	kin := inline(key, n.off)
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		it := n.items[m]
		c := 0
		switch {
		case it.inl < kin:
			c = -1
		case it.inl > kin:
			c = 1
		default:
			c = strings.Compare(n.a.key(it), key)
		}
		switch {
		case c < 0:
			lo = m + 1
		case c > 0:
			hi = m
		default:
			return m, true
		}
	}
	return lo, false
}

func (t *btree) get(key string) (item, bool) {
	if n, i, ok := t.find(key); ok {
		return n.items[i], true
	}
	return item{}, false
}

// find returns the node and index of key's item, if the tree holds it.
func (t *btree) find(key string) (*node, int, bool) {
	for n := t.root; n != nil; {
		i, found := n.find(key)
		if found {
			return n, i, true
		}
		if n.children == nil {
			break
		}
		n = n.children[i]
	}
	return nil, 0, false
}

// put stores key and val, and returns the item it replaced, if any,
// which has left the tree (its bytes stay until compact: see restore).
// A value that replaces another goes where rewritten values go (arena).
func (t *btree) put(key string, val []byte) (item, bool) {
	n, i, replaced := t.slot(key)
	old := n.items[i]
	n.items[i] = n.place(t.a.alloc(key, val, replaced))
	if replaced {
		t.a.drop(old)
	} else {
		t.len++
	}
	return old, replaced
}

// restore puts back an item that put or delete took out of the tree,
// which compact has not run since.
func (t *btree) restore(it item) {
	size := t.a.size(it)
	t.a.live[it.c] += size
	t.a.inTree += size
	n, i, replaced := t.slot(t.a.key(it))
	if replaced {
		t.a.drop(n.items[i])
	} else {
		t.len++
	}
	n.items[i] = n.place(it)
}

// slot returns the node and index of key's item, and whether the tree
// held it; when it did not, the slot is a new one, whose item the caller
// must set before the tree is used again.
func (t *btree) slot(key string) (*node, int, bool) {
	if t.root == nil {
		t.root = &node{a: &t.a}
	} else if len(t.root.items) >= maxItems {
		// The root's bounds are the tree's edges: both halves keep offset 0.
		mid, right := t.root.split(maxItems / 2)
		t.root = &node{a: &t.a, items: []item{mid}, children: []*node{t.root, right}}
	}
	return t.root.slot(key)
}

// Nodes' item slices grow by itemStep slots, not by append's doubling,
// and a split gives each half only the slots it holds: a node's memory
// is its slots, and with doubling a node of 33 to 63 items held 64 and
// one just split kept all 64 for 31, which made the slots a quarter of
// the store's memory. Steps of 8 slots (128 bytes) are the allocator's
// size classes up to a full node.
const itemStep = 8

// insertItem is slices.Insert(items, i, it), growing by itemStep.
func insertItem(items []item, i int, it item) []item {
	if len(items) == cap(items) {
		grown := make([]item, len(items), (len(items)/itemStep+1)*itemStep)
		copy(grown, items)
		items = grown
	}
	return slices.Insert(items, i, it)
}

// fitItems returns items in a slice with the slots they need and no more.
func fitItems(items []item) []item {
	return append(make([]item, 0, (len(items)+itemStep-1)/itemStep*itemStep), items...)
}

// split moves the items after i, and their children, to a new node at
// n's offset, and returns it with the item at i, which leaves n too.
func (n *node) split(i int) (item, *node) {
	mid := n.items[i]
	right := &node{a: n.a, items: fitItems(n.items[i+1:]), off: n.off}
	n.items = fitItems(n.items[:i])
	if n.children != nil {
		right.children = append([]*node(nil), n.children[i+1:]...)
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
	}
	return mid, right
}

// slot is btree.slot under n, the root, which is not full.
func (n *node) slot(key string) (*node, int, bool) {
	var lo, hi bound // n's
	for {
		i, found := n.find(key)
		if found {
			return n, i, true
		}
		if n.children == nil {
			n.items = insertItem(n.items, i, item{})
			return n, i, false
		}
		clo, chi := n.childBounds(i, lo, hi)
		if c := n.children[i]; len(c.items) >= maxItems {
			mid, right := c.split(maxItems / 2)
			n.items = insertItem(n.items, i, n.place(mid))
			n.children = slices.Insert(n.children, i+1, right)
			// Each half covers less than c did: their keys may share more.
			m := bound{mid, true}
			c.setOff(n.offsetFor(clo, m))
			right.setOff(n.offsetFor(m, chi))
			switch c := strings.Compare(key, n.a.key(mid)); {
			case c == 0:
				return n, i, true
			case c > 0:
				i++
				clo = m
			default:
				chi = m
			}
		}
		n, lo, hi = n.children[i], clo, chi
	}
}

// delete removes the item with key, and returns it if there was one.
func (t *btree) delete(key string) (item, bool) {
	if t.root == nil {
		return item{}, false
	}
	old, found := t.root.remove(key, false, bound{}, bound{})
	if len(t.root.items) == 0 && t.root.children != nil {
		t.root = t.root.children[0] // merged at the root's bounds: offset 0
	}
	if found {
		t.len--
		t.a.drop(old)
	}
	return old, found
}

// remove removes the item with key from n's subtree, or its last item
// when max is set. n lies between lo and hi, and has an item to spare,
// unless it is the root.
func (n *node) remove(key string, max bool, lo, hi bound) (item, bool) {
	var i int
	var found bool
	if max {
		i = len(n.items)
		if n.children == nil {
			i--
			old := n.items[i]
			n.items = slices.Delete(n.items, i, i+1)
			return old, true
		}
	} else {
		i, found = n.find(key)
		if n.children == nil {
			if !found {
				return item{}, false
			}
			old := n.items[i]
			n.items = slices.Delete(n.items, i, i+1)
			return old, true
		}
	}
	if len(n.children[i].items) <= minItems {
		n.grow(i, lo, hi)
		return n.remove(key, max, lo, hi) // the items moved: look again
	}
	clo, chi := n.childBounds(i, lo, hi)
	if found {
		// The item leaves an inner node: the greatest item below it
		// takes its place, which widens the bounds of the nodes down
		// the left edge of the next child.
		old := n.items[i]
		pred, _ := n.children[i].remove("", true, clo, chi)
		n.items[i] = n.place(pred)
		elo := bound{pred, true}
		_, ehi := n.childBounds(i+1, lo, hi)
		for c := n.children[i+1]; ; c = c.children[0] {
			c.setOff(min(c.off, n.offsetFor(elo, ehi)))
			if c.children == nil {
				break
			}
			ehi = bound{c.items[0], true}
		}
		return old, true
	}
	return n.children[i].remove(key, max, clo, chi)
}

// grow gives child i of n, which lies between lo and hi, an item to
// spare: one of a sibling's, through n, or the whole of a sibling,
// merged with it. The child's bounds widen; those of the nodes below it
// stay as they were.
func (n *node) grow(i int, lo, hi bound) {
	child := n.children[i]
	switch {
	case i > 0 && len(n.children[i-1].items) > minItems:
		left := n.children[i-1]
		last := len(left.items) - 1
		child.items = insertItem(child.items, 0, child.place(n.items[i-1]))
		n.items[i-1] = n.place(left.items[last])
		left.items = slices.Delete(left.items, last, last+1)
		if left.children != nil {
			child.children = slices.Insert(child.children, 0, left.children[last+1])
			left.children = slices.Delete(left.children, last+1, last+2)
		}
	case i < len(n.items) && len(n.children[i+1].items) > minItems:
		right := n.children[i+1]
		child.items = insertItem(child.items, len(child.items), child.place(n.items[i]))
		n.items[i] = n.place(right.items[0])
		right.items = slices.Delete(right.items, 0, 1)
		if right.children != nil {
			child.children = append(child.children, right.children[0])
			right.children = slices.Delete(right.children, 0, 1)
		}
	default:
		if i == len(n.items) {
			i--
			child = n.children[i]
		}
		right := n.children[i+1]
		child.items = fitItems(append(append(child.items, n.items[i]), right.items...))
		child.children = append(child.children, right.children...)
		n.items = slices.Delete(n.items, i, i+1)
		n.children = slices.Delete(n.children, i+1, i+2)
		// The items come from three nodes: place them all again.
		child.off = -1
	}
	clo, chi := n.childBounds(i, lo, hi)
	if off := n.offsetFor(clo, chi); child.off < 0 || off < child.off {
		child.setOff(off)
	}
}

// ascend calls fn with each item whose key is not below from, in order,
// until fn returns false.
func (t *btree) ascend(from string, fn func(item) bool) {
	if t.root != nil {
		t.root.ascend(from, true, fn)
	}
}

// ascend is btree.ascend in n's subtree; search is false once from is
// below all of it, and find may not be asked about a key out of bounds.
func (n *node) ascend(from string, search bool, fn func(item) bool) bool {
	i, found := 0, false
	if search {
		i, found = n.find(from)
	}
	for ; i < len(n.items); i++ {
		// Below an item equal to from there is nothing to visit.
		if n.children != nil && !found && !n.children[i].ascend(from, search, fn) {
			return false
		}
		search, found = false, false
		if !fn(n.items[i]) {
			return false
		}
	}
	return n.children == nil || n.children[i].ascend(from, search, fn)
}
