// Package shapes describes the shapes of the Organizations API model and
// validates JSON documents against them.
//
// The generated package api fills a Registry from the model; this package
// holds the hand-written walker so that the generator stays small.
package shapes

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/orgd/orgd/internal/pattern"
)

// Kind is the type of a shape in the model.
type Kind uint8

const (
	String Kind = iota + 1
	Integer
	Boolean
	Timestamp
	List
	Structure
)

// Member is one member of a structure shape.
type Member struct {
	Name     string
	Shape    string
	Required bool
}

// Shape holds the facts the model states about one shape.
type Shape struct {
	Name    string
	Kind    Kind
	Members []Member // Structure
	Element string   // List: the member shape
	Min     *int64   // length (String, List) or value (Integer)
	Max     *int64
	Pattern *Pattern // anchored at both ends
	// PatternText is the pattern as the model writes it, for messages.
	PatternText string
	Enum        []string
}

// Registry maps shape names to shapes.
type Registry map[string]*Shape

// Reason names the constraint a value broke, as the InvalidInputException
// reasons name them.
type Reason string

const (
	InputRequired     Reason = "INPUT_REQUIRED"
	MinLengthExceeded Reason = "MIN_LENGTH_EXCEEDED"
	MaxLengthExceeded Reason = "MAX_LENGTH_EXCEEDED"
	MinValueExceeded  Reason = "MIN_VALUE_EXCEEDED"
	MaxValueExceeded  Reason = "MAX_VALUE_EXCEEDED"
	InvalidPattern    Reason = "INVALID_PATTERN"
	InvalidEnum       Reason = "INVALID_ENUM"
	// WrongType is not an InvalidInputException reason: a value of the
	// wrong JSON type is a SerializationException.
	WrongType Reason = "WRONG_TYPE"
)

// Violation is the first constraint a document breaks.
type Violation struct {
	Path   string // e.g. "Target.Id" or "Tags[2].Key"
	Shape  string // the shape whose constraint was broken
	Member string // the structure member name, or "" for list elements
	Reason Reason
	Detail string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", v.Path, v.Detail)
}

// Validate checks a JSON document decoded with encoding/json (objects as
// map[string]any, numbers as float64 or json.Number) against the named shape.
// It returns the first violation in member order, or nil.
func (r Registry) Validate(shape string, doc any) *Violation {
	return r.walk(shape, "", "", doc)
}

func (r Registry) walk(name, path, member string, v any) *Violation {
	s := r[name]
	if s == nil {
		return nil
	}
	bad := func(reason Reason, format string, args ...any) *Violation {
		return &Violation{Path: path, Shape: name, Member: member, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	switch s.Kind {
	case Structure:
		obj, ok := v.(map[string]any)
		if !ok {
			return bad(WrongType, "Member must be an object")
		}
		for _, m := range s.Members {
			mv, present := obj[m.Name]
			p := m.Name
			if path != "" {
				p = path + "." + m.Name
			}
			if !present || mv == nil {
				if m.Required {
					return &Violation{Path: p, Shape: m.Shape, Member: m.Name, Reason: InputRequired, Detail: "Member must not be null"}
				}
				continue
			}
			if vi := r.walk(m.Shape, p, m.Name, mv); vi != nil {
				return vi
			}
		}
	case List:
		arr, ok := v.([]any)
		if !ok {
			return bad(WrongType, "Member must be a list")
		}
		n := int64(len(arr))
		if s.Min != nil && n < *s.Min {
			return bad(MinLengthExceeded, "Member must have length greater than or equal to %d", *s.Min)
		}
		if s.Max != nil && n > *s.Max {
			return bad(MaxLengthExceeded, "Member must have length less than or equal to %d", *s.Max)
		}
		for i, e := range arr {
			if e == nil {
				// A null element would decode to a zero value that
				// reaches the handler unchecked.
				return &Violation{Path: fmt.Sprintf("%s[%d]", path, i), Shape: s.Element, Reason: InputRequired, Detail: "Member must not be null"}
			}
			if vi := r.walk(s.Element, fmt.Sprintf("%s[%d]", path, i), "", e); vi != nil {
				return vi
			}
		}
	case String:
		str, ok := v.(string)
		if !ok {
			return bad(WrongType, "Member must be a string")
		}
		if len(s.Enum) > 0 {
			for _, e := range s.Enum {
				if e == str {
					return nil
				}
			}
			return bad(InvalidEnum, "Member must satisfy enum value set: [%s]", strings.Join(s.Enum, ", "))
		}
		n := int64(len([]rune(str)))
		if s.Min != nil && n < *s.Min {
			return bad(MinLengthExceeded, "Member must have length greater than or equal to %d", *s.Min)
		}
		if s.Max != nil && n > *s.Max {
			return bad(MaxLengthExceeded, "Member must have length less than or equal to %d", *s.Max)
		}
		if s.Pattern != nil && !s.Pattern.MatchString(str) {
			return bad(InvalidPattern, "Member must satisfy regular expression pattern: %s", s.PatternText)
		}
	case Integer:
		n, ok := number(v)
		if !ok {
			return bad(WrongType, "Member must be an integer")
		}
		if s.Min != nil && n < *s.Min {
			return bad(MinValueExceeded, "Member must have value greater than or equal to %d", *s.Min)
		}
		if s.Max != nil && n > *s.Max {
			return bad(MaxValueExceeded, "Member must have value less than or equal to %d", *s.Max)
		}
	case Boolean:
		if _, ok := v.(bool); !ok {
			return bad(WrongType, "Member must be a boolean")
		}
	case Timestamp:
		// Epoch seconds, with a fraction for milliseconds.
		if !isFloat(v) {
			return bad(WrongType, "Member must be a timestamp")
		}
	}
	return nil
}

// number returns an integral JSON number as int64.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n != float64(int64(n)) {
			return 0, false
		}
		return int64(n), true
	case interface{ String() string }: // json.Number
		i, err := strconv.ParseInt(n.String(), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// isFloat reports whether v is a JSON number.
func isFloat(v any) bool {
	switch n := v.(type) {
	case float64:
		return true
	case interface{ String() string }: // json.Number
		_, err := strconv.ParseFloat(n.String(), 64)
		return err == nil
	}
	return false
}

// Pattern is a model pattern, compiled when first matched: the model has
// dozens, compiled by regexp they would hold some 600 KB, and a server
// meets few of them.
type Pattern struct {
	text    string
	compile func() *pattern.Pattern
}

// Anchor makes a model pattern that must match the whole value.
func Anchor(expr string) *Pattern {
	p := &Pattern{text: `^(?:` + expr + `)$`}
	p.compile = sync.OnceValue(func() *pattern.Pattern { return pattern.MustCompile(p.text) })
	return p
}

// MatchString reports whether s matches the pattern.
func (p *Pattern) MatchString(s string) bool { return p.compile().MatchString(s) }

// String returns the anchored pattern.
func (p *Pattern) String() string { return p.text }

// Int returns a pointer to n, for generated tables.
func Int(n int64) *int64 { return &n }
