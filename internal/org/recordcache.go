package org

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"slices"
	"strings"
	"sync"

	"github.com/orgd/orgd/internal/api"
)

// recordCache keeps stored records decoded, each beside the bytes it was
// decoded from, so that reading the same bytes again skips the decoding
// (decoding was half of a read's CPU). The bytes are the version: an
// entry is used only when they equal what the transaction read, so the
// cache cannot be stale whichever writer, transaction or server changed a
// record; it only saves work on records that did not change. Callers get
// copies, never the kept record. Each shard holds a bounded number of
// entries and forgets an arbitrary one when full.
type recordCache struct {
	seed   maphash.Seed
	shards [recordShards]recordShard
}

const (
	recordShards       = 32
	recordShardEntries = 1024
)

type recordShard struct {
	mu sync.RWMutex
	m  map[string]cachedRecord
}

type cachedRecord struct {
	raw []byte
	v   any // a pointer to the decoded record
}

func newRecordCache() *recordCache { return &recordCache{seed: maphash.MakeSeed()} }

// decode sets v, a pointer to a record, from b, the stored value of key.
// The store's contract that values are never modified lets the cache keep
// b itself.
func (c *recordCache) decode(key string, b []byte, v any) error {
	if ok, err := decodeShared(key, b, v); ok {
		return err // as cheap as a cached copy
	}
	sh := &c.shards[maphash.String(c.seed, key)%recordShards]
	sh.mu.RLock()
	e, ok := sh.m[key]
	sh.mu.RUnlock()
	if ok && bytes.Equal(e.raw, b) && copyRecord(v, e.v) {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	kept := keepRecord(v)
	if kept == nil {
		return nil
	}
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[string]cachedRecord)
	}
	if _, ok := sh.m[key]; !ok && len(sh.m) >= recordShardEntries {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	// A key of its own: the caller's may be a slice of a larger buffer
	// (accountPage's), which the entry would keep.
	sh.m[strings.Clone(key)] = cachedRecord{raw: b, v: kept}
	sh.mu.Unlock()
	return nil
}

// refresh keeps v, a pointer to a record just stored under key as b, in
// place of the entry key has, so that a record rewritten by every write
// of its kind (an organization's counters, a resource's tags) is not
// decoded again by the next one. A key without an entry is left alone:
// new records need not displace ones being read. b must not change
// afterwards. A write that is rolled back leaves an entry whose bytes
// match nothing stored, which costs one decoding.
func (c *recordCache) refresh(key string, b []byte, v any) {
	sh := &c.shards[maphash.String(c.seed, key)%recordShards]
	sh.mu.RLock()
	_, ok := sh.m[key]
	sh.mu.RUnlock()
	if !ok {
		return
	}
	kept := keepRecord(v)
	if kept == nil {
		return
	}
	sh.mu.Lock()
	if _, ok := sh.m[key]; ok {
		sh.m[key] = cachedRecord{raw: b, v: kept}
	}
	sh.mu.Unlock()
}

// keepRecord returns a copy of the record v points to, or nil when v's
// type is not cached.
func keepRecord(v any) any {
	var k any
	switch v.(type) {
	case *organization:
		k = new(organization)
	case *root:
		k = new(root)
	case *ou:
		k = new(ou)
	case *account:
		k = new(account)
	case *policy:
		k = new(policy)
	case *[]api.Tag:
		k = new([]api.Tag)
	default:
		return nil
	}
	copyRecord(k, v)
	return k
}

// copyRecord copies the record src points to into dst, sharing nothing
// that either side could change, and reports whether their types matched.
// The cached types are the records read on every request.
func copyRecord(dst, src any) bool {
	switch d := dst.(type) {
	case *organization:
		return copyAs(d, src)
	case *ou:
		return copyAs(d, src)
	case *account:
		return copyAs(d, src)
	case *policy:
		return copyAs(d, src)
	case *root:
		if !copyAs(d, src) {
			return false
		}
		d.PolicyTypes = slices.Clone(d.PolicyTypes)
		return true
	case *[]api.Tag:
		if !copyAs(d, src) {
			return false
		}
		*d = slices.Clone(*d)
		return true
	}
	return false
}

func copyAs[T any](dst *T, src any) bool {
	s, ok := src.(*T)
	if ok {
		*dst = *s
	}
	return ok
}
