package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// referenceParse is parseDoc as encoding/json gives it: the Decoder with
// UseNumber, then a look for anything after the value.
func referenceParse(raw []byte) (any, errBody) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, bodyInvalid
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bodyTrailer
	}
	return doc, bodyOK
}

var parseSeeds = []string{
	`{}`, `[]`, `{"a":1}`, ` {"a" : [1, 2.5e-3, -0, true, false, null, "x"]} `, `{"a":{"b":{"c":[]}}}`,
	`{"a":1}x`, `{}{}`, `{} }`, `{}]`, "{}\v", `012`, `-01`, `1.`, `1.e5`, `1e`, `1e+`, `-`, `--1`, `.5`,
	`{"a":01}`, `{"a":1,}`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{,"a":1}`, `{"a":1 "b":2}`, `{1:2}`,
	`tru`, `true`, `truex`, `nul`, `null`, `"x"`, `"x`, `{"a":"b`, "\"\x01\"", `"\x"`, `"\u12"`, `"\u12G4"`,
	`"\ud800"`, `"\ud800\udc00"`, `"\udc00\ud800"`, `"\ud800\u0041"`, `"\ud800x"`, `"a\/b\"c\\d\b\f\n\r\t"`,
	"\"\xff\xfe\"", "\"\xed\xa0\x80\"", "\"\xe2\x80\xa8\"", `"Zoë"`, `{"a":1,"a":2}`, `{"Key":"k","key":"v"}`,
	`{"MaxResults":9223372036854775808}`, `{"n":1E400}`, "{\"a\":\t\n\r 1}", `[[[[]]]]`, ``, ` `, `{"`,
}

// deepSeeds nest to encoding/json's limit and one past it; they are not
// fuzz seeds, whose mutations they would slow to a crawl.
var deepSeeds = []string{
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
	strings.Repeat(`{"a":`, maxDepth) + "1" + strings.Repeat("}", maxDepth),
	strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1),
}

// TestParseDoc holds parseDoc to encoding/json on the seeds.
func TestParseDoc(t *testing.T) {
	for _, s := range append(parseSeeds, deepSeeds...) {
		checkParse(t, []byte(s))
	}
}

// FuzzParseDoc holds parseDoc to encoding/json on any body: the same
// document, or the same refusal.
func FuzzParseDoc(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkParse)
}

func checkParse(t *testing.T, raw []byte) {
	got, gwhy := parseDoc(raw)
	want, wwhy := referenceParse(raw)
	if gwhy != wwhy || !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q: parseDoc %#v (%d), encoding/json %#v (%d)", raw, got, gwhy, want, wwhy)
	}
}
