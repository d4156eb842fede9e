package impact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
)

const (
	idA = "0b1c2d3e-0000-4000-8000-00000000000a"
	idB = "0b1c2d3e-0000-4000-8000-00000000000b"
	idC = "0b1c2d3e-0000-4000-8000-00000000000c"
)

// call is a record of a call by a user of prodAcct, with eventID id
// unless it is "". Under denyLeave, organizations:LeaveOrganization is
// newly denied and every other action still allowed.
func call(id, action string) string {
	svc, name, _ := strings.Cut(action, ":")
	field := ""
	if id != "" {
		field = `"eventID":"` + id + `",`
	}
	return `{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + prodAcct + `:user/a","accountId":"` + prodAcct + `"},` +
		`"eventSource":"` + svc + `.amazonaws.com","eventName":"` + name + `","awsRegion":"us-east-1",` + field +
		`"eventType":"AwsApiCall","recipientAccountId":"` + prodAcct + `"}`
}

func leave(id string) string { return call(id, "organizations:LeaveOrganization") }
func list(id string) string  { return call(id, "s3:ListBuckets") }

// insight is a record that is not an API call, of unknown shape.
func insight(id string) string {
	return `{"eventVersion":"1.08","eventID":"` + id + `","eventType":"AwsCloudTrailInsight","recipientAccountId":"` + prodAcct + `"}`
}

// undecodable is a record with an eventID that does not decode: what
// was decoded of it is not trusted.
func undecodable(id string) string {
	return `{"eventID":"` + id + `","eventSource":"s3.amazonaws.com","eventName":7}`
}

func trail(recs ...string) string { return `{"Records":[` + strings.Join(recs, ",") + `]}` }

// lookupEvents is aws cloudtrail lookup-events output of records, each
// entry's EventId outside its CloudTrailEvent; an entry of "" has no
// CloudTrailEvent.
func lookupEvents(ids []string, recs ...string) string {
	var entries []string
	for i, r := range recs {
		entry := `{"EventId":"` + ids[i] + `"`
		if r != "" {
			entry += `,"CloudTrailEvent":` + quote(r)
		}
		entries = append(entries, entry+"}")
	}
	return `{"NextToken":"x","Events":[` + strings.Join(entries, ",") + `]}`
}

// denyLeave proposes denyLeaveSCP on Workloads, above prodAcct.
func denyLeave(t *testing.T, svc *org.Service) *org.Simulation {
	t.Helper()
	p := org.Proposal{New: []org.ProposedPolicy{newSCP("deny-leave", denyLeaveSCP)}, Attach: []org.PolicyAttachment{{Policy: "deny-leave", Target: ids(t, svc)["Workloads"]}}}
	sim, err := svc.Simulate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

func replayStream(t *testing.T, sim *org.Simulation, stream []byte) *Report {
	t.Helper()
	rep, err := Replay(context.Background(), sim, NewReader(bytes.NewReader(stream), "stdin"), Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestReplayCountsEachEventOnce: copies of an event, wherever they are in
// the input and in whichever of the two shapes, are counted once, as the
// first copy; records without an eventID each count.
func TestReplayCountsEachEventOnce(t *testing.T) {
	sim := denyLeave(t, testOrg(t))
	type counts struct{ events, duplicates, newlyDenied, stillAllowed, unknownShape int }
	cases := []struct {
		name  string
		files []string
		want  counts
		first string // the file the first unknown shape is cited in, if any
	}{
		{"no copies", []string{trail(leave(idA), list(idB))}, counts{2, 0, 1, 1, 0}, ""},
		{"copies within a file", []string{trail(leave(idA), leave(idA), list(idB), leave(idA))}, counts{2, 2, 1, 1, 0}, ""},
		{"copies across files", []string{trail(leave(idA), list(idB)), trail(list(idB), list(idC))}, counts{3, 1, 1, 2, 0}, ""},
		{"a trail file, then lookup-events",
			[]string{trail(leave(idA), list(idB)), lookupEvents([]string{idA, idC}, leave(idA), list(idC))}, counts{3, 1, 1, 2, 0}, ""},
		{"lookup-events, then a trail file",
			[]string{lookupEvents([]string{idA, idC}, leave(idA), list(idC)), trail(leave(idA), list(idB))}, counts{3, 1, 1, 2, 0}, ""},
		{"a lookup-events entry known by its EventId alone",
			[]string{lookupEvents([]string{idA}, leave("")), trail(leave(idA))}, counts{1, 1, 1, 0, 0}, ""},
		{"a lookup-events entry without CloudTrailEvent",
			[]string{trail(leave(idA)), lookupEvents([]string{idA}, "")}, counts{1, 1, 1, 0, 0}, ""},
		{"a lookup-events entry without CloudTrailEvent, before the event's record",
			[]string{lookupEvents([]string{idA}, ""), trail(leave(idA))}, counts{2, 0, 1, 0, 1}, ""},
		{"without eventIDs", []string{trail(leave(""), leave(""), list("")), trail(leave(""))}, counts{4, 0, 3, 1, 0}, ""},
		{"IDs that are not UUIDs", []string{trail(list("x1"), list("x1"), list("X1"))}, counts{2, 1, 0, 2, 0}, ""},
		{"a UUID in upper case is another ID", []string{trail(list(idA), list(strings.ToUpper(idA)))}, counts{2, 0, 0, 2, 0}, ""},
		{"copies of unknown shape, cited where first",
			[]string{trail(list(idA)), trail(insight(idB)), trail(insight(idB))}, counts{2, 1, 0, 1, 1}, "1.json"},
		{"a record that does not decode is no copy", []string{trail(list(idA), undecodable(idA), undecodable(idA))}, counts{3, 0, 0, 1, 2}, ""},
		{"the first copy counts", []string{trail(leave(idA)), trail(list(idA))}, counts{1, 1, 1, 0, 0}, ""},
		{"the first copy counts, the other way round", []string{trail(list(idA)), trail(leave(idA))}, counts{1, 1, 0, 1, 0}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var files []File
			for i, content := range c.files {
				files = append(files, writeFile(t, dir, fmt.Sprintf("%d.json", i), content, i%2 == 1))
			}
			var stream bytes.Buffer
			if err := Copy(&stream, files, nil); err != nil {
				t.Fatal(err)
			}
			rep := replayStream(t, sim, stream.Bytes())
			s := rep.Summary
			got := counts{s.Events, s.Duplicates, s.NewlyDenied, s.StillAllowed, s.UnknownShape}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			if c.first != "" {
				if len(rep.UnknownShapes) != 1 || !strings.HasPrefix(rep.UnknownShapes[0].First, filepath.Join(dir, c.first)+": record 1") {
					t.Fatalf("unknown shapes %+v, want the first cited in %s", rep.UnknownShapes, c.first)
				}
			}
		})
	}
}

// TestReplayCopiesDeterministic: copies whose content differs sit in
// neighbouring batches, which different workers decode at the same
// time; whatever the number of workers, and on every run, the first copy
// in the stream is the one counted, and the report is the same.
func TestReplayCopiesDeterministic(t *testing.T) {
	sim := denyLeave(t, testOrg(t))
	// Pairs of files of batchSize records each, the second holding the
	// first's IDs in other calls: in even pairs the first copies are
	// denied calls and the second of unknown shape, in odd pairs the
	// reverse. One record in every 64 has no eventID, and counts twice.
	const pairs = 6
	var stream bytes.Buffer
	var want Summary
	for p := range pairs {
		for half := range 2 {
			fmt.Fprintf(&stream, `{"orgdFile":"pair%d-%d.json"}`+"\n", p, half)
			var recs []string
			for i := range batchSize {
				id := fmt.Sprintf("1c2d3e4f-0000-4000-8000-%012d", p*batchSize+i)
				if i%64 == 63 {
					id = ""
				}
				denied := (p%2 == 0) == (half == 0)
				switch {
				case denied:
					recs = append(recs, leave(id))
				default:
					recs = append(recs, insight(id))
				}
				counted := half == 0 || id == ""
				switch {
				case !counted:
					want.Duplicates++
				case denied:
					want.Events++
					want.NewlyDenied++
				default:
					want.Events++
					want.UnknownShape++
				}
			}
			stream.WriteString(trail(recs...) + "\n")
		}
	}
	want.Files = 2 * pairs

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first []byte
	for _, procs := range []int{1, 2, 3, 4, 8} {
		runtime.GOMAXPROCS(procs)
		for run := range 5 {
			rep := replayStream(t, sim, stream.Bytes())
			if rep.Summary != want {
				t.Fatalf("GOMAXPROCS=%d, run %d: summary %+v, want %+v", procs, run, rep.Summary, want)
			}
			js, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = js
				// The citations are of the first records counted: the
				// stream's first, denied; and, not an API call, the
				// first without an eventID in pair 0's second file, its
				// 64th record, before pair 1's first file.
				if len(rep.NewlyDenied) != 1 || rep.NewlyDenied[0].Example != "1c2d3e4f-0000-4000-8000-000000000000" {
					t.Fatalf("newly denied %+v, want the example the stream's first record", rep.NewlyDenied)
				}
				if len(rep.UnknownShapes) != 1 || rep.UnknownShapes[0].First != "pair0-1.json: record 64" {
					t.Fatalf("unknown shapes %+v, want the first cited at pair0-1.json: record 64", rep.UnknownShapes)
				}
				var text bytes.Buffer
				rep.WriteText(&text)
				line := fmt.Sprintf("\n  duplicates     %9d (left out: an earlier record has the same eventID)\n", want.Duplicates)
				if !strings.Contains(text.String(), line) {
					t.Fatalf("the text report does not say %q:\n%s", line, text.String())
				}
				continue
			}
			if !bytes.Equal(js, first) {
				t.Fatalf("GOMAXPROCS=%d, run %d: the report differs:\n%s\nfrom the first:\n%s", procs, run, js, first)
			}
		}
	}
}

// TestSeenIDsMarkInOrder: batches handed over out of order are marked in
// stream order, so the copy in the earlier batch counts even when its
// batch is handed over last; a worker with a batch beyond the waiting
// limit waits until the batches before it move on.
func TestSeenIDsMarkInOrder(t *testing.T) {
	s := newSeenIDs(2) // two batches may wait
	mk := func(n int, ids ...string) *batch {
		bt := &batch{n: n, recs: make([]rawRecord, len(ids)), events: make([]Event, len(ids))}
		for i, id := range ids {
			bt.events[i].EventID = id
			bt.recs[i].cloudTrail = true // decoded CloudTrail records
		}
		return bt
	}
	numbers := func(bts []*batch) (ns []int) {
		for _, bt := range bts {
			ns = append(ns, bt.n)
		}
		return ns
	}
	b0, b1, b2, b3, b4 := mk(0, idA, ""), mk(1, idB), mk(2, idA, idB, ""), mk(3, idC), mk(4, idC)
	if got := s.mark(b2, nil); len(got) != 0 {
		t.Fatalf("batch 2 marked before 0 and 1: %v", numbers(got))
	}
	if got := s.mark(b3, nil); len(got) != 0 {
		t.Fatalf("batch 3 marked before 0 and 1: %v", numbers(got))
	}
	done := make(chan []*batch)
	go func() { done <- s.mark(b4, nil) }() // waits: two are waiting
	// Give it the time to get there; it must not hand batch 4 over.
	time.Sleep(20 * time.Millisecond)
	select {
	case got := <-done:
		t.Fatalf("batch 4 handed over past the limit: %v", numbers(got))
	default:
	}
	if got := numbers(s.mark(b0, nil)); !slices.Equal(got, []int{0}) {
		t.Fatalf("handing over batch 0 marked %v, want [0]", got)
	}
	if got := numbers(s.mark(b1, nil)); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("handing over batch 1 marked %v, want [1 2 3]", got)
	}
	if got := numbers(<-done); !slices.Equal(got, []int{4}) {
		t.Fatalf("batch 4 marked %v, want [4]", got)
	}
	var dups []bool
	for _, bt := range []*batch{b0, b1, b2, b3, b4} {
		for _, r := range bt.recs {
			dups = append(dups, r.dup)
		}
	}
	if want := []bool{false, false, false, true, true, false, false, true}; !slices.Equal(dups, want) {
		t.Fatalf("copies %v, want %v", dups, want)
	}
}

func TestUUIDKey(t *testing.T) {
	cases := []struct {
		id   string
		want string // the key in hex, or "" when the ID is not a UUID
	}{
		{"805c2f63-0235-90f7-cb81-93ef3dd8a0af", "805c2f63023590f7cb8193ef3dd8a0af"},
		{"00000000-0000-0000-0000-000000000000", "00000000000000000000000000000000"},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", "ffffffffffffffffffffffffffffffff"},
		{"805C2F63-0235-90F7-CB81-93EF3DD8A0AF", ""}, // upper case: another string
		{"805c2f63-0235-90f7-cb81-93ef3dd8a0a", ""},  // short
		{"805c2f63-0235-90f7-cb81-93ef3dd8a0af0", ""},
		{"805c2f6300235-90f7-cb81-93ef3dd8a0af", ""},
		{"805c2f63-0235-90f7-cb81-93ef3dd8a0ag", ""},
		{"805c2f63-0235-90f7-cb8--93ef3dd8a0af", ""},
		{"805c2f63023590f7cb8193ef3dd8a0af", ""},
		{"", ""},
	}
	for _, c := range cases {
		k, ok := uuidKey(c.id)
		got := ""
		if ok {
			got = fmt.Sprintf("%x", k)
		}
		if got != c.want {
			t.Errorf("uuidKey(%q) = %q, %v; want %q", c.id, got, ok, c.want)
		}
	}
}

// BenchmarkSeenIDs measures what the set of eventIDs costs a replay: the
// time to add one, and the heap it holds an ID (a set of a million,
// after garbage collection), for CloudTrail's UUIDs and for IDs of
// another shape. The heap an ID goes up and down with the size of the
// set, as the map's tables fill and split: for UUIDs, from 17 bytes a
// slot (16 and a control byte) at a full table to twice that just after
// a split; a million is just after one.
func BenchmarkSeenIDs(b *testing.B) {
	const n = 1_000_000
	for _, kind := range []struct{ name, format string }{
		{"uuid", "0b1c2d3e-0000-4000-8000-%012d"},
		{"string", "event-%d"},
	} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf(kind.format, i)
		}
		b.Run(kind.name, func(b *testing.B) {
			var held uint64
			for range b.N {
				var before, after runtime.MemStats
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				s := newSeenIDs(1)
				for _, id := range ids {
					if s.add(id) {
						b.Fatal("a distinct ID seen as a copy")
					}
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				held = after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(s)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/id")
			b.ReportMetric(float64(held)/float64(n), "heap-B/id")
		})
	}
}
