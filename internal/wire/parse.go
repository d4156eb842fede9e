package wire

import (
	"encoding/json"

	"github.com/orgd/orgd/internal/api"
)

// maxDepth is encoding/json's limit on nesting, which a body may reach
// but not pass.
const maxDepth = 10000

// errBody is why a body failed to parse.
type errBody int

const (
	bodyOK      errBody = iota
	bodyInvalid         // not valid JSON
	bodyTrailer         // a valid value, then more than whitespace
)

// parseDoc parses a request body into the document encoding/json's
// Decoder with UseNumber would give (objects as map[string]any, arrays
// as []any, numbers as json.Number, strings, bools, nil), and refuses
// what it refuses, without its reflection and buffering: the body of
// every request is parsed once, for validation and then for the input
// (api.DocDecoder). FuzzParseDoc holds it to encoding/json.
func parseDoc(raw []byte) (any, errBody) {
	p := parser{s: raw}
	v, ok := p.value()
	if !ok {
		return nil, bodyInvalid
	}
	p.space()
	if p.i < len(p.s) {
		return nil, bodyTrailer
	}
	return v, bodyOK
}

type parser struct {
	s     []byte
	i     int
	depth int
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value() (any, bool) {
	p.space()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.string()
		return s, ok
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return nil, false
}

func (p *parser) literal(word string) bool {
	if len(p.s)-p.i < len(word) || string(p.s[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

func (p *parser) object() (any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, false
		}
		k, ok := p.key()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

func (p *parser) array() (any, bool) {
	if p.depth++; p.depth > maxDepth {
		return nil, false
	}
	p.i++ // [
	a := make([]any, 0)
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return a, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return a, true
		default:
			return nil, false
		}
	}
}

// string reads a string token. One of printable ASCII without escapes,
// the names and values of nearly every body, is copied; any other is
// unquoted by encoding/json, whose rules for escapes, surrogates and
// invalid UTF-8 it then keeps exactly.
func (p *parser) string() (string, bool) {
	start := p.i
	plain, ok := p.scanString()
	switch {
	case !ok:
		return "", false
	case plain:
		return string(p.s[start+1 : p.i-1]), true
	}
	var s string
	if json.Unmarshal(p.s[start:p.i], &s) != nil {
		return "", false
	}
	return s, true
}

// scanString moves past a string token and reports whether it is plain:
// printable ASCII without escapes, its bytes what it says.
func (p *parser) scanString() (plain, ok bool) {
	p.i++ // "
	plain = true
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return plain, true
		case c == '\\':
			plain = false
			p.i++
			if p.i >= len(p.s) {
				return false, false
			}
			switch p.s[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				p.i++
				for range 4 {
					if p.i >= len(p.s) || !isHex(p.s[p.i]) {
						return false, false
					}
					p.i++
				}
			default:
				return false, false
			}
		case c < 0x20:
			return false, false
		default:
			if c >= 0x80 {
				plain = false
			}
			p.i++
		}
	}
	return false, false
}

// key reads a member name: one the model names is its shared string,
// not a copy (a lookup with a converted []byte does not allocate).
func (p *parser) key() (string, bool) {
	start := p.i
	plain, ok := p.scanString()
	if ok && plain {
		if name, known := memberNames[string(p.s[start+1:p.i-1])]; known {
			return name, true
		}
	}
	p.i = start
	return p.string()
}

// memberNames holds every member name of the model's structures.
var memberNames = func() map[string]string {
	names := map[string]string{}
	for _, s := range api.Shapes {
		for _, m := range s.Members {
			names[m.Name] = m.Name
		}
	}
	return names
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// number reads a number token as written: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)?.
func (p *parser) number() (any, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return nil, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.s[start:p.i]), true
}

func (p *parser) digits() int {
	n := 0
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}
