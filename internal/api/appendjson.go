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

// appendMemberName appends "name": after a comma unless it is the first
// member of the object whose contents start at open.
func appendMemberName(b []byte, open int, name string) []byte {
	if len(b) > open {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// appendStringMember appends a string member with omitempty's rule.
func appendStringMember(b []byte, open int, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(appendMemberName(b, open, name), v)
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
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
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
	b = append(b, s[start:]...)
	return append(b, '"')
}
