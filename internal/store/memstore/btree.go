package memstore

import (
	"slices"
	"strings"
)

// A B-tree of items ordered by key, the store's own rather than
// github.com/google/btree's: its searches compare keys in line, three
// ways, where the generic tree called a less function through
// sort.Search's closure twice or more per step (a fifth of a
// CreateOrganizationalUnit's CPU was in those searches). The algorithms
// are the classic ones google/btree uses too: a full node is split on
// the way down an insert, and a node about to lose its last spare item
// is grown from a sibling or merged on the way down a delete, so that
// neither needs a second pass up the tree.

// degree sets the node size: at most 2*degree-1 items, and at least
// degree-1 in every node but the root.
const (
	degree   = 32
	maxItems = 2*degree - 1
	minItems = degree - 1
)

type node struct {
	items    []item
	children []*node // nil in a leaf, else len(items)+1
}

type btree struct {
	root *node
	len  int
}

// find returns the index of the first item whose key is not below key,
// and whether that item's key is key.
func (n *node) find(key string) (int, bool) {
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := strings.Compare(n.items[m].key(), key); {
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
	for n := t.root; n != nil; {
		i, found := n.find(key)
		if found {
			return n.items[i], true
		}
		if n.children == nil {
			break
		}
		n = n.children[i]
	}
	return item{}, false
}

// replaceOrInsert stores it, and returns the item it replaced, if any.
func (t *btree) replaceOrInsert(it item) (item, bool) {
	if t.root == nil {
		t.root = &node{}
	} else if len(t.root.items) >= maxItems {
		mid, right := t.root.split(maxItems / 2)
		t.root = &node{items: []item{mid}, children: []*node{t.root, right}}
	}
	old, replaced := t.root.insert(it)
	if !replaced {
		t.len++
	}
	return old, replaced
}

// split moves the items after i, and their children, to a new node, and
// returns it with the item at i, which leaves n too.
func (n *node) split(i int) (item, *node) {
	mid := n.items[i]
	right := &node{items: append([]item(nil), n.items[i+1:]...)}
	clear(n.items[i:])
	n.items = n.items[:i]
	if n.children != nil {
		right.children = append([]*node(nil), n.children[i+1:]...)
		clear(n.children[i+1:])
		n.children = n.children[:i+1]
	}
	return mid, right
}

// insert stores it in n's subtree; n is not full.
func (n *node) insert(it item) (item, bool) {
	key := it.key()
	for {
		i, found := n.find(key)
		if found {
			old := n.items[i]
			n.items[i] = it
			return old, true
		}
		if n.children == nil {
			n.items = slices.Insert(n.items, i, it)
			return item{}, false
		}
		if c := n.children[i]; len(c.items) >= maxItems {
			mid, right := c.split(maxItems / 2)
			n.items = slices.Insert(n.items, i, mid)
			n.children = slices.Insert(n.children, i+1, right)
			switch c := strings.Compare(key, mid.key()); {
			case c == 0:
				n.items[i] = it
				return mid, true
			case c > 0:
				i++
			}
		}
		n = n.children[i]
	}
}

// delete removes the item with key, and returns it if there was one.
func (t *btree) delete(key string) (item, bool) {
	if t.root == nil {
		return item{}, false
	}
	old, found := t.root.remove(key, false)
	if len(t.root.items) == 0 && t.root.children != nil {
		t.root = t.root.children[0]
	}
	if found {
		t.len--
	}
	return old, found
}

// remove removes the item with key from n's subtree, or its last item
// when max is set. n has an item to spare, unless it is the root.
func (n *node) remove(key string, max bool) (item, bool) {
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
		n.grow(i)
		return n.remove(key, max) // the items moved: look again
	}
	if found {
		// The item leaves an inner node: the greatest item below it
		// takes its place.
		old := n.items[i]
		n.items[i], _ = n.children[i].remove("", true)
		return old, true
	}
	return n.children[i].remove(key, max)
}

// grow gives child i an item to spare: one of a sibling's, through n, or
// the whole of a sibling, merged with it.
func (n *node) grow(i int) {
	child := n.children[i]
	switch {
	case i > 0 && len(n.children[i-1].items) > minItems:
		left := n.children[i-1]
		last := len(left.items) - 1
		child.items = slices.Insert(child.items, 0, n.items[i-1])
		n.items[i-1] = left.items[last]
		left.items = slices.Delete(left.items, last, last+1)
		if left.children != nil {
			child.children = slices.Insert(child.children, 0, left.children[last+1])
			left.children = slices.Delete(left.children, last+1, last+2)
		}
	case i < len(n.items) && len(n.children[i+1].items) > minItems:
		right := n.children[i+1]
		child.items = append(child.items, n.items[i])
		n.items[i] = right.items[0]
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
		child.items = append(append(child.items, n.items[i]), right.items...)
		child.children = append(child.children, right.children...)
		n.items = slices.Delete(n.items, i, i+1)
		n.children = slices.Delete(n.children, i+1, i+2)
	}
}

// ascend calls fn with each item whose key is not below from, in order,
// until fn returns false.
func (t *btree) ascend(from string, fn func(item) bool) {
	if t.root != nil {
		t.root.ascend(from, fn)
	}
}

func (n *node) ascend(from string, fn func(item) bool) bool {
	i, found := n.find(from)
	for ; i < len(n.items); i++ {
		// Below an item equal to from there is nothing to visit.
		if n.children != nil && !found && !n.children[i].ascend(from, fn) {
			return false
		}
		found = false
		if !fn(n.items[i]) {
			return false
		}
	}
	return n.children == nil || n.children[i].ascend(from, fn)
}
