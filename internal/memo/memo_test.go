package memo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/identity"
)

func TestStamp(t *testing.T) {
	at := time.Unix(1700000000, 0)
	for _, c := range []struct {
		name  string
		mark  func(*Stamp)
		keep  bool
		until time.Time
	}{
		{"no read", func(*Stamp) {}, false, time.Time{}},
		{"one read", func(s *Stamp) { s.Read(7, true, time.Time{}) }, true, time.Time{}},
		{"two reads of one state", func(s *Stamp) { s.Read(7, true, time.Time{}); s.Read(7, true, time.Time{}) }, true, time.Time{}},
		{"two states", func(s *Stamp) { s.Read(7, true, time.Time{}); s.Read(8, true, time.Time{}) }, false, time.Time{}},
		{"an unnumbered read", func(s *Stamp) { s.Read(7, true, time.Time{}); s.Read(7, false, time.Time{}) }, false, time.Time{}},
		{"spoiled", func(s *Stamp) { s.Read(7, true, time.Time{}); s.Spoil() }, false, time.Time{}},
		{"spoiled first", func(s *Stamp) { s.Spoil(); s.Read(7, true, time.Time{}) }, false, time.Time{}},
		{"the earlier bound", func(s *Stamp) { s.Read(7, true, at.Add(time.Hour)); s.Read(7, true, at); s.Read(7, true, time.Time{}) }, true, at},
	} {
		var s Stamp
		c.mark(&s)
		if s.Keepable() != c.keep || !s.until.Equal(c.until) {
			t.Errorf("%s: keepable %v until %v, want %v until %v", c.name, s.Keepable(), s.until, c.keep, c.until)
		}
	}
	var none *Stamp // what a read finds when no memo listens
	none.Read(1, true, time.Time{})
	none.Spoil()
	if none.Keepable() {
		t.Error("a nil Stamp is keepable")
	}
	st := new(Stamp)
	if FromContext(NewContext(context.Background(), st)) != st || FromContext(context.Background()) != nil {
		t.Error("FromContext does not give back what NewContext carries, or nil")
	}
}

// fixture is a Memo over a state number and a clock the test moves.
type fixture struct {
	*Memo
	version  uint64
	numbered bool
	now      time.Time
}

func newFixture() *fixture {
	f := &fixture{version: 1, numbered: true, now: time.Unix(1700000000, 0)}
	f.Memo = New(func() (uint64, bool) { return f.version, f.numbered }, func() time.Time { return f.now })
	return f
}

func (f *fixture) stamp(until time.Time) *Stamp {
	s := new(Stamp)
	s.Read(f.version, true, until)
	return s
}

var root = identity.Caller{AccountID: "111111111111", AccessKeyID: "AKIAROOT", Principal: "arn:aws:iam::111111111111:root", Region: "us-east-1"}

func TestMemoKeepsPerCallerAndBody(t *testing.T) {
	f := newFixture()
	k := Key{Op: "DescribeAccount", Caller: root}
	body := []byte(`{"AccountId":"222222222222"}`)
	f.Put(k, body, []byte(`{"Account":{}}`), f.stamp(time.Time{}))
	if got, ok := f.Get(k, body); !ok || string(got) != `{"Account":{}}` {
		t.Fatalf("Get = %q, %v; want the answer put", got, ok)
	}
	policies := &identity.SessionPolicies{}
	for _, c := range []struct {
		name string
		k    Key
		body []byte
	}{
		{"another operation", Key{Op: "DescribeOrganization", Caller: root}, body},
		{"another body", k, []byte(`{"AccountId":"333333333333"}`)},
		{"a prefix of the body", k, body[:len(body)-1]},
		{"another account", Key{Op: k.Op, Caller: with(func(c *identity.Caller) { c.AccountID = "999999999999" })}, body},
		{"another access key", Key{Op: k.Op, Caller: with(func(c *identity.Caller) { c.AccessKeyID = "AKIAOTHER" })}, body},
		{"another principal", Key{Op: k.Op, Caller: with(func(c *identity.Caller) { c.Principal = "arn:aws:iam::111111111111:user/u" })}, body},
		{"another region", Key{Op: k.Op, Caller: with(func(c *identity.Caller) { c.Region = "eu-west-1" })}, body},
		{"temporary credentials", Key{Op: k.Op, Caller: with(func(c *identity.Caller) { c.Temporary = true })}, body},
		{"session policies", Key{Op: k.Op, Caller: with(func(c *identity.Caller) { c.Policies = policies })}, body},
	} {
		if got, ok := f.Get(c.k, c.body); ok {
			t.Errorf("%s: Get = %q, want no answer", c.name, got)
		}
	}

	f.version++
	if _, ok := f.Get(k, body); ok {
		t.Error("an answer of an earlier state is given")
	}
	f.Put(k, body, []byte(`{"Account":{"Name":"new"}}`), f.stamp(time.Time{}))
	f.numbered = false
	if _, ok := f.Get(k, body); ok {
		t.Error("an answer is given while the store cannot tell its state")
	}
}

func with(change func(*identity.Caller)) identity.Caller {
	c := root
	change(&c)
	return c
}

func TestMemoPut(t *testing.T) {
	f := newFixture()
	k := Key{Op: "DescribeOrganization", Caller: root}
	body := []byte("{}")

	stale := f.stamp(time.Time{})
	f.version++
	f.Put(k, body, []byte("a"), stale)
	f.version--
	if _, ok := f.Get(k, body); ok {
		t.Error("an answer read at a state gone by the time it was put is kept")
	}

	f.Put(k, body, []byte("a"), new(Stamp))
	if _, ok := f.Get(k, body); ok {
		t.Error("an answer with an empty stamp is kept")
	}

	f.Put(k, body, bytes.Repeat([]byte("x"), MaxAnswer+1), f.stamp(time.Time{}))
	if _, ok := f.Get(k, body); ok {
		t.Error("an answer larger than MaxAnswer is kept")
	}

	// The body is copied: the caller reuses its buffer.
	buf := []byte("{}")
	f.Put(k, buf, []byte("b"), f.stamp(time.Time{}))
	buf[0] = 'x'
	if got, ok := f.Get(k, []byte("{}")); !ok || string(got) != "b" {
		t.Errorf("after the caller reused its buffer, Get = %q, %v", got, ok)
	}
}

func TestMemoUntil(t *testing.T) {
	f := newFixture()
	k := Key{Op: "ListAccounts", Caller: root}
	f.Put(k, nil, []byte("page"), f.stamp(f.now.Add(time.Second)))
	if _, ok := f.Get(k, nil); !ok {
		t.Fatal("no answer before its bound")
	}
	f.now = f.now.Add(time.Second)
	if _, ok := f.Get(k, nil); ok {
		t.Error("an answer is given at its bound, when scheduled work falls due")
	}
}

// TestMemoComparesWholeKeys plants an entry under the hash of one
// request: another caller whose request hashed the same must not get it.
func TestMemoComparesWholeKeys(t *testing.T) {
	f := newFixture()
	k := Key{Op: "ListAccounts", Caller: root}
	body := []byte("{}")
	h := f.hash(&k, body)
	mallory := with(func(c *identity.Caller) { c.AccountID, c.Principal = "999999999999", "arn:aws:iam::999999999999:root" })
	sh := &f.shards[h%shards]
	sh.m = map[uint64]*entry{h: {key: Key{Op: k.Op, Caller: mallory}, body: body, answer: []byte("mallory's"), version: f.version}}
	if got, ok := f.Get(k, body); ok {
		t.Errorf("Get = %q: another caller's answer under the same hash", got)
	}
	sh.m[h] = &entry{key: k, body: []byte(`{ }`), answer: []byte("other body"), version: f.version}
	if got, ok := f.Get(k, body); ok {
		t.Errorf("Get = %q: another body's answer under the same hash", got)
	}
}

// TestMemoForgetsGoneStatesFirst: a full memo makes room by forgetting
// answers no request can be given any more.
func TestMemoForgetsGoneStatesFirst(t *testing.T) {
	f := newFixture()
	answer := bytes.Repeat([]byte("a"), 4<<10)
	k := Key{Op: "DescribeAccount", Caller: root}
	// Bodies of requests that fall in one shard.
	fits := shardBytes / (len(answer) + 256) // answers a shard holds
	var bodies [][]byte
	for i := 0; len(bodies) < fits+fits/2; i++ {
		if body := []byte(time.Duration(i).String()); f.hash(&k, body)%shards == 0 {
			bodies = append(bodies, body)
		}
	}
	// The shard filled with answers of state 1, then state 2's put.
	for _, body := range bodies[:fits] {
		f.Put(k, body, answer, f.stamp(time.Time{}))
	}
	f.version = 2
	for _, body := range bodies[fits:] {
		f.Put(k, body, answer, f.stamp(time.Time{}))
	}
	for _, body := range bodies[fits:] {
		if _, ok := f.Get(k, body); !ok {
			t.Fatalf("an answer of the current state was forgotten while answers of a state gone were kept")
		}
	}
}

// TestMemoBounded puts far more than the memo holds: it keeps within its
// bound, and the latest answers.
func TestMemoBounded(t *testing.T) {
	f := newFixture()
	answer := bytes.Repeat([]byte("a"), 8<<10)
	for i := range 5000 {
		k := Key{Op: "DescribeAccount", Caller: root}
		body := []byte(`{"AccountId":"` + strings.Repeat("0", 6) + time.Duration(i).String() + `"}`)
		f.Put(k, body, answer, f.stamp(time.Time{}))
		if _, ok := f.Get(k, body); !ok {
			t.Fatalf("put %d: not kept", i)
		}
	}
	total := 0
	for i := range f.shards {
		sh := &f.shards[i]
		n := 0
		for _, e := range sh.m {
			n += e.size()
		}
		if n != sh.bytes {
			t.Errorf("shard %d counts %d bytes, holds %d", i, sh.bytes, n)
		}
		total += n
	}
	if total > shards*shardBytes {
		t.Errorf("the memo holds %d bytes, more than its bound %d", total, shards*shardBytes)
	}
}
