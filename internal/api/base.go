package api

import (
	"fmt"
	"strconv"
	"time"

	"github.com/orgd/orgd/internal/errmsg"
)

// Error is an API exception: its model name, a message, and the Reason for
// the exceptions that carry one.
type Error struct {
	Type    string
	Message string
	Reason  string
}

// newError builds every error of the model. The code names the situation
// with format; the message sent is the one internal/errmsg's table holds
// for it.
func newError(typ, reason, format string, args ...any) *Error {
	return &Error{Type: typ, Message: errmsg.Format(typ, reason, format, args), Reason: reason}
}

func (e *Error) Error() string {
	if e.Reason != "" {
		return e.Type + " (" + e.Reason + "): " + e.Message
	}
	return e.Type + ": " + e.Message
}

// Fault reports whether the error is the service's fault rather than the
// caller's.
func (e *Error) Fault() bool { return Exceptions[e.Type].Fault }

// ExceptionInfo holds the facts the model states about an exception.
type ExceptionInfo struct {
	HasReason bool
	Fault     bool
}

// ErrNotImplemented is the type of the error for an operation orgd routes
// but does not serve yet. It is not a model exception.
const ErrNotImplemented = "NotImplementedException"

// NotImplemented returns the error for an operation orgd does not serve yet.
func NotImplemented(op string) *Error {
	return &Error{Type: ErrNotImplemented, Message: "orgd does not implement the " + op + " operation yet"}
}

// Empty is the input or output of an operation whose model has none.
type Empty struct{}

// Time is a timestamp; on the wire it is epoch seconds with milliseconds.
type Time struct{ time.Time }

// NewTime returns t truncated to milliseconds, as the wire carries it.
func NewTime(t time.Time) Time { return Time{t.Truncate(time.Millisecond)} }

func (t Time) MarshalJSON() ([]byte, error) {
	return appendEpochMillis(make([]byte, 0, 24), t.UnixMilli()), nil
}

// appendEpochMillis appends ms as epoch seconds, the bytes
// strconv.AppendFloat(float64(ms)/1000, 'f', -1) gives, without its
// shortest-float search: below 10^15 milliseconds (the year 33658) the
// quotient's shortest form is the exact decimal seconds.millis with
// trailing zeros dropped. Every listed account carries one.
func appendEpochMillis(b []byte, ms int64) []byte {
	if ms <= -1e15 || ms >= 1e15 {
		return strconv.AppendFloat(b, float64(ms)/1000, 'f', -1, 64)
	}
	u := ms
	if u < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendInt(b, u/1000, 10)
	if frac := u % 1000; frac != 0 {
		d := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		n := 3
		for d[n-1] == '0' {
			n--
		}
		b = append(append(b, '.'), d[:n]...)
	}
	return b
}

func (t *Time) UnmarshalJSON(b []byte) error { return t.parse(string(b)) }

// parse sets t from epoch seconds written as a JSON number.
func (t *Time) parse(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	t.Time = time.UnixMilli(int64(f*1000 + 0.5*sign(f))).UTC()
	return nil
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}
