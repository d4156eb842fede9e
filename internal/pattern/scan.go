package pattern

import (
	"regexp/syntax"
	"unicode/utf8"
)

// A run is one step of a simple pattern: between min and max runes (max
// -1 for no bound) from one character class.
type run struct {
	ascii    [2]uint64 // the class's runes below 0x80, as bits
	ranges   []rune    // the rest of the class: lo, hi pairs, sorted
	min, max int
	// rest marks a last run of any runes, unbounded: [\s\S]*, which
	// most free-text members have and policy documents are long for.
	rest bool
}

func (r *run) has(c rune) bool {
	if c < utf8.RuneSelf {
		return r.ascii[c>>6]&(1<<(c&63)) != 0
	}
	lo, hi := 0, len(r.ranges)/2
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case c < r.ranges[2*m]:
			hi = m
		case c > r.ranges[2*m+1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// simple is a pattern that a greedy scan decides exactly: a few
// alternatives, each a sequence of runs in which no run that may stop
// early shares a rune with what can follow it. Most of the model's
// patterns are such (IDs, names, ARNs of fixed shape), and a scan
// decides them several times faster than the regexp package, on every
// request that names one.
type simple [][]run

// maxAlternatives bounds the sequences a pattern may expand to.
const maxAlternatives = 16

// compileSimple returns the simple form of the pattern text, or false
// when it has none: when the text is not anchored at both ends, uses a
// construct other than literals, classes, their repeats, groups,
// alternation and the text's two ends, or has runs that a greedy scan
// could misjudge. Such patterns are left to regexp.
func compileSimple(text string) (simple, bool) {
	re, err := syntax.Parse(text, syntax.Perl)
	if err != nil {
		return nil, false
	}
	seqs, ok := sequences(re)
	if !ok {
		return nil, false
	}
	var s simple
	for _, seq := range seqs {
		runs, ok := trimEnds(seq)
		if !ok || !greedySafe(runs) {
			return nil, false
		}
		if n := len(runs); n > 0 {
			last := &runs[n-1]
			last.rest = last.min == 0 && last.max < 0 && len(last.ranges) == 2 &&
				last.ranges[0] == utf8.RuneSelf && last.ranges[1] == utf8.MaxRune && last.ascii == [2]uint64{^uint64(0), ^uint64(0)}
		}
		s = append(s, runs)
	}
	return s, true
}

// Markers for the text's ends, kept in a sequence until trimEnds checks
// they sit where they may: max -2 for the start, -3 for the end.
const (
	beginText = -2
	endText   = -3
)

// sequences expands re into the sequences of runs it alternates between.
func sequences(re *syntax.Regexp) ([][]run, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return [][]run{nil}, true
	case syntax.OpBeginText:
		return [][]run{{{max: beginText}}}, true
	case syntax.OpEndText:
		return [][]run{{{max: endText}}}, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		seq := make([]run, len(re.Rune))
		for i, c := range re.Rune {
			seq[i] = classRun([]rune{c, c}, 1, 1)
		}
		return [][]run{seq}, true
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return [][]run{{classRun(class(re), 1, 1)}}, true
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		cls := class(re.Sub[0])
		if cls == nil {
			return nil, false
		}
		min, max := 0, -1
		switch re.Op {
		case syntax.OpPlus:
			min = 1
		case syntax.OpQuest:
			max = 1
		case syntax.OpRepeat:
			min, max = re.Min, re.Max
		}
		return [][]run{{classRun(cls, min, max)}}, true
	case syntax.OpCapture:
		return sequences(re.Sub[0])
	case syntax.OpConcat:
		out := [][]run{nil}
		for _, sub := range re.Sub {
			alts, ok := sequences(sub)
			if !ok || len(out)*len(alts) > maxAlternatives {
				return nil, false
			}
			var next [][]run
			for _, head := range out {
				for _, tail := range alts {
					next = append(next, append(head[:len(head):len(head)], tail...))
				}
			}
			out = next
		}
		return out, true
	case syntax.OpAlternate:
		var out [][]run
		for _, sub := range re.Sub {
			alts, ok := sequences(sub)
			if !ok || len(out)+len(alts) > maxAlternatives {
				return nil, false
			}
			out = append(out, alts...)
		}
		return out, true
	}
	return nil, false
}

// class returns the runes, as lo, hi pairs, that re matches as a single
// character, or nil when re is not one.
func class(re *syntax.Regexp) []rune {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 1 && re.Flags&syntax.FoldCase == 0 {
			return []rune{re.Rune[0], re.Rune[0]}
		}
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			return re.Rune
		}
	case syntax.OpAnyChar:
		return []rune{0, utf8.MaxRune}
	case syntax.OpAnyCharNotNL:
		return []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	}
	return nil
}

func classRun(ranges []rune, least, most int) run {
	r := run{min: least, max: most}
	for i := 0; i < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for c := lo; c <= hi && c < utf8.RuneSelf; c++ {
			r.ascii[c>>6] |= 1 << (c & 63)
		}
		if hi >= utf8.RuneSelf {
			r.ranges = append(r.ranges, max(lo, utf8.RuneSelf), hi)
		}
	}
	return r
}

// trimEnds drops the markers of the text's ends from seq. It refuses a
// sequence that is not anchored at both, since regexp finds a match
// anywhere in a string and a scan decides the whole of it, and a start
// after anything that consumes a rune or an end before it.
func trimEnds(seq []run) ([]run, bool) {
	var out []run
	begun, ended := false, false
	for _, r := range seq {
		switch r.max {
		case beginText:
			for _, o := range out {
				if o.min > 0 {
					return nil, false
				}
			}
			// Runs before the start can only match nothing.
			out, begun = out[:0], true
		case endText:
			ended = true
		default:
			if ended {
				if r.min > 0 {
					return nil, false
				}
				continue // after the end only nothing can match
			}
			out = append(out, r)
		}
	}
	return out, begun && ended
}

// greedySafe reports whether a greedy scan decides seq exactly: no run
// that may stop early can take a rune that the runs after it could
// start with.
func greedySafe(seq []run) bool {
	for i := range seq {
		if seq[i].min == seq[i].max {
			continue
		}
		for j := i + 1; j < len(seq); j++ {
			if overlap(&seq[i], &seq[j]) {
				return false
			}
			if seq[j].min > 0 {
				break
			}
		}
	}
	return true
}

func overlap(a, b *run) bool {
	if a.ascii[0]&b.ascii[0] != 0 || a.ascii[1]&b.ascii[1] != 0 {
		return true
	}
	for i := 0; i < len(a.ranges); i += 2 {
		for j := 0; j < len(b.ranges); j += 2 {
			if a.ranges[i] <= b.ranges[j+1] && b.ranges[j] <= a.ranges[i+1] {
				return true
			}
		}
	}
	return false
}

// match reports whether the whole of s matches one of the sequences.
func (p simple) match(s string) bool {
	for _, seq := range p {
		if matchSeq(seq, s) {
			return true
		}
	}
	return false
}

func matchSeq(seq []run, s string) bool {
	i := 0
	for k := range seq {
		r := &seq[k]
		if r.rest {
			return true // takes whatever is left, the last run
		}
		n := 0
		for (r.max < 0 || n < r.max) && i < len(s) {
			c, w := rune(s[i]), 1
			if c >= utf8.RuneSelf {
				c, w = utf8.DecodeRuneInString(s[i:])
			}
			if !r.has(c) {
				break
			}
			i += w
			n++
		}
		if n < r.min {
			return false
		}
	}
	return i == len(s)
}
