package api

import (
	"unicode/utf8"
)

// JSONAppender is a response that encodes itself without reflection. What
// it appends is byte for byte what encoding/json's Marshal gives for it
// (appendjson_test.go checks every output shape with filled and random
// values). apigen writes the method of every output structure
// (appendjson_gen.go); Empty's is here.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

func (e *Empty) AppendJSON(b []byte) []byte {
	if e == nil {
		return append(b, "null"...)
	}
	return append(b, "{}"...)
}

// appendMemberName appends member, a member's name quoted and its colon,
// after a comma unless it is the first member of the object whose
// contents start at open. The name comes as one string with its
// punctuation: three appends of a few bytes each cost more than the one.
func appendMemberName(b []byte, open int, member string) []byte {
	if len(b) > open {
		b = append(b, ',')
	}
	return append(b, member...)
}

// appendStringMember appends a string member with omitempty's rule;
// member is its name as appendMemberName takes it and the value's
// opening quote.
func appendStringMember(b []byte, open int, member, v string) []byte {
	if v == "" {
		return b
	}
	return append(appendStringContent(appendMemberName(b, open, member), v), '"')
}

const hex = "0123456789abcdef"

// plain marks the bytes a JSON string holds as they are: printable ASCII
// and DEL but for '"', '\\' and the HTML characters. One lookup a byte
// is most of what appending an account costs.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as a JSON string with encoding/json's escapes:
// '"' and '\\' and the control bytes (\b, \f, \n, \r, \t short, the rest
// as \u00XX), the HTML characters <, > and & as \u003c and so on, invalid
// UTF-8 as \ufffd, and U+2028 and U+2029, which JavaScript reads as line
// ends.
func appendString(b []byte, s string) []byte {
	return append(appendStringContent(append(b, '"'), s), '"')
}

// appendStringContent appends s as appendString does but for its quotes.
func appendStringContent(b []byte, s string) []byte {
	if i := plainPrefix(s); i < len(s) {
		return appendEscaped(b, s, i)
	}
	return append(b, s...)
}

// plainPrefix returns the length of the longest prefix of s whose bytes
// are all plain. It tests eight bytes at once, then each: looking at each
// byte was most of the cost of a page of accounts.
func plainPrefix(s string) int {
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		if !plain8(load8(s, i)) {
			break
		}
	}
	for ; i < len(s); i++ {
		if !plain[s[i]] {
			break
		}
	}
	return i
}

// appendEscaped appends s, whose first i bytes are plain, escaped.
func appendEscaped(b []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// load8 returns the eight bytes of s from i as one word, least
// significant first; the compiler makes it one load.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plain8 reports whether each byte of x is plain, as the table says,
// testing all eight at once: none is 0x80 or above or below 0x20, and
// none is '"' or '&' (0x22, 0x26: equal but for bit 2), '<' or '>' (0x3c,
// 0x3e: but for bit 1) or '\\'.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	bad := x & highs
	bad |= (x - 0x20*ones) &^ x & highs // a byte below 0x20 (exact as x's bytes are below 0x80)
	bad |= zeroByte((x ^ '"'*ones) &^ (0x04 * ones))
	bad |= zeroByte((x ^ '<'*ones) &^ (0x02 * ones))
	bad |= zeroByte(x ^ '\\'*ones)
	return bad == 0
}

// zeroByte is nonzero when a byte of x is zero.
func zeroByte(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x - ones) &^ x & highs
}
