package impact

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/policy/scp"
)

// Report is the outcome of a replay: counts per outcome, and the calls
// behind the outcomes that need reading, grouped by account, principal
// and action.
type Report struct {
	Organization  string              `json:"organization"`
	Proposal      *org.Proposal       `json:"proposal,omitempty"`
	Summary       Summary             `json:"summary"`
	NewlyDenied   []DeniedGroup       `json:"newlyDenied"`
	NewlyAllowed  []CallGroup         `json:"newlyAllowed"`
	StillDenied   []DeniedGroup       `json:"stillDenied"`
	Undetermined  []UndeterminedGroup `json:"undetermined"`
	FailedOnAWS   []FailedGroup       `json:"failedOnAWS"`
	UnknownShapes []ShapeGroup        `json:"unknownShapes"`
	GeneratedAt   string              `json:"generatedAt"`
}

// Summary counts events per outcome; every event has exactly one, so the
// outcomes add up to Events. Exempt counts the still-allowed calls no
// SCP or RCP applies to (management account, service-linked roles, AWS
// services, accounts outside the organization). Duplicates counts the
// records left out because an earlier one had the same eventID: copies
// of an event, which are not in Events.
type Summary struct {
	Events       int `json:"events"`
	Files        int `json:"files"`
	StillAllowed int `json:"stillAllowed"`
	Exempt       int `json:"exempt"`
	StillDenied  int `json:"stillDenied"`
	NewlyDenied  int `json:"newlyDenied"`
	NewlyAllowed int `json:"newlyAllowed"`
	Undetermined int `json:"undetermined"`
	FailedOnAWS  int `json:"failedOnAWS"`
	UnknownShape int `json:"unknownShape"`
	Duplicates   int `json:"duplicates"`
}

// Call names who made which call.
type Call struct {
	Account   string `json:"account"`
	Principal string `json:"principal"`
	Action    string `json:"action"`
}

// DeniedGroup is calls a decision denies, with the statement that
// denies them (for NO_ALLOW, the target whose policies allow nothing).
type DeniedGroup struct {
	Call
	Count       int    `json:"count"`
	Decision    string `json:"decision"` // EXPLICIT_DENY or NO_ALLOW
	PolicyType  string `json:"policyType"`
	PolicyID    string `json:"policyId"`
	PolicyName  string `json:"policyName"`
	Target      string `json:"target"`
	TargetName  string `json:"targetName"`
	Statement   int    `json:"statement"`
	Sid         string `json:"sid,omitempty"`
	Explanation string `json:"explanation"`
	Example     string `json:"exampleEventId,omitempty"`
	first       int    // stream position of the first call
}

// CallGroup is calls and how many there were, with what decided them
// before the change.
type CallGroup struct {
	Call
	Count       int    `json:"count"`
	Explanation string `json:"explanation"`
	first       int
}

// UndeterminedGroup is calls the proposal cannot be decided for from
// CloudTrail: the condition keys it needs that no event records.
type UndeterminedGroup struct {
	Call
	Count       int      `json:"count"`
	MissingKeys []string `json:"missingKeys"`
	PolicyID    string   `json:"policyId"`
	PolicyName  string   `json:"policyName"`
	Target      string   `json:"target"`
	Statement   int      `json:"statement"`
	Explanation string   `json:"explanation"`
	first       int
}

// FailedGroup is calls AWS had already refused.
type FailedGroup struct {
	Call
	Count     int    `json:"count"`
	ErrorCode string `json:"errorCode"`
	first     int
}

// ShapeGroup is records not understood, for one reason, with the first.
type ShapeGroup struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	First  string `json:"first"` // file: record N
	first  int
}

type builder struct {
	sum          Summary
	newlyDenied  map[deniedKey]*DeniedGroup
	stillDenied  map[deniedKey]*DeniedGroup
	newlyAllowed map[Call]*CallGroup
	undetermined map[Call]*UndeterminedGroup
	failedOnAWS  map[failedKey]*FailedGroup
	shapes       map[string]*ShapeGroup
}

type deniedKey struct {
	Call
	policy, target string
	statement      int
}

type failedKey struct {
	Call
	code string
}

func newBuilder() *builder {
	return &builder{
		newlyDenied: map[deniedKey]*DeniedGroup{}, stillDenied: map[deniedKey]*DeniedGroup{},
		newlyAllowed: map[Call]*CallGroup{}, undetermined: map[Call]*UndeterminedGroup{},
		failedOnAWS: map[failedKey]*FailedGroup{}, shapes: map[string]*ShapeGroup{},
	}
}

var decisionNames = map[scp.Reason]string{
	scp.ReasonExplicitDeny: "EXPLICIT_DENY",
	scp.ReasonNoAllow:      "NO_ALLOW",
}

func (b *builder) allowed(exempt bool) {
	b.sum.Events++
	b.sum.StillAllowed++
	if exempt {
		b.sum.Exempt++
	}
}

func (b *builder) denied(into map[deniedKey]*DeniedGroup, at position, account, principal, action string, d org.SimDecision, eventID string) {
	b.sum.Events++
	c := Call{account, principal, action}
	k := deniedKey{c, d.By.PolicyID, d.By.TargetID, d.By.Statement}
	g := into[k]
	if g == nil {
		g = &DeniedGroup{Call: c, Decision: decisionNames[d.Reason], PolicyType: string(d.PolicyType), PolicyID: d.By.PolicyID, PolicyName: d.By.PolicyName,
			Target: d.By.TargetID, TargetName: d.By.TargetName, Statement: d.By.Statement, Sid: d.By.Sid, Explanation: d.String(), Example: eventID, first: at.seq}
		into[k] = g
	}
	g.Count++
}

func (b *builder) called(into map[Call]*CallGroup, at position, account, principal, action string, d org.SimDecision) {
	b.sum.Events++
	c := Call{account, principal, action}
	g := into[c]
	if g == nil {
		g = &CallGroup{Call: c, Explanation: d.String(), first: at.seq}
		into[c] = g
	}
	g.Count++
}

func (b *builder) open(at position, account, principal, action string, d org.SimDecision) {
	b.sum.Events++
	b.sum.Undetermined++
	c := Call{account, principal, action}
	g := b.undetermined[c]
	if g == nil {
		g = &UndeterminedGroup{Call: c, PolicyID: d.By.PolicyID, PolicyName: d.By.PolicyName, Target: d.By.TargetID, Statement: d.By.Statement, Explanation: d.String(), first: at.seq}
		b.undetermined[c] = g
	}
	for _, k := range d.MissingKeys {
		if !contains(g.MissingKeys, k) {
			g.MissingKeys = append(g.MissingKeys, k)
		}
	}
	g.Count++
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (b *builder) failed(at position, account, principal, action, code string) {
	b.sum.Events++
	b.sum.FailedOnAWS++
	k := failedKey{Call{account, principal, action}, code}
	g := b.failedOnAWS[k]
	if g == nil {
		g = &FailedGroup{Call: k.Call, ErrorCode: code, first: at.seq}
		b.failedOnAWS[k] = g
	}
	g.Count++
}

func (b *builder) shape(at position, reason string) {
	b.sum.Events++
	b.sum.UnknownShape++
	g := b.shapes[reason]
	if g == nil {
		g = &ShapeGroup{Reason: reason, First: fmt.Sprintf("%s: record %d", at.file, at.record), first: at.seq}
		b.shapes[reason] = g
	}
	g.Count++
}

// merge adds other's tallies to b's. Where both saw a group, what
// describes it comes from the call earlier in the stream.
func (b *builder) merge(other *builder) {
	s, o := &b.sum, &other.sum
	s.Events += o.Events
	s.StillAllowed += o.StillAllowed
	s.Exempt += o.Exempt
	s.StillDenied += o.StillDenied
	s.NewlyDenied += o.NewlyDenied
	s.NewlyAllowed += o.NewlyAllowed
	s.Undetermined += o.Undetermined
	s.FailedOnAWS += o.FailedOnAWS
	s.UnknownShape += o.UnknownShape
	s.Duplicates += o.Duplicates
	denied := func(d, s *DeniedGroup) {
		n := d.Count + s.Count
		if s.first < d.first {
			*d = *s
		}
		d.Count = n
	}
	mergeGroups(b.newlyDenied, other.newlyDenied, denied)
	mergeGroups(b.stillDenied, other.stillDenied, denied)
	mergeGroups(b.newlyAllowed, other.newlyAllowed, func(d, s *CallGroup) {
		n := d.Count + s.Count
		if s.first < d.first {
			*d = *s
		}
		d.Count = n
	})
	mergeGroups(b.undetermined, other.undetermined, func(d, s *UndeterminedGroup) {
		n, keys := d.Count+s.Count, d.MissingKeys
		if s.first < d.first {
			*d = *s
		}
		d.Count = n
		for _, k := range keys {
			if !contains(d.MissingKeys, k) {
				d.MissingKeys = append(d.MissingKeys, k)
			}
		}
	})
	mergeGroups(b.failedOnAWS, other.failedOnAWS, func(d, s *FailedGroup) {
		d.Count += s.Count
		d.first = min(d.first, s.first)
	})
	mergeGroups(b.shapes, other.shapes, func(d, s *ShapeGroup) {
		n := d.Count + s.Count
		if s.first < d.first {
			*d = *s
		}
		d.Count = n
	})
}

func mergeGroups[K comparable, V any](dst, src map[K]*V, merge func(d, s *V)) {
	for k, s := range src {
		if d := dst[k]; d != nil {
			merge(d, s)
		} else {
			dst[k] = s
		}
	}
}

func values[K comparable, V any](m map[K]*V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	return out
}

func (c *Call) name() string { return c.Account + " " + c.Principal + " " + c.Action }

func (b *builder) report(sim *org.Simulation, files int, now time.Time) *Report {
	b.sum.Files = files
	r := &Report{
		Organization: sim.Organization, Summary: b.sum,
		NewlyDenied: values(b.newlyDenied), StillDenied: values(b.stillDenied), NewlyAllowed: values(b.newlyAllowed),
		Undetermined: values(b.undetermined), FailedOnAWS: values(b.failedOnAWS), UnknownShapes: values(b.shapes),
		GeneratedAt: now.UTC().Format(time.RFC3339),
	}
	denied := func(g *DeniedGroup) string {
		return fmt.Sprintf("%s %s %s %d", g.name(), g.PolicyID, g.Target, g.Statement)
	}
	sortGroups(r.NewlyDenied, func(g *DeniedGroup) int { return g.Count }, denied)
	sortGroups(r.StillDenied, func(g *DeniedGroup) int { return g.Count }, denied)
	sortGroups(r.NewlyAllowed, func(g *CallGroup) int { return g.Count }, func(g *CallGroup) string { return g.name() })
	sortGroups(r.Undetermined, func(g *UndeterminedGroup) int { return g.Count }, func(g *UndeterminedGroup) string { return g.name() })
	sortGroups(r.FailedOnAWS, func(g *FailedGroup) int { return g.Count }, func(g *FailedGroup) string { return g.name() + " " + g.ErrorCode })
	sortGroups(r.UnknownShapes, func(g *ShapeGroup) int { return g.Count }, func(g *ShapeGroup) string { return g.Reason })
	for i := range r.Undetermined {
		sort.Strings(r.Undetermined[i].MissingKeys)
	}
	return r
}

// WriteText writes the report for people: the counts, then each group of
// calls that needs attention, most frequent first.
func (r *Report) WriteText(w io.Writer) {
	s := r.Summary
	fmt.Fprintf(w, "Replayed %d events from %d files against the SCPs and RCPs of %s, now and with the proposed change.\n\n", s.Events, s.Files, r.Organization)
	rows := []struct {
		name string
		n    int
		note string
	}{
		{"still allowed", s.StillAllowed, fmt.Sprintf("(%d exempt)", s.Exempt)},
		{"still denied", s.StillDenied, ""},
		{"newly denied", s.NewlyDenied, ""},
		{"newly allowed", s.NewlyAllowed, ""},
		{"undetermined", s.Undetermined, ""},
		{"failed on AWS", s.FailedOnAWS, "(already denied there)"},
		{"unknown shape", s.UnknownShape, ""},
		{"duplicates", s.Duplicates, "(left out: an earlier record has the same eventID)"},
	}
	for _, row := range rows {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-14s %9d %s", row.name, row.n, row.note), " "))
	}
	denied := func(title string, gs []DeniedGroup) {
		if len(gs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, g := range gs {
			fmt.Fprintf(w, "  %7d  %s  %s  %s\n", g.Count, g.Account, orNone(g.Principal), g.Action)
			if g.Decision == "NO_ALLOW" {
				fmt.Fprintf(w, "           no %s attached to %s allows it\n", typeName(g.PolicyType), named(g.Target, g.TargetName))
				continue
			}
			fmt.Fprintf(w, "           denied by %s %s statement %d%s attached to %s\n", typeName(g.PolicyType), named(g.PolicyID, g.PolicyName), g.Statement, sid(g.Sid), named(g.Target, g.TargetName))
		}
	}
	denied("Newly denied", r.NewlyDenied)
	if len(r.NewlyAllowed) > 0 {
		fmt.Fprintf(w, "\nNewly allowed:\n")
		for _, g := range r.NewlyAllowed {
			fmt.Fprintf(w, "  %7d  %s  %s  %s\n", g.Count, g.Account, orNone(g.Principal), g.Action)
		}
	}
	if len(r.Undetermined) > 0 {
		fmt.Fprintf(w, "\nUndetermined (CloudTrail does not record what the policy tests):\n")
		for _, g := range r.Undetermined {
			fmt.Fprintf(w, "  %7d  %s  %s  %s\n", g.Count, g.Account, orNone(g.Principal), g.Action)
			fmt.Fprintf(w, "           %s statement %d attached to %s needs %s\n", named(g.PolicyID, g.PolicyName), g.Statement, g.Target, strings.Join(g.MissingKeys, ", "))
		}
	}
	denied("Still denied (by what is in force now, though the call succeeded on AWS)", r.StillDenied)
	if len(r.FailedOnAWS) > 0 {
		fmt.Fprintf(w, "\nFailed on AWS:\n")
		for _, g := range r.FailedOnAWS {
			fmt.Fprintf(w, "  %7d  %s  %s  %s  %s\n", g.Count, g.Account, orNone(g.Principal), g.Action, g.ErrorCode)
		}
	}
	if len(r.UnknownShapes) > 0 {
		fmt.Fprintf(w, "\nUnknown shape (not evaluated):\n")
		for _, g := range r.UnknownShapes {
			fmt.Fprintf(w, "  %7d  %s (first: %s)\n", g.Count, g.Reason, g.First)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(principal not on record)"
	}
	return s
}

func typeName(t string) string {
	if t == "RESOURCE_CONTROL_POLICY" {
		return "RCP"
	}
	return "SCP"
}

// named is an ID with its name, as the report prints policies and targets.
func named(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return id + " (" + name + ")"
}

func sid(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
