// Package wire serves an api.Handler over the AWS JSON 1.1 protocol:
// POST / with X-Amz-Target, a JSON body validated against the model, and
// errors as {"__type", "Message", "Reason"}.
package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/memo"
	"github.com/orgd/orgd/internal/shapes"
)

// Errors of the protocol layer; they are not in the Organizations model.
const (
	ErrSerialization               = "SerializationException"
	ErrUnknownOperation            = "UnknownOperationException"
	ErrRequestEntityTooLarge       = "RequestEntityTooLargeException"
	ErrInternalFailure             = "InternalFailure"
	contentType                    = "application/x-amz-json-1.1"
	requestIDHeader                = "x-amzn-RequestId"
	DefaultMaxBodyBytes      int64 = 1 << 20
)

// Server answers Organizations API requests.
type Server struct {
	Handler  api.Handler
	Identify func(*http.Request) (identity.Caller, error)
	Log      *slog.Logger
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Allow, when set, decides whether the caller's account may call op
	// now; a refusal is a TooManyRequestsException.
	Allow func(account, op string) bool
	// Observe, when set, is told of every request once it is answered,
	// for the request log and metrics.
	Observe func(*http.Request, Exchange)
	// Memo, when set, keeps the answers of Describe and List operations
	// that the Handler stamps as keepable, and answers the same request
	// of the same caller from it while they hold. Identify, Allow and
	// Observe see every request alike.
	Memo *memo.Memo
}

// Exchange is what a server knows of one answered request.
type Exchange struct {
	Op     string          // the operation or action; "" when unknown
	Caller identity.Caller // zero when the request was not identified
	// Unauthenticated marks a request Identify refused.
	Unauthenticated bool
	Status          int
	Exception       string // the error's type; "" on success
	Message         string // the error's message
	RequestID       string
	Duration        time.Duration
	// Kept marks a request answered from a kept answer (Memo).
	Kept bool
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := Exchange{RequestID: NewRequestID(), Status: http.StatusOK}
	start := time.Now()
	hv := &headerValues{x.RequestID}
	w.Header()[requestIDKey] = hv[0:1:1]
	var out api.JSONAppender
	var err error
	x.Op, out, err = s.serve(r, &x)
	body := []byte("{}")
	var buf *[]byte
	if out != nil && err == nil {
		buf = bodyBuffers.Get().(*[]byte)
		body = out.AppendJSON((*buf)[:0])
	}
	if err != nil {
		s.writeError(w, &x, err, hv)
	} else {
		writeBody(w, http.StatusOK, body, hv)
	}
	if buf != nil {
		putBody(buf, body)
	}
	if s.Observe != nil {
		x.Duration = time.Since(start)
		s.Observe(r, x)
	}
}

// bodyBuffers hold request bodies and the bodies of the responses that
// append themselves (api.JSONAppender), reused once read or written; a
// body past maxPooledBody is left to the collector rather than kept.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

const maxPooledBody = 256 << 10

func (s *Server) serve(r *http.Request, x *Exchange) (op string, out api.JSONAppender, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log().Error("panic serving request", "op", op, "panic", p, "stack", string(debug.Stack()))
			err = &api.Error{Type: api.ErrService, Message: internalMessage}
		}
	}()
	if r.Method != http.MethodPost {
		return "", nil, &api.Error{Type: ErrUnknownOperation, Message: "Only POST requests are supported."}
	}
	target := r.Header.Get("X-Amz-Target")
	prefix, name, found := strings.Cut(target, ".")
	if !found || prefix != api.TargetPrefix || api.Operations[name] == nil {
		return "", nil, &api.Error{Type: ErrUnknownOperation, Message: fmt.Sprintf("Unknown operation %s.", quoteTarget(target))}
	}
	op = name
	caller, err := s.Identify(r)
	if err != nil {
		x.Unauthenticated = true
		return op, nil, err
	}
	x.Caller = caller
	if s.Allow != nil && !s.Allow(caller.AccountID, op) {
		return op, nil, api.NewTooManyRequests("Rate exceeded")
	}
	max := s.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	// The body is read into a pooled buffer: nothing keeps it past
	// Dispatch, which decodes copies of its strings.
	buf := bodyBuffers.Get().(*[]byte)
	raw, err := readBody(r.Body, max+1, (*buf)[:0])
	defer putBody(buf, raw)
	if err != nil {
		return op, nil, &api.Error{Type: ErrSerialization, Message: "Could not read the request body."}
	}
	if int64(len(raw)) > max {
		return op, nil, &api.Error{Type: ErrRequestEntityTooLarge, Message: fmt.Sprintf("Request body exceeds %d bytes.", max)}
	}
	memoized := s.Memo != nil && isRead(op)
	key := memo.Key{Op: op, Caller: caller}
	if memoized {
		if answer, ok := s.Memo.Get(key, raw); ok {
			x.Kept = true
			return op, kept(answer), nil
		}
	}
	decode, err := Decoder(op, raw)
	if err != nil {
		return op, nil, err
	}
	ctx := identity.NewContext(r.Context(), caller)
	if !memoized {
		out, _, err = api.Dispatch(ctx, s.Handler, op, decode)
		return op, out, err
	}
	var stamp memo.Stamp
	out, _, err = api.Dispatch(memo.NewContext(ctx, &stamp), s.Handler, op, decode)
	if err != nil || !stamp.Keepable() {
		return op, out, err
	}
	// Encoded into a pooled buffer and copied once at its size, rather
	// than grown from nothing.
	encBuf := bodyBuffers.Get().(*[]byte)
	enc := out.AppendJSON((*encBuf)[:0])
	answer := bytes.Clone(enc)
	putBody(encBuf, enc)
	s.Memo.Put(key, raw, answer, &stamp)
	return op, kept(answer), nil
}

// isRead reports whether op only reads, by AWS's naming: only such an
// operation's answer is ever kept (Memo), whatever its stamp says.
func isRead(op string) bool {
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List")
}

// kept is an answer already encoded, as a memo.Memo keeps it.
type kept []byte

func (k kept) AppendJSON(b []byte) []byte { return append(b, k...) }

// readBody appends to b what body holds, up to limit bytes: io.ReadAll
// into a buffer that is reused.
func readBody(body io.Reader, limit int64, b []byte) ([]byte, error) {
	lr := io.LimitedReader{R: body, N: limit}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// putBody returns a body buffer to the pool, unless it grew past
// maxPooledBody.
func putBody(buf *[]byte, b []byte) {
	if cap(b) <= maxPooledBody {
		*buf = b[:0]
		bodyBuffers.Put(buf)
	}
}

// Decoder parses and validates the body of operation op and returns a
// function that decodes it into the operation's input type.
func Decoder(op string, raw []byte) (func(any) error, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	doc, err := parseBody(raw)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, &api.Error{Type: ErrSerialization, Message: "The request body must be a JSON object."}
	}
	if in := api.Operations[op].Input; in != "" {
		if v := api.Shapes.Validate(in, doc); v != nil {
			if v.Reason == shapes.WrongType {
				return nil, &api.Error{Type: ErrSerialization, Message: fmt.Sprintf("Wrong type for '%s': %s.", v.Path, v.Detail)}
			}
			return nil, validationError(v)
		}
	}
	if len(obj) == 0 {
		// The input's zero value is what "{}" decodes to.
		return decodeNothing, nil
	}
	// The input is set from the validated document, not parsed again;
	// DecodeDoc reads only members spelt as the model spells them, where
	// encoding/json would also fold "maxresults" onto MaxResults unchecked.
	return func(v any) error {
		if d, ok := v.(api.DocDecoder); !ok || d.DecodeDoc(obj) != nil {
			return &api.Error{Type: ErrSerialization, Message: "The request body does not match the operation's input."}
		}
		return nil
	}, nil
}

func decodeNothing(any) error { return nil }

// emptyObject is the document of the body "{}"; validation only reads it.
var emptyObject = map[string]any{}

// parseBody parses a request body for validation, numbers kept as
// written. "{}", the whole body of most reads without input, needs no parser.
func parseBody(raw []byte) (any, error) {
	if string(raw) == "{}" {
		return emptyObject, nil
	}
	doc, why := parseDoc(raw)
	switch why {
	case bodyInvalid:
		return nil, &api.Error{Type: ErrSerialization, Message: "The request body is not valid JSON."}
	case bodyTrailer:
		return nil, &api.Error{Type: ErrSerialization, Message: "The request body has data after the JSON value."}
	}
	return doc, nil
}

// msgConstraint names a violated constraint: the path of the value and
// what the constraint demands ("Member must have length less than or
// equal to 128"), in the words of AWS's validation.
const msgConstraint = "1 validation error detected: Value at '%s' failed to satisfy constraint: %s"

// validationError is the InvalidInputException for a violated constraint,
// with the reason AWS gives for it; a few shapes have reasons of their own.
// Each reason has its own call, so that internal/errmsg's table has a line
// for each.
func validationError(v *shapes.Violation) *api.Error {
	switch v.Reason {
	case shapes.InputRequired:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInputRequired, msgConstraint, v.Path, v.Detail)
	case shapes.MinLengthExceeded:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonMinLengthExceeded, msgConstraint, v.Path, v.Detail)
	case shapes.MaxLengthExceeded:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonMaxLengthExceeded, msgConstraint, v.Path, v.Detail)
	case shapes.MinValueExceeded:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonMinValueExceeded, msgConstraint, v.Path, v.Detail)
	case shapes.MaxValueExceeded:
		return api.NewInvalidInput(api.InvalidInputExceptionReasonMaxValueExceeded, msgConstraint, v.Path, v.Detail)
	case shapes.InvalidPattern:
		if v.Shape == "PolicyTargetId" || v.Shape == "TaggableResourceId" {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPatternTargetId, msgConstraint, v.Path, v.Detail)
		}
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidPattern, msgConstraint, v.Path, v.Detail)
	case shapes.InvalidEnum:
		if v.Shape == "PolicyType" {
			return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidEnumPolicyType, msgConstraint, v.Path, v.Detail)
		}
		return api.NewInvalidInput(api.InvalidInputExceptionReasonInvalidEnum, msgConstraint, v.Path, v.Detail)
	}
	// shapes has no other reason; WrongType is a SerializationException.
	panic("wire: violation of unknown reason " + string(v.Reason))
}

// Status is the HTTP status AWS sends with an error: 400 for the caller's
// errors, 500 for the service's (see the spec, section 7.4).
func Status(e *api.Error) int {
	switch {
	case e.Type == ErrRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case e.Type == api.ErrNotImplemented:
		return http.StatusNotImplemented
	case e.Type == ErrInternalFailure || e.Fault():
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (s *Server) writeError(w http.ResponseWriter, x *Exchange, err error, hv *headerValues) {
	var e *api.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.Canceled) {
			x.Status, x.Exception = 499, "RequestCanceled"
			return
		}
		s.log().Error("internal error", "op", x.Op, "err", err, "request_id", x.RequestID)
		e = &api.Error{Type: api.ErrService, Message: internalMessage}
	}
	body := map[string]string{"__type": e.Type, "Message": e.Message}
	if e.Reason != "" {
		body["Reason"] = e.Reason
	}
	if e.Type == api.ErrTooManyRequests {
		body["Type"] = "Organizations"
	}
	b, _ := json.Marshal(body)
	x.Status, x.Exception, x.Message = Status(e), e.Type, e.Message
	writeBody(w, x.Status, b, hv)
}

// internalMessage is the message of a ServiceException: the details go
// to the log, not to the caller.
const internalMessage = "The request failed because of an internal error."

// WriteServiceError answers a request the server failed inside with a
// ServiceException, as AWS does; a recovered panic ends this way.
func WriteServiceError(w http.ResponseWriter) {
	if w.Header().Get(requestIDHeader) == "" {
		w.Header().Set(requestIDHeader, NewRequestID())
	}
	b, _ := json.Marshal(map[string]string{"__type": api.ErrService, "Message": internalMessage})
	writeBody(w, http.StatusInternalServerError, b, new(headerValues))
}

// maxEchoedTarget bounds how much of an unknown X-Amz-Target an error
// echoes back.
const maxEchoedTarget = 256

// quoteTarget quotes target for an error message, cut to maxEchoedTarget
// bytes.
func quoteTarget(target string) string {
	if len(target) <= maxEchoedTarget {
		return strconv.Quote(target)
	}
	return fmt.Sprintf("%q (cut from %d bytes)", target[:maxEchoedTarget], len(target))
}

// headerValues holds the values of the headers every answer carries, the
// request ID, Content-Type and Content-Length, in one allocation where
// a Header.Set each would allocate a slice.
type headerValues [3]string

// requestIDKey is requestIDHeader as net/http canonicalizes it.
const requestIDKey = "X-Amzn-Requestid"

// writeBody sends a JSON body with its length, as AWS does, rather than
// chunked: clients then read exactly the body and keep the connection.
// The values go into hv, whose first is the request ID.
func writeBody(w http.ResponseWriter, status int, body []byte, hv *headerValues) {
	hv[1], hv[2] = contentType, strconv.Itoa(len(body))
	h := w.Header()
	h["Content-Type"], h["Content-Length"] = hv[1:2:2], hv[2:3:3]
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// NewRequestID returns a random UUID for the x-amzn-RequestId header.
// An ID needs to be unique, not secret: math/rand/v2's generator, which
// the runtime seeds and keeps per thread, gives its 122 random bits
// without crypto/rand's system call.
func NewRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// Hex by hand: fmt costs more than the rest of the ID on a point read.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:], b[10:])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}
