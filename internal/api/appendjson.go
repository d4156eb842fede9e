package api

import (
	"encoding/json"
)

// JSONAppender is a response that encodes itself without reflection. What
// it appends is byte for byte what encoding/json's Marshal gives for it
// (appendjson_test.go checks every field and edge); only the shapes that
// dominate the read path's cost implement it: the accounts of
// DescribeAccount, ListAccounts and ListAccountsForParent, and the
// children of ListChildren.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

func (r *ListAccountsResponse) AppendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	return appendAccountsPage(b, r.Accounts, r.NextToken)
}

func (r *ListAccountsForParentResponse) AppendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	return appendAccountsPage(b, r.Accounts, r.NextToken)
}

func appendAccountsPage(b []byte, accounts []Account, next string) []byte {
	b = append(b, '{')
	o := len(b)
	if accounts != nil {
		b = append(b, `"Accounts":[`...)
		for i, a := range accounts {
			if i > 0 {
				b = append(b, ',')
			}
			b = a.AppendJSON(b)
		}
		b = append(b, ']')
	}
	b = appendStringMember(b, o, "NextToken", next)
	return append(b, '}')
}

func (r *DescribeAccountResponse) AppendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	if r.Account == nil {
		return append(b, "{}"...)
	}
	return append(r.Account.AppendJSON(append(b, `{"Account":`...)), '}')
}

func (a Account) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStringMember(b, o, "Id", a.Id)
	b = appendStringMember(b, o, "Arn", a.Arn)
	b = appendStringMember(b, o, "Email", a.Email)
	b = appendStringMember(b, o, "Name", a.Name)
	b = appendStringMember(b, o, "Status", string(a.Status))
	b = appendStringMember(b, o, "State", string(a.State))
	if a.Paths != nil {
		b = appendMemberName(b, o, "Paths")
		b = append(b, '[')
		for i, p := range a.Paths {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, p)
		}
		b = append(b, ']')
	}
	b = appendStringMember(b, o, "JoinedMethod", string(a.JoinedMethod))
	if !a.JoinedTimestamp.IsZero() {
		b = appendMemberName(b, o, "JoinedTimestamp")
		b = appendEpochMillis(b, a.JoinedTimestamp.UnixMilli())
	}
	return append(b, '}')
}

func (r *ListChildrenResponse) AppendJSON(b []byte) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	o := len(b)
	if r.Children != nil {
		b = append(b, `"Children":[`...)
		for i, c := range r.Children {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			co := len(b)
			b = appendStringMember(b, co, "Id", c.Id)
			b = appendStringMember(b, co, "Type", string(c.Type))
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendStringMember(b, o, "NextToken", r.NextToken)
	return append(b, '}')
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

// appendString appends s as a JSON string. Printable ASCII that
// encoding/json leaves alone (everything but control bytes, '"', '\\' and
// its HTML escapes '<', '>', '&') is copied; anything else goes through
// encoding/json so the escapes stay exactly its own.
func appendString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
