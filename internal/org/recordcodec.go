package org

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"
	"unsafe"

	"github.com/orgd/orgd/internal/api"
)

// Records are stored as JSON but for the two there is one of per account,
// account and createStatus, which are stored compact: a version byte,
// then each field in a fixed order but the ID, which their key holds,
// strings length-prefixed and times as varints, and the strings most
// records hold (the default role name, the enumerations' values) as a
// byte that names them. They are most of the stored bytes (in JSON 264
// and 354 bytes, half of it field names; compact about 70 and 85), and
// they decode
// without a copy, so that they need no place in the record cache.
// Readers take either form: what an earlier version stored as JSON stays
// readable, and is stored compact when next written. Export shows them as
// JSON, byte for byte what JSON storage held, so the state document does
// not depend on the form.
const compactV1 = 0x01 // JSON text never starts with a control character

func isCompact(b []byte) bool { return len(b) > 0 && b[0] == compactV1 }

// encodeRecord returns the stored form of the record v points to, to be
// stored under key. A record whose ID is not its key's, which only a
// damaged state or document holds, stays JSON, so that CheckInvariants
// still sees the mismatch.
func encodeRecord(key string, v any) ([]byte, error) {
	switch r := v.(type) {
	case *account:
		if key == keyAccount(r.ID) {
			return r.appendCompact(make([]byte, 0, 128)), nil
		}
	case *createStatus:
		if key == keyCreateStatus(r.ID) {
			return r.appendCompact(make([]byte, 0, 160)), nil
		}
	}
	if b, ok := recordJSON(v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// decodeRecord sets the record v points to from b, the value of key, in
// either form. Strings are copied (one allocation for all of them), so b
// may be reused.
func decodeRecord(key string, b []byte, v any) error {
	if isCompact(b) {
		return decodeCompact(key, string(b), v)
	}
	return json.Unmarshal(b, v)
}

// decodeShared is decodeRecord whose strings share b's bytes, which the
// store promises are never modified, so that the decoding allocates
// nothing. It reports false when b is not compact.
func decodeShared(key string, b []byte, v any) (bool, error) {
	if !isCompact(b) {
		return false, nil
	}
	return true, decodeCompact(key, unsafe.String(unsafe.SliceData(b), len(b)), v)
}

// compactAsJSON is a compact record as JSON storage would hold it.
func compactAsJSON(key string, b []byte) ([]byte, error) {
	kind, ok := kindOf(key)
	if !ok || kind.record == nil {
		return nil, errors.New(key + ": a compact value of a kind without records")
	}
	v := kind.record()
	if err := decodeRecord(key, b, v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

var errCompact = errors.New("malformed compact record")

// decodeCompact decodes s, a compact record stored under key.
func decodeCompact(key, s string, v any) error {
	r := compactReader{s: s[1:]}
	id := lastSegment(key)
	switch d := v.(type) {
	case *account:
		d.readCompact(id, &r)
	case *createStatus:
		d.readCompact(id, &r)
	default:
		return errors.New("a compact record of a kind that is stored as JSON")
	}
	if r.bad || r.s != "" {
		return errCompact
	}
	return nil
}

func (a *account) appendCompact(b []byte) []byte {
	b = append(b, compactV1)
	b = appendString(b, a.Email)
	b = appendString(b, a.Name)
	b = appendString(b, a.Org)
	b = appendString(b, a.Parent)
	b = appendString(b, string(a.Joined))
	b = appendTime(b, a.JoinedAt)
	b = appendString(b, string(a.State))
	b = appendTime(b, a.Closed)
	b = appendTime(b, a.CloseRequested)
	return appendString(b, a.RoleName)
}

func (a *account) readCompact(id string, r *compactReader) {
	*a = account{
		ID:             id,
		Email:          r.string(),
		Name:           r.string(),
		Org:            r.string(),
		Parent:         r.string(),
		Joined:         api.AccountJoinedMethod(r.string()),
		JoinedAt:       r.time(),
		State:          api.AccountState(r.string()),
		Closed:         r.time(),
		CloseRequested: r.time(),
		RoleName:       r.string(),
	}
}

func (c *createStatus) appendCompact(b []byte) []byte {
	b = append(b, compactV1)
	b = appendString(b, c.Org)
	b = appendString(b, c.AccountName)
	b = appendString(b, c.Email)
	b = appendString(b, c.RoleName)
	b = appendString(b, string(c.IamBilling))
	// Tags: 0 for none (JSON's null), else one more than their number.
	if c.Tags == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(c.Tags))+1)
		for _, t := range c.Tags {
			b = appendString(b, t.Key)
			b = appendString(b, t.Value)
		}
	}
	b = appendString(b, string(c.State))
	b = appendTime(b, c.Requested)
	b = appendTime(b, c.Completed)
	b = appendString(b, c.AccountID)
	return appendString(b, string(c.FailureReason))
}

func (c *createStatus) readCompact(id string, r *compactReader) {
	*c = createStatus{
		ID:          id,
		Org:         r.string(),
		AccountName: r.string(),
		Email:       r.string(),
		RoleName:    r.string(),
		IamBilling:  api.IAMUserAccessToBilling(r.string()),
	}
	if n := r.uvarint(); n > 0 {
		if n-1 > uint64(len(r.s)) { // each tag takes at least a byte
			r.bad = true
			return
		}
		c.Tags = make([]api.Tag, n-1)
		for i := range c.Tags {
			c.Tags[i] = api.Tag{Key: r.string(), Value: r.string()}
		}
	}
	c.State = api.CreateAccountState(r.string())
	c.Requested = r.time()
	c.Completed = r.time()
	c.AccountID = r.string()
	c.FailureReason = api.CreateAccountFailureReason(r.string())
}

// commonStrings are strings a compact record names by their place here
// rather than holds. Stored records refer to them by index, so the list
// only ever grows at its end.
var commonStrings = [...]string{
	"",
	defaultRoleName,
	string(api.AccountJoinedMethodInvited),
	string(api.AccountJoinedMethodCreated),
	string(api.AccountStatePendingActivation),
	string(api.AccountStateActive),
	string(api.AccountStateSuspended),
	string(api.AccountStatePendingClosure),
	string(api.AccountStateClosed),
	string(api.IAMUserAccessToBillingAllow),
	string(api.IAMUserAccessToBillingDeny),
	string(api.CreateAccountStateInProgress),
	string(api.CreateAccountStateSucceeded),
	string(api.CreateAccountStateFailed),
}

var commonIndex = func() map[string]uint64 {
	m := make(map[string]uint64, len(commonStrings))
	for i, s := range commonStrings {
		m[s] = uint64(i)
	}
	return m
}()

// appendString stores s as a uvarint, twice its length, then its bytes;
// or, for one of commonStrings, as one more than twice its index.
func appendString(b []byte, s string) []byte {
	if i, ok := commonIndex[s]; ok {
		return binary.AppendUvarint(b, 2*i+1)
	}
	b = binary.AppendUvarint(b, 2*uint64(len(s)))
	return append(b, s...)
}

// appendTime stores t as 0 when it is zero, else as 1, its Unix seconds,
// nanoseconds and zone offset in seconds: what its JSON form keeps.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	_, off := t.Zone()
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

// compactReader reads a compact record's fields from s; bad is set, and
// the fields read as zero, once s runs short.
type compactReader struct {
	s   string
	bad bool
}

func (r *compactReader) uvarint() uint64 {
	var x uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		c := r.s[i]
		if c < 0x80 {
			r.s = r.s[i+1:]
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	r.bad = true
	r.s = ""
	return 0
}

func (r *compactReader) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *compactReader) string() string {
	n := r.uvarint()
	if n&1 != 0 {
		if n/2 >= uint64(len(commonStrings)) {
			r.bad = true
			return ""
		}
		return commonStrings[n/2]
	}
	n /= 2
	if n > uint64(len(r.s)) {
		r.bad = true
		r.s = ""
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *compactReader) time() time.Time {
	switch flag := r.uvarint(); {
	case r.bad || flag == 0:
		return time.Time{}
	case flag != 1:
		r.bad = true
		return time.Time{}
	}
	sec, nsec, off := r.varint(), r.uvarint(), r.varint()
	if r.bad || nsec >= 1e9 {
		r.bad = true
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}
