package impact

import (
	"strings"
	"sync"
)

// CloudTrail delivers an event once per trail that logs it, so the files
// of an organization trail and of an account trail, two downloads that
// overlap, or lookup-events output beside trail files hold the same event
// more than once. Its eventID is unique to the event (AWS's advice for
// telling copies apart), so a replay counts each eventID once: the copy
// first in the stream, and every record without an eventID.
//
// Which copy is first must not depend on which worker decoded which
// batch. The eventID is only known once a record is decoded, which the
// workers do in parallel; pulling it out in the sequential feed would
// mean either scanning each record a second time there (the feed is the
// one part of a replay that does not scale with the workers) or guessing
// at it from the bytes (a nested "eventID" key, or escapes, fool a
// search). So the copies are marked between decoding and deciding, in
// batch order (feed numbers the batches as it fills them): a worker
// that has decoded a batch hands it to the seen-set, which marks it at
// once if it is next, and then the batches after it that wait for it;
// the worker decides what is marked. Only the set's additions are
// serial, a fraction of a microsecond an event (BenchmarkSeenIDs) against
// the ten or more of decoding and deciding it, and no worker waits for
// another to finish decoding: one that hands over a batch not yet next
// goes on to the next batch. (Waiting for its turn instead left the
// workers idle a tenth of the time in BenchmarkReplay on a busy
// machine.)

// seenIDs is the set of eventIDs a replay has counted, and the decoded
// batches that wait for one before them to be marked.
type seenIDs struct {
	mu      sync.Mutex
	cond    sync.Cond // signalled when next moves on
	next    int       // the number of the batch to mark next
	waiting map[int]*batch
	limit   int // of batches waiting, each holding its records and events
	// CloudTrail's eventIDs are UUIDs: those are kept as their 16 bytes
	// (in a map of millions of keys, a string would cost its 16-byte
	// header, its 36 bytes and their allocation besides); any other ID
	// as the string.
	uuids map[[16]byte]struct{}
	other map[string]struct{}
}

func newSeenIDs(workers int) *seenIDs {
	// With as many workers, as many batches are decoded at once; those
	// done before the oldest of them wait, so workers-1 of them at most
	// while none stalls.
	s := &seenIDs{waiting: map[int]*batch{}, limit: workers, uuids: map[[16]byte]struct{}{}, other: map[string]struct{}{}}
	s.cond.L = &s.mu
	return s
}

// mark takes bt, decoded, and appends to out the batches it marks: none
// while a batch before bt is still being decoded, else bt and those
// after it that were waiting for it, in order. Every batch from 0 on must
// be handed over, or the ones after it are never marked. When too many
// wait already, it waits for a worker stalled on an earlier batch (the
// machine is busy) rather than hold more.
func (s *seenIDs) mark(bt *batch, out []*batch) []*batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	for bt.n != s.next && len(s.waiting) >= s.limit {
		s.cond.Wait()
	}
	if bt.n != s.next {
		s.waiting[bt.n] = bt
		return out
	}
	for ; bt != nil; bt = s.waiting[s.next] {
		delete(s.waiting, bt.n)
		for i := range bt.recs {
			if rec := &bt.recs[i]; rec.cloudTrail {
				rec.dup = s.add(bt.events[i].EventID)
			} else {
				// An entry whose record is missing or unreadable is a
				// copy of an event counted before it, but never what
				// makes a later, readable copy one: that copy counts.
				rec.dup = s.has(bt.events[i].EventID)
			}
		}
		out = append(out, bt)
		s.next++
	}
	s.cond.Broadcast()
	return out
}

// add records id and reports whether it was there already. An empty id
// is never a copy. It is called with mu held, in stream order.
func (s *seenIDs) add(id string) (dup bool) {
	if id == "" {
		return false
	}
	if k, ok := uuidKey(id); ok {
		// One look-up rather than two: in a set of millions, each is
		// a cache miss.
		n := len(s.uuids)
		s.uuids[k] = struct{}{}
		return len(s.uuids) == n
	}
	if _, dup = s.other[id]; !dup {
		s.other[strings.Clone(id)] = struct{}{}
	}
	return dup
}

// has reports whether id was recorded, without recording it. It is
// called with mu held.
func (s *seenIDs) has(id string) bool {
	if id == "" {
		return false
	}
	if k, ok := uuidKey(id); ok {
		_, dup := s.uuids[k]
		return dup
	}
	_, dup := s.other[id]
	return dup
}

// uuidStarts are where the 16 bytes' hex digits start in a UUID's
// 8-4-4-4-12 form.
var uuidStarts = [16]uint8{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// uuidKey is the 16 bytes of a UUID written as CloudTrail writes them, in
// lower case. An ID in upper or mixed case is not one: it stays a string,
// so that two IDs are the same key only when they are the same string.
func uuidKey(id string) (k [16]byte, ok bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return k, false
	}
	for j, i := range uuidStarts {
		hi, lo := lowerHex(id[i]), lowerHex(id[i+1])
		if hi > 15 || lo > 15 {
			return k, false
		}
		k[j] = hi<<4 | lo
	}
	return k, true
}

// lowerHex is the value of a lower-case hex digit, or 255.
func lowerHex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}
