package org

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/store"
)

// Export and import of the whole state as one JSON document:
//
//	{"format":"orgd-state","version":1,"exportedAt":…,"serverTime":…,
//	 "records":[{"key":"…","value":…},…]}
//
// Records come in key order, one per line, so that two exports diff well.
// A value is the stored JSON record itself, null for an index key without
// a value, or a JSON string for an index key whose value is a short string
// (an ID, "ACTION parent", the clock offset). The token secret is left
// out: it is per deployment, so pagination tokens stay valid only on the
// server that issued them, and an importing server keeps its own. STS
// sessions are left out unless asked for: each holds a secret key and a
// session token, live credentials that a fixture or a backup should not
// spread.

// Document identification.
const (
	StateFormat  = "orgd-state"
	StateVersion = 1
)

// ErrInvalidState wraps every reason Import refuses a document; the state
// is then left as it was.
var ErrInvalidState = errors.New("invalid state document")

// valueKind is how a key's value is stored and exported.
type valueKind uint8

const (
	emptyIndex  valueKind = iota // no value; exported as null
	stringIndex                  // a short string; exported as a JSON string
	jsonRecord                   // a JSON record; exported as itself
)

// stateKind describes the keys under one prefix.
type stateKind struct {
	value valueKind
	// record returns a new value of the record type, for jsonRecord.
	record func() any
	// emptyOK allows a jsonRecord key with no value (a delegation
	// registered before it had a record; delegationSince reads it).
	emptyOK bool
}

func rec[T any]() func() any { return func() any { return new(T) } }

// stateKinds maps a key's first segment, "/" included, to its kind. Every
// key the domain writes must have an entry here, or Import refuses the
// state it is in: a new key prefix is added here with its record type.
var stateKinds = map[string]stateKind{
	// Records.
	"org/":          {value: jsonRecord, record: rec[organization]()},
	"root/":         {value: jsonRecord, record: rec[root]()},
	"ou/":           {value: jsonRecord, record: rec[ou]()},
	"acct/":         {value: jsonRecord, record: rec[account]()},
	"car/":          {value: jsonRecord, record: rec[createStatus]()},
	"hs/":           {value: jsonRecord, record: rec[handshake]()},
	"policy/":       {value: jsonRecord, record: rec[policy]()},
	"tags/":         {value: jsonRecord, record: rec[[]api.Tag]()},
	"rp/":           {value: jsonRecord, record: rec[resourcePolicy]()},
	"session/":      {value: jsonRecord, record: rec[session]()},
	"svcaccess/":    {value: jsonRecord, record: rec[serviceAccess]()},
	"delegated/":    {value: jsonRecord, record: rec[delegation](), emptyOK: true},
	"delegatedsvc/": {value: jsonRecord, record: rec[delegation](), emptyOK: true},
	"rt/":           {value: jsonRecord, record: rec[transfer]()},
	// Indexes whose value names something.
	"email/":      {value: stringIndex},
	"ouname/":     {value: stringIndex},
	"policyname/": {value: stringIndex},
	"rpid/":       {value: stringIndex},
	"hsrcpt/":     {value: stringIndex},
	"hsinvto/":    {value: stringIndex},
	"hsmig/":      {value: stringIndex},
	"hsblock/":    {value: stringIndex},
	"govpair/":    {value: stringIndex},
	"govacct/":    {value: stringIndex},
	"govemail/":   {value: stringIndex},
	"govcar/":     {value: stringIndex}, // "" until the request succeeds
	"rtrcpt/":     {value: stringIndex}, // "" until the transfer is accepted
	"rtopen/":     {value: stringIndex},
	// Indexes whose key says it all.
	"member/":    {value: emptyIndex},
	"child/":     {value: emptyIndex},
	"orgcar/":    {value: emptyIndex},
	"orgclose/":  {value: emptyIndex},
	"hsorg/":     {value: emptyIndex},
	"hsorgact/":  {value: emptyIndex},
	"hschild/":   {value: emptyIndex},
	"hsopeninv/": {value: emptyIndex},
	"hsmiginv/":  {value: emptyIndex},
	"hsrate/":    {value: emptyIndex},
	"orgpolicy/": {value: emptyIndex},
	"attach/":    {value: stringIndex}, // when the attachment was made
	"attached/":  {value: emptyIndex},
	"due/":       {value: emptyIndex},
	"rtin/":      {value: emptyIndex},
	"rtsrc/":     {value: emptyIndex},
}

// kindOf returns the kind of key. Of the meta keys only the clock offset
// is state; the token secret is per deployment.
func kindOf(key string) (stateKind, bool) {
	if key == keyClock {
		return stateKind{value: stringIndex}, true
	}
	i := strings.IndexByte(key, '/')
	if i < 0 {
		return stateKind{}, false
	}
	k, ok := stateKinds[key[:i+1]]
	return k, ok
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the value")
	}
	return nil
}

// stateDoc is the document's form.
type stateDoc struct {
	Format     string        `json:"format"`
	Version    int           `json:"version"`
	ExportedAt float64       `json:"exportedAt"`
	ServerTime float64       `json:"serverTime"`
	Records    []stateRecord `json:"records"`
}

type stateRecord struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// exportValue is a stored value as the document shows it. Values of keys
// no kind covers are exported as best they can be (Import refuses them),
// so that a state can be looked at whatever it holds.
func exportValue(key string, v []byte) (json.RawMessage, error) {
	kind, known := kindOf(key)
	str := known && kind.value == stringIndex
	if isCompact(v) && !str {
		j, err := compactAsJSON(key, v)
		if err != nil {
			return nil, err
		}
		v = j
	}
	switch {
	case len(v) == 0 && !str:
		return json.RawMessage("null"), nil
	case !str && (!known || kind.value == jsonRecord) && json.Valid(v):
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	// Index values, and whatever is not what its kind says (which Import
	// will refuse), as text.
	if !utf8.Valid(v) {
		return nil, fmt.Errorf("%s: value is not UTF-8 text", key)
	}
	return marshalString(string(v))
}

// marshalString encodes s as a JSON string without HTML escaping, so that
// keys and emails read as they are.
func marshalString(s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ExportOptions choose what an export holds beyond the default.
type ExportOptions struct {
	// Sessions includes the STS sessions, with their secret keys and
	// session tokens, and their expiry work. Without it an imported state
	// has no live sessions.
	Sessions bool
}

// Export writes the whole state, but the token secret and the STS
// sessions, as one document. It reads one consistent snapshot and writes
// nothing to the store.
func (s *Service) Export(ctx context.Context, w io.Writer) error {
	return s.ExportWith(ctx, w, ExportOptions{})
}

// isSessionKey reports whether key belongs to an STS session: its record
// or its expiry.
func isSessionKey(key string) bool {
	if strings.HasPrefix(key, "session/") {
		return true
	}
	rest, ok := strings.CutPrefix(key, "due/")
	if !ok {
		return false
	}
	parts := strings.SplitN(rest, "/", 3)
	return len(parts) == 3 && parts[1] == dueSessionExpired
}

// ExportWith is Export with options.
func (s *Service) ExportWith(ctx context.Context, w io.Writer, opts ExportOptions) error {
	var recs []stateRecord
	var serverTime float64
	err := s.store.View(ctx, func(tx store.Tx) error {
		recs = recs[:0]
		t, err := s.begin(ctx, tx)
		if err != nil {
			return err
		}
		serverTime = epochSeconds(t.now().UnixMilli())
		var ferr error
		err = tx.Scan("", "", func(k string, v []byte) bool {
			if k == keyTokenSecret || (!opts.Sessions && isSessionKey(k)) {
				return true
			}
			if !utf8.ValidString(k) {
				ferr = fmt.Errorf("key %q is not UTF-8 text", k)
				return false
			}
			val, err := exportValue(k, v)
			if err != nil {
				ferr = err
				return false
			}
			recs = append(recs, stateRecord{Key: k, Value: val})
			return true
		})
		if err != nil {
			return err
		}
		return ferr
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"format":%q,"version":%d,"exportedAt":%s,"serverTime":%s,"records":[`,
		StateFormat, StateVersion, formatSeconds(epochSeconds(s.cfg.Now().UnixMilli())), formatSeconds(serverTime))
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := marshalString(r.Key)
		if err != nil {
			return err
		}
		b.WriteString("\n{\"key\":")
		b.Write(key)
		b.WriteString(",\"value\":")
		b.Write(r.Value)
		b.WriteByte('}')
	}
	b.WriteString("\n]}\n")
	_, err = w.Write(b.Bytes())
	return err
}

func epochSeconds(ms int64) float64 { return float64(ms) / 1000 }

func formatSeconds(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }

// invalid returns an error that wraps ErrInvalidState.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidState, fmt.Sprintf(format, args...))
}

// parseState checks a document record by record and returns the values to
// store, in key order.
func parseState(data []byte) ([]stateRecord, error) {
	// The header first, leniently, so that another format or version is
	// named as such rather than as an unknown field.
	var head struct {
		Format  string          `json:"format"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, invalid("not a JSON object: %v", err)
	}
	if head.Format != StateFormat {
		return nil, invalid("format is %q, want %q", head.Format, StateFormat)
	}
	if v := string(head.Version); v != strconv.Itoa(StateVersion) {
		return nil, invalid("version %s is not supported; this orgd reads version %d", v, StateVersion)
	}
	var doc stateDoc
	if err := decodeStrict(data, &doc); err != nil {
		return nil, invalid("%v", err)
	}
	out := make([]stateRecord, 0, len(doc.Records))
	prev := ""
	for i, r := range doc.Records {
		where := fmt.Sprintf("record %d (%q)", i, r.Key)
		switch {
		case r.Key == "":
			return nil, invalid("record %d: empty key", i)
		case len(r.Key) > store.MaxKeyLen:
			return nil, invalid("%s: key longer than %d bytes", where, store.MaxKeyLen)
		case i > 0 && r.Key <= prev:
			return nil, invalid("%s: keys must be unique and in order; it follows %q", where, prev)
		case r.Key == keyTokenSecret:
			return nil, invalid("%s: the token secret is per deployment and is never imported", where)
		}
		prev = r.Key
		kind, ok := kindOf(r.Key)
		if !ok {
			return nil, invalid("%s: unknown key prefix", where)
		}
		null := len(r.Value) == 0 || string(r.Value) == "null"
		var val []byte
		switch kind.value {
		case emptyIndex:
			if !null {
				return nil, invalid("%s: an index key has a null value, not %s", where, r.Value)
			}
		case stringIndex:
			var str string
			if err := json.Unmarshal(r.Value, &str); err != nil || null {
				return nil, invalid("%s: value must be a string, not %s", where, r.Value)
			}
			if r.Key == keyClock {
				if _, err := strconv.ParseInt(str, 10, 64); err != nil {
					return nil, invalid("%s: the clock offset must be an integer of nanoseconds", where)
				}
			}
			val = []byte(str)
		case jsonRecord:
			if null {
				if !kind.emptyOK {
					return nil, invalid("%s: a record can't be null", where)
				}
				break
			}
			v := kind.record()
			if err := decodeStrict(r.Value, v); err != nil {
				return nil, invalid("%s: malformed record: %v", where, err)
			}
			// Stored as the domain would store it.
			b, err := encodeRecord(r.Key, v)
			if err != nil {
				return nil, invalid("%s: %v", where, err)
			}
			val = b
		}
		out = append(out, stateRecord{Key: r.Key, Value: val})
	}
	return out, nil
}

// Import replaces the whole state, but the token secret, with a document
// that Export wrote. The document is checked first (format, version, a
// known kind and a well-formed value for every key) and the state it
// describes must pass CheckInvariants; all of it happens in one
// transaction, so on any error, which then wraps ErrInvalidState unless
// the store failed, the state is left as it was.
func (s *Service) Import(ctx context.Context, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("import: read: %w", err)
	}
	recs, err := parseState(data)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		var old []string
		if err := tx.Scan("", "", func(k string, _ []byte) bool {
			if k != keyTokenSecret {
				old = append(old, k)
			}
			return true
		}); err != nil {
			return err
		}
		for _, k := range old {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		for _, r := range recs {
			if err := tx.Put(r.Key, r.Value); err != nil {
				return err
			}
		}
		violations, err := checkInvariants(tx)
		if err != nil {
			return err
		}
		if len(violations) > 0 {
			return fmt.Errorf("%w: %w", ErrInvalidState, &InvariantError{Violations: violations})
		}
		return nil
	})
}
