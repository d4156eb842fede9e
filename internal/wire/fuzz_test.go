package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/shapes"
)

// opNames lists the model's operations in a fixed order.
var opNames = func() []string {
	var names []string
	for n := range api.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

var inputReasons = api.Shapes["InvalidInputExceptionReason"].Enum

// fuzzSeeds are bodies that each probe one way of being wrong.
var fuzzSeeds = []string{
	``, ` `, `{}`, `null`, `[]`, `"x"`, `1`, `{`, `{}{}`, `{} x`, `{"a":1}`,
	`{"MaxResults":0}`, `{"MaxResults":21}`, `{"MaxResults":"1"}`, `{"MaxResults":1e1}`, `{"MaxResults":-1}`,
	`{"MaxResults":9223372036854775808}`, `{"maxresults":50}`, `{"NextToken":null}`,
	`{"Tags":[null]}`, `{"Tags":[{"Key":"k"}]}`, `{"Tags":[{"key":"k","Value":"v","value":"x"}]}`,
	`{"Target":{"Id":"x","Type":"EMAIL"},"target":{"id":"y"}}`,
	`{"AccountId":"12345678901\u0032"}`, `{"AccountId":"\ud800"}`, "{\"AccountId\":\"\xff\"}",
	`{"StartTimestamp":"2024-01-01"}`, `{"StartTimestamp":1e400}`,
}

// FuzzDecoder checks Decoder over any body for any operation: it never
// panics, refuses only with SerializationException or with an
// InvalidInputException whose Reason is in the model, and what it accepts
// decodes into the operation's input type exactly as the validated
// document says.
func FuzzDecoder(f *testing.F) {
	for i, op := range opNames {
		f.Add(op, []byte(validBodies[op]))
		f.Add(op, []byte(fuzzSeeds[i%len(fuzzSeeds)]))
	}
	for _, b := range fuzzSeeds {
		f.Add("InviteOrganizationToTransferResponsibility", []byte(b))
	}
	// Members spelt in another case after valid ones: encoding/json would
	// fold them onto the validated fields.
	f.Add("ListAccounts", []byte(`{"maxresults":500}`))
	f.Add("InviteAccountToOrganization", []byte(`{"Target":{"Id":"222222222222","Type":"ACCOUNT"},"target":{"type":"BOGUS"}}`))
	f.Add("TagResource", []byte(`{"ResourceId":"r-ab12","Tags":[{"Key":"a","Value":"b","key":"*bad*"}]}`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		// Decoder is only called for routed operations; map any other
		// name onto one so that every input carries a body to check.
		if api.Operations[op] == nil {
			op = opNames[int(uint(len(op)+len(body)))%len(opNames)]
		}
		decode, err := Decoder(op, body)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		var in any
		_, _, derr := api.Dispatch(context.Background(), api.Unimplemented{}, op, func(v any) error {
			in = v
			return decode(v)
		})
		if in == nil {
			t.Fatalf("%s: Dispatch never decoded", op)
		}
		var e *api.Error
		if !errors.As(derr, &e) || e.Type != api.ErrNotImplemented {
			t.Fatalf("%s: accepted body %q failed to decode: %v", op, body, derr)
		}
		shape := api.Operations[op].Input
		if shape == "" {
			return
		}
		doc := parse(t, body)
		if err := faithful(shape, doc, reflect.ValueOf(in), shape); err != nil {
			t.Fatalf("%s: body %q: %v", op, body, err)
		}
	})
}

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *api.Error", err)
	}
	switch e.Type {
	case ErrSerialization:
		if e.Reason != "" {
			t.Fatalf("SerializationException with Reason %q", e.Reason)
		}
	case api.ErrInvalidInput:
		if !slices.Contains(inputReasons, e.Reason) {
			t.Fatalf("Reason %q is not in the model", e.Reason)
		}
	default:
		t.Fatalf("unexpected error %v", e)
	}
	if e.Message == "" {
		t.Fatalf("%s without a message", e.Type)
	}
}

func parse(t *testing.T, body []byte) any {
	t.Helper()
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("accepted body %q does not parse: %v", body, err)
	}
	return v
}

// faithful reports where the decoded value v differs from the document:
// every model member present in the document must be in v with the same
// value, and every member absent (or spelt otherwise) must be zero in v.
func faithful(shape string, doc any, v reflect.Value, path string) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			if doc != nil {
				return errorf(path, "nil in the input, %v in the body", doc)
			}
			return nil
		}
		v = v.Elem()
	}
	s := api.Shapes[shape]
	if s == nil {
		return nil
	}
	if doc == nil {
		if !v.IsZero() {
			return errorf(path, "absent in the body, %v in the input", v.Interface())
		}
		return nil
	}
	switch s.Kind {
	case shapes.Structure:
		obj := doc.(map[string]any)
		fields := jsonFields(v.Type())
		for _, m := range s.Members {
			i, ok := fields[m.Name]
			if !ok {
				return errorf(path, "the Go type %s has no member %s", v.Type(), m.Name)
			}
			if err := faithful(m.Shape, obj[m.Name], v.Field(i), path+"."+m.Name); err != nil {
				return err
			}
		}
	case shapes.List:
		arr := doc.([]any)
		if v.Len() != len(arr) {
			return errorf(path, "%d elements in the input, %d in the body", v.Len(), len(arr))
		}
		for i := range arr {
			if err := faithful(s.Element, arr[i], v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case shapes.String:
		if v.String() != doc.(string) {
			return errorf(path, "%q in the input, %q in the body", v.String(), doc)
		}
	case shapes.Integer:
		n, _ := doc.(json.Number).Int64()
		if v.Int() != n {
			return errorf(path, "%d in the input, %d in the body", v.Int(), n)
		}
	case shapes.Boolean:
		if v.Bool() != doc.(bool) {
			return errorf(path, "%v in the input, %v in the body", v.Bool(), doc)
		}
	case shapes.Timestamp:
		f, _ := doc.(json.Number).Float64()
		got := v.Interface().(api.Time).UnixMilli()
		if want := math.Round(f * 1000); math.Abs(float64(got)-want) > 1 {
			return errorf(path, "%d ms in the input, %v s in the body", got, f)
		}
	}
	return nil
}

func errorf(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
}

// jsonFields maps the JSON names of a struct's fields to their indexes.
func jsonFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// protocolErrors are the __type values the server may send besides the
// model's exceptions.
var protocolErrors = []string{ErrSerialization, ErrUnknownOperation, ErrRequestEntityTooLarge, ErrInternalFailure,
	api.ErrNotImplemented, identity.ErrMissingAuthenticationToken, identity.ErrIncompleteSignature}

// FuzzServer drives the whole HTTP handler with a stub domain: whatever the
// target, credentials and body, it answers a well-formed AWS JSON 1.1
// response and never crashes.
func FuzzServer(f *testing.F) {
	for i, op := range opNames {
		f.Add(target+op, authFor(mgmt), []byte(validBodies[op]))
		f.Add(target+op, authFor("AKIDEXAMPLE"), []byte(fuzzSeeds[i%len(fuzzSeeds)]))
	}
	f.Add("", "", []byte("{}"))
	f.Add(target+"ListRoots", authFor(mgmt), []byte("{}"))
	f.Add(target+"ListAccounts", "AWS4-HMAC-SHA256 Credential=x", []byte("{}"))
	f.Add(target, authFor(mgmt), []byte("{}"))
	f.Add("AWSOrganizationsV20161128.constructor", authFor(mgmt), []byte("{}"))
	s := newServer(&stub{})
	s.MaxBodyBytes = 4096
	f.Fuzz(func(t *testing.T, tgt, auth string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("X-Amz-Target", tgt)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if ct := w.Header().Get("Content-Type"); ct != contentType {
			t.Fatalf("Content-Type %q", ct)
		}
		if !uuidRe.MatchString(w.Header().Get("x-amzn-RequestId")) {
			t.Fatalf("request ID %q", w.Header().Get("x-amzn-RequestId"))
		}
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("body %q: %v", w.Body.String(), err)
		}
		if w.Code == http.StatusOK {
			if _, isErr := out["__type"]; isErr {
				t.Fatalf("200 with an error body %s", w.Body.String())
			}
			return
		}
		typ, _ := out["__type"].(string)
		msg, _ := out["Message"].(string)
		if typ == "" || msg == "" {
			t.Fatalf("%d without __type and Message: %s", w.Code, w.Body.String())
		}
		if _, model := api.Exceptions[typ]; !model && !slices.Contains(protocolErrors, typ) {
			t.Fatalf("unknown __type %q", typ)
		}
		if want := Status(&api.Error{Type: typ}); w.Code != want {
			t.Fatalf("%s with status %d, want %d", typ, w.Code, want)
		}
		if reason, ok := out["Reason"].(string); ok && typ == api.ErrInvalidInput && !slices.Contains(inputReasons, reason) {
			t.Fatalf("Reason %q is not in the model", reason)
		}
	})
}
