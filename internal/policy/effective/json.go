package effective

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// object is a JSON object that remembers key order. Management policies
// are shown back to users as effective policies, and keeping the order
// in which settings first appeared makes those readable and stable.
type object struct {
	keys []string
	vals map[string]interface{}
}

func newObject() *object { return &object{vals: map[string]interface{}{}} }

func (o *object) set(k string, v interface{}) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// decode reads one JSON value; objects become *object, numbers stay
// json.Number so "480" and 480 survive as written. Duplicate keys are an
// error: encoding/json would keep the last and hide the first.
func decode(content string) (interface{}, error) {
	d := json.NewDecoder(strings.NewReader(content))
	d.UseNumber()
	v, err := decodeValue(d, "")
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &ValidationError{Message: "the policy must be a single JSON object"}
	}
	return v, nil
}

func decodeValue(d *json.Decoder, path string) (interface{}, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, &ValidationError{Path: path, Message: "the policy is not valid JSON"}
	}
	switch tok {
	case json.Delim('{'):
		o := newObject()
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, &ValidationError{Path: path, Message: "the policy is not valid JSON"}
			}
			k := kt.(string)
			if _, dup := o.vals[k]; dup {
				return nil, &ValidationError{Path: path, Message: "duplicate key " + quote(k)}
			}
			v, err := decodeValue(d, join(path, k))
			if err != nil {
				return nil, err
			}
			o.set(k, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, &ValidationError{Path: path, Message: "the policy is not valid JSON"}
		}
		return o, nil
	case json.Delim('['):
		list := []interface{}{}
		for d.More() {
			v, err := decodeValue(d, path)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, &ValidationError{Path: path, Message: "the policy is not valid JSON"}
		}
		return list, nil
	}
	return tok, nil
}

// encode writes v as compact JSON in key order, without the HTML escaping
// encoding/json would apply to '<', '>' and '&'.
func encode(buf *bytes.Buffer, v interface{}) {
	switch t := v.(type) {
	case *object:
		buf.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			encode(buf, t.vals[k])
		}
		buf.WriteByte('}')
	case []interface{}:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			encode(buf, e)
		}
		buf.WriteByte(']')
	case string:
		writeString(buf, t)
	case json.Number:
		buf.WriteString(t.String())
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	default:
		buf.WriteString("null")
	}
}

func writeString(buf *bytes.Buffer, s string) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // a string always encodes
	buf.Write(bytes.TrimRight(b.Bytes(), "\n"))
}

func quote(s string) string {
	var b bytes.Buffer
	writeString(&b, s)
	return b.String()
}

// join builds the "/"-separated path used in errors, e.g.
// "tags/costcenter/tag_value".
func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "/" + k
}

// sameValue compares two scalars by JSON type and text, which is how
// @@append avoids duplicates and @@remove finds what to drop.
func sameValue(a, b interface{}) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return a == nil && b == nil
}
