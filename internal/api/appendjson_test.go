package api

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// strs covers each branch of appendString and each of encoding/json's
// escapes: control bytes, quotes, backslashes, HTML characters, DEL,
// invalid UTF-8, U+2028 and U+2029, and multibyte text.
var strs = []string{"", "a", "111111111111", "arn:aws:organizations::111111111111:account/o-abc/222222222222",
	"o-abc/r-ab12/ou-ab12-cdef3456/", `q"uote`, `back\slash`, "<b>&amp;</b>", "tab\tnl\ncr\r\b\f\x00\x1f",
	"del\x7f", "bad\xffutf8\xc3", "line\u2028sep\u2029", "Zoë 名前 😀", "a+b@example.com", " "}

func randomString(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return strs[r.IntN(len(strs))]
	}
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randomAccount(r *rand.Rand) Account {
	a := Account{Id: randomString(r), Arn: randomString(r), Email: randomString(r), Name: randomString(r),
		Status: AccountStatus(randomString(r)), State: AccountState(randomString(r)),
		JoinedMethod: AccountJoinedMethod(randomString(r))}
	switch r.IntN(3) {
	case 1:
		a.Paths = []string{}
	case 2:
		for range 1 + r.IntN(3) {
			a.Paths = append(a.Paths, randomString(r))
		}
	}
	switch r.IntN(3) {
	case 1:
		a.JoinedTimestamp = NewTime(time.UnixMilli(r.Int64N(4e12)))
	case 2:
		a.JoinedTimestamp = Time{time.UnixMilli(r.Int64N(2e15) - 1e15)}
	}
	return a
}

func randomAccounts(r *rand.Rand) []Account {
	switch r.IntN(3) {
	case 0:
		return nil
	case 1:
		return []Account{}
	}
	var as []Account
	for range 1 + r.IntN(4) {
		as = append(as, randomAccount(r))
	}
	return as
}

// TestAppendJSON checks that every JSONAppender appends what
// encoding/json's Marshal gives for the same value, through a pointer as
// the handlers return it.
func TestAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var values []JSONAppender
	values = append(values, &ListAccountsResponse{}, &ListAccountsForParentResponse{}, &DescribeAccountResponse{},
		&DescribeAccountResponse{Account: &Account{}}, &ListChildrenResponse{}, &ListChildrenResponse{Children: []Child{}},
		&ListChildrenResponse{Children: []Child{{}}}, Account{JoinedTimestamp: Time{}},
		(*ListAccountsResponse)(nil), (*ListAccountsForParentResponse)(nil), (*DescribeAccountResponse)(nil), (*ListChildrenResponse)(nil))
	for range 20000 {
		a := randomAccount(r)
		values = append(values, a, &DescribeAccountResponse{Account: &a},
			&ListAccountsResponse{Accounts: randomAccounts(r), NextToken: randomString(r)},
			&ListAccountsForParentResponse{Accounts: randomAccounts(r), NextToken: randomString(r)})
		var cs []Child
		if r.IntN(3) > 0 {
			cs = []Child{}
			for range r.IntN(4) {
				cs = append(cs, Child{Id: randomString(r), Type: ChildType(randomString(r))})
			}
		}
		values = append(values, &ListChildrenResponse{Children: cs, NextToken: randomString(r)})
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.AppendJSON([]byte("prefix")); string(got) != "prefix"+string(want) {
			t.Fatalf("%#v:\n got %s\nwant prefix%s", v, got, want)
		}
	}
}
