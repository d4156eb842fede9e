package scp

import "strings"

// template is a Resource or condition value holding policy variables
// (${aws:PrincipalAccount}, ${aws:PrincipalTag/team, 'none'}, and the
// escapes ${*} ${?} ${$}). It is split once at parse time so evaluation
// only concatenates.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	text   string // pattern text, or the literal produced by an escape
	key    string // variable name, lower case; "" for text parts
	def    string // default value when the key is absent
	hasDef bool
	lit    bool // text must not act as a wildcard
}

// parseTemplate returns nil when s holds no variable, so the common case
// keeps using the precompiled matcher.
func parseTemplate(s string) (*template, error) {
	if !strings.Contains(s, "${") {
		return nil, nil
	}
	t := &template{}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, invalid("unterminated policy variable in %q", s)
		}
		body := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		switch body {
		case "*", "?", "$":
			t.parts = append(t.parts, tmplPart{text: body, lit: true})
			continue
		case "":
			return nil, invalid("empty policy variable")
		}
		p := tmplPart{key: body}
		if k, d, ok := strings.Cut(body, ","); ok {
			d = strings.TrimSpace(d)
			if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
				return nil, invalid("policy variable default must be quoted: %q", body)
			}
			p.key, p.def, p.hasDef = strings.TrimSpace(k), d[1:len(d)-1], true
		}
		if p.key == "" {
			return nil, invalid("empty policy variable")
		}
		p.key = strings.ToLower(p.key)
		t.parts = append(t.parts, p)
	}
	if s != "" {
		t.parts = append(t.parts, tmplPart{text: s})
	}
	return t, nil
}

// resolve substitutes the variables from the request. With pattern set
// the result is a glob pattern in which substituted text is escaped so a
// '*' in a tag value cannot widen the match. ok is false when a variable
// has no value and no default: AWS then treats the element as not
// matching.
func (t *template) resolve(ev *evaluator, pattern bool) (string, bool) {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.key == "" && !p.lit:
			if pattern {
				writeEscaped(&b, p.text, "\\")
			} else {
				b.WriteString(p.text)
			}
		case p.key == "":
			if pattern {
				writeEscaped(&b, p.text, "*?\\")
			} else {
				b.WriteString(p.text)
			}
		default:
			v, ok := ev.single(p.key)
			if !ok {
				if !p.hasDef {
					return "", false
				}
				v = p.def
			}
			if pattern {
				writeEscaped(&b, v, "*?\\")
			} else {
				b.WriteString(v)
			}
		}
	}
	return b.String(), true
}

func writeEscaped(b *strings.Builder, s, special string) {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(special, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
}
