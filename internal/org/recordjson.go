package org

import (
	"strconv"
	"time"

	"github.com/orgd/orgd/internal/api"
)

// The records that every write of their kind stores again encode
// themselves without reflection (json.Marshal was a sixth of
// CreateOrganizationalUnit's domain work). What they append is byte for
// byte what json.Marshal gives for them (recordjson_test.go checks it),
// so stored records, and the record cache's versions, are unchanged.

// appendJSON appends o as json.Marshal encodes it; ok is false for what
// only json.Marshal can say (a time it refuses).
func (o *organization) appendJSON(b []byte) (_ []byte, ok bool) {
	b = appendJSONMember(b, '{', "ID", o.ID)
	b = appendJSONMember(b, ',', "Management", o.Management)
	b = appendJSONMember(b, ',', "FeatureSet", string(o.FeatureSet))
	b = appendJSONMember(b, ',', "Root", o.Root)
	if b, ok = appendJSONTime(append(b, `,"Created":`...), o.Created); !ok {
		return b, false
	}
	b = strconv.AppendInt(append(b, `,"Members":`...), int64(o.Members), 10)
	b = strconv.AppendInt(append(b, `,"OUs":`...), int64(o.OUs), 10)
	b = strconv.AppendInt(append(b, `,"CreatesInProgress":`...), int64(o.CreatesInProgress), 10)
	b = strconv.AppendInt(append(b, `,"OpenInvitations":`...), int64(o.OpenInvitations), 10)
	b = strconv.AppendInt(append(b, `,"ClosuresInProgress":`...), int64(o.ClosuresInProgress), 10)
	return append(b, '}'), true
}

// appendJSON appends u as json.Marshal encodes it.
func (u *ou) appendJSON(b []byte) ([]byte, bool) {
	b = appendJSONMember(b, '{', "ID", u.ID)
	b = appendJSONMember(b, ',', "Org", u.Org)
	b = appendJSONMember(b, ',', "Parent", u.Parent)
	b = appendJSONMember(b, ',', "Name", u.Name)
	b = strconv.AppendInt(append(b, `,"Depth":`...), int64(u.Depth), 10)
	return append(b, '}'), true
}

// appendTagsJSON appends tags as json.Marshal encodes them.
func appendTagsJSON(b []byte, tags []api.Tag) []byte {
	if tags == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, tag := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONMember(b, '{', "Key", tag.Key)
		b = appendJSONMember(b, ',', "Value", tag.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONMember appends sep, then the member name and string value.
func appendJSONMember(b []byte, sep byte, name, v string) []byte {
	b = append(b, sep, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return api.AppendJSONString(b, v)
}

// appendJSONTime appends t as time.Time's MarshalJSON does, which refuses
// years outside [0, 9999] and zone offsets of a day or more.
func appendJSONTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

// recordJSON returns v encoded as json.Marshal would, without
// reflection for the records above.
func recordJSON(v any) ([]byte, bool) {
	switch r := v.(type) {
	case *organization:
		return r.appendJSON(make([]byte, 0, 320))
	case *ou:
		return r.appendJSON(make([]byte, 0, 128))
	case *[]api.Tag:
		return appendTagsJSON(make([]byte, 0, 32+32*len(*r)), *r), true
	}
	return nil, false
}
