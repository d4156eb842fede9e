package api

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// strs covers each branch of appendString and each of encoding/json's
// escapes: control bytes, quotes, backslashes, HTML characters, DEL,
// invalid UTF-8, U+2028 and U+2029, and multibyte text.
var strs = []string{"", "a", "111111111111", "arn:aws:organizations::111111111111:account/o-abc/222222222222",
	"o-abc/r-ab12/ou-ab12-cdef3456/", `q"uote`, `back\slash`, "<b>&amp;</b>", "tab\tnl\ncr\r\b\f\x00\x1f",
	"del\x7f", "bad\xffutf8\xc3", "line\u2028sep\u2029", "Zoë 名前 😀", "a+b@example.com", " ",
	"\xe2\x80", "\xed\xa0\x80", "\u2027\u202a", "\U0010ffff\xf4\x90\x80\x80"}

// filler fills values of any output type: each string, number, time,
// list and member with a random pick of its edge cases.
type filler struct {
	r *rand.Rand
	// zero leaves every member at its zero value when set.
	zero bool
}

func (f *filler) string() string {
	if f.r.IntN(2) == 0 {
		return strs[f.r.IntN(len(strs))]
	}
	b := make([]byte, f.r.IntN(12))
	for i := range b {
		b[i] = byte(f.r.IntN(256))
	}
	return string(b)
}

var timeType = reflect.TypeFor[Time]()

// fill sets v, at nesting depth depth, to a random value.
func (f *filler) fill(v reflect.Value, depth int) {
	if f.zero {
		return
	}
	switch {
	case v.Type() == timeType:
		switch f.r.IntN(4) {
		case 1:
			v.Set(reflect.ValueOf(NewTime(time.UnixMilli(f.r.Int64N(4e12)))))
		case 2:
			v.Set(reflect.ValueOf(Time{time.UnixMilli(f.r.Int64N(2e15) - 1e15)}))
		case 3:
			v.Set(reflect.ValueOf(Time{time.Unix(f.r.Int64N(1e9), f.r.Int64N(1e9))}))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.string())
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	case reflect.Int32:
		v.SetInt(int64(f.r.Int32()) - 1<<30)
	case reflect.Pointer:
		if depth < 4 && f.r.IntN(4) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			f.fill(v.Elem(), depth+1)
		}
	case reflect.Slice:
		switch n := f.r.IntN(4); {
		case n == 0 || depth >= 4:
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range s.Len() {
				f.fill(s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Tag.Get("json") == "-" {
				continue // not a member: Encoded, which TestAppendJSONEncoded checks
			}
			f.fill(v.Field(i), depth)
		}
	default:
		panic("filler: no rule for " + v.Type().String())
	}
}

// outputTypes are the types every operation answers with, from Handler.
func outputTypes() []reflect.Type {
	h := reflect.TypeFor[Handler]()
	var out []reflect.Type
	for i := range h.NumMethod() {
		out = append(out, h.Method(i).Type.Out(0))
	}
	return out
}

// TestAppendJSON checks that every operation's output appends what
// encoding/json's Marshal gives for the same value: zero, nil, and
// filled at random (1000 values of each), through the pointer a handler returns.
func TestAppendJSON(t *testing.T) {
	f := &filler{r: rand.New(rand.NewPCG(3, 4))}
	types := outputTypes()
	if len(types) < 60 {
		t.Fatalf("only %d operations", len(types))
	}
	check := func(v reflect.Value) {
		t.Helper()
		a, ok := v.Interface().(JSONAppender)
		if !ok {
			t.Fatalf("%s is not a JSONAppender", v.Type())
		}
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AppendJSON([]byte("prefix")); string(got) != "prefix"+string(want) {
			t.Fatalf("%s %#v:\n got %s\nwant prefix%s", v.Type(), v.Interface(), got, want)
		}
	}
	for _, typ := range types {
		check(reflect.Zero(typ)) // a nil pointer
		zero := &filler{zero: true}
		v := reflect.New(typ.Elem())
		zero.fill(v.Elem(), 0)
		check(v)
		for range 1000 {
			v := reflect.New(typ.Elem())
			f.fill(v.Elem(), 0)
			check(v)
		}
	}
}

// TestAppendJSONEncoded checks that a value with Encoded set appends
// those bytes as they are, whatever its fields hold, and that
// encoding/json leaves Encoded out.
func TestAppendJSONEncoded(t *testing.T) {
	f := &filler{r: rand.New(rand.NewPCG(7, 8))}
	for range 100 {
		var a Account
		f.fill(reflect.ValueOf(&a).Elem(), 0)
		want, err := json.Marshal(&a)
		if err != nil {
			t.Fatal(err)
		}
		a.Encoded = []byte(`{"Id":"kept"}`)
		if got := a.AppendJSON([]byte("prefix")); string(got) != `prefix{"Id":"kept"}` {
			t.Fatalf("with Encoded set, AppendJSON gave %s", got)
		}
		if got, err := json.Marshal(&a); err != nil || string(got) != string(want) {
			t.Fatalf("json.Marshal with Encoded set gave %s, %v; want %s", got, err, want)
		}
		page := ListAccountsResponse{Accounts: []Account{a, a}}
		if got := page.AppendJSON(nil); string(got) != `{"Accounts":[{"Id":"kept"},{"Id":"kept"}]}` {
			t.Fatalf("a page of two gave %s", got)
		}
	}
}

// TestAppendString checks appendString against encoding/json on strings
// of random bytes and random runes.
func TestAppendString(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 200000 {
		var s string
		if i%2 == 0 {
			b := make([]byte, r.IntN(16))
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
			s = string(b)
		} else {
			rs := make([]rune, r.IntN(8))
			for j := range rs {
				rs[j] = rune(r.IntN(0x110000))
				if r.IntN(3) == 0 {
					rs[j] = rune(r.IntN(0x80))
				}
			}
			s = string(rs)
		}
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
}

// TestAppendStringEachPlace puts each byte value, and runes that are
// escaped or not, at each place of plain strings up to 40 bytes long,
// so that each falls in each part of an eight-byte word appendString
// reads at once, and in the tail it reads again with the word before.
func TestAppendStringEachPlace(t *testing.T) {
	var odd []string
	for c := range 256 {
		odd = append(odd, string([]byte{byte(c)}))
	}
	odd = append(odd, "é", "名", "😀", "\u2028", "\u2029", "\xc3", "\xe2\x80", "\xed\xa0\x80", "<>", `"&`, "\x7f\x80")
	for n := range 41 {
		for at := 0; at <= n; at++ {
			for _, o := range odd {
				s := strings.Repeat("a", at) + o + strings.Repeat("Z", n-at)
				want, _ := json.Marshal(s)
				if got := appendString(nil, s); string(got) != string(want) {
					t.Fatalf("%q: got %s, want %s", s, got, want)
				}
			}
		}
	}
}

// BenchmarkAppendJSON appends a ListAccounts page of 20 accounts, the
// largest answer bench/http loads.
func BenchmarkAppendJSON(b *testing.B) {
	page := &ListAccountsResponse{NextToken: "eyJhIjoiMTExMTExMTExMTExIn0"}
	for i := range 20 {
		id := fmt.Sprintf("1000000000%02d", i)
		page.Accounts = append(page.Accounts, Account{Id: id, Arn: "arn:aws:organizations::100000000001:account/o-exampleorgid/" + id,
			Email: "member" + id + "@example.com", Name: "member " + id, Status: AccountStatusActive, State: AccountStateActive,
			JoinedMethod: AccountJoinedMethodCreated, JoinedTimestamp: NewTime(time.UnixMilli(1767225600123))})
	}
	buf := make([]byte, 0, 8<<10)
	for b.Loop() {
		buf = page.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
