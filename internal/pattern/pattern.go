// Package pattern decides whether strings match regular expressions: by
// a greedy scan where one decides a pattern exactly, as it does most of
// those orgd checks (IDs, ARNs, names, free text), and otherwise with
// regexp. A scan is several times faster than regexp and holds a few
// hundred bytes where regexp compiles a counted repeat such as {9,256}
// into tens of kilobytes.
package pattern

import "regexp"

// Pattern is a compiled regular expression that only answers whether a
// string matches it.
type Pattern struct {
	text    string
	match   func(string) bool
	scanned bool
}

// MustCompile compiles expr as regexp.MustCompile does, and panics as it
// does when expr is not a valid expression.
func MustCompile(expr string) *Pattern {
	if s, ok := compileSimple(expr); ok {
		return &Pattern{text: expr, match: s.match, scanned: true}
	}
	return &Pattern{text: expr, match: regexp.MustCompile(expr).MatchString}
}

// MatchString reports whether s matches the pattern somewhere, as
// regexp's MatchString does: anchor the expression to match all of s.
func (p *Pattern) MatchString(s string) bool { return p.match(s) }

// String returns the expression.
func (p *Pattern) String() string { return p.text }

// Scanned reports whether a scan decides the pattern.
func (p *Pattern) Scanned() bool { return p.scanned }
