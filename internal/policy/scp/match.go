package scp

import (
	"strings"
	"unicode/utf8"
)

// matcherKind picks a fast path at compile time so the common pattern
// shapes ("*", "ec2:Describe*", exact names) avoid the general matcher.
type matcherKind uint8

const (
	matchAll matcherKind = iota
	matchExact
	matchPrefix
	matchSuffix
	matchGlob
)

// matcher is a precompiled wildcard pattern: '*' matches any run of
// characters, '?' exactly one. With fold set, the pattern is stored in
// lower case and the subject is folded on the fly, so evaluation never
// allocates a lowered copy of the request.
type matcher struct {
	kind matcherKind
	fold bool
	lit  string // the pattern, or its literal part for exact/prefix/suffix
}

func compileMatcher(pattern string, fold bool) matcher {
	if fold {
		// Full Unicode lowering here matches what the evaluator does to a
		// non-ASCII action; ASCII-only actions are folded byte by byte.
		pattern = strings.ToLower(pattern)
	}
	m := matcher{fold: fold, lit: pattern}
	n := len(pattern)
	stars, qs := 0, 0
	for i := 0; i < n; i++ {
		switch pattern[i] {
		case '*':
			stars++
		case '?':
			qs++
		}
	}
	switch {
	case pattern == "*":
		m.kind = matchAll
	case stars == 0 && qs == 0:
		m.kind = matchExact
	case qs == 0 && stars == 1 && pattern[n-1] == '*':
		m.kind, m.lit = matchPrefix, pattern[:n-1]
	case qs == 0 && stars == 1 && pattern[0] == '*':
		m.kind, m.lit = matchSuffix, pattern[1:]
	default:
		m.kind = matchGlob
	}
	return m
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case matchAll:
		return true
	case matchExact:
		return len(s) == len(m.lit) && equalFold(s, m.lit, m.fold)
	case matchPrefix:
		return len(s) >= len(m.lit) && equalFold(s[:len(m.lit)], m.lit, m.fold)
	case matchSuffix:
		return len(s) >= len(m.lit) && equalFold(s[len(s)-len(m.lit):], m.lit, m.fold)
	}
	return glob(m.lit, s, m.fold, false)
}

// equalFold compares s with a pattern literal that is already lower case
// when fold is set. Only ASCII letters fold: action names are ASCII, and
// folding only one side of a non-ASCII pair would be wrong anyway.
func equalFold(s, lowerLit string, fold bool) bool {
	if !fold {
		return s == lowerLit
	}
	for i := 0; i < len(s); i++ {
		if lowerByte(s[i]) != lowerLit[i] {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// glob matches s against p ('*' any run, '?' one rune). With esc set, a
// backslash in p makes the next byte literal; that is how text substituted
// from policy variables and the ${*} ${?} ${$} escapes stay literal.
// The algorithm backtracks only to the last star, so it is linear for
// the patterns policies use.
func glob(p, s string, fold, esc bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			c := p[px]
			switch {
			case c == '*':
				starPx, starSx = px, sx
				px++
				continue
			case c == '?':
				if sx < len(s) {
					px++
					sx += runeLen(s[sx:])
					continue
				}
			default:
				if esc && c == '\\' && px+1 < len(p) {
					c = p[px+1]
					if sx < len(s) && cmpByte(s[sx], c, fold) {
						px += 2
						sx++
						continue
					}
					break
				}
				if sx < len(s) && cmpByte(s[sx], c, fold) {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx += runeLen(s[starSx:])
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

func cmpByte(sc, pc byte, fold bool) bool {
	if fold {
		return lowerByte(sc) == pc
	}
	return sc == pc
}

func runeLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}
