package org

import (
	"bytes"
	"hash/maphash"
	"slices"
	"sync/atomic"

	"github.com/orgd/orgd/internal/api"
)

// listedViews keeps the view of each account a listing showed beside
// what it was made from: the account's stored bytes, the ARN of the
// accounts of its organization but for their IDs, and its parent's path.
// A listing that reads the same three again uses the view as it is,
// without decoding the record, writing its ARN and path anew (a third
// of a page's CPU) or encoding it (a sixth: the view keeps its JSON). As in the record cache, the bytes are the version,
// so the view cannot be stale whichever writer or server changed the
// account, and its parent's path and the ARN are what the listing finds
// now. Slots are few and fixed, each holding the last view that hashed
// to it, and entries never change once stored, so that reading one takes
// no lock: a page of 20 reads 20 of them.
type listedViews struct {
	seed  maphash.Seed
	slots [listedSlots]atomic.Pointer[listedView]
}

// listedSlots bounds the views kept: about 800 bytes each with their
// JSON, so that they hold under a megabyte (at 4,096, without the JSON,
// they added 0.09 KB of RSS per account at 100,000 accounts on bolt).
const listedSlots = 1024

// listedView is one account's view and what it was made from.
type listedView struct {
	key    string // the account's record key
	raw    []byte // its stored value
	arn    string // the organization's account ARN but for the ID
	parent string
	path   string      // the parent's path
	v      api.Account // Paths nil: each listing has its own
	own    string      // v.Paths[0]
	json   []byte      // v with Paths {own}, as AppendJSON writes it
}

func newListedViews() *listedViews { return &listedViews{seed: maphash.MakeSeed()} }

// get returns the view kept for the account stored under key as raw and
// made with arn, or nil; the caller checks the parent's path.
func (c *listedViews) get(key string, raw []byte, arn string) *listedView {
	e := c.slots[maphash.String(c.seed, key)%listedSlots].Load()
	if e == nil || e.key != key || e.arn != arn || !bytes.Equal(e.raw, raw) {
		return nil
	}
	return e
}

// put keeps v, the view of the account stored under key as raw, made
// with arn and the path of its parent, and returns its JSON with Paths
// {own}, which the caller may set as v's Encoded. It copies what may be
// part of a larger buffer (key, v's ID, ARN and its own path: a page's
// buffer, which a kept view must not hold on to) into one string of its
// own; raw is the store's, which never changes.
func (c *listedViews) put(key string, raw []byte, arn, parent, path string, v *api.Account, own string) []byte {
	s := key + v.Id + v.Arn + own
	e := &listedView{key: s[:len(key)], raw: raw, arn: arn, parent: parent, path: path, v: *v}
	s = s[len(key):]
	e.v.Id, s = s[:len(v.Id)], s[len(v.Id):]
	e.v.Arn = s[:len(v.Arn)]
	e.own = s[len(v.Arn):]
	e.v.Paths, e.v.Encoded = nil, nil
	w := e.v
	paths := [1]string{e.own}
	w.Paths = paths[:]
	var buf [512]byte
	e.json = slices.Clone(w.AppendJSON(buf[:0]))
	c.slots[maphash.String(c.seed, e.key)%listedSlots].Store(e)
	return e.json
}
