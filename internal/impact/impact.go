// Package impact replays recorded CloudTrail events against an
// organization's SCPs and RCPs, as they are and with a proposed change,
// and reports which calls the change would deny or allow, and which it
// cannot decide from what CloudTrail records.
package impact

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/policy/scp"
)

// Outcome is what the proposal does to one call.
type Outcome uint8

// Outcomes.
const (
	StillAllowed Outcome = iota
	StillDenied
	NewlyDenied
	NewlyAllowed
	Undetermined
	FailedOnAWS
	UnknownShape
)

// Options tune a replay.
type Options struct {
	// Now stamps the report; time.Now when nil.
	Now func() time.Time
	// Progress, when set, is called every so many events with the count
	// so far.
	Progress func(events int)
}

// Replay reads every event from r and decides it with sim, now and with
// the proposal. Records of unknown shape are counted, not fatal; a
// stream that cannot be read further ends the replay with its error.
func Replay(ctx context.Context, sim *org.Simulation, r *Reader, opts Options) (*Report, error) {
	b := newBuilder()
	rc := newRequestContext()
	var e Event
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if opts.Progress != nil && n > 0 {
				opts.Progress(n)
			}
		}
		err := r.Next(&e)
		if err == io.EOF {
			break
		}
		var se *ShapeError
		if errors.As(err, &se) {
			b.shape(se)
			continue
		}
		if err != nil {
			return nil, err
		}
		b.decide(sim, rc, &e, r)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return b.report(sim, r.Files(), now()), nil
}

// decide classifies one event and adds it to the report.
func (b *builder) decide(sim *org.Simulation, rc *requestContext, e *Event, r *Reader) {
	switch e.EventType {
	case "", "AwsApiCall":
	case "AwsServiceEvent", "AwsConsoleSignIn":
		// No principal of an account made these calls: AWS did, or the
		// sign-in service, which SCPs do not govern.
		b.allowed(true)
		return
	default:
		b.shape(r.lastShape("eventType " + e.EventType + " is not an API call"))
		return
	}
	p := e.principal()
	if !p.known {
		b.shape(r.lastShape("userIdentity type " + quoteOrNone(e.UserIdentity.Type) + " is not one SCPs are defined for"))
		return
	}
	action := e.action()
	if e.failedOnAWS() {
		b.failed(p.account, p.arn, action, e.ErrorCode)
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
	// decision left open now is taken as allowed.
	nowAllowed := now.Allowed || now.Reason == scp.ReasonUndetermined
	switch {
	case proposed.Reason == scp.ReasonUndetermined:
		b.open(p.account, p.arn, action, proposed)
	case nowAllowed && proposed.Allowed:
		b.allowed(now.Reason == scp.ReasonExempt && proposed.Reason == scp.ReasonExempt)
	case nowAllowed:
		b.denied(&b.newlyDenied, p.account, p.arn, action, proposed, e.EventID)
		b.sum.NewlyDenied++
	case proposed.Allowed:
		b.called(&b.newlyAllowed, p.account, p.arn, action, now)
		b.sum.NewlyAllowed++
	default:
		b.denied(&b.stillDenied, p.account, p.arn, action, proposed, e.EventID)
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
