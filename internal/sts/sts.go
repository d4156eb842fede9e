// Package sts serves the AWS Security Token Service actions that tools
// need against orgd, GetCallerIdentity and AssumeRole, over the AWS query
// protocol (form-encoded Action=…&Version=2011-06-15, XML answers) on the
// same endpoint as Organizations. Sessions it issues are kept by the
// domain; identity then maps their keys to the assumed role.
package sts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/orgd/orgd/internal/api"
	"github.com/orgd/orgd/internal/identity"
	"github.com/orgd/orgd/internal/wire"
)

// APIVersion is the only Version STS has.
const APIVersion = "2011-06-15"

const (
	xmlns   = "https://sts.amazonaws.com/doc/2011-06-15/"
	maxBody = 1 << 20
)

// Service is what STS needs of the domain.
type Service interface {
	// Now is the server clock.
	Now(ctx context.Context) (time.Time, error)
	// CanAssumeRole reports whether caller may assume role in account.
	CanAssumeRole(ctx context.Context, caller identity.Caller, account, role string) (bool, error)
	// PutSession stores a session; it fails if the access key is taken.
	PutSession(ctx context.Context, s identity.Session) error
}

// Handler answers STS requests.
type Handler struct {
	Service Service
	// Identify authenticates a request to the STS endpoint.
	Identify func(*http.Request) (identity.Caller, error)
	// Partition is the ARN partition; "" means "aws".
	Partition string
	Log       *slog.Logger
	// Observe, when set, is told of every request once it is answered.
	Observe func(*http.Request, wire.Exchange)
}

// Match reports whether r is an STS request: Action in the query string,
// or a form-encoded POST whose body has an Action. It puts back what it
// reads of the body.
func Match(r *http.Request) bool {
	if r.URL.Query().Has("Action") {
		return true
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return false
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/x-www-form-urlencoded" {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	if err != nil {
		return false
	}
	v, err := url.ParseQuery(string(b))
	return err == nil && v.Has("Action")
}

// stsError is an error as STS sends it.
type stsError struct {
	status  int
	code    string
	message string
}

func (e *stsError) Error() string { return e.code + ": " + e.message }

func validation(format string, args ...any) error {
	return &stsError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

// authErrors maps identity's errors, named as the JSON protocol names
// them, to the query protocol's codes and statuses (STS answers 403 for
// a bad key, token or signature, 400 for a malformed one).
var authErrors = map[string]struct {
	code   string
	status int
}{
	identity.ErrUnrecognizedClient:         {"InvalidClientTokenId", http.StatusForbidden},
	identity.ErrInvalidSignature:           {"SignatureDoesNotMatch", http.StatusForbidden},
	identity.ErrIncompleteSignature:        {"IncompleteSignature", http.StatusBadRequest},
	identity.ErrMissingAuthenticationToken: {"MissingAuthenticationToken", http.StatusForbidden},
	identity.ErrExpiredToken:               {"ExpiredToken", http.StatusForbidden},
	identity.ErrRequestTooLarge:            {"RequestEntityTooLarge", http.StatusRequestEntityTooLarge},
}

// unimplemented are the STS actions orgd knows of but does not serve.
var unimplemented = map[string]bool{
	"AssumeRoleWithSAML": true, "AssumeRoleWithWebIdentity": true, "AssumeRoot": true,
	"DecodeAuthorizationMessage": true, "GetAccessKeyInfo": true, "GetDelegatedAccessToken": true,
	"GetFederationToken": true, "GetSessionToken": true, "GetWebIdentityToken": true,
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := wire.Exchange{RequestID: wire.NewRequestID(), Status: http.StatusOK}
	w.Header().Set("x-amzn-RequestId", x.RequestID)
	var out any
	var err error
	x.Op, out, err = h.serve(w, r, &x)
	var b []byte
	if err == nil {
		b, err = xml.Marshal(out)
	}
	if err != nil {
		h.writeError(w, &x, err)
	} else {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		w.Write(append([]byte(xml.Header), b...))
	}
	if h.Observe != nil {
		x.Duration = time.Since(start)
		h.Observe(r, x)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, x *wire.Exchange) (action string, out any, err error) {
	id := x.RequestID
	ctx := r.Context()
	now, err := h.Service.Now(ctx)
	if err != nil {
		return "", nil, err
	}
	// The server clock, which the admin API can move, is the one
	// signatures are checked against; SDKs correct their skew from Date.
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	caller, err := h.Identify(r)
	if err != nil {
		x.Unauthenticated = true
		return "", nil, err
	}
	x.Caller = caller
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return "", nil, err
		}
		if len(b) > maxBody {
			return "", nil, &stsError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Request body exceeds %d bytes.", maxBody)}
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return "", nil, &stsError{http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form-encoded string."}
		}
		for k, v := range form {
			params[k] = v
		}
	}
	action = params.Get("Action")
	if v := params.Get("Version"); v != APIVersion {
		return action, nil, &stsError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("STS has no action %q in version %q; the version is %s.", action, v, APIVersion)}
	}
	meta := responseMetadata{RequestID: id}
	switch action {
	case "GetCallerIdentity":
		return action, &getCallerIdentityResponse{Xmlns: xmlns, Result: h.callerIdentity(caller), Metadata: meta}, nil
	case "AssumeRole":
		res, err := h.assumeRole(ctx, caller, params, now)
		if err != nil {
			return action, nil, err
		}
		return action, &assumeRoleResponse{Xmlns: xmlns, Result: *res, Metadata: meta}, nil
	}
	if unimplemented[action] {
		return action, nil, &stsError{http.StatusNotImplemented, api.ErrNotImplemented, "orgd does not implement the STS " + action + " action"}
	}
	return action, nil, &stsError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("STS has no action %q.", action)}
}

func (h *Handler) partition() string {
	if h.Partition == "" {
		return "aws"
	}
	return h.Partition
}

func (h *Handler) writeError(w http.ResponseWriter, x *wire.Exchange, err error) {
	id, action := x.RequestID, x.Op
	var se *stsError
	var ae *api.Error
	switch {
	case errors.As(err, &se):
	case errors.As(err, &ae) && authErrors[ae.Type].code != "":
		m := authErrors[ae.Type]
		se = &stsError{m.status, m.code, ae.Message}
	default:
		if errors.Is(err, context.Canceled) {
			x.Status, x.Exception = 499, "RequestCanceled"
			return
		}
		h.log().Error("sts internal error", "action", action, "err", err, "request_id", id)
		se = &stsError{http.StatusInternalServerError, "InternalFailure", "The request failed because of an internal error."}
	}
	typ := "Sender"
	if se.status >= 500 {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(&errorResponse{Xmlns: xmlns, Error: errorBody{Type: typ, Code: se.code, Message: se.message}, RequestID: id})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(se.status)
	w.Write(append([]byte(xml.Header), b...))
	x.Status, x.Exception, x.Message = se.status, se.code, se.message
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		rand.Read(buf)
		if int(buf[0]) < limit {
			out[i] = alphabet[int(buf[0])%len(alphabet)]
			i++
		}
	}
	return string(out)
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
