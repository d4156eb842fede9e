// Package impact replays recorded CloudTrail events against an
// organization's SCPs and RCPs, as they are and with a proposed change,
// and reports which calls the change would deny or allow, and which it
// cannot decide from what CloudTrail records.
package impact

import (
	"context"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/policy/scp"
)

// Options tune a replay.
type Options struct {
	// Now stamps the report; time.Now when nil.
	Now func() time.Time
	// Progress, when set, is called every 4,096 records with the count
	// read so far, from the goroutine that called Replay.
	Progress func(events int)
}

// Replay reads every event from r and decides it with sim, now and with
// the proposal. Records of unknown shape are counted, not fatal; a
// stream that cannot be read further ends the replay with its error. An
// event is counted once however many copies of it the stream holds (the
// same eventID): the first; the others are counted as duplicates.
//
// Reading the stream is sequential, but records are decoded and decided
// by one worker per CPU, in batches; each worker keeps its own tallies,
// merged at the end in stream order so the report does not depend on
// which worker saw what. Copies are told apart in batch order too (see
// seenIDs), so which copy counts does not depend on it either.
func Replay(ctx context.Context, sim *org.Simulation, r *Reader, opts Options) (*Report, error) {
	workers := runtime.GOMAXPROCS(0)
	full := make(chan *batch, 2*workers)
	// Room for every batch that can be out at once, so that none is
	// dropped and allocated again: those queued (2 a worker), one being
	// decoded by each worker, those waiting their turn to be marked (one
	// a worker, see seenIDs), and the one feed fills.
	free := make(chan *batch, 4*workers+1)
	builders := make([]*builder, workers)
	seen := newSeenIDs(workers)
	var wg sync.WaitGroup
	for w := range builders {
		b := newBuilder()
		builders[w] = b
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := newRequestContext()
			var marked []*batch
			for bt := range full {
				if len(bt.events) < len(bt.recs) {
					bt.events = make([]Event, batchSize)
				}
				for i := range bt.recs {
					rec := &bt.recs[i]
					rec.reason, rec.cloudTrail = decodeRecord(bt.buf[rec.start:rec.end], rec.lookup, &bt.events[i])
				}
				// This batch and the ones after it that waited for it,
				// or none while one before it is still being decoded.
				marked = seen.mark(bt, marked[:0])
				for _, bt := range marked {
					b.add(sim, rc, bt)
					select {
					case free <- bt:
					default:
					}
				}
			}
		}()
	}
	err := feed(ctx, r, full, free, opts.Progress)
	close(full)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	b := builders[0]
	for _, other := range builders[1:] {
		b.merge(other)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return b.report(sim, r.Files(), now()), nil
}

// batch is records copied out of the stream for a worker, and once
// decoded, the events.
type batch struct {
	n      int // its place among the batches, from 0
	buf    []byte
	recs   []rawRecord
	events []Event
}

type rawRecord struct {
	start, end  int
	lookup      bool
	file        string
	record, seq int
	reason      string // why it is not an event understood, once decoded
	cloudTrail  bool   // it decoded as a CloudTrail record, understood or not
	dup         bool   // a copy of an event before it, once marked
}

// add decides the events of bt, decoded and marked, and adds them to the
// report.
func (b *builder) add(sim *org.Simulation, rc *requestContext, bt *batch) {
	for i := range bt.recs {
		rec := &bt.recs[i]
		at := position{file: rec.file, record: rec.record, seq: rec.seq}
		switch {
		case rec.dup:
			b.sum.Duplicates++
		case rec.reason != "":
			b.shape(at, rec.reason)
		default:
			b.decide(sim, rc, &bt.events[i], at)
		}
	}
}

const batchSize = 512

// feed reads r's records into batches until the stream ends.
func feed(ctx context.Context, r *Reader, full, free chan *batch, progress func(int)) error {
	bt := &batch{}
	for seq := 0; ; seq++ {
		if seq&4095 == 0 && seq > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(seq)
			}
		}
		raw, err := r.nextRecord()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		start := len(bt.buf)
		bt.buf = append(bt.buf, raw...)
		bt.recs = append(bt.recs, rawRecord{start: start, end: len(bt.buf), lookup: r.array == "Events", file: r.file, record: r.record, seq: seq})
		if len(bt.recs) == batchSize {
			full <- bt
			n := bt.n + 1
			select {
			case bt = <-free:
				bt.buf, bt.recs = bt.buf[:0], bt.recs[:0]
			default:
				bt = &batch{}
			}
			bt.n = n
		}
	}
	if len(bt.recs) > 0 {
		full <- bt
	}
	return nil
}

// position is where a record is: its file and number there (from 1), and
// its place in the whole stream.
type position struct {
	file        string
	record, seq int
}

// decide classifies one event and adds it to the report.
func (b *builder) decide(sim *org.Simulation, rc *requestContext, e *Event, at position) {
	switch e.EventType {
	case "", "AwsApiCall":
	case "AwsServiceEvent", "AwsConsoleSignIn":
		// No principal of an account made these calls: AWS did, or the
		// sign-in service, which SCPs do not govern.
		b.allowed(true)
		return
	default:
		b.shape(at, notAPICall(e.EventType))
		return
	}
	p := e.principal()
	if !p.known {
		b.shape(at, "userIdentity type "+quoteOrNone(e.UserIdentity.Type)+" is not one SCPs are defined for")
		return
	}
	action := e.action()
	if e.failedOnAWS() {
		b.failed(at, p.account, p.arn, action, e.ErrorCode)
		return
	}
	if p.exempt {
		b.allowed(true)
		return
	}
	orgID := ""
	if sim.Member(p.account) {
		orgID = sim.Organization
	}
	req := rc.request(e, &p, orgID)
	svc, _, _ := strings.Cut(action, ":")
	rcp := rcpServices[svc]
	// A call on several resources is denied when any of them is; one
	// without resources on record is evaluated on "*" alone.
	var now, proposed org.SimDecision
	n := max(len(e.Resources), 1)
	for i := range n {
		owner := e.Recipient
		req.Resource = ""
		if i < len(e.Resources) {
			req.Resource = e.Resources[i].ARN
			if a := e.Resources[i].AccountID; a != "" {
				owner = a
			} else if a := accountOfARN(req.Resource); a != "" {
				owner = a
			}
		}
		dn, dp := sim.Decide(req, owner, rcp)
		if i == 0 || worse(dn, now) {
			now = dn
		}
		if i == 0 || worse(dp, proposed) {
			proposed = dp
		}
	}
	// The call succeeded on AWS, so what is in force allowed it: a
	// decision left open now is taken as allowed. So is one the proposal
	// leaves open on the same question: a statement it does not change,
	// which the call's real context did not let deny.
	nowAllowed := now.Allowed || now.Reason == scp.ReasonUndetermined
	sameQuestion := now.Reason == scp.ReasonUndetermined && proposed.Reason == scp.ReasonUndetermined &&
		now.By == proposed.By && !sim.Changed(proposed.By.PolicyID) && slices.Equal(now.MissingKeys, proposed.MissingKeys)
	if proposed.Unchanged || sameQuestion {
		proposed = now
		proposed.Allowed = nowAllowed
	}
	switch {
	case proposed.Reason == scp.ReasonUndetermined && !proposed.Allowed:
		b.open(at, p.account, p.arn, action, proposed)
	case nowAllowed && proposed.Allowed:
		b.allowed(now.Reason == scp.ReasonExempt && proposed.Reason == scp.ReasonExempt)
	case nowAllowed:
		b.denied(b.newlyDenied, at, p.account, p.arn, action, proposed, e.EventID)
		b.sum.NewlyDenied++
	case proposed.Allowed:
		b.called(b.newlyAllowed, at, p.account, p.arn, action, now)
		b.sum.NewlyAllowed++
	default:
		b.denied(b.stillDenied, at, p.account, p.arn, action, proposed, e.EventID)
		b.sum.StillDenied++
	}
}

// worse orders decisions: a denial over an open one over an allowance.
func worse(a, b org.SimDecision) bool {
	rank := func(d org.SimDecision) int {
		switch {
		case !d.Allowed && d.Reason != scp.ReasonUndetermined:
			return 2
		case d.Reason == scp.ReasonUndetermined:
			return 1
		}
		return 0
	}
	return rank(a) > rank(b)
}

func notAPICall(eventType string) string {
	return "eventType " + eventType + " is not an API call"
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}

// sortGroups orders groups by count, most first, then by what names them.
func sortGroups[T any](gs []T, count func(*T) int, name func(*T) string) {
	sort.Slice(gs, func(i, j int) bool {
		ci, cj := count(&gs[i]), count(&gs[j])
		if ci != cj {
			return ci > cj
		}
		return name(&gs[i]) < name(&gs[j])
	})
}
